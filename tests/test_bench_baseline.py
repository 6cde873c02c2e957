"""The benchmark's hand-written SQL (``bench/handwritten.py``: the 15 catalogue rules in plain DuckDB
SQL, the reference the fast engine's speed target is stated against) finds exactly the checker's
violations, evidence lists included. A policy changed without its hand-written query fails here,
not only in a benchmark run's printout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import checker
from checker.generator import generate

from .conftest import ROOT

NOW = "2026-01-01T00:00:00Z"


def _agree(events: Path, policy_set: checker.PolicySet, tmp_path: Path) -> str:
    """Run both on ``events`` at the checker's as-of time; the comparison's report (asserted equal)."""
    result = checker.check(policy_set, [events], now=NOW)
    product = tmp_path / "result.json"
    product.write_text(checker.render("json", result, checker.RenderOptions()), encoding="utf-8")
    baseline = tmp_path / "baseline.jsonl"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "handwritten.py"),
            str(events),
            "--as-of",
            result.as_of_text,
            "--now",
            NOW,
            "-o",
            str(baseline),
            "--temp-directory",
            str(tmp_path / "duckdb"),
        ],
        check=True,
        capture_output=True,
    )
    compared = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "handwritten_check.py"), str(baseline), str(product)],
        capture_output=True,
        text=True,
    )
    assert compared.returncode == 0, compared.stdout
    assert len(result.findings) > 20  # every rule has something to find
    return compared.stdout


def test_the_sample(policy_set: checker.PolicySet, tmp_path: Path) -> None:
    _agree(ROOT / "examples" / "sample-events.jsonl", policy_set, tmp_path)


@pytest.mark.parametrize("seed", [3, 11])
def test_generated_exports(policy_set: checker.PolicySet, tmp_path: Path, seed: int) -> None:
    generate(tmp_path / "world", events=4000, seed=seed, violation_rate=0.3)
    report = _agree(tmp_path / "world" / "events.jsonl", policy_set, tmp_path)
    total = report.splitlines()[-1].split()
    assert total[0] == "total" and int(total[1]) == int(total[2]) > 100
