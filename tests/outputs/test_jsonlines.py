"""JSON Lines: one finding per line, the JSON result's finding objects with their status."""

from __future__ import annotations

import json

from checker.outputs import RENDERERS, render


def test_one_finding_per_line(scenario: tuple) -> None:
    result, options = scenario
    pieces = RENDERERS["jsonl"](result, options)
    assert not isinstance(pieces, str)  # streamed, piece by piece
    lines = render("jsonl", result, options).splitlines()
    docs = [json.loads(line) for line in lines]
    full = json.loads(render("json", result, options))
    assert docs == full["findings"]
    assert [d["status"] for d in docs] == ["baselined", "waived", "new", "new"]
    assert docs[1]["waiver"]["approver"] == "li.si"
    assert full["gating"]["by_status"] == {"new": 2, "baselined": 1, "waived": 1}
    assert full["gating"]["failing"] == 1
    assert full["gating"]["waivers"]["expired"][0]["expires"] == "2024-01-31"
