"""The intake compares repeated ids' texts, not only their hashes: with a hash that collides
(the length of the text) conflicts must still be told from duplicates as Python tells them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import checker
from checker.engines.duckdb import intake

from .differential import assert_same, run_both

GOOD = {"platform": "aliexpress", "seller_id": "s1", "action": "affiliate.joined"}


def _line(**fields: object) -> str:
    return json.dumps({**GOOD, **fields}, ensure_ascii=False)


@pytest.mark.parametrize("weak", ["hash", "length"])
def test_equal_hashes_are_confirmed_on_the_texts(
    catalogue: checker.PolicySet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, weak: str
) -> None:
    monkeypatch.setattr(intake, "_TEXT_HASH", weak)
    first = [
        _line(event_id="c1", timestamp="2024-03-01T10:00:00Z"),
        _line(event_id="c1", timestamp="2024-03-01T11:00:00Z"),  # same length, other text: a conflict
        _line(event_id="d1", timestamp="2024-03-01T10:00:00Z"),
        _line(event_id="d1", timestamp="2024-03-01T10:00:00Z"),  # the same text: a duplicate
        _line(event_id="e1", timestamp="2024-03-01T12:00:00Z"),
        _line(event_id="k1", timestamp="2024-03-01T10:00:00Z"),
    ]
    second = [
        _line(event_id="e1", timestamp="2024-03-01T13:00:00Z"),  # a conflict across files
        _line(event_id="k1", timestamp="2024-03-01T10:00:00Z"),  # a duplicate across files
        _line(event_id="d1", timestamp="2024-03-01T10:00:00Z"),
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(first) + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text("\n".join(second) + "\n", encoding="utf-8")
    reference, duck = run_both(catalogue, [tmp_path])
    assert reference.batch.rejected  # the conflicts are rejected
    assert_same(reference, duck)
    assert [s.as_dict() for s in duck.batch.inputs] == [s.as_dict() for s in reference.batch.inputs]
