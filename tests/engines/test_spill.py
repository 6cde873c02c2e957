"""Outcomes on disk in sorted runs: merged in result order, and merged into fewer runs on disk
when there are more than one merge should hold open at once."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from checker.engines.spill import Spill, SpilledOutcomes, row_order


def _row(rule: str, epoch: int, event: str) -> tuple[object, ...]:
    # the fields row_order reads (rule, version, event, epoch); the rest of an outcome row unused
    return (rule, "1.0.0", event, epoch, *([None] * 11))


@pytest.mark.parametrize(("runs", "fan_in"), [(1, 2), (2, 2), (3, 2), (10, 3), (40, 4), (65, 64)])
def test_compact_keeps_result_order_and_removes_merged_runs(tmp_path: Path, runs: int, fan_in: int) -> None:
    rng = random.Random(runs * 100 + fan_in)
    rows = [_row(rng.choice("ab"), rng.randrange(50), f"e{i}") for i in range(runs * 7)]
    spilled = SpilledOutcomes(Spill(str(tmp_path), "runs", runs))
    for run in range(runs):
        spilled.add_run(run, sorted(rows[run::runs], key=row_order))
    spilled.compact(fan_in)
    assert len(spilled.runs) <= fan_in
    assert len(spilled) == len(rows)
    merged = [tuple(spilled.spill.read(r)) for r in spilled.runs]
    assert all(list(run) == sorted(run, key=row_order) for run in merged)
    assert sorted((row for run in merged for row in run), key=row_order) == sorted(rows, key=row_order)
    # only the runs left are on disk
    assert sorted(os.listdir(tmp_path)) == sorted(
        os.path.basename(spilled.spill.paths[r]) for r in spilled.runs
    )
