"""Differential over generated exports: Spark against the reference engine, whole results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import checker
from checker.generator import generate
from tests.differential import GENERATED_PARAMS, assert_same

from .differential import run_both


# a Spark check costs 20-30 s of planning whatever its size: the fast tier runs one small export,
# the full tier the 200,000 events issue 12 names and one with as-of and parameters
@pytest.mark.parametrize(
    ("seed", "events", "rate"),
    [(1, 4000, 0.2), pytest.param(12, 200_000, 0.2, marks=pytest.mark.slow)],
)
def test_generator_exports(
    catalogue: checker.PolicySet, spark: Any, tmp_path: Path, seed: int, events: int, rate: float
) -> None:
    generate(tmp_path, events=events, seed=seed, violation_rate=rate)
    reference, on_spark = run_both(catalogue, [tmp_path / "events.jsonl"], spark)
    assert_same(reference, on_spark)
    assert reference.counts() and sum(c["violation"] for c in reference.counts()) > 0


@pytest.mark.slow
def test_generator_export_with_as_of_and_params(
    catalogue: checker.PolicySet, spark: Any, tmp_path: Path
) -> None:
    generate(tmp_path, events=3000, seed=11)
    assert_same(
        *run_both(
            catalogue,
            [tmp_path / "events.jsonl"],
            spark,
            as_of="2024-05-01T00:00:00+08:00",
            params=GENERATED_PARAMS,
        )
    )
