"""Comparing two checks of the same input: every outcome, finding, count and JSON result.

Shared by the suites that prove another way of running the catalogue (the
DuckDB engine, the partitioned reference engine) decides exactly what
:func:`checker.check` decides.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import checker
from checker.language.loader import PolicySet, display_path, test_files
from checker.language.yamlsafe import load_yaml
from checker.results.result import CheckResult
from tests.conftest import FIXTURES, POLICIES


@dataclass(frozen=True)
class Case:
    """One policy test case, as ``checker.testing`` reads it."""

    rule_id: str
    name: str
    records: tuple[dict[str, Any], ...]
    timezone: str
    as_of: str | None
    params: dict[str, Any] | None

    @property
    def id(self) -> str:
        return f"{self.rule_id}::{self.name}"


def policy_cases(paths: Sequence[str | os.PathLike[str]]) -> list[Case]:
    """Every case of every ``*.tests.yaml`` under ``paths``."""
    cases = []
    for path in test_files(paths):
        doc, problems = load_yaml(path.read_text("utf-8"), display_path(path))
        assert doc is not None, problems
        defaults = doc.data.get("defaults") or {}
        for case in doc.data["cases"]:
            cases.append(
                Case(
                    doc.data["rule"],
                    case["name"],
                    tuple({**defaults, **event} for event in case["events"]),
                    case.get("timezone", "Asia/Shanghai"),
                    str(case["as_of"]) if "as_of" in case else None,
                    {doc.data["rule"]: case["params"]} if case.get("params") else None,
                )
            )
    return cases


@cache
def catalogue_cases() -> tuple[Case, ...]:
    """Every case of the catalogue's policy tests (read once per test session)."""
    return tuple(policy_cases([POLICIES]))


@cache
def custom_cases() -> tuple[Case, ...]:
    """Every case of the custom policy fixtures' tests (read once per test session)."""
    return tuple(policy_cases([FIXTURES / "custom-policies"]))


#: A rule of the custom fixtures in two versions whose parameters differ: 1.0.0 (until 2024-06-01)
#: P15D of elapsed time, 2.0.0 P30D on the calendar and a parameter of its own (exempt_actor).
VERSIONED_RULE = "shop.membership.early-exit"
#: Runs of it: defaults; an override of both versions; one of each's parameters.
VERSIONED_PARAMS: tuple[dict[str, dict[str, Any]] | None, ...] = (
    None,
    {VERSIONED_RULE: {"min_membership": "P20D"}},
    {VERSIONED_RULE: {"min_membership": "P10D", "exempt_actor": "seller"}},
)
#: Valid for 2.0.0 (calendar time), not for 1.0.0 (elapsed time): an error naming 1.0.0.
VERSIONED_INVALID = {VERSIONED_RULE: {"min_membership": "P1M"}}


#: parameter overrides of three catalogue rules for a generated export (each engine's suite)
GENERATED_PARAMS: dict[str, dict[str, Any]] = {
    "aliexpress.affiliate.early-exit": {"min_membership": "P20D"},
    "juhuasuan.late-deposit": {"lead_days": 3},
    "aliexpress.choice.refund-charged-to-seller": {"exemption": "P1M"},
}


def one_input(cases: Iterable[Case]) -> list[dict[str, Any]]:
    """The events of ``cases`` as one input, event ids and sellers made unique per case."""
    return [
        {**r, "event_id": f"c{n}-{r.get('event_id')}", "seller_id": f"c{n}-{r.get('seller_id')}"}
        for n, case in enumerate(cases)
        for r in case.records
    ]


def subset(policy_set: PolicySet, rule_ids: Iterable[str]) -> PolicySet:
    """The policy set restricted to some rule ids."""
    wanted = set(rule_ids)
    return PolicySet(tuple(p for p in policy_set.policies if p.id in wanted), policy_set.pack, ())


def write_jsonl(path: Path, records: Iterable[Any]) -> Path:
    """Records as JSON Lines (each one line, as an export writes them)."""
    with open(path, "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def outcome_key(o: checker.Outcome) -> tuple[Any, ...]:
    """Everything an outcome says that must not depend on the engine."""
    return (
        o.rule_id,
        o.rule_version,
        o.kind.value,
        o.event_id,
        o.epoch,
        o.timestamp,
        o.platform,
        o.seller_id,
        o.subject,
        o.severity,
        o.reason,
        o.message,
        o.evidence,
        o.fingerprint,
        tuple(e.record for e in o.evidence_events),
    )


def assert_same(reference: CheckResult, other: CheckResult) -> None:
    """Identical outcomes (kinds, evidence, fingerprints, messages), findings and JSON result."""
    ref = [outcome_key(o) for o in reference.outcomes]
    got = [outcome_key(o) for o in other.outcomes]
    if ref != got:
        only_ref = [x for x in ref if x not in got][:3]
        only_got = [x for x in got if x not in ref][:3]
        raise AssertionError(
            f"outcomes differ ({len(ref)} vs {len(got)}):\n reference: {only_ref}\n other: {only_got}"
        )
    assert [outcome_key(o) for o in reference.findings] == [outcome_key(o) for o in other.findings]
    assert reference.counts() == other.counts()
    assert reference.to_dict() == other.to_dict()
    assert reference.to_dict(all_outcomes=True) == other.to_dict(all_outcomes=True)
    assert reference.exit_code == other.exit_code
