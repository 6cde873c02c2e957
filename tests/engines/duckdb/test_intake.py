"""Differential intake: awkward inputs are accepted, rejected and counted as Python does."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import checker

from .differential import assert_same, run_both

GOOD = {"platform": "aliexpress", "seller_id": "s1", "action": "affiliate.joined"}


def _line(**fields: object) -> str:
    return json.dumps({**GOOD, **fields}, ensure_ascii=False)


AWKWARD_LINES = [
    _line(event_id="a1", timestamp="2024-03-01T10:00:00+08:00"),
    "",
    "   ",
    '{"event_id": "a2", "timestamp": "2024-03-01T10:00:00+08:00", "platform": "aliexpress",'
    ' "seller_id": "s1", "action": "affiliate.joined",}',  # trailing comma: DuckDB tolerates it, Python not
    '{"event_id": "a3", "timestamp": NaN, "platform": "aliexpress", "seller_id": "s1", "action": "x.y"}',
    '{"event_id": "a4", "event_id": "a5", "timestamp": "2024-03-01T10:00:00Z", "platform": "aliexpress",'
    ' "seller_id": "s1", "action": "affiliate.exited"}',  # duplicate key: Python keeps the last
    "{bad json",
    "[1, 2]",
    _line(event_id="a6", timestamp="2024-02-30T10:00:00+08:00"),  # no such day
    _line(event_id="a7", timestamp="2024-03-01T24:00:00+08:00"),
    _line(event_id="a8", timestamp="2024-03-01T10:00:00+24:00"),
    _line(event_id="a9", timestamp="2024-03-01 10:00"),  # no seconds: Python's form, not SQL's
    _line(event_id="a10", timestamp="2024-03-01T10:00:00.123456789Z"),  # nanoseconds, truncated
    _line(event_id="a11", timestamp=1709258400),  # seconds
    _line(event_id="a12", timestamp=1709258400123),  # milliseconds
    _line(event_id="a13", timestamp=1709258400123456),  # microseconds
    _line(event_id="a14", timestamp=1709258400.5),  # float seconds
    _line(event_id="a15", timestamp=True),
    _line(event_id="   ", timestamp="2024-03-01T10:00:00Z"),  # blank id
    _line(event_id="\u3000", timestamp="2024-03-01T10:00:00Z"),  # ideographic space only
    _line(event_id="店铺-1", timestamp="2024-03-01T10:00:00Z"),
    _line(event_id="a16", timestamp="2024-03-01T10:00:00Z", action="Affiliate.Joined"),
    _line(event_id="a17", timestamp="2024-03-01T10:00:00Z", subject=None),
    _line(event_id="a18", timestamp="2024-03-01T10:00:00Z", subject={"type": "order", "id": 7}),
    _line(event_id="a19", timestamp="2024-03-01T10:00:00Z", actor=3),
    _line(event_id="a20", timestamp="2024-03-01T10:00:00Z", data=[1]),
    _line(event_id="a21", timestamp="2024-03-01T10:00:00Z", data={"x": 1}).replace(": 1}", ": 1e999}"),
    _line(event_id="d1", timestamp="2024-03-01T10:00:00Z"),
    _line(event_id="d1", timestamp="2024-03-01T10:00:00Z"),  # exact duplicate
    json.dumps({"timestamp": "2024-03-01T10:00:00Z", "event_id": "d1", **GOOD}),  # same content, other order
    _line(event_id="c1", timestamp="2024-03-01T10:00:00Z"),
    _line(event_id="c1", timestamp="2024-03-01T11:00:00Z"),  # conflict: both rejected
    _line(event_id="c1", timestamp="2024-03-01T10:00:00Z"),  # a repeat of a conflicting version
    _line(event_id="c2", timestamp="2024-03-01T10:00:00Z"),
    _line(event_id="c2", timestamp=1709287200),  # a conflict Python reads (number), SQL sees first
    _line(event_id="n1", timestamp="2024-03-10T02:30:00"),  # naive
    "\ufeff" + _line(event_id="b1", timestamp="2024-03-01T10:00:00Z"),  # a BOM inside the file
]


@pytest.mark.parametrize(
    "timezone", ["Asia/Shanghai", pytest.param("America/New_York", marks=pytest.mark.slow), "UTC"]
)
def test_awkward_lines_are_decided_as_python_decides(
    catalogue: checker.PolicySet, tmp_path: Path, timezone: str
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(AWKWARD_LINES) + "\n", encoding="utf-8")
    reference, duck = run_both(catalogue, [path], timezone=timezone)
    assert reference.batch.rejected  # the file does exercise rejections
    assert_same(reference, duck)


def test_files_python_must_read_whole(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    """BOM, CRLF, invalid UTF-8, gzip, JSON arrays and CSV: read by the project's readers."""
    lines = [_line(event_id=f"x{i}", timestamp=f"2024-03-0{i}T10:00:00+08:00") for i in range(1, 6)]
    (tmp_path / "a-bom.jsonl").write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode())
    (tmp_path / "b-crlf.jsonl").write_bytes("\r\n".join(lines).encode() + b"\r\n")
    (tmp_path / "c-latin.jsonl").write_bytes(lines[0].encode() + b"\n" + b'{"event_id": "\xff"}\n')
    (tmp_path / "d.jsonl.gz").write_bytes(gzip.compress("\n".join(lines).encode()))
    (tmp_path / "e.json").write_text("[" + ",".join(lines) + "]", encoding="utf-8")
    (tmp_path / "f.csv").write_text(
        "event_id,timestamp,platform,seller_id,action\n"
        "y1,2024-03-01T10:00:00+08:00,aliexpress,s1,affiliate.joined\n"
        "x1,2024-03-01T10:00:00+08:00,aliexpress,s1,affiliate.joined\n",
        encoding="utf-8",
    )
    # duplicates across files
    (tmp_path / "g.jsonl").write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    reference, duck = run_both(catalogue, [tmp_path])
    assert_same(reference, duck)
    assert [s.as_dict() for s in duck.batch.inputs] == [s.as_dict() for s in reference.batch.inputs]


def test_every_record_is_accounted_for(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(AWKWARD_LINES) + "\n", encoding="utf-8")
    duck = checker.engines.duckdb.check_duckdb(catalogue, [path])
    totals = duck.batch.totals()
    assert totals["read"] == totals["accepted"] + totals["duplicates"] + totals["rejected"]
    assert totals["read"] == len([x for x in AWKWARD_LINES if x.strip()])
