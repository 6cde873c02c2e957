"""The plans' portable form (:mod:`checker.engines.duckdb.portable`), the statements Spark runs:

* run on DuckDB in whole checks, it decides as the reference engine does (the same cases as the
  plan itself: every policy-test case, in ``test_policy_cases.py``; here two versions of a rule,
  generated exports, hypothesis worlds);
* its ASOF rewrite gives DuckDB's ASOF join's rows on crafted ties and exact boundaries, for each
  inequality and either side of it;
* its Spark spelling of every statement of every catalogue and fixture policy reads back with
  sqlglot's Spark parser and calls only functions Spark has (a new DuckDB-only construct in the
  plans fails here until it has a Spark form).

Whether Spark itself decides the same rows is shown by ``bench/spark_probe`` (Spark is no test
dependency here).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import checker
from checker.engines.duckdb import engine as duckdb_engine
from checker.engines.duckdb.compile import compile_policy
from checker.engines.duckdb.jmes import UnsupportedConstruct
from checker.engines.duckdb.portable import Macros, Statement, portable, portable_plan, spark_sql
from checker.generator import generate
from tests.conftest import FIXTURES, POLICIES, examples
from tests.worlds import world

from .differential import (
    VERSIONED_RULE,
    assert_same,
    custom_cases,
    one_input,
    run_both,
    subset,
    write_jsonl,
)


@pytest.fixture
def portable_form(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checks on DuckDB run the plans' portable form."""
    monkeypatch.setattr(duckdb_engine, "PLAN_FORM", "portable")


# --- whole checks in the portable form ----------------------------------------------------------


@pytest.mark.usefixtures("portable_form")
def test_two_versions_of_a_rule(custom: checker.PolicySet, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "events.jsonl", one_input(c for c in custom_cases() if c.rule_id == VERSIONED_RULE)
    )
    assert_same(*run_both(subset(custom, [VERSIONED_RULE]), [path]))


@pytest.mark.usefixtures("portable_form")
@pytest.mark.parametrize(
    ("seed", "events", "rate"),
    [(3, 4000, 0.3), pytest.param(8, 6000, 1.0, marks=pytest.mark.slow)],
)
def test_generator_exports(
    catalogue: checker.PolicySet, tmp_path: Path, seed: int, events: int, rate: float
) -> None:
    generate(tmp_path, events=events, seed=seed, violation_rate=rate)
    assert_same(*run_both(catalogue, [tmp_path / "events.jsonl"], as_of="2024-05-01T00:00:00+08:00"))


@pytest.mark.usefixtures("portable_form")
@settings(
    max_examples=examples(10),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=world(), timezone=st.sampled_from(["Asia/Shanghai", "America/New_York"]))
def test_hypothesis_worlds(
    catalogue: checker.PolicySet,
    tmp_path_factory: pytest.TempPathFactory,
    world: list[dict[str, Any]],
    timezone: str,
) -> None:
    path = write_jsonl(tmp_path_factory.mktemp("world") / "events.jsonl", world)
    assert_same(*run_both(catalogue, [path], timezone=timezone))


# --- the ASOF rewrite on crafted rows -------------------------------------------------------------

# candidates: one row per (key, instant), as every table an ASOF join reads, on two key columns;
# rows with a NULL key or instant (never matched by an ASOF join). Probes on, one below and one
# above each instant, without an instant, with a NULL key, with a key that has no candidates
_CANDIDATES = [
    ("a", "x", 10, "e1", 1),
    ("a", "x", 20, "e2", 2),
    ("a", "x", 30, "e3", 3),
    ("a", "y", 15, "e4", 4),
    ("b", "x", 20, "e5", 5),
    ("a2", "x", 20, "e6", 6),
    (None, "x", 20, "e7", 7),
    ("a", "x", None, "e8", 8),
]
_PROBES = [
    (f"p{i}", k1, k2, x)
    for i, (k1, k2, x) in enumerate(
        [(k, "x", x) for k in ("a", "b", "c", None) for x in (9, 10, 11, 19, 20, 21, 29, 30, 31)]
        + [("a", "y", x) for x in (14, 15, 16)]
        + [("a", "x", None), ("b", "x", None)]
    )
]
_INEQUALITIES = [
    "l1.x > r.ts",
    "l1.x >= r.ts",
    "l1.x < r.ts",
    "l1.x <= r.ts",
    "r.ts < l1.x",
    "r.ts <= l1.x",
    "r.ts > l1.x",
    "r.ts >= l1.x",
]


@pytest.fixture(scope="module")
def crafted() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE red (k1 VARCHAR, k2 VARCHAR, ts BIGINT, eid VARCHAR, v INTEGER)")
    con.executemany("INSERT INTO red VALUES (?, ?, ?, ?, ?)", _CANDIDATES)
    con.execute("CREATE TABLE lt (eid VARCHAR, k1 VARCHAR, k2 VARCHAR, x BIGINT)")
    con.executemany("INSERT INTO lt VALUES (?, ?, ?, ?)", _PROBES)
    return con


def _rows(con: duckdb.DuckDBPyConnection, query: sqlglot.exp.Expression) -> list[tuple[Any, ...]]:
    return sorted(con.execute(query.sql(dialect="duckdb")).fetchall(), key=repr)


def _rewritten(query: str) -> tuple[sqlglot.exp.Expression, sqlglot.exp.Expression]:
    tree = sqlglot.parse_one(query, read="duckdb")
    columns = {"red": ["k1", "k2", "ts", "eid", "v"]}
    done = portable(Statement("t", tree), as_of=0, macros=Macros([]), columns=columns).query
    assert "ASOF" not in done.sql(dialect="duckdb").upper()
    return tree, done


