"""Integers past 64 bits in event data are read exactly (orjson would read them as floats,
silently), on both engines, in every place a record is parsed: the intake, the evidence read back,
the findings written to disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import checker
from checker.inputs.readers import parse_strict

from .differential import assert_same, run_both

SAMPLE = Path(checker.__file__).parent.parent / "examples" / "sample-events.jsonl"

#: each beyond what orjson holds exactly, one on each side, and a 19-digit run that is a string
BIG = {"above": 2**64, "below": -(2**63) - 1, "huge": 10**30, "text": "1234567890123456789012"}


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 18446744073709551616}',
        '{"a": -9223372036854775809}',
        '{"a": [1, {"b": 1000000000000000000000000000000}], "c": 2.5}',
        '{"a": "12345678901234567890", "b": 0.1}',
        '{"a": 18446744073709551615, "b": -9223372036854775808}',
    ],
)
def test_parsed_as_the_json_module_parses(text: str) -> None:
    value = parse_strict(text)
    assert repr(value) == repr(json.loads(text))


def test_exact_in_findings_on_both_engines(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    """Big integers in the data of every finding's trigger: both engines find the same and show
    the exact integers in the evidence."""
    lines = SAMPLE.read_text("utf-8").splitlines()
    triggers = {o.event_id for o in checker.check(catalogue, [SAMPLE]).findings}
    assert triggers
    out = []
    for text in lines:
        record = json.loads(text)
        if record["event_id"] in triggers:
            record.setdefault("data", {}).update(BIG)
        out.append(json.dumps(record, ensure_ascii=False))
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    reference, duck = run_both(catalogue, [path])
    assert_same(reference, duck)
    assert {o.event_id for o in duck.findings} == triggers
    shown = json.loads(json.dumps(duck.to_dict()))
    for finding in shown["findings"]:
        trigger = next(e for e in finding["evidence_events"] if e["event_id"] == finding["event_id"])
        assert {k: trigger["data"][k] for k in BIG} == BIG
