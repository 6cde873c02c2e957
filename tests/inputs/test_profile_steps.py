"""A profile maps a record the same whether or not it skips the steps of exactly empty cells.

:meth:`checker.inputs.profiles.Profile.apply` leaves out, once per pattern of exactly empty
cells, the steps that would skip an empty optional cell. These tests hold it to the mapping
that takes every step in turn: the same event or the same error, for cells that are empty,
blank, null, absent, zero or false, with a default, a required column and unmapped columns kept
under ``data``, and past the number of patterns it remembers.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import pytest

from checker.inputs import profiles
from checker.inputs.profiles import MappingError, Profile, for_timezone, load_profile

PROFILE = """\
profile: steps
fields:
  event_id: 编号
  timestamp: {column: 时间, format: "%Y-%m-%d %H:%M:%S"}
  platform: {constant: kuaishou}
  seller_id: 商家
  action: {column: 类型, map: {取消: distribution.cancel_requested}, unmapped: keep}
  actor: 操作方
  subject.type: {constant: enrolment}
  subject.id: 合作
data:
  amount: {column: 金额, type: number}
  count: {column: 数量, type: integer}
  flag: {column: 标记, type: boolean, default: false}
  note: {column: 备注, type: string}
  reason: {column: 原因, type: string, required: true}
  when: {column: 时刻, type: timestamp, format: "%Y-%m-%d %H:%M:%S"}
  raw: {column: 原文, type: json}
  amount_text: {column: 金额, type: string}  # a second step reading the same column
{tail}
"""
#: the optional and defaulted columns, and what each record may hold in them
OPTIONAL = ["操作方", "合作", "金额", "数量", "标记", "备注", "时刻", "原文"]
CELLS: dict[str, list[Any]] = {
    "操作方": ["seller", "", " ", None, "ABSENT"],
    "合作": ["7", "", "0", 0],
    "金额": ["1.5", "", "x", 0, False],
    "数量": ["3", "", "  ", None],
    "标记": ["是", "", "maybe", False],
    "备注": ["a note", "", "\t", 0],
    "时刻": ["2024-03-10 02:30:00", "", "not a time"],
    "原文": ['{"a": 1}', "", "{"],
}
BASE = {
    "编号": "e1",
    "时间": "2024-03-01 10:00:00",
    "商家": "s1",
    "类型": "取消",
    "原因": "late",
    "多余": "kept?",
}


def _profiles(tmp_path: Path, tail: str) -> tuple[Profile, Profile]:
    path = tmp_path / "p.yaml"
    path.write_text(PROFILE.replace("{tail}", tail), "utf-8")
    fast = for_timezone(load_profile(path), "America/New_York")
    # the same profile taking every step: nothing to skip by
    slow = dataclasses.replace(fast)
    object.__setattr__(slow, "_skippable", None)
    return fast, slow


def _mapped(profile: Profile, record: dict[str, Any]) -> object:
    try:
        return profile.apply(record)
    except MappingError as exc:
        return (exc.code, exc.reason)


def _records() -> list[dict[str, Any]]:
    """Records with every cell of two optional columns varied at a time, the rest filled or not."""
    out = []
    for a, b in itertools.combinations(OPTIONAL, 2):
        for x, y in itertools.product(CELLS[a], CELLS[b]):
            for rest in ("filled", "empty"):
                record = dict(BASE)
                for column in OPTIONAL:
                    record[column] = CELLS[column][0] if rest == "filled" else ""
                record[a], record[b] = x, y
                out.append({k: v for k, v in record.items() if v != "ABSENT"})
    out.append(BASE | {"原因": ""})  # the required column empty
    out.append(BASE | {"原因": " "})
    out.append({k: v for k, v in BASE.items() if k != "原因"})
    return out


@pytest.mark.parametrize("tail", ["", "unmapped_columns: data"])
def test_the_same_events_and_errors_as_every_step_in_turn(tmp_path: Path, tail: str) -> None:
    fast, slow = _profiles(tmp_path, tail)
    records = _records()
    results = [(_mapped(fast, r), _mapped(slow, r)) for r in records]
    for record, (got, expected) in zip(records, results, strict=True):
        assert got == expected, record
        if isinstance(got, dict):  # the same order of keys too: it is the record written
            assert list(got) == list(expected) and list(got.get("data", {})) == list(expected.get("data", {}))
    assert len(fast._shapes) > 1  # the records' patterns were remembered
    assert {type(got) for got, _ in results} == {dict, tuple}  # both events and errors compared


def test_past_the_patterns_it_remembers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profiles, "_MAX_SHAPES", 3)
    fast, slow = _profiles(tmp_path, "")
    for record in _records():
        assert _mapped(fast, record) == _mapped(slow, record)
    assert len(fast._shapes) == 3
