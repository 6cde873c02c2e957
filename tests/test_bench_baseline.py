"""The benchmark's hand-written SQL (``bench/handwritten.py``: the 15 catalogue rules in plain DuckDB
SQL, the reference the fast engine's speed target is stated against) finds exactly the checker's
violations, evidence lists included, with its typed read and with its exact intake (lines
numbered, each read as Python's json reads it). A policy changed without its hand-written query
fails here, not only in a benchmark run's printout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import checker
from checker.generator import generate

from .conftest import ROOT

NOW = "2026-01-01T00:00:00Z"


def _agree(events: Path, policy_set: checker.PolicySet, tmp_path: Path, exact: bool) -> str:
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
            *(["--exact-intake"] if exact else []),
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


@pytest.fixture(params=[False, True], ids=["typed-read", "exact-intake"])
def exact(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def test_the_sample(policy_set: checker.PolicySet, tmp_path: Path, exact: bool) -> None:
    _agree(ROOT / "examples" / "sample-events.jsonl", policy_set, tmp_path, exact)


@pytest.mark.parametrize("seed", [3, 11])
def test_generated_exports(policy_set: checker.PolicySet, tmp_path: Path, seed: int, exact: bool) -> None:
    generate(tmp_path / "world", events=4000, seed=seed, violation_rate=0.3)
    report = _agree(tmp_path / "world" / "events.jsonl", policy_set, tmp_path, exact)
    total = report.splitlines()[-1].split()
    assert total[0] == "total" and int(total[1]) == int(total[2]) > 100


def test_the_exact_intake_numbers_the_lines_the_checker_rejects(tmp_path: Path) -> None:
    """The exact intake rejects, at their line numbers, the lines the checker rejects, and lists
    for a strict parser the lines DuckDB might read otherwise than Python (a key given twice)."""
    head = '{"timestamp":"2024-05-01T10:00:00+08:00","platform":"aliexpress","seller_id":"s1",'
    lines = [
        head + '"event_id":"e1","action":"affiliate.joined"}',
        "",
        head + '"event_id":"e2","action":"affiliate.joined",}',  # a trailing comma: not JSON
        head + '"event_id":"e3","event_id":"e4","action":"affiliate.joined"}',  # Python reads e4
        head + '"event_id":7,"action":"affiliate.joined"}',  # a number for an id
        "not json",
        head.replace("2024-05-01T10:00:00+08:00", "yesterday") + '"event_id":"e8","action":"a.b"}',
    ]
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    product = checker.read_events([events])
    assert [(r.line, r.code) for r in product.rejected] == [
        (3, "bad-json"),
        (5, "invalid-event"),
        (6, "bad-json"),
        (7, "bad-timestamp"),
    ]
    printed = subprocess.run(
        [
            *(sys.executable, str(ROOT / "bench" / "handwritten.py"), str(events), "--now", NOW),
            *(
                "-o",
                str(tmp_path / "out.jsonl"),
                "--temp-directory",
                str(tmp_path / "duckdb"),
                "--exact-intake",
            ),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert (
        "rejected lines: 5 (3: needs-exact-parse, 4: needs-exact-parse, 5: missing-field, 6: bad-json, "
        "7: bad-timestamp)" in printed
    )
