"""The Spark engine against the reference engine: the same check on both, compared whole."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import checker
from checker.engines.spark import check_spark
from checker.language.loader import PolicySet
from checker.results.result import CheckResult
from tests.differential import Case, assert_same, one_input, subset, write_jsonl


def run_both(
    policy_set: PolicySet, paths: Sequence[Path], spark: Any, **kwargs: Any
) -> tuple[CheckResult, CheckResult]:
    """The reference result and the Spark result of one check."""
    return checker.check(policy_set, list(paths), **kwargs), check_spark(
        policy_set, list(paths), spark=spark, **kwargs
    )


def case_groups(cases: Sequence[Case]) -> dict[str, list[Case]]:
    """The cases by what a check takes for all its events (time zone, ``as_of``, parameters): the
    cases of a group run as one input (:func:`tests.differential.one_input`), one Spark check each,
    for a Spark check costs seconds however small its input."""
    groups: dict[str, list[Case]] = {}
    for case in cases:
        key = json.dumps([case.timezone, case.as_of, case.params], sort_keys=True)
        groups.setdefault(key, []).append(case)
    return groups


def run_group(policy_set: PolicySet, cases: Sequence[Case], spark: Any, tmp_path: Path) -> CheckResult:
    """One group of cases (:func:`case_groups`) as one input, on both engines: the same result,
    outcome for outcome, fingerprints and evidence included. Returns the Spark result."""
    first = cases[0]
    path = write_jsonl(tmp_path / "events.jsonl", one_input(cases))
    rules = subset(policy_set, sorted({c.rule_id for c in cases}))
    reference, on_spark = run_both(
        rules, [path], spark, as_of=first.as_of, params=first.params, timezone=first.timezone
    )
    assert_same(reference, on_spark)
    return on_spark
