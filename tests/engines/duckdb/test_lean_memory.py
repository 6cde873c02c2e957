"""DuckDB holds little memory while Python builds the outcomes (``findings.lean``), when it can
let go of it; the whole path is in ``test_spilled_findings.py``."""

from __future__ import annotations

import duckdb

from checker.engines.duckdb import findings


def _memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert row is not None
    return str(row[0])


def test_a_limit_duckdb_cannot_meet_is_not_set() -> None:
    """DuckDB refuses a lower memory limit when it cannot evict enough (here: no temporary
    directory to evict a table to); the outcomes are then built with the limit as it was."""
    con = duckdb.connect(config={"temp_directory": ""})
    con.execute("SET memory_limit = '1GB'")
    con.execute("CREATE TEMP TABLE t AS SELECT range AS i, repeat('x', 50) AS s FROM range(3000000)")
    before = _memory_limit(con)
    with findings.lean(con, "1GB"):
        assert _memory_limit(con) == before
    assert _memory_limit(con) == before
    assert con.execute("SELECT count(*) FROM t").fetchone() == (3000000,)


def test_the_limit_is_lowered_and_set_again() -> None:
    con = duckdb.connect()
    con.execute("SET memory_limit = '1GB'")
    before = _memory_limit(con)
    probe = duckdb.connect()
    probe.execute("SET memory_limit = ?", [findings.LEAN_MEMORY])
    with findings.lean(con, "1GB"):
        assert _memory_limit(con) == _memory_limit(probe) != before
    assert _memory_limit(con) == before
