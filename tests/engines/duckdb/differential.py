"""Running both engines on the same input and comparing everything they decide."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
    "one_input",
    "outcome_key",
    "policy_cases",
    "run_both",
    "subset",
    "write_jsonl",
]


def run_both(policy_set: PolicySet, paths: Sequence[Path], **kwargs: Any) -> tuple[CheckResult, CheckResult]:
    """The reference result and the DuckDB result of one check."""
    return checker.check(policy_set, list(paths), **kwargs), check_duckdb(policy_set, list(paths), **kwargs)
