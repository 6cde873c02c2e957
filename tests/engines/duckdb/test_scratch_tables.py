"""Once a rule is decided, only the tables its outcomes are built from stay in DuckDB; once every
rule is, the event table no longer holds the paths rules read (``fx``).

A rule's base, candidate, reduced and hard-key tables serve deciding it; after that only its
decision table (``dec_<tag>``) is read, and the candidate tables of its counts and sums, whose
windows a finding lists. Kept until the end of the run they held most of DuckDB's memory while
the findings were built (748 of 1,000 MB at a million events), and DuckDB spent a second writing
them to its temporary files when it was asked to hold less (``findings.lean``).
"""

from __future__ import annotations

from pathlib import Path

import checker
from checker.engines.duckdb import check_duckdb
from checker.engines.duckdb.lookups import sql_lookup
from checker.generator import generate
from tests.engines.duckdb.differential import assert_same

NOW = "2024-08-01T00:00:00Z"


def test_only_decision_and_window_tables_outlive_deciding(
    catalogue: checker.PolicySet, tmp_path: Path
) -> None:
    generate(tmp_path, events=3000, seed=11, violation_rate=0.4)
    source = tmp_path / "events.jsonl"
    result = check_duckdb(catalogue, [source], now=NOW, as_of=NOW)
    run = result.store.run  # type: ignore[attr-defined]  # the DuckDB engine's store
    plans = run.plans
    assert len(plans) == len(catalogue.policies)  # every rule decided in SQL here
    windows = {lk.table for plan in plans for lk in plan.lookups if sql_lookup(lk.binding.kind).reads_window}
    assert windows  # the catalogue counts and sums: some candidate tables must stay
    expected = {"ev"} | {f"dec_{plan.tag}" for plan in plans} | windows
    tables = {
        name
        for (name,) in run.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary"
        ).fetchall()
    }
    assert tables == expected
    columns = {
        name
        for (name,) in run.con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'ev'"
        ).fetchall()
    }
    assert "fx" not in columns  # the paths rules read: no later step reads them

    # the findings (those of counts and sums among them) and every other outcome are still built,
    # and are the reference engine's
    summed = [o for o in result.findings if o.rule_id == "juhuasuan.insufficient-deposit"]
    assert any(len(o.evidence) > 2 for o in summed)  # the deposits summed are its evidence
    assert_same(checker.check(catalogue, [source], now=NOW, as_of=NOW), result)
