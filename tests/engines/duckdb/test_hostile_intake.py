"""The input limits on the DuckDB engine: every hostile record is decided as the Python intake
decides it (same code, same line), with exact accounting and no internal error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import checker
from checker.inputs.readers import MAX_RECORD_BYTES
from tests.inputs.hostile import hostile_records, strict_json, write_hostile

from .differential import assert_same, run_both

#: the run's now: both engines must read the same one (the wall clock, read twice, would differ in
#: the future-timestamp reasons)
NOW = "2025-01-01T00:00:00Z"


def _codes(result: object) -> dict[int, str]:
    return {r.line: r.code for r in result.batch.rejected}  # type: ignore[attr-defined]


@pytest.mark.parametrize("timezone", ["Asia/Shanghai", "UTC"])
def test_hostile_records_are_decided_as_python_decides(
    catalogue: checker.PolicySet, tmp_path: Path, timezone: str
) -> None:
    path = tmp_path / "hostile.jsonl"
    expected = write_hostile(path)
    reference, duck = run_both(catalogue, [path], timezone=timezone, now=NOW)
    assert_same(reference, duck)
    want = {line: code for line, (_, code) in expected.items() if code}
    assert _codes(reference) == want
    assert _codes(duck) == want
    totals = duck.to_dict()["inputs"]["totals"]
    assert totals["read"] == len(expected) == totals["accepted"] + totals["duplicates"] + totals["rejected"]
    strict_json(json.dumps(duck.to_dict(all_outcomes=True), allow_nan=False))


def test_hostile_records_among_good_ones(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    """Hostile lines in a real export (the sample), each also repeated: duplicates and
    conflicts of rejected ids do not disturb the rest."""
    sample = (Path(checker.__file__).parent.parent / "examples" / "sample-events.jsonl").read_text("utf-8")
    hostile = [text for _, text, _ in hostile_records()]
    path = tmp_path / "mixed.jsonl"
    path.write_text(sample + "\n".join(hostile + hostile) + "\n" + sample, encoding="utf-8")
    reference, duck = run_both(catalogue, [path], now=NOW)
    assert_same(reference, duck)


def test_a_parquet_nan_double_is_rejected_on_both_engines(
    catalogue: checker.PolicySet, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "events.parquet"
    n = 6
    values = [1.5, float("nan"), float("inf"), -float("inf"), 1e308, 0.0]
    pq.write_table(
        pa.table(
            {
                "event_id": [f"p{i}" for i in range(n)],
                "timestamp": ["2024-03-01T10:00:00Z"] * n,
                "platform": ["aliexpress"] * n,
                "seller_id": ["s1"] * n,
                "action": ["affiliate.joined"] * n,
                "data": [{"x": v} for v in values],
            }
        ),
        path,
    )
    reference, duck = run_both(catalogue, [path])
    assert_same(reference, duck)
    assert _codes(duck) == {2: "non-finite-number", 3: "non-finite-number", 4: "non-finite-number"}


@pytest.mark.slow
def test_a_line_over_the_size_limit(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    good = [text for name, text, code in hostile_records() if code is None]
    with path.open("w", encoding="utf-8") as fh:
        fh.write(good[0] + "\n")
        fh.write('{"event_id": "big", "p": "' + "x" * MAX_RECORD_BYTES + '"}\n')
        fh.write(good[1] + "\n")
    reference, duck = run_both(catalogue, [path])
    assert_same(reference, duck)
    assert _codes(duck) == {2: "record-too-large"}


@pytest.mark.parametrize("engine", ["python", "duckdb"])
@pytest.mark.parametrize(
    "param",
    [
        "aliexpress.affiliate.early-exit.min_membership=P99999999999999D",
        "aliexpress.choice.refund-charged-to-seller.exemption=P1201M",
    ],
)
def test_a_duration_parameter_too_long_is_a_located_error(engine: str, param: str) -> None:
    from tests.conftest import ROOT, run_cli

    sample = str(ROOT / "examples" / "sample-events.jsonl")
    code, _, err = run_cli(
        "check", sample, "--policies", str(ROOT / "policies"), "--engine", engine, "--param", param
    )
    assert code == 2
    assert "--param:" in err and "longer than 100 years" in err
    assert "internal error" not in err
