"""Policy tests: the shipped catalogue's, YAML-only custom rules', and the runner's own semantics."""

from __future__ import annotations

from pathlib import Path

import checker
from checker.testing import format_report, run_policy_tests

from .conftest import FIXTURES, POLICIES


def test_catalogue_policy_tests_pass(policy_set: checker.PolicySet) -> None:
    report = run_policy_tests(policy_set, [POLICIES])
    assert report.passed, format_report(report)
    assert len(report.cases) >= 15 * 8


def test_every_catalogue_rule_has_violating_and_passing_examples(policy_set: checker.PolicySet) -> None:
    report = run_policy_tests(policy_set, [POLICIES])
    for rule_id, counts in report.coverage.items():
        assert counts.get("violation", 0) >= 1, rule_id
        assert counts.get("pass", 0) >= 1, rule_id


def test_rules_written_in_yaml_only_run_without_code_changes() -> None:
    custom = FIXTURES / "custom-policies"
    loaded = checker.load_policies([custom])
    assert not loaded.problems
    report = run_policy_tests(loaded, [custom])
    assert report.passed, format_report(report)
    assert {c.rule_id for c in report.cases} == {p.id for p in loaded.policies}


def _rule_with_tests(tmp_path: Path, expect: str) -> checker.testing.TestReport:
    source = POLICIES / "aliexpress" / "aliexpress.jit.order-without-exam.yaml"
    (tmp_path / source.name).write_text(source.read_text("utf-8"), "utf-8")
    (tmp_path / "jit.tests.yaml").write_text(
        "rule: aliexpress.jit.order-without-exam\n"
        "defaults: {platform: aliexpress, seller_id: s1}\n"
        "cases:\n"
        "  - name: c\n"
        "    events:\n"
        "      - {event_id: x, timestamp: '2024-01-01T00:00:00Z', action: jit.exam_passed}\n"
        "      - {event_id: o1, timestamp: '2024-01-02T00:00:00Z', action: jit.order_confirmed}\n"
        "      - {event_id: o0, timestamp: '2023-12-31T00:00:00Z', action: jit.order_confirmed}\n"
        f"    expect: {expect}\n",
        "utf-8",
    )
    loaded = checker.load_policies([tmp_path])
    return run_policy_tests(loaded, [tmp_path])


def test_exact_set_semantics_flag_missing_and_unexpected(tmp_path: Path) -> None:
    assert _rule_with_tests(tmp_path, "{o1: pass, o0: violation}").passed
    report = _rule_with_tests(tmp_path, "{o1: pass}")  # o0 is produced but not expected
    assert not report.passed
    assert [u[0] for u in report.cases[0].unexpected] == ["o0"]
    report = _rule_with_tests(tmp_path, "{o1: violation, o0: violation}")
    assert report.cases[0].missing == (("o1", "violation"),)


def test_a_rule_without_a_passing_example_fails(tmp_path: Path) -> None:
    source = POLICIES / "aliexpress" / "aliexpress.jit.order-without-exam.yaml"
    (tmp_path / source.name).write_text(source.read_text("utf-8"), "utf-8")
    (tmp_path / "jit.tests.yaml").write_text(
        "rule: aliexpress.jit.order-without-exam\n"
        "cases:\n"
        "  - name: only a violation\n"
        "    events: [{event_id: o, timestamp: 0, platform: aliexpress, seller_id: s,"
        " action: jit.order_confirmed}]\n"
        "    expect: {o: violation}\n",
        "utf-8",
    )
    report = run_policy_tests(checker.load_policies([tmp_path]), [tmp_path])
    assert not report.passed
    assert [p.code for p in report.problems] == ["untested-rule"]
