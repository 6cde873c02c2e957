"""Hypothesis-generated hostile exports through the readers and both engines.

Whatever a record holds (any JSON value in any field, numbers of any size, odd unicode, control
and bidi characters, NUL, timestamps at the ends of the calendar and of the run's now, duplicate
keys, truncated lines, bytes that are not UTF-8, nesting around the limit), in whichever format
(JSON Lines, JSON array, CSV, TSV, gzip, Parquet):

* no internal error: a run either completes or raises a located :class:`CheckerError` about the
  file as a whole (a CSV header naming a column twice);
* every record is accounted for: ``read = accepted + duplicates + rejected`` per file and in
  total, ``read`` is the number of records written (JSON Lines, intact JSON arrays: records
  lost 0), and every rejected record has its file, line and a known code;
* both engines agree: the JSON result (all outcomes) is the same text, byte for byte;
* every JSON and JSON Lines output parses with a strict parser.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import checker
from checker.engines.duckdb import check_duckdb
from checker.language.errors import CheckerError
from tests.conftest import POLICIES, examples

from .parquet import parquet_exports
from .records import (
    GROUPS,
    NOW,
    NOW_US,
    WRITERS,
    Export,
    Line,
    assert_accounted,
    encode,
    line_exports,
    strict_outputs,
)

#: the outputs parsed strictly after each run
STRICT_FORMATS = ("json", "jsonl", "sarif")
#: the outputs both engines must give byte for byte (SARIF and GitHub annotations carry each
#: finding's file and line)
SAME_FORMATS = ("json", "jsonl", "csv", "text", "junit", "sarif", "github")
SLOW_SETTINGS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


@functools.cache
def catalogue() -> checker.PolicySet:
    """The shipped catalogue (not a fixture: a failing example would print all of it)."""
    loaded = checker.load_policies([POLICIES])
    assert not loaded.problems
    return loaded


def _render(result: checker.CheckResult, formats: tuple[str, ...] = STRICT_FORMATS) -> dict[str, str]:
    options = checker.RenderOptions(all_outcomes=True)
    return {fmt: checker.render(fmt, result, options) for fmt in formats}


def _check(path: Path, engine: str) -> checker.CheckResult | None:
    """The run, or None when the file as a whole was refused with a located error (only a
    delimited file's header can be: two column names that differ only in spaces)."""
    try:
        if engine == "duckdb":
            return check_duckdb(catalogue(), [path], now=NOW)
        return checker.check(catalogue(), [path], engine=engine, now=NOW)
    except CheckerError as exc:
        assert path.suffix in (".csv", ".tsv"), exc
        assert all(p.location.file == str(path) and p.location.line >= 1 for p in exc.problems), exc
        return None


#: every export the fuzz writes: records in one of the six line formats, or (one time in seven,
#: as a seventh format) a Parquet table
any_export = st.sampled_from([line_exports()] * len(WRITERS) + [parquet_exports()]).flatmap(lambda s: s)


@settings(max_examples=examples(300), **SLOW_SETTINGS)
@given(export=any_export)
def test_every_record_is_accounted_for(export: Export) -> None:
    """The reference engine over any hostile export, in every format: complete, accounted,
    strict outputs."""
    with tempfile.TemporaryDirectory() as folder:
        path = export.write(Path(folder))
        result = _check(path, "python")
        if result is None:
            return
        doc = result.to_dict()
        assert_accounted(doc, path, export.written)
        strict_outputs(_render(result))
        for code in sorted({r["code"] for r in doc["inputs"]["rejected"]}):
            event(f"rejected: {code}")
        event(f"accepted: {'some' if doc['inputs']['totals']['accepted'] else 'none'}")


# a DuckDB run costs one to four seconds: the fast tier runs 2 examples, the full tier 30
@settings(max_examples=examples(30), **SLOW_SETTINGS)
@given(export=any_export)
def test_both_engines_agree_on_hostile_exports(export: Export) -> None:
    """The DuckDB engine decides every hostile record as the reference does: the same JSON
    result (and other outputs), byte for byte, and the same accounting."""
    with tempfile.TemporaryDirectory() as folder:
        path = export.write(Path(folder))
        reference = _check(path, "python")
        duck = _check(path, "duckdb")
        assert (reference is None) == (duck is None)
        if reference is None or duck is None:
            return
        ours, theirs = _render(reference, SAME_FORMATS), _render(duck, SAME_FORMATS)
        assert ours["json"] == theirs["json"]
        assert ours == theirs
        assert_accounted(duck.to_dict(), path, export.written)
        strict_outputs(_render(duck))


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_the_writers_make_files_the_readers_count(tmp_path: Path, name: str) -> None:
    """The fuzz's own writers: a clean export of two records and a blank line reads as two
    accepted events in every format (so a fuzz failure is the checker's, not the writer's)."""
    records = list(GROUPS[0][:2])
    lines = [Line(r, encode(r)) for r in records] + [Line(None, b"  ", is_record=False)]
    path = Export(name, WRITERS[name][0](lines), 2).write(tmp_path)
    batch = checker.read_events([path], now=NOW_US)
    assert batch.totals() == {"read": 2, "accepted": 2, "duplicates": 0, "rejected": 0}
