"""Inputs DuckDB cannot read itself are converted once into JSON Lines numbered as their source
(:mod:`checker.engines.duckdb.convert`): the result names the original file and line everywhere.

Canonical CSV (a quoted cell holding a newline, rejected rows in the middle, duplicates and a
conflict across a CSV and a JSON Lines file) and a GB18030 CSV read through a profile, as the
benchmark writes them (``bench/exports.py``): the JSON, SARIF and GitHub results are
byte-identical to the reference engine's, also once the input files are gone after the check.
The converted files never outlive the intake, also when it fails.
"""

from __future__ import annotations

import csv
import gc
import importlib.util
import io
import json
import os
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import checker
from checker.engines.duckdb import check_duckdb, convert, intake
from checker.engines.duckdb.convert import Converter, canonical_bytes
from checker.engines.duckdb.engine import _spill_directory, connect, macro_texts
from checker.engines.duckdb.results import SqlOutcomeStore
from checker.engines.duckdb.timesql import zone_table
from checker.inputs.files import read_file, settings_for
from checker.language.errors import CheckerError
from tests.conftest import ROOT

SAMPLE = ROOT / "examples" / "sample-events.jsonl"
AS_OF = "2024-08-01T00:00:00+08:00"
NOW = "2026-01-01T00:00:00Z"
FORMATS = ("json", "sarif", "github")


def _exports() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_exports", ROOT / "bench" / "exports.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _written(tmp: Path) -> tuple[Path, Path, Path]:
    source = tmp / "events.jsonl"
    shutil.copy(SAMPLE, source)
    paths: tuple[Path, Path, Path] = _exports().write_exports(source)
    source.unlink()
    return paths


