"""The DuckDB intake classifies a file on every thread, yet numbers its lines exactly as Python
counts them: a file long enough to be read in several pieces at once (DuckDB's CSV reader splits a
file in pieces of a few megabytes), with blank lines, rejected lines, duplicates, conflicts and
lines Python decides at known places, from the first line to the last, after other files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from checker.engines.duckdb import intake
from checker.engines.duckdb.convert import Snapshot
from checker.engines.duckdb.engine import connect, macro_texts
from checker.engines.duckdb.sqlbuild import sql
from checker.engines.duckdb.timesql import zone_table
from checker.inputs.events import Intake
from checker.inputs.files import expand, read_file, settings_for

GOOD = {"platform": "aliexpress", "seller_id": "s1", "action": "affiliate.joined"}
LINES = 300_000  # about 35 MB: several pieces of the file are read at the same time
TIMEZONE = "UTC"


def _event(eid: str, timestamp: object) -> str:
    return json.dumps({"event_id": eid, "timestamp": timestamp, **GOOD})


def _write(path: Path) -> tuple[list[str], dict[int, str]]:
    """The big file's lines, and the special ones by their line number (1-based)."""
    lines = [_event(f"e{n}", 1709258400 + n) for n in range(1, LINES + 1)]  # e<n> on line n
    special: dict[int, str] = {}
    for n in range(1, LINES + 1, 40_009):  # from the first line on, in every piece of the file
        special[n] = f"{{bad json {n}"
        special[n + 1] = ""  # blank: not a record, but a line
        special[n + 2] = "   "
        special[n + 3] = _event(f"p{n + 3}", "2024-03-01 10:00")  # a time only Python reads
    special[LINES] = "{bad json at the end"
    special[LINES - 1] = lines[9]  # a duplicate of line 10, far from it
    special[LINES - 2] = _event("e20", 1)  # a conflict with line 20: both rejected
    for n, text in special.items():
        lines[n - 1] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines, special


Loaded = tuple[duckdb.DuckDBPyConnection, intake.IntakeResult, Path, list[str], dict[int, str]]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    folder = tmp_path_factory.mktemp("threads")
    # files before the big one: DuckDB reads the first, Python the second (carriage returns)
    (folder / "a.jsonl").write_text(_event("a1", 1) + "\n\n{bad json a3\n" + _event("a4", 1) + "\n")
    (folder / "b.jsonl").write_bytes((_event("b1", 1) + "\r\n").encode())
    path = folder / "c.jsonl"
    lines, special = _write(path)
    assert path.stat().st_size > 3 * 8_000_000  # more pieces than threads
    con = connect()
    assert int(con.execute("SELECT current_setting('threads')").fetchone()[0]) >= 2
    for statement in macro_texts((zone_table(TIMEZONE),)):
        con.execute(statement)
    result = intake.load_events(con, [folder], TIMEZONE, [])
    # b.jsonl is read from the file it was converted into (the run's copy, in the workdir)
    assert result.workdir is not None and os.path.dirname(result.files[1]) == result.workdir
    # a.jsonl and the big one are read by DuckDB itself, through hard links to them (snapshots)
    for i, read in ((0, folder / "a.jsonl"), (2, path)):
        assert isinstance(result.files[i], Snapshot) and os.path.samefile(result.files[i], read)
    return con, result, path, lines, special


@pytest.mark.slow  # compares every line of the 24 MB file with what Python reads: about 6 s
def test_line_numbers_are_the_ones_python_counts(loaded: Loaded) -> None:
    con, result, path, lines, special = loaded
    reference = Intake(TIMEZONE)
    for file in expand([path.parent]):
        read_file(reference, file, None, settings_for(TIMEZONE))
    batch = reference.finish()
    # rejections: the same files, lines, codes and reasons
    assert result.rejected == batch.rejected
    rejected = {r.line for r in result.rejected if r.file == str(path)}
    assert {n for n, text in special.items() if text.startswith("{bad json")} < rejected
    assert {20, LINES - 2} < rejected
    assert [r.line for r in result.rejected if r.file.endswith("a.jsonl")] == [3]
    # every event at the file and line Python read it from, those Python decided included (their
    # findings point there too)
    where = {
        eid: (result.names[fi] if fi is not None else None, line)
        for eid, fi, line in con.execute("SELECT eid, fi, line FROM ev").fetchall()
    }
    assert where == {e.event_id: (e.file, e.line) for e in batch.events}
    python = {f"p{n}" for n, text in special.items() if text.startswith('{"event_id": "p')} | {"b1"}
    assert python < set(where)
    assert all(where[f"e{n}"] == (str(path), n) for n in range(2, LINES - 3) if n not in special and n != 20)
    assert where["e10"] == (str(path), 10)  # the first of two identical lines
    assert where["a4"][1] == 4
    assert [s.as_dict() for s in result.inputs] == [s.as_dict() for s in batch.inputs]
    assert result.inputs[2].read == sum(1 for x in lines if x.strip())


def test_evidence_is_read_again_by_the_same_numbers(loaded: Loaded) -> None:
    con, result, path, lines, special = loaded
    wanted = sorted({1, 2, 10, 20, 8_191, 65_536, 200_003, LINES - 3, LINES - 1, LINES, *special})
    con.execute(
        "CREATE OR REPLACE TEMP TABLE wanted AS SELECT 2 AS fi, unnest(?) AS line UNION ALL SELECT 0, 4",
        [wanted],
    )
    texts = intake.read_lines(con, result.files, "wanted", result.names)
    expected = {(2, n): lines[n - 1] or None for n in wanted}  # an empty line reads as NULL
    assert texts == {**expected, (0, 4): _event("a4", 1)}
    # the reader numbers every line as the intake does: the line numbers of ev point at their texts
    own = "contains(l.text, '\"event_id\": \"' || ev.eid || '\"')"
    joined, mismatched = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE NOT {own}) "
        f"FROM (SELECT * FROM ev WHERE fi = 2) ev JOIN ({sql(intake.line_reader(str(path)))}) l USING (line)"
    ).fetchone()
    assert (joined, mismatched) == (con.execute("SELECT count(*) FROM ev WHERE fi = 2").fetchone()[0], 0)
