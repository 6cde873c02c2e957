"""The input limits: hostile records are rejected with their code, never an internal error,
and every record is accounted for; every JSON output stays strict JSON."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import checker
from checker.inputs.events import events_from_records
from checker.inputs.readers import MAX_DEPTH, MAX_RECORD_BYTES
from tests.conftest import ROOT, run_cli

from .hostile import hostile_records, strict_json, strict_jsonl, write_hostile

POLICIES = str(ROOT / "policies")


def _codes(batch: checker.EventBatch) -> dict[int, str]:
    return {r.line: r.code for r in batch.rejected}


def _assert_accounted(batch: checker.EventBatch) -> None:
    totals = batch.totals()
    assert totals["read"] == totals["accepted"] + totals["duplicates"] + totals["rejected"]
    for stats in batch.inputs:
        assert stats.read == stats.accepted + stats.duplicates + stats.rejected


def test_the_fixture_covers_every_kind() -> None:
    codes = {code for _, _, code in hostile_records()}
    assert {"non-finite-number", "too-deep", "timestamp-out-of-range", None} <= codes


def test_hostile_json_lines_get_their_codes(tmp_path: Path) -> None:
    path = tmp_path / "hostile.jsonl"
    expected = write_hostile(path)
    batch = checker.read_events([path])
    _assert_accounted(batch)
    got = _codes(batch)
    assert {line: got.get(line) for line in expected} == {line: code for line, (_, code) in expected.items()}
    assert batch.totals()["read"] == len(expected)


def test_hostile_records_in_a_json_array_get_the_same_codes(tmp_path: Path) -> None:
    records = hostile_records()[:-1]  # the last, unclosed, would swallow the array's end
    path = tmp_path / "hostile.json.gz"
    path.write_bytes(gzip.compress(("[\n" + ",\n".join(t for _, t, _ in records) + "\n]\n").encode()))
    batch = checker.read_events([path])
    _assert_accounted(batch)
    got = _codes(batch)
    assert [got.get(i + 2) for i in range(len(records))] == [code for _, _, code in records]


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("1e999", "non-finite-number"),
        ("-1E400", "non-finite-number"),
        ('"' + "[" * 1000 + "]" * 1000 + '"', "too-deep"),
        ('"' + "[" * 65 + "]" * 65 + '"', "too-deep"),
        ('"' + "[" * 62 + "]" * 62 + '"', None),  # the record, data, then 62 lists: 64 levels
        ("NaN", None),  # text: a CSV cell that is not a JSON literal stays a string
        ("1e308", None),
    ],
)
def test_csv_cells(tmp_path: Path, cell: str, code: str | None) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "event_id,timestamp,platform,seller_id,action,data.x\n"
        f"e1,2024-03-01T10:00:00Z,aliexpress,s1,affiliate.joined,{cell}\n",
        encoding="utf-8",
    )
    batch = checker.read_events([path])
    _assert_accounted(batch)
    assert _codes(batch).get(2) == code


def test_a_parquet_nan_double_rejects_its_row(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "events.parquet"
    table = pa.table(
        {
            "event_id": ["p1", "p2", "p3", "p4"],
            "timestamp": ["2024-03-01T10:00:00Z"] * 4,
            "platform": ["aliexpress"] * 4,
            "seller_id": ["s1"] * 4,
            "action": ["affiliate.joined"] * 4,
            "data": [{"x": 1.5}, {"x": float("nan")}, {"x": float("inf")}, {"x": -float("inf")}],
        }
    )
    pq.write_table(table, path)
    batch = checker.read_events([path])
    _assert_accounted(batch)
    assert _codes(batch) == {2: "non-finite-number", 3: "non-finite-number", 4: "non-finite-number"}


def test_in_memory_records_are_held_to_the_same_limits() -> None:
    good = {"event_id": "m1", "timestamp": "2024-03-01T10:00:00Z", "platform": "aliexpress"}
    good |= {"seller_id": "s1", "action": "affiliate.joined"}
    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    batch = events_from_records(
        [
            good,
            {**good, "event_id": "m2", "data": {"x": float("nan")}},
            {**good, "event_id": "m3", "data": {"x": deep}},
        ]
    )
    _assert_accounted(batch)
    assert _codes(batch) == {2: "non-finite-number", 3: "too-deep"}


def test_a_line_over_the_size_limit_is_rejected_unparsed(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    good = json.dumps(
        {"event_id": "b0", "timestamp": 1709258400, "platform": "aliexpress", "seller_id": "s1"}
    )
    good = good[:-1] + ', "action": "affiliate.joined"}'
    pad = MAX_RECORD_BYTES - len(good) + len(', "p": ""')
    exact = good[:-1] + ', "p": "' + "x" * (pad - len(', "p": ""') - len(', "p": ""') + 0) + '"}'
    with path.open("w", encoding="utf-8") as fh:
        fh.write(good + "\n")
        fh.write(good.replace("b0", "b1")[:-1] + ', "p": "' + "x" * MAX_RECORD_BYTES + '"}\n')
        fh.write(good.replace("b0", "b2") + "\n")
        fh.write("{" + "x" * (MAX_RECORD_BYTES + 10))  # no newline at the end
    del exact
    batch = checker.read_events([path])
    _assert_accounted(batch)
    assert _codes(batch) == {2: "record-too-large", 4: "record-too-large"}
    rejected = batch.rejected[0]
    assert len(rejected.text) < 2000  # the rejected text is its start, not 16 MiB


def test_the_limits_are_generous() -> None:
    assert MAX_DEPTH == 64
    assert MAX_RECORD_BYTES == 16 << 20


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_every_json_output_is_strict_json(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "hostile.jsonl"
    expected = write_hostile(path)
    sample = (ROOT / "examples" / "sample-events.jsonl").read_text("utf-8")
    with path.open("a", encoding="utf-8") as fh:
        fh.write(sample)
    outs = {fmt: tmp_path / f"out.{fmt}" for fmt in ("json", "jsonl", "sarif")}
    rejects = tmp_path / "rejects.jsonl"
    args = ["check", str(path), "--policies", POLICIES, "--engine", engine, "--rejects", str(rejects)]
    for fmt, out in outs.items():
        args += ["--format", fmt, "-o", str(out)]
    code, _, err = run_cli(*args)
    assert code == 1, err
    assert "internal error" not in err
    result = strict_json(outs["json"].read_text("utf-8"))
    totals = result["inputs"]["totals"]
    assert totals["read"] == totals["accepted"] + totals["duplicates"] + totals["rejected"]
    assert totals["rejected"] == sum(1 for _, c in expected.values() if c)
    assert strict_jsonl(outs["jsonl"].read_text("utf-8"))
    strict_json(outs["sarif"].read_text("utf-8"))
    assert len(strict_jsonl(rejects.read_text("utf-8"))) == totals["rejected"]


def test_the_strict_parser_refuses_nan() -> None:
    with pytest.raises(ValueError, match="NaN"):
        strict_json('{"a": NaN}')
    with pytest.raises(ValueError, match="Infinity"):
        strict_jsonl('{"a": 1}\n[-Infinity]\n')