def _edited_csv(path: Path) -> list[str]:
    """Give the CSV at ``path`` a cell holding a newline (row 3), a row too short (after row 5) and
    a row whose quote never closes (after row 9); return the event ids of its rows."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    actor = header.index("actor")
    body[2][actor] = "sel\nler, with a newline"
    body.insert(5, ["too", "short"])
    body.insert(10, [*body[10][:4], '"unclosed'])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in body:
        if row[-1] == '"unclosed':
            out.write(",".join(row) + "\n")
        else:
            writer.writerow(row)
    path.write_text(out.getvalue(), encoding="utf-8")
    return [row[0] for row in body]


def _run(
    catalogue: checker.PolicySet, spec: dict[str, Any], engine: str, *, gone: bool = False
) -> dict[str, str]:
    kwargs = {k: v for k, v in spec.items() if k != "paths"}
    result = checker.check(catalogue, spec["paths"], engine=engine, as_of=AS_OF, now=NOW, **kwargs)
    if gone:  # the evidence is the converted records', not the input files' (removed now)
        for path in spec["paths"]:
            os.rename(path, str(path) + ".away")
    try:
        return {f: checker.render(f, result, checker.RenderOptions(all_outcomes=True)) for f in FORMATS}
    finally:
        if gone:
            for path in spec["paths"]:
                os.rename(str(path) + ".away", path)


def _csv_beside_jsonl(tmp: Path) -> dict[str, Any]:
    canonical, _, _ = _written(tmp)
    _edited_csv(canonical)
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    # the same events again (duplicates of the CSV's), and one of them changed (a conflict)
    changed = json.loads(lines[7])
    changed["seller_id"] = changed["seller_id"] + "-other"
    jsonl = tmp / "more.jsonl"
    jsonl.write_text("\n".join([*lines[:7], json.dumps(changed), *lines[8:20]]) + "\n", encoding="utf-8")
    return {"paths": [canonical, jsonl]}


def _gb18030(tmp: Path) -> dict[str, Any]:
    _, chinese, profile = _written(tmp)
    with open(chinese, "ab") as fh:  # a row whose time the profile cannot read, and one too short
        fh.write("x-1,昨天,taobao,s-1,a.b\nx-2,2024\n".encode("gb18030"))
    return {"paths": [chinese], "profiles": profile}


CASES = {"csv beside json lines": _csv_beside_jsonl, "gb18030 csv through a profile": _gb18030}


@pytest.mark.parametrize("case", sorted(CASES))
def test_converted_inputs_read_as_the_reference_does(
    catalogue: checker.PolicySet, tmp_path: Path, case: str
) -> None:
    spec = CASES[case](tmp_path)
    reference = _run(catalogue, spec, "python")
    assert _run(catalogue, spec, "duckdb", gone=True) == reference
    document = json.loads(reference["json"])
    totals = document["inputs"]["totals"]
    assert totals["accepted"] > 0 and totals["rejected"] >= 2
    results = json.loads(reference["sarif"])["runs"][0]["results"]
    assert results and all("physicalLocation" in r["locations"][0] for r in results)
    if case.startswith("csv"):
        assert totals["duplicates"] > 0
        assert any(r["code"] == "conflict" for r in document["inputs"]["rejected"])


def _load(paths: list[Path], **settings: Any) -> tuple[Any, intake.IntakeResult]:
    con = connect()
    for statement in macro_texts((zone_table("UTC"),)):
        con.execute(statement)
    return con, intake.load_events(con, paths, "UTC", [], settings=settings_for("UTC", **settings))


def _leftovers(con: Any) -> list[str]:
    where = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
    return [name for name in os.listdir(where) if name.startswith("checker-intake-")]


@pytest.fixture(autouse=True)
def _no_leftovers_before() -> None:
    """Each test starts without converted files: an intake's stay until its caller removes them
    (load_events called here directly has none to do it but the process's end)."""
    where = _spill_directory()
    for name in os.listdir(where):
        if name.startswith("checker-intake-"):
            shutil.rmtree(os.path.join(where, name))


def test_lines_are_the_source_lines(tmp_path: Path) -> None:
    """Events, rejects and duplicates of a converted CSV are at the lines the reference names."""
    canonical, _, _ = _written(tmp_path)
    ids = _edited_csv(canonical)
    con, result = _load([canonical])
    reference = checker.inputs.events.Intake("UTC")
    read_file(reference, str(canonical), None, settings_for("UTC"))
    batch = reference.finish()
    assert result.rejected == batch.rejected
    assert [(r.line, r.code) for r in result.rejected] == [(8, "bad-row"), (13, "bad-row")]
    where = {eid: line for eid, line in con.execute("SELECT eid, line FROM ev").fetchall()}
    assert where == {e.event_id: e.line for e in batch.events}
    # row 3 holds a newline: the rows after it are a line further down
    assert where[ids[1]] == 3 and where[ids[2]] == 4 and where[ids[3]] == 6
    assert [s.as_dict() for s in result.inputs] == [s.as_dict() for s in batch.inputs]
    # no record's text in the event table: the evidence is read from the converted file, the
    # run's own copy, which stays (in the intake's workdir) until the caller removes it
    assert con.execute("SELECT count(*) FROM ev WHERE rec IS NOT NULL").fetchone()[0] == 0
    assert result.workdir is not None and os.path.dirname(result.files[0]) == result.workdir
    assert _leftovers(con) == [os.path.basename(result.workdir)]


def test_converted_files_live_as_long_as_the_result(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    """The evidence of a converted input is read from the run's converted copy after the input
    itself is gone; the copy goes with the result."""
    canonical, _, _ = _written(tmp_path)
    result = check_duckdb(catalogue, [canonical])
    store = result.outcomes
    assert isinstance(store, SqlOutcomeStore)
    workdir = store.run.intake.workdir
    assert workdir is not None and os.path.isdir(workdir)
    reference = checker.check(catalogue, [canonical])
    canonical.unlink()
    assert json.dumps(result.to_dict(all_outcomes=True)) == json.dumps(reference.to_dict(all_outcomes=True))
    assert result.findings and os.path.isdir(workdir)
    del result, store
    gc.collect()
    assert not os.path.exists(workdir)


@pytest.mark.parametrize("pieces", [1, 3], ids=["whole", "in-pieces"])
@pytest.mark.parametrize("change", ["rewritten", "removed"])
def test_a_changed_converted_copy_is_named_at_the_input(
    catalogue: checker.PolicySet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str, pieces: int
) -> None:
    """The findings read their evidence again from the run's converted copy of a CSV input. When
    that copy changes or goes after intake, the error names the CSV (the file the user gave, at its
    own line numbers) and says that the copy, not the input, changed."""
    if pieces > 1:
        monkeypatch.setattr(convert, "PIECES_FROM_BYTES", 0)
        monkeypatch.setattr(convert, "cores", lambda: pieces)
        # converted by the project's reader in pieces, not by DuckDB itself (profilesql)
        monkeypatch.setattr(intake, "convert_in_sql", lambda *args: None)
    canonical, _, _ = _written(tmp_path)
    result = check_duckdb(catalogue, [canonical], as_of=AS_OF, now=NOW)
    store = result.outcomes
    assert isinstance(store, SqlOutcomeStore)
    copies = store.run.intake.files[0]
    parts = [copies] if isinstance(copies, str) else list(copies)
    assert len(parts) == pieces and str(canonical) not in parts
    reference = checker.check(catalogue, [canonical], as_of=AS_OF, now=NOW)
    lines = {e.line for o in reference.findings for e in o.evidence_events}
    assert lines
    for part in parts:
        if change == "removed":
            os.unlink(part)
        else:
            data = Path(part).read_bytes()
            Path(part).write_bytes(data.replace(b'{"event_id":"', b'{"event_id":"changed-'))
    with pytest.raises(CheckerError) as raised:
        result.findings  # noqa: B018 (reading the property is the test)
    (problem,) = raised.value.problems
    assert problem.location.file == str(canonical)
    copy = parts[0] if pieces == 1 else f"{pieces} parts in {os.path.dirname(parts[0])}"
    assert f"the run's converted copy of this input ({copy})" in problem.message
    assert "\n" not in problem.message  # DuckDB's text of the statement is left out
    if change == "removed":
        assert problem.code == "unreadable-file"
        assert problem.message.startswith("cannot read the evidence again from the run's converted copy")
    else:
        assert problem.code == "input-changed"
        assert problem.location.line in lines
        assert problem.message.startswith(f"line {problem.location.line} of the run's converted copy")
        assert problem.message.endswith("the copy changed during the check")


@pytest.mark.parametrize(
    ("files", "fi", "shown"),
    [
        ({0: "in.jsonl"}, 0, ("in.jsonl", None)),  # read by DuckDB itself: the input
        ({0: "/t/in-0.jsonl"}, 0, ("in.csv", "/t/in-0.jsonl")),  # its converted copy
        ({0: ("/t/p0.jsonl", "/t/p1.jsonl")}, 0, ("in.csv", "2 parts in /t")),  # a copy in pieces
        ({}, 0, ("in.csv", None)),  # no lines read
        ({0: "/t/in-0.jsonl"}, None, ("?", None)),
        ({3: "/t/x.jsonl"}, 3, ("/t/x.jsonl", None)),  # not an input of the run
    ],
)
def test_whom_an_error_about_an_inputs_lines_names(
    files: dict[int, convert.LineFiles], fi: int | None, shown: tuple[str, str | None]
) -> None:
    assert convert.line_source(files, ["in.jsonl" if files.get(0) == "in.jsonl" else "in.csv"], fi) == shown


def test_a_failing_conversion_leaves_nothing(tmp_path: Path) -> None:
    """A file the reader refuses as a whole (a header naming a column twice) stops the intake; the
    files converted before it are removed."""
    canonical, _, _ = _written(tmp_path)
    bad = tmp_path / "z-bad.csv"
    bad.write_text("event_id,event_id\n1,2\n", encoding="utf-8")
    con = connect()
    for statement in macro_texts((zone_table("UTC"),)):
        con.execute(statement)
    with pytest.raises(CheckerError):
        intake.load_events(con, [canonical, bad], "UTC", [], settings=settings_for("UTC"))
    assert _leftovers(con) == []


def test_the_converter_writes_each_record_at_its_line() -> None:
    out, side = io.BytesIO(), io.BytesIO()
    sink = Converter(out, side)
    stats = sink.open("x.csv", format="csv")
    sink.add(stats, 2, {"event_id": "a", "n": 1}, "a,1")
    sink.reject(stats, 3, "bad-row", "why", "b")
    sink.add(stats, 5, {"event_id": "c", "n": 2**70}, "c,big")  # not a 64-bit integer: Python's
    sink.add(stats, 6, {"event_id": "d", "n": 1.5}, 'd,"1.5\nmore"')
    assert out.getvalue().split(b"\n") == [
        b"",
        b'{"event_id":"a","n":1}',
        b"",
        b"",
        b"",
        b'{"event_id":"d","n":1.5}',
        b"",
    ]
    assert side.getvalue().split(b"\n")[5] == b'"d,\\"1.5\\nmore\\""'
    assert [c[:2] for c in sink.calls] == [(3, "reject"), (5, "add")]
    assert stats.read == 4


@pytest.mark.parametrize(
    ("record", "text"),
    [
        ({"a": float("nan")}, "a,nan"),
        ({"a": float("inf")}, "a,1e999"),
        ({"a": "x"}, "a,NaN in the text"),
        ({"a": "\ud800"}, "a"),
        ([1], "[1]"),
    ],
)
def test_records_that_do_not_read_back_are_pythons(record: Any, text: str) -> None:
    assert canonical_bytes(record, text) is None


def test_plain_records_read_back(tmp_path: Path) -> None:
    record = {"a": None, "b": [1, -0.0, 1e-7, 2**63 - 1], "c": {"d": "中文 \u2028"}, "e": True}
    data = canonical_bytes(record, "text")
    assert data is not None and json.loads(data) == record


@pytest.fixture
def in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every CSV converted in three pieces, whatever its size and the machine's cores (by the
    project's reader: not mapped by DuckDB itself, profilesql)."""
    monkeypatch.setattr(convert, "PIECES_FROM_BYTES", 0)
    monkeypatch.setattr(convert, "cores", lambda: 3)
    monkeypatch.setattr(intake, "convert_in_sql", lambda *args: None)


@pytest.mark.parametrize("case", sorted(CASES))
def test_inputs_converted_in_pieces_read_as_the_reference_does(
    catalogue: checker.PolicySet, tmp_path: Path, case: str, in_pieces: None
) -> None:
    spec = CASES[case](tmp_path)
    first = str(spec["paths"][0])
    settings = settings_for("UTC", spec.get("profiles"))
    profile = checker.inputs.files.choose_profile(first, settings)
    pieces = convert.pieces_of(first, profile, settings, str(tmp_path), 0, 3)
    assert len(pieces) == 3 and pieces[1].first_line > 2
    # rejected rows in a piece do not stop it: only a quoted cell open at its end does
    work = tmp_path / "work"
    work.mkdir()
    converted = convert.convert_in_pieces(first, profile, settings, str(work), 0)
    assert converted is not None and converted.written > 0
    # the parts are read one after another as one file, not joined into one
    assert isinstance(converted.path, tuple) and len(converted.path) == 3
    assert isinstance(converted.side, tuple) and all(os.path.exists(p) for p in converted.side)
    assert _run(catalogue, spec, "duckdb") == _run(catalogue, spec, "python")


def test_a_cell_across_two_pieces_makes_the_file_read_whole(tmp_path: Path, in_pieces: None) -> None:
    """A quoted cell holding newlines where a piece ends: that piece ends inside a record, so the
    file is read whole, with the reference's result."""
    canonical, _, _ = _written(tmp_path)
    with open(canonical, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    actor = rows[0].index("actor")
    middle = len(rows) // 2
    rows[middle][actor] = "a cell\n" * (len(rows) * 40)  # lines enough to hold a piece's end
    with open(canonical, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    settings = settings_for("UTC")
    pieces = convert.pieces_of(str(canonical), None, settings, str(tmp_path), 0, 3)
    assert len(pieces) == 3
    assert convert.convert_in_pieces(str(canonical), None, settings, str(tmp_path), 0) is None
    assert sorted(os.listdir(tmp_path)) == ["events-gb18030.csv", "events.csv", "generated-gb18030.yaml"]
    con, result = _load([canonical])
    reference = checker.inputs.events.Intake("UTC")
    read_file(reference, str(canonical), None, settings)
    batch = reference.finish()
    assert result.rejected == batch.rejected
    assert [s.as_dict() for s in result.inputs] == [s.as_dict() for s in batch.inputs]
    where = {eid: line for eid, line in con.execute("SELECT eid, line FROM ev").fetchall()}
    assert where == {e.event_id: e.line for e in batch.events}
    assert result.workdir is not None and _leftovers(con) == [os.path.basename(result.workdir)]
