"""No name is both a temporary table and a table of the main schema in one run.

The rules are decided on several connections at once, so the event table and each plan's
tables live in the main schema, where every connection sees them; the intake and the findings
keep their own work in temporary tables, which only the connection that made them sees. DuckDB
looks a name up in the temporary schema first: a temporary table named like a main one would
hide it from the connection that made it, and that connection would read other rows than the
others. DuckDB's query log (written to files, so that it outlives the run's connection) gives
every statement the run sent, on every connection; each table it creates is sorted by schema.
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

import checker
from checker.engines.duckdb import check_duckdb
from checker.engines.duckdb import engine as duckdb_engine
from checker.generator import generate

NOW = "2024-08-01T00:00:00Z"


def _logged_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Any) -> list[str]:
    """The statements ``run()`` sent to DuckDB, on every connection."""
    log = tmp_path / "log"
    connect = duckdb_engine.connect

    def logged() -> Any:
        con = connect()
        con.execute(
            "CALL enable_logging('QueryLog', storage = 'file', storage_config = {'path': ?})", [str(log)]
        )
        return con

    monkeypatch.setattr(duckdb_engine, "connect", logged)
    run()
    csv.field_size_limit(sys.maxsize)
    with open(log / "duckdb_log_entries.csv", encoding="utf-8", newline="") as fh:
        return [row["message"] for row in csv.DictReader(fh) if row["type"] == "QueryLog"]


def _created(statements: list[str]) -> tuple[set[str], set[str]]:
    """The names of the tables the statements create: temporary ones, and the main schema's."""
    temporary: set[str] = set()
    main: set[str] = set()
    for text in statements:
        if "CREATE" not in text.upper():
            continue
        for tree in sqlglot.parse(text, read="duckdb"):
            if isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() == "TABLE":
                name = tree.find(exp.Table)
                assert name is not None
                temp = tree.find(exp.TemporaryProperty) is not None
                (temporary if temp else main).add(name.name.lower())
    return temporary, main


@pytest.mark.parametrize("form", ["jsonl", "gzip"])
def test_temporary_and_main_tables_never_share_a_name(
    catalogue: checker.PolicySet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    generate(tmp_path, events=4000, seed=5, violation_rate=0.4)
    source = tmp_path / "events.jsonl"
    if form == "gzip":  # an input DuckDB does not read itself: converted by the project's reader
        zipped = tmp_path / "events.jsonl.gz"
        zipped.write_bytes(gzip.compress(source.read_bytes()))
        source = zipped

    def run() -> None:
        result = check_duckdb(catalogue, [source], now=NOW, as_of=NOW)
        assert result.findings  # the findings' own tables were made
        assert list(result.other_outcomes())  # and those of --all-outcomes

    temporary, main = _created(_logged_run(tmp_path, monkeypatch, run))
    assert "ev" in main and any(n.startswith("dec_") for n in main)
    assert "classified_rows" in temporary and any(n.startswith("fv_") for n in temporary)
    assert not temporary & main, sorted(temporary & main)
