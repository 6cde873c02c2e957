"""Differential: every case of every policy test, run by both engines, decides the same (on
DuckDB in both forms of the plans)."""

from __future__ import annotations

from pathlib import Path

import pytest

import checker
from checker.engines.duckdb import check_duckdb
from checker.engines.duckdb import engine as duckdb_engine

from .differential import (
    VERSIONED_INVALID,
    VERSIONED_PARAMS,
    VERSIONED_RULE,
    Case,
    assert_same,
    catalogue_cases,
    custom_cases,
    one_input,
    outcome_key,
    run_both,
    run_case,
    subset,
    tiered,
    write_jsonl,
)

CATALOGUE_CASES = catalogue_cases()
CUSTOM_CASES = custom_cases()


def test_every_catalogue_case_is_collected() -> None:
    assert len(CATALOGUE_CASES) >= 300
    assert len({c.rule_id for c in CATALOGUE_CASES}) == 15


@pytest.fixture(params=["duckdb", "portable"])
def plan_form(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each case runs the plans in DuckDB's own form and in the portable form Spark runs
    (:mod:`checker.engines.duckdb.portable`), both compared with the reference engine."""
    monkeypatch.setattr(duckdb_engine, "PLAN_FORM", request.param)


@pytest.mark.usefixtures("plan_form")
@pytest.mark.parametrize("case", tiered(CATALOGUE_CASES))
def test_catalogue_case(catalogue: checker.PolicySet, case: Case, tmp_path: Path) -> None:
    run_case(catalogue, case, tmp_path)


@pytest.mark.usefixtures("plan_form")
@pytest.mark.parametrize("case", tiered(CUSTOM_CASES))
def test_custom_policy_case(custom: checker.PolicySet, case: Case, tmp_path: Path) -> None:
    run_case(custom, case, tmp_path)


def test_whole_catalogue_over_all_cases_at_once(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    """Every case's events in one file (ids made unique): rules judge only their own triggers."""
    path = write_jsonl(
        tmp_path / "all.jsonl",
        one_input(
            c for c in CATALOGUE_CASES if c.timezone == "Asia/Shanghai" and not c.params and not c.as_of
        ),
    )
    assert_same(*run_both(catalogue, [path]))


@pytest.mark.parametrize("in_python", [False, True], ids=["sql", "python"])
@pytest.mark.parametrize("params", VERSIONED_PARAMS, ids=["defaults", "both", "own"])
def test_versions_are_judged_with_their_own_parameters(
    custom: checker.PolicySet,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    params: dict | None,
    in_python: bool,
) -> None:
    """Two versions with their own defaults, every case of the rule in one input: the same outcomes,
    messages and per-version ``params`` in SQL and, for rules DuckDB hands back, in Python."""
    if in_python:
        monkeypatch.setattr(
            duckdb_engine.DuckdbRun,
            "rule",
            lambda run, con, versions, plans: duckdb_engine.Decided(
                versions, [], [], run.python_rule(con, versions, None)
            ),
        )
    path = write_jsonl(
        tmp_path / "events.jsonl",
        one_input(c for c in CUSTOM_CASES if c.rule_id == VERSIONED_RULE and not c.params),
    )
    reference, duck = run_both(subset(custom, [VERSIONED_RULE]), [path], params=params)
    # the findings alone first: built from the decision tables in chunks, not from every outcome
    assert [outcome_key(f) for f in duck.findings] == [outcome_key(f) for f in reference.findings]
    assert_same(reference, duck)
    minimum = {p["version"]: p["params"]["min_membership"] for p in duck.to_dict()["policies"]}
    given = (params or {}).get(VERSIONED_RULE, {}).get("min_membership")
    assert minimum == {"1.0.0": given or "P15D", "2.0.0": given or "P30D"}
    assert {f.rule_version for f in duck.findings} == {"1.0.0", "2.0.0"}
    for f in duck.findings:
        assert f"only {minimum[f.rule_version]} after joining" in f.message.en


def test_an_override_invalid_for_one_version_fails_alike(custom: checker.PolicySet, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "events.jsonl", one_input(c for c in CUSTOM_CASES if c.rule_id == VERSIONED_RULE)
    )
    problems = []
    for run in (checker.check, check_duckdb):
        with pytest.raises(checker.CheckerError) as caught:
            run(subset(custom, [VERSIONED_RULE]), [path], params=VERSIONED_INVALID)
        problems.append(caught.value.problems)
    assert problems[0] == problems[1]
    assert [(p.code, p.message.split(": ")[0]) for p in problems[0]] == [
        ("parameter", f"{VERSIONED_RULE} 1.0.0")
    ]
