"""Differential over generated exports: Spark against the reference engine, whole results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import checker
from checker.generator import generate
from tests.conftest import examples
from tests.differential import GENERATED_PARAMS, assert_same, write_jsonl
from tests.worlds import world

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


# hypothesis' small worlds (ties, boundaries, odd values), 20-40 of them as one input with ids and
# sellers made unique per world: a Spark check costs its planning whatever its size, so one check
# judges many worlds; the full tier tries 3 such inputs
@pytest.mark.slow
@settings(
    max_examples=examples(3),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(
    worlds=st.lists(world(), min_size=20, max_size=40),
    as_of=st.sampled_from([None, "2024-02-15T00:00:00+08:00", "2024-06-01"]),
    timezone=st.sampled_from(["Asia/Shanghai", "America/New_York"]),
)
def test_hypothesis_worlds(
    catalogue: checker.PolicySet,
    spark: Any,
    tmp_path_factory: pytest.TempPathFactory,
    worlds: list[list[dict[str, Any]]],
    as_of: str | None,
    timezone: str,
) -> None:
    # a world's own odd values (a missing or non-text id) stay as they are
    records = [
        {**r, **{k: f"w{n}-{r[k]}" for k in ("event_id", "seller_id") if isinstance(r.get(k), str)}}
        for n, events in enumerate(worlds)
        for r in events
    ]
    path = write_jsonl(tmp_path_factory.mktemp("worlds") / "events.jsonl", records)
    assert_same(*run_both(catalogue, [path], spark, as_of=as_of, timezone=timezone))
