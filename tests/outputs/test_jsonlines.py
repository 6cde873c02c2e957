"""JSON Lines: one finding per line, the JSON result's finding objects with their status."""

from __future__ import annotations

import json

from checker.outputs import RENDERERS, RenderOptions, render
from tests.outputs.data import result_of


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


def test_a_line_break_inside_a_value_stays_inside_its_line() -> None:
    """U+0085, U+2028 and U+2029 are legal unescaped in JSON strings, but Python's splitlines (and
    JavaScript) break lines at them: the JSON Lines writer escapes them."""
    value = "a\x85b\u2028c\u2029d"
    base = {
        "platform": "aliexpress",
        "seller_id": value,
        "subject": {"type": "affiliate_program", "id": value},
    }
    records = [
        {
            **base,
            "event_id": "join" + value,
            "action": "affiliate.joined",
            "timestamp": "2024-03-01T10:00:00+08:00",
        },
        {
            **base,
            "event_id": "exit" + value,
            "action": "affiliate.exit_requested",
            "timestamp": "2024-03-02T10:00:00+08:00",
        },
    ]
    result = result_of(records)
    text = render("jsonl", result, RenderOptions())
    lines = text.splitlines()
    assert len(lines) == len(result.findings) == 1
    assert [json.loads(line) for line in lines] == json.loads(render("json", result, RenderOptions()))[
        "findings"
    ]
    assert json.loads(lines[0])["seller_id"] == value
    assert "\\u0085" in text and "\x85" not in text and "\u2028" not in text and "\u2029" not in text