@pytest.mark.parametrize("inequality", _INEQUALITIES)
def test_asof_rewrite_gives_the_asof_rows(crafted: duckdb.DuckDBPyConnection, inequality: str) -> None:
    query = (
        "SELECT l1.*, r.ts AS rts, r.eid AS reid, r.v AS rv, r.k1 AS rk "
        "FROM (SELECT * FROM lt WHERE eid <> 'none') AS l1 "
        f"ASOF LEFT JOIN red AS r ON l1.k1 = r.k1 AND l1.k2 = r.k2 AND {inequality}"
    )
    asof, done = _rewritten(query)
    expected = _rows(crafted, asof)
    assert len(expected) == len(_PROBES)
    assert any(row[4] is not None for row in expected) and any(row[4] is None for row in expected)
    assert _rows(crafted, done) == expected


def test_two_asof_joins_of_one_layer(crafted: duckdb.DuckDBPyConnection) -> None:
    """A count reads the running counts at both ends of its window: two joins probing one layer."""
    query = (
        "SELECT l1.*, rh.v AS hv, rl.v AS lv FROM (SELECT * FROM lt) AS l1 "
        "ASOF LEFT JOIN red AS rh ON l1.k1 = rh.k1 AND l1.x > rh.ts "
        "ASOF LEFT JOIN red AS rl ON l1.k1 = rl.k1 AND l1.x >= rl.ts"
    )
    asof, done = _rewritten(query)
    assert _rows(crafted, done) == _rows(crafted, asof)


def test_a_regexp_full_match_is_anchored_at_the_very_end_on_spark() -> None:
    """Java's ``$`` also matches before a final newline, where DuckDB's full match does not."""
    tree = sqlglot.parse_one("SELECT regexp_full_match(s, '[0-9]+') AS ok FROM t", read="duckdb")
    assert spark_sql(Statement("t", tree)) == "SELECT s RLIKE '^(?:[0-9]+)\\\\z' AS ok FROM t"


def test_what_the_rewrite_does_not_know_is_an_error() -> None:
    with pytest.raises(ValueError, match="without an inequality"):
        _rewritten("SELECT * FROM (SELECT * FROM lt) AS l1 ASOF LEFT JOIN red AS r ON l1.k1 = r.k1")
    with pytest.raises(ValueError, match="no value for the variable"):
        _rewritten("SELECT getvariable('other') AS x")
    with pytest.raises(ValueError, match="no body for the macro ck_woff_z0123456789"):
        _rewritten("SELECT ck_woff_z0123456789(ts) AS x FROM red")


# --- Spark's spelling -------------------------------------------------------------------------------

#: every function the plans' Spark text calls, each in Spark 4.3's ``SHOW FUNCTIONS`` (try_cast is
#: syntax there). A name new here needs its Spark meaning checked against DuckDB's first (the Spark
#: probe's README says how each form was).
SPARK_FUNCTIONS = {
    "abs", "array", "bool_or", "chr", "coalesce", "count", "double", "element_at", "endswith",
    "floor", "greatest", "least", "left", "length", "make_dt_interval", "make_ym_interval", "max",
    "max_by", "min", "min_by", "named_struct", "parse_json", "sign", "struct", "substr",
    "substring", "sum", "timestamp_micros", "to_json", "transform", "try_cast", "unix_micros",
    "variant_get",
}  # fmt: skip
_SQL_WORDS = {
    "and",
    "as",
    "cast",
    "decimal",
    "else",
    "filter",
    "from",
    "in",
    "join",
    "not",
    "on",
    "or",
    "over",
    "then",
    "when",
    "where",
}
_STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'")
_DUCKDB_ONLY = re.compile(
    r"\bASOF\b|\bHUGEINT\b|\bINT128\b|\bJSON\b|getvariable|\bck_\w+\(|list_extract|json_type", re.I
)


@pytest.mark.parametrize("source", [POLICIES, FIXTURES / "custom-policies"], ids=["catalogue", "custom"])
@pytest.mark.parametrize("timezone", ["Asia/Shanghai", "America/New_York"])
def test_every_statement_has_a_spark_spelling(source: Path, timezone: str) -> None:
    policies = checker.load_policies([source])
    assert not policies.problems
    spelled = 0
    # with and without the parameters' defaults: a duration known at compile time compiles to
    # calendar arithmetic, an unknown one to NULL
    compiled = []
    for i, policy in enumerate(policies.policies):
        for params in ({}, policy.defaults()):
            try:
                compiled.append((policy, compile_policy(policy, str(i), params=params, input_tz=timezone)))
            except UnsupportedConstruct:
                continue  # judged by the reference engine, on Spark as here
    for policy, plan in compiled:
        macros = Macros(plan.zones)
        for statement in portable_plan(
            plan, list(plan.paths.read()), as_of=1_700_000_000_000_000, macros=macros
        ):
            text = spark_sql(statement)
            sqlglot.parse_one(text, read="spark")
            code = _STRINGS.sub("''", text)
            assert not _DUCKDB_ONLY.search(code), (statement.table, _DUCKDB_ONLY.search(code))
            called = {name.lower() for name in re.findall(r"\b([A-Za-z_]\w*)\s*\(", code)} - _SQL_WORDS
            assert called <= SPARK_FUNCTIONS, (policy.id, statement.table, called - SPARK_FUNCTIONS)
            spelled += 1
    assert spelled >= 5 * len(compiled) // 2
