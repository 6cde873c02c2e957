"""Differential over generated exports and over hypothesis-generated event sequences."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import checker
from checker.generator import generate
from tests.conftest import examples
from tests.differential import GENERATED_PARAMS
from tests.worlds import world

from .differential import assert_same, run_both, write_jsonl


# generated exports of thousands of events, about 2 s each: the fast tier runs one
@pytest.mark.parametrize(
    ("seed", "events", "rate"),
    [
        (1, 4000, 0.2),
        pytest.param(7, 6000, 0.5, marks=pytest.mark.slow),
        pytest.param(42, 3000, 1.0, marks=pytest.mark.slow),
        pytest.param(99, 5000, 0.0, marks=pytest.mark.slow),
    ],
)
def test_generator_exports(
    catalogue: checker.PolicySet, tmp_path: Path, seed: int, events: int, rate: float
) -> None:
    generate(tmp_path, events=events, seed=seed, violation_rate=rate)
    assert_same(*run_both(catalogue, [tmp_path / "events.jsonl"]))


@pytest.mark.slow
def test_generator_export_split_in_files_with_overlap(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    generate(tmp_path / "g", events=3000, seed=5)
    lines = (tmp_path / "g" / "events.jsonl").read_text("utf-8").splitlines()
    (tmp_path / "a.jsonl").write_text("\n".join(lines[:2000]) + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text("\n".join(lines[1500:]) + "\n", encoding="utf-8")  # overlap: duplicates
    assert_same(*run_both(catalogue, [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]))


@pytest.mark.slow
def test_generator_export_with_as_of_and_params(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    generate(tmp_path, events=3000, seed=11)
    assert_same(
        *run_both(
            catalogue, [tmp_path / "events.jsonl"], as_of="2024-05-01T00:00:00+08:00", params=GENERATED_PARAMS
        )
    )


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    world=world(),
    as_of=st.sampled_from([None, "2024-02-15T00:00:00+08:00", "2024-06-01"]),
    timezone=st.sampled_from(["Asia/Shanghai", "America/New_York"]),
)
def test_hypothesis_worlds(
    catalogue: checker.PolicySet,
    tmp_path_factory: pytest.TempPathFactory,
    world: list[dict[str, Any]],
    as_of: str | None,
    timezone: str,
) -> None:
    path = write_jsonl(tmp_path_factory.mktemp("world") / "events.jsonl", world)
    assert_same(*run_both(catalogue, [path], as_of=as_of, timezone=timezone))
