"""``future-timestamp`` on the DuckDB engine: the SQL fast path accepts an instant only up to a day
after the run's now and hands a later one to the Python intake, so both engines reject the same
records with the same code, and one far-future record changes no other outcome on either."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import checker
from tests.conftest import run_cli
from tests.inputs.test_future_timestamps import (
    BAD,
    LIMIT_US,
    NOW,
    NOW_US,
    POLICIES,
    SAMPLE,
    _decisions,
    write_cases,
)

from .differential import assert_same, run_both


@pytest.mark.parametrize("now", [NOW, NOW_US], ids=["text", "epoch-us"])
@pytest.mark.parametrize("timezone", ["Asia/Shanghai", "UTC"])
def test_the_cases_are_decided_alike(
    catalogue: checker.PolicySet, tmp_path: Path, now: object, timezone: str
) -> None:
    path = tmp_path / "cases.jsonl"
    want = write_cases(path)
    reference, duck = run_both(catalogue, [path], now=now, timezone=timezone)
    assert_same(reference, duck)
    for result in (reference, duck):
        assert {r.line: r.code for r in result.batch.rejected} == want
        assert result.batch.latest == LIMIT_US
    assert reference.to_dict()["inputs"]["now"] == duck.to_dict()["inputs"]["now"]


@pytest.mark.parametrize("now", [NOW, None], ids=["--now", "wall-clock"])
def test_one_far_future_record_changes_no_other_outcome(
    catalogue: checker.PolicySet, tmp_path: Path, now: str | None
) -> None:
    path = tmp_path / "with-bad.jsonl"
    path.write_text(SAMPLE.read_text("utf-8") + json.dumps(BAD) + "\n", encoding="utf-8")
    alone = run_both(catalogue, [SAMPLE], now=now)
    mixed = run_both(catalogue, [path], now=now)
    if now is not None:
        assert_same(*mixed)
    docs = [r.to_dict(all_outcomes=True) for r in (*alone, *mixed)]
    assert all(_decisions(d) == _decisions(docs[0]) for d in docs)
    for doc in docs[2:]:
        assert [(r["line"], r["code"]) for r in doc["inputs"]["rejected"]] == [(701, "future-timestamp")]


def test_the_repro_on_both_engines_is_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "with-bad.jsonl"
    path.write_text(SAMPLE.read_text("utf-8") + json.dumps(BAD) + "\n", encoding="utf-8")
    outputs = {}
    for engine in ("python", "duckdb"):
        args = ["check", str(path), "--policies", POLICIES, "--strict", "--format", "json", "--now", NOW]
        code, out, _ = run_cli(*args, "--engine", engine)
        assert code == 3
        outputs[engine] = out
        alone = json.loads(
            run_cli("check", str(SAMPLE), "--policies", POLICIES, "--format", "json", "--engine", engine)[1]
        )
        assert {k: json.loads(out)[k] for k in ("as_of", "findings", "summary")} == {
            k: alone[k] for k in ("as_of", "findings", "summary")
        }
    assert outputs["python"] == outputs["duckdb"]


def test_parquet_rows_are_decided_alike(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    """Parquet rows DuckDB reads itself take the same fast path: later than the limit goes to Python."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    stamps = [LIMIT_US // 1_000_000, 63072000000, LIMIT_US // 1000 + 1, LIMIT_US]
    path = tmp_path / "events.parquet"
    pq.write_table(
        pa.table(
            {
                "event_id": [f"e{i}" for i in range(len(stamps))],
                "timestamp": stamps,
                "platform": ["aliexpress"] * len(stamps),
                "seller_id": ["s1"] * len(stamps),
                "action": ["affiliate.joined"] * len(stamps),
            }
        ),
        path,
    )
    reference, duck = run_both(catalogue, [path], now=NOW)
    assert_same(reference, duck)
    assert [(r.line, r.code) for r in duck.batch.rejected] == [
        (2, "future-timestamp"),
        (3, "future-timestamp"),
    ]
