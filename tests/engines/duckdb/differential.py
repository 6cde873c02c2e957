"""Running both engines on the same input and comparing everything they decide."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import checker
from checker.engines.duckdb import check_duckdb
from checker.language.loader import PolicySet
from checker.results.result import CheckResult
from tests.differential import (
    VERSIONED_INVALID,
    VERSIONED_PARAMS,
    VERSIONED_RULE,
    Case,
    assert_same,
    catalogue_cases,
    custom_cases,
    one_input,
    outcome_key,
    policy_cases,
    subset,
    write_jsonl,
)

__all__ = [
    "VERSIONED_INVALID",
    "VERSIONED_PARAMS",
    "VERSIONED_RULE",
    "Case",
    "assert_same",
    "catalogue_cases",
    "custom_cases",
    "one_input",
    "outcome_key",
    "policy_cases",
    "run_both",
    "run_case",
    "subset",
    "tiered",
    "write_jsonl",
]


def run_both(policy_set: PolicySet, paths: Sequence[Path], **kwargs: Any) -> tuple[CheckResult, CheckResult]:
    """The reference result and the DuckDB result of one check."""
    return checker.check(policy_set, list(paths), **kwargs), check_duckdb(policy_set, list(paths), **kwargs)


def tiered(cases: Sequence[Case]) -> list[Any]:
    """Every case; the fast tier runs a representative part (about a tenth of the catalogue's): the
    first case of each rule with each combination of time zone, ``as_of`` and ``params``. The others
    are marked slow, and the full tier runs them."""
    seen: set[tuple[str, str, bool, bool]] = set()
    out = []
    for case in cases:
        kind = (case.rule_id, case.timezone, case.as_of is None, case.params is None)
        out.append(pytest.param(case, id=case.id, marks=pytest.mark.slow if kind in seen else ()))
        seen.add(kind)
    return out


def run_case(policy_set: PolicySet, case: Case, tmp_path: Path) -> None:
    """One policy-test case through both engines: the same result."""
    path = write_jsonl(tmp_path / "events.jsonl", case.records)
    rules = subset(policy_set, [case.rule_id])
    reference, duck = run_both(rules, [path], as_of=case.as_of, params=case.params, timezone=case.timezone)
    assert_same(reference, duck)
