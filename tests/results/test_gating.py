"""CI gating: --fail-on thresholds, baselines, waivers (active, expired, unused), exit codes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import checker
from checker.engines import spill
from checker.engines.duckdb import check_duckdb
from checker.generator import generate
from checker.language.errors import CheckerError
from checker.results.baseline import baseline_document, load_baseline, write_baseline
from checker.results.gating import (
    EXIT_OK,
    EXIT_STRICT,
    EXIT_VIOLATIONS,
    GateCount,
    Status,
    exit_code,
    triage,
)
from checker.results.waivers import load_waivers
from tests.outputs.conftest import EVENTS, WAIVERS


@pytest.fixture()
def result(policy_set: checker.PolicySet) -> checker.CheckResult:
    return checker.check(policy_set, checker.events_from_records(EVENTS))


@pytest.mark.parametrize(
    ("fail_on", "failing"),
    [
        ("info", ["x1", "x2", "x3", "c1"]),
        ("low", ["x1", "x2", "x3", "c1"]),
        ("medium", ["x1", "x2", "x3"]),
        ("high", ["x1", "x2", "x3"]),
        ("critical", []),
    ],
)
def test_fail_on_is_a_floor(result: checker.CheckResult, fail_on: str, failing: list[str]) -> None:
    gate = triage(result, fail_on=fail_on)
    assert [f.event_id for f in gate.failing(result.findings)] == failing
    assert exit_code(result, gate) == (EXIT_VIOLATIONS if failing else EXIT_OK)


@pytest.mark.parametrize("fail_on", ["info", "medium", "critical"])
def test_a_gate_counts_findings_in_one_pass(
    result: checker.CheckResult, tmp_path: Path, fail_on: str
) -> None:
    """The gating counts (by status, and failing) take one pass, so that they can be given an
    iterator (a large run's findings, read from disk) or counted as a report streams the
    findings (GateCount.add): the same counts as the separate passes give."""
    baseline = tmp_path / "baseline.json"
    write_baseline(result, baseline)
    path = tmp_path / "waivers.yaml"
    path.write_text(WAIVERS, "utf-8")
    later = result.findings[1:]  # one baselined finding gone, so the statuses differ
    gate = triage(result, baseline=load_baseline(baseline), waivers=load_waivers(path), fail_on=fail_on)
    counted = gate.tally(iter(later))
    assert counted.by_status == gate.counts(later) and counted.failing == gate.count_failing(later)
    assert set(counted.by_status.values()) != {0}
    assert gate.to_dict(iter(later)) == gate.to_dict(tuple(later))
    assert gate.to_dict(iter(later))["by_status"] == gate.counts(later)
    streamed = GateCount(gate)
    assert list(map(streamed.add, iter(later))) == list(later)
    assert (streamed.by_status, streamed.failing) == (counted.by_status, counted.failing)


class _Unread(checker.CheckResult):
    """A result whose findings must not be read (a large run reads them from disk each time)."""

    @property
    def findings(self) -> tuple[checker.Outcome, ...]:
        raise AssertionError("the findings were read")


def test_no_baseline_no_waivers_no_pass_over_the_findings(result: checker.CheckResult) -> None:
    """Without a baseline or waivers every finding is new: triage reads none of them, and each
    finding still has its status and counts."""
    unread = _Unread(**{f: getattr(result, f) for f in result.__dataclass_fields__})
    gate = triage(unread, fail_on="medium")
    assert gate.statuses == {}
    assert {gate.status(f) for f in result.findings} == {Status.NEW}
    assert gate.counts(result.findings) == {"new": len(result.findings), "baselined": 0, "waived": 0}
    assert [f.event_id for f in gate.failing(result.findings)] == ["x1", "x2", "x3"]


def test_a_baseline_round_trip(
    result: checker.CheckResult, tmp_path: Path, policy_set: checker.PolicySet
) -> None:
    path = tmp_path / "baseline.json"
    assert write_baseline(result, path) == 4
    baseline = load_baseline(path)
    gate = triage(result, baseline=baseline)
    assert {gate.status(f) for f in result.findings} == {Status.BASELINED}
    assert exit_code(result, gate) == EXIT_OK
    # a new violation fails; a baselined one that went away is reported as absent
    later = checker.check(
        policy_set,
        checker.events_from_records(
            [e for e in EVENTS if e["event_id"] != "x1"]
            + [dict(EVENTS[1], event_id="x9", timestamp="2024-03-13T10:00:00+08:00")]
        ),
    )
    gate = triage(later, baseline=baseline)
    assert [f.event_id for f in gate.failing(later.findings)] == ["x9"]
    assert gate.baseline_absent == (next(f.fingerprint for f in result.findings if f.event_id == "x1"),)


def test_a_baseline_does_not_depend_on_input_order(policy_set: checker.PolicySet) -> None:
    docs = [
        baseline_document(checker.check(policy_set, checker.events_from_records(order)))
        for order in (EVENTS, list(reversed(EVENTS)))
    ]
    assert docs[0] == docs[1]


def test_a_baseline_of_stored_findings_reads_no_evidence(
    policy_set: checker.PolicySet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The DuckDB engine keeps its findings on disk with their evidence lines: the baseline, which
    records no evidence, is made from the findings without parsing them again, and is the
    reference engine's."""
    generate(tmp_path, events=2000, seed=3, violation_rate=0.3)
    source = tmp_path / "events.jsonl"
    now = "2026-01-01T00:00:00Z"
    expected = baseline_document(checker.check(policy_set, [source], now=now))
    result = check_duckdb(policy_set, [source], now=now)
    assert len(result.findings) > 10  # built before evidence parsing is forbidden

    def parsed(*args: object) -> None:
        raise AssertionError("an evidence line was parsed again")

    monkeypatch.setattr(spill, "row_event", parsed)
    assert baseline_document(result) == expected


def test_a_broken_baseline_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(
        '{"schema_version": "1.0", "tool": {"name": "policy-checker"}, '
        '"findings": [{"fingerprint": "nope", "rule_id": "r"}]}',
        "utf-8",
    )
    with pytest.raises(CheckerError) as info:
        load_baseline(path)
    assert info.value.problems[0].location.json_path == "$.findings[0].fingerprint"


def test_waivers_apply_until_they_expire(result: checker.CheckResult, tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(
        WAIVERS + "  - {rule: no.such.rule, seller: s1, reason: r, approver: a, expires: 2030-01-01}\n",
        "utf-8",
    )
    waivers = load_waivers(path)
    gate = triage(result, waivers=waivers, today=date(2024, 1, 31))
    assert {f.event_id: gate.status(f) for f in result.findings} == {
        "x1": Status.NEW,
        "x2": Status.WAIVED,
        "x3": Status.NEW,
        "c1": Status.WAIVED,
    }
    assert [w.rule for w in gate.unused] == ["no.such.rule"] and gate.expired == ()
    gate = triage(result, waivers=waivers, today=date(2024, 2, 1))  # the day after its last day
    assert gate.status(next(f for f in result.findings if f.event_id == "c1")) is Status.NEW
    assert [(w.rule, w.location.line) for w in gate.expired] == [("taobao.affiliate.close-without-reason", 7)]


@pytest.mark.parametrize(
    ("text", "place", "code"),
    [
        (
            "waivers:\n  - rule: r\n    reason: x\n    approver: a\n    expires: 2024-01-01\n",
            (2, 5),
            "schema",
        ),
        (
            "waivers:\n  - {rule: r, seller: s, reason: x, approver: a, expires: 2024-02-30}\n",
            (2, 59),
            "waiver",
        ),
        (
            "waivers:\n  - {rule: r, seller: s, reason: x, approver: a, expires: 2024-02-01, aprover: b}\n",
            (2, 71),
            "unknown-key",
        ),
    ],
)
def test_waiver_file_errors_are_located(tmp_path: Path, text: str, place: tuple[int, int], code: str) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(CheckerError) as info:
        load_waivers(path)
    (problem,) = info.value.problems
    assert ((problem.location.line, problem.location.column), problem.code) == (place, code)


def test_strict_makes_rejections_exit_3(policy_set: checker.PolicySet) -> None:
    batch = checker.events_from_records([*EVENTS, {"event_id": "bad"}])
    result = checker.check(policy_set, batch)
    gate = triage(result, fail_on="critical")
    assert exit_code(result, gate) == EXIT_OK
    assert exit_code(result, gate, strict=True) == EXIT_STRICT
