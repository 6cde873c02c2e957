"""``import checker`` is enough to load policies, read events, check, gate and report."""

from __future__ import annotations

import json
from pathlib import Path

import checker
from tests.conftest import POLICIES

ROOT = Path(__file__).resolve().parent.parent


def test_every_exported_name_is_there() -> None:
    assert [name for name in checker.__all__ if not hasattr(checker, name)] == []


def test_load_check_gate_and_report_from_the_package(tmp_path: Path) -> None:
    """The whole job through the package's names alone, on the bundled sample."""
    policies = checker.load_policies([POLICIES])
    events = checker.read_events([ROOT / "examples" / "sample-events.jsonl"])
    result = checker.check(policies, events)
    report = json.loads(checker.render("json", result, checker.RenderOptions()))
    assert report["summary"]["violations"] == len(result.findings) > 0
    baseline = tmp_path / "baseline.json"
    checker.write_baseline(result, baseline)
    assert checker.triage(result).count_failing(result.findings) == len(result.findings)
    triaged = checker.triage(result, baseline=checker.load_baseline(baseline))
    assert {triaged.status(f) for f in result.findings} == {checker.Status.BASELINED}
    assert triaged.count_failing(result.findings) == 0
    assert set(checker.RENDERERS) >= {"json", "sarif", "junit", "csv", "text"}
