"""Policy tests: example event sequences with the outcomes a rule must give.

Beside each policy, ``<rule-id>.tests.yaml`` holds cases (schema:
``schemas/policy-tests.schema.json``)::

    rule: aliexpress.affiliate.early-exit
    defaults: {platform: aliexpress, seller_id: s1}
    cases:
      - name: exactly 15 x 24 h after joining is allowed
        events: [...]
        expect: {x1: pass}

Semantics are exact-set, as in ``opa test``: the outcomes the rule gives in
a case must be exactly the expected ``event_id -> outcome`` pairs; an
unexpected outcome fails as much as a missing one. A rule whose tests lack a
violating or a passing example fails too.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .engines.reference.engine import evaluate
from .inputs.events import events_from_records
from .language.errors import CheckerError, Location, Problem
from .language.loader import PolicySet, display_path, test_files
from .language.schema import validate_document
from .language.times import DEFAULT_TIMEZONE, TimestampError, parse_instant, zone
from .language.yamlsafe import load_yaml


@dataclass(frozen=True)
class CaseResult:
    """One case run: which outcomes were missing, unexpected or wrong."""

    rule_id: str
    name: str
    location: Location
    missing: tuple[tuple[str, str], ...] = ()  # expected (event_id, outcome) not produced
    unexpected: tuple[tuple[str, str], ...] = ()  # produced but not expected
    errors: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when the case produced exactly what it expected."""
        return not (self.missing or self.unexpected or self.errors)


@dataclass(frozen=True)
class TestReport:
    """All policy tests of a run."""

    cases: tuple[CaseResult, ...]
    problems: tuple[Problem, ...] = ()  # unreadable test files, rules without tests...
    coverage: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every case passed and no problem was found."""
        return not self.problems and all(c.passed for c in self.cases)


def run_policy_tests(policy_set: PolicySet, paths: Sequence[str | os.PathLike[str]]) -> TestReport:
    """Run every ``*.tests.yaml`` under ``paths`` against ``policy_set``."""
    cases: list[CaseResult] = []
    problems: list[Problem] = []
    coverage: dict[str, dict[str, int]] = {p.id: {} for p in policy_set.policies}
    for path in test_files(paths):
        shown = display_path(path)
        doc, found = load_yaml(path.read_text("utf-8"), shown)
        if doc is None:
            problems.extend(found)
            continue
        found = validate_document(doc, "policy-tests")
        if found:
            problems.extend(found)
            continue
        rule_id = doc.data["rule"]
        versions = policy_set.by_id(rule_id)
        if not versions:
            problems.append(
                Problem(doc.location(("rule",)), "unknown-rule", f"no loaded policy has the id {rule_id!r}")
            )
            continue
        defaults = doc.data.get("defaults") or {}
        for i, case in enumerate(doc.data["cases"]):
            result = _run_case(versions, rule_id, case, defaults, doc.location(("cases", i)))
            cases.append(result)
            for outcome in case["expect"].values():
                kind = outcome if isinstance(outcome, str) else outcome["outcome"]
                coverage[rule_id][kind] = coverage[rule_id].get(kind, 0) + 1
    for rule_id, counts in sorted(coverage.items()):
        lacking = [k for k in ("violation", "pass") if not counts.get(k)]
        if lacking:
            file = next(p.file for p in policy_set.policies if p.id == rule_id)
            problems.append(
                Problem(
                    Location(file),
                    "untested-rule",
                    f"{rule_id} has no policy test expecting {' or '.join(lacking)}: "
                    f"add cases to {Path(file).with_suffix('').name}.tests.yaml",
                )
            )
    return TestReport(tuple(cases), tuple(sorted(set(problems))), coverage)


def _run_case(
    versions: Sequence[Any], rule_id: str, case: dict[str, Any], defaults: dict[str, Any], location: Location
) -> CaseResult:
    timezone = case.get("timezone", DEFAULT_TIMEZONE)
    records = [{**defaults, **event} for event in case["events"]]
    name = case["name"]
    try:
        batch = events_from_records(records, source=f"{location.file}#{name}", timezone=timezone)
        as_of = parse_instant(str(case["as_of"]), zone(timezone)) if "as_of" in case else None
        params = {rule_id: case["params"]} if case.get("params") else None
        _, outcomes = evaluate(versions, batch, as_of=as_of, params=params)
    except (CheckerError, TimestampError) as exc:
        return CaseResult(rule_id, name, location, errors=(str(exc),))
    errors = tuple(f"input record rejected: {r.reason}" for r in batch.rejected)
    expected = {
        (event_id, value if isinstance(value, str) else value["outcome"])
        for event_id, value in case["expect"].items()
    }
    versions_expected = {
        event_id: value["version"]
        for event_id, value in case["expect"].items()
        if isinstance(value, dict) and "version" in value
    }
    actual = {(o.event_id, o.kind.value) for o in outcomes}
    wrong_version = tuple(
        f"{o.event_id} was judged by version {o.rule_version}, expected {versions_expected[o.event_id]}"
        for o in outcomes
        if o.event_id in versions_expected and o.rule_version != versions_expected[o.event_id]
    )
    reasons = {o.event_id: o.reason for o in outcomes}
    unexpected = tuple(
        sorted((event_id, f"{kind} ({reasons.get(event_id, '')})") for event_id, kind in actual - expected)
    )
    return CaseResult(
        rule_id, name, location, tuple(sorted(expected - actual)), unexpected, errors + wrong_version
    )


def format_report(report: TestReport, verbose: bool = False) -> str:
    """A plain-text summary in the manner of ``opa test``."""
    lines: list[str] = []
    for case in report.cases:
        if case.passed and not verbose:
            continue
        status = "PASS" if case.passed else "FAIL"
        lines.append(f"{status} {case.location}: {case.rule_id}: {case.name}")
        for event_id, kind in case.missing:
            lines.append(f"    missing:    {event_id} -> {kind}")
        for event_id, kind in case.unexpected:
            lines.append(f"    unexpected: {event_id} -> {kind}")
        for error in case.errors:
            lines.append(f"    error:      {error}")
    for problem in report.problems:
        lines.append(str(problem))
    passed = sum(c.passed for c in report.cases)
    failed = len(report.cases) - passed
    lines.append(f"{passed} passed, {failed} failed")
    return "\n".join(lines) + "\n"
