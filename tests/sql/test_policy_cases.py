"""Differential: every case of every policy test, run by both engines, decides the same."""

from __future__ import annotations

from pathlib import Path

import pytest

import checker
from tests.conftest import FIXTURES, POLICIES

from .differential import Case, assert_same, policy_cases, run_both, subset, write_jsonl

CATALOGUE_CASES = policy_cases([POLICIES])
CUSTOM_CASES = policy_cases([FIXTURES / "custom-policies"])


def _run(policy_set: checker.PolicySet, case: Case, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "events.jsonl", case.records)
    rules = subset(policy_set, [case.rule_id])
    reference, duck = run_both(rules, [path], as_of=case.as_of, params=case.params, timezone=case.timezone)
    assert_same(reference, duck)


def test_every_catalogue_case_is_collected() -> None:
    assert len(CATALOGUE_CASES) >= 300
    assert len({c.rule_id for c in CATALOGUE_CASES}) == 15


@pytest.mark.parametrize("case", CATALOGUE_CASES, ids=lambda c: c.id)
def test_catalogue_case(catalogue: checker.PolicySet, case: Case, tmp_path: Path) -> None:
    _run(catalogue, case, tmp_path)


@pytest.mark.parametrize("case", CUSTOM_CASES, ids=lambda c: c.id)
def test_custom_policy_case(custom: checker.PolicySet, case: Case, tmp_path: Path) -> None:
    _run(custom, case, tmp_path)


def test_whole_catalogue_over_all_cases_at_once(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    """Every case's events in one file (ids made unique): rules judge only their own triggers."""
    records = []
    for n, case in enumerate(CATALOGUE_CASES):
        if case.timezone != "Asia/Shanghai" or case.params or case.as_of:
            continue
        for r in case.records:
            records.append({**r, "event_id": f"c{n}-{r.get('event_id')}",
                            "seller_id": f"c{n}-{r.get('seller_id')}"})
    path = write_jsonl(tmp_path / "all.jsonl", records)
    assert_same(*run_both(catalogue, [path]))
