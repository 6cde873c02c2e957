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
from tests.differential import Case, catalogue_cases, custom_cases

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
def test_catalogue_cases(catalogue: checker.PolicySet, spark: Any, cases: list[Case], tmp_path: Path) -> None:
    result = run_group(catalogue, cases, spark, tmp_path)
    assert result.batch.totals()["accepted"] == sum(len(c.records) for c in cases)


@pytest.mark.parametrize("cases", tiered_groups(CUSTOM_GROUPS))
def test_custom_policy_cases(
    custom: checker.PolicySet, spark: Any, cases: list[Case], tmp_path: Path
) -> None:
    run_group(custom, cases, spark, tmp_path)
