"""Differential: every case of every policy test, on Spark and on the reference engine.

The cases that share a time zone, an ``as_of`` and parameters run as one input (ids and sellers
made unique per case), one Spark check per group: 17 groups hold the catalogue's 406 cases and 6
the custom fixtures' 16. The fast tier runs the largest group of each (most cases, every rule);
the full tier every group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import checker
from checker.engines.spark import SparkRun
from tests.differential import VERSIONED_RULE, Case, catalogue_cases, custom_cases

from .differential import case_groups, run_group

CATALOGUE_GROUPS = case_groups(catalogue_cases())
CUSTOM_GROUPS = case_groups(custom_cases())


def tiered_groups(groups: dict[str, list[Case]]) -> list[Any]:
    """Each group as a test parameter; all but the largest marked slow (the full tier runs them)."""
    largest = max(groups, key=lambda k: len(groups[k]))
    return [
        pytest.param(cases, id=key, marks=() if key == largest else pytest.mark.slow)
        for key, cases in groups.items()
    ]


def test_the_groups_hold_every_case() -> None:
    assert sum(len(g) for g in CATALOGUE_GROUPS.values()) == len(catalogue_cases()) >= 300
    assert len({c.rule_id for g in CATALOGUE_GROUPS.values() for c in g}) == 15
    assert sum(len(g) for g in CUSTOM_GROUPS.values()) == len(custom_cases())


@pytest.mark.parametrize("cases", tiered_groups(CATALOGUE_GROUPS))
def test_catalogue_cases(
    catalogue: checker.PolicySet,
    spark: Any,
    cases: list[Case],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decided = spy_on_spark(monkeypatch)
    result = run_group(catalogue, cases, spark, tmp_path)
    assert result.batch.totals()["accepted"] == sum(len(c.records) for c in cases)
    assert {r for r, _ in decided["sql"]} == {c.rule_id for c in cases}  # each rule decided by Spark


@pytest.mark.parametrize("cases", tiered_groups(CUSTOM_GROUPS))
def test_custom_policy_cases(
    custom: checker.PolicySet, spark: Any, cases: list[Case], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decided = spy_on_spark(monkeypatch)
    run_group(custom, cases, spark, tmp_path)
    # Spark decided every rule of the group (none handed back to the reference engine whole), and
    # a rule in two versions chose between them there
    rules = {c.rule_id for c in cases}
    assert {r for r, _ in decided["sql"]} == rules
    if VERSIONED_RULE in rules:
        assert decided["versions"] == [VERSIONED_RULE]


def spy_on_spark(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Record which rules' plans Spark ran to their decision table (``sql``: rule id and table)
    and which rules chose between versions there (``versions``)."""
    seen: dict[str, list[Any]] = {"sql": [], "versions": []}
    plans_seen: dict[str, str] = {}  # decision table -> rule id
    run, select, rule = SparkRun._run, SparkRun._select_versions_spark, SparkRun._rule

    def spy_rule(self: SparkRun, con: Any, versions: Any, plans: Any) -> Any:
        plans_seen.update({f"dec_{p.tag}": p.policy.id for p in plans})
        return rule(self, con, versions, plans)

    def spy_run(self: SparkRun, statement: Any, names: Any) -> None:
        run(self, statement, names)
        if statement.table in plans_seen:
            seen["sql"].append((plans_seen[statement.table], statement.table))

    def spy_select(self: SparkRun, plans: Any) -> None:
        seen["versions"].append(plans[0].policy.id)
        select(self, plans)

    monkeypatch.setattr(SparkRun, "_rule", spy_rule)
    monkeypatch.setattr(SparkRun, "_run", spy_run)
    monkeypatch.setattr(SparkRun, "_select_versions_spark", spy_select)
    return seen
