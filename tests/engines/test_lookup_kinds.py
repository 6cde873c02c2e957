"""Every engine has code for every lookup kind of the language, and a kind it has none for is an
error naming the kind, never a silent fallback to another kind's code."""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

import checker
from checker.engines.duckdb import UnsupportedConstruct, unsupported
from checker.engines.duckdb.compile import compile_policy
from checker.engines.duckdb.lookups import SQL_LOOKUPS, sql_lookup
from checker.engines.reference import lookups as reference_lookups
from checker.engines.reference.lookups import LOOKUPS, evaluator
from checker.engines.reference.plan import RulePlan
from checker.language import kinds
from checker.language.errors import CheckerError
from checker.language.kinds import LOOKUP_KINDS, LookupKind
from checker.language.policy import Policy
from checker.language.times import zone
from tests.language.kindcases import binding_of, every_kind, load

KIND_NAMES = list(LOOKUP_KINDS)
ENGINES = ["python", "duckdb"]

#: the SQL value kind (:class:`checker.engines.duckdb.values.Val`) of each declared value type
SQL_VALUE = {"event": "event", "boolean": "bool", "integer": "int", "number": "sum"}
#: what JMESPath's type() says of a value of each declared value type
JMESPATH_TYPE = {"event": "object", "boolean": "boolean", "integer": "number", "number": "number"}

#: a kind the language declares at test time, which no engine knows
MEDIAN = LookupKind("median", words="the median of", value_type="number", aggregates=True, requires=("of",))


def _events(directory: Path) -> Path:
    """Two refunds (amounts 2 and 3), then the trigger, all of one seller."""
    rows = [
        ("r1", 1_700_000_000, "order.refunded", {"amount": 2}),
        ("r2", 1_700_000_060, "order.refunded", {"amount": 3}),
        ("t", 1_700_000_120, "order.completed", {}),
    ]
    path = directory / "events.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "event_id": eid,
                    "timestamp": ts,
                    "platform": "aliexpress",
                    "seller_id": "s",
                    "action": action,
                    "data": data,
                }
            )
            + "\n"
            for eid, ts, action, data in rows
        ),
        encoding="utf-8",
    )
    return path


# --- every kind has code in every engine ---------------------------------------------------


@pytest.mark.parametrize("name", KIND_NAMES)
def test_the_reference_engine_has_an_evaluator_for_every_kind(name: str) -> None:
    assert evaluator(name) is LOOKUPS[name]


@pytest.mark.parametrize("name", KIND_NAMES)
def test_the_duckdb_engine_has_hooks_for_every_kind(name: str) -> None:
    assert sql_lookup(name) is SQL_LOOKUPS[name]


@pytest.mark.parametrize("table", [LOOKUPS, SQL_LOOKUPS], ids=["reference", "duckdb"])
def test_no_engine_has_code_for_a_kind_the_language_lacks(table: Mapping[str, object]) -> None:
    assert set(table) == set(KIND_NAMES)


@pytest.mark.parametrize("name", KIND_NAMES)
def test_the_duckdb_hooks_agree_with_the_declared_kind(name: str) -> None:
    kind, hooks = LOOKUP_KINDS[name], SQL_LOOKUPS[name]
    assert hooks.reads_window is kind.aggregates
    assert (hooks.bound_column("x") is None) is kind.aggregates
    assert hooks.value("x").kind == SQL_VALUE[kind.value_type]


@pytest.mark.parametrize("engine", ENGINES)
def test_every_kind_gives_its_declared_value_and_evidence(tmp_path: Path, engine: str) -> None:
    bindings = every_kind()
    message = " ".join(f"{name}={{{{ type({name}) }}}}" for name in bindings)
    policy_set = load(tmp_path, bindings, message=message, violation_if="`true`")
    assert not policy_set.problems
    result = checker.check(policy_set, [_events(tmp_path)], engine=engine)
    (outcome,) = result.outcomes
    assert outcome.reason == " ".join(
        f"x_{name}={JMESPATH_TYPE[kind.value_type]}" for name, kind in LOOKUP_KINDS.items()
    )
    # an aggregating lookup's evidence is its whole window; the others', the one event found
    assert set(outcome.evidence) == {"r1", "r2", "t"}


# --- a kind without code is an error naming it ----------------------------------------------


@pytest.fixture
def median_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> checker.PolicySet:
    """A policy set whose one policy has a ``median`` lookup: declared in the language (for this
    test only) but known to no engine. Loaded as a sum, then made a median: the shipped schema
    does not know the new kind."""
    monkeypatch.setitem(kinds._REGISTRY, MEDIAN.name, MEDIAN)
    loaded = load(tmp_path, {"x_median": binding_of(LOOKUP_KINDS["sum"], before="trigger")})
    assert not loaded.problems
    (policy,) = loaded.policies
    (binding,) = policy.bindings
    median: Policy = replace(policy, bindings=(replace(binding, kind=MEDIAN.name),))
    return replace(loaded, policies=(median,))


def test_the_reference_engine_names_a_kind_it_has_no_evaluator_for(median_policy: checker.PolicySet) -> None:
    with pytest.raises(NotImplementedError, match="lookup kind 'median'"):
        evaluator("median")
    with pytest.raises(NotImplementedError, match="lookup kind 'median'"):
        RulePlan(median_policy.policies[0], zone("UTC"))


def test_a_run_of_the_reference_engine_names_the_kind(
    tmp_path: Path, median_policy: checker.PolicySet
) -> None:
    with pytest.raises(NotImplementedError, match="lookup kind 'median'"):
        checker.check(median_policy, [_events(tmp_path)], engine="python")


def test_the_duckdb_engine_refuses_a_kind_it_has_no_hooks_for(median_policy: checker.PolicySet) -> None:
    (policy,) = median_policy.policies
    with pytest.raises(UnsupportedConstruct, match="lookup kind 'median'"):
        sql_lookup("median")
    with pytest.raises(UnsupportedConstruct, match=r"lookup kind 'median' \(in .*let\.x_median\)"):
        compile_policy(policy, "m", params={}, input_tz="UTC")
    # what ``checker validate --engine duckdb`` reports
    (problem,) = unsupported(policy)
    assert problem.code == "unsupported-sql"
    assert "lookup kind 'median' is not supported" in problem.message


def test_a_run_of_the_duckdb_engine_names_the_kind(tmp_path: Path, median_policy: checker.PolicySet) -> None:
    with pytest.raises(CheckerError, match="lookup kind 'median'"):
        checker.check(median_policy, [_events(tmp_path)], engine="duckdb")


def test_the_median_policy_is_otherwise_runnable(tmp_path: Path, median_policy: checker.PolicySet) -> None:
    """The errors above come from the kind alone: as a sum, the same policy runs on both engines."""
    (policy,) = median_policy.policies
    as_sum = replace(
        median_policy, policies=(replace(policy, bindings=(replace(policy.bindings[0], kind="sum"),)),)
    )
    for engine in ENGINES:
        assert len(checker.check(as_sum, [_events(tmp_path)], engine=engine).outcomes) == 1


# --- the reference lookups no longer import the judge ---------------------------------------


def test_reference_lookups_do_not_import_the_judge() -> None:
    """Evaluators read the judging context through ``LookupContext``: importing ``judge`` there
    would make the cycle judge -> plan -> lookups -> judge."""
    tree = ast.parse(Path(reference_lookups.__file__).read_text(encoding="utf-8"))
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    assert not any(name.split(".")[-1] == "judge" for name in imported), imported
