"""Outcomes on disk in sorted runs: merged in result order, and merged into fewer runs on disk
when there are more than one merge should hold open at once."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

import checker
from checker.engines.spill import Spill, SpilledOutcomes, finding_row, outcome_row, row_order, row_outcome
from checker.results.result import encode_finding
from tests.conftest import POLICIES, ROOT


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


def test_findings_keep_their_json_text_ready_made(tmp_path: Path) -> None:
    """A finding written by ``finding_row`` carries its text in the JSON result; ``texts`` gives
    every finding's text in result order, encoding those written without one (``outcome_row``),
    and the rows read back as the same outcomes either way."""
    result = checker.check(checker.load_policies(POLICIES), [ROOT / "examples" / "sample-events.jsonl"])
    findings = list(result.findings)
    assert len(findings) > 10
    rows = [finding_row(o) if i % 3 else outcome_row(o) for i, o in enumerate(findings)]
    assert [len(r) for r in rows[:3]] == [15, 16, 16]
    assert [row_outcome(r) for r in rows] == findings
    spilled = SpilledOutcomes(Spill(str(tmp_path), "findings", 3))
    for run in range(3):
        spilled.add_run(run, sorted(rows[run::3], key=row_order))
    spilled.compact(2)
    assert list(spilled.texts()) == [encode_finding(o) for o in findings]
    assert list(SpilledOutcomes(Spill(str(tmp_path), "none", 0)).texts()) == []
