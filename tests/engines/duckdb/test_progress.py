"""The DuckDB path shows what it is doing on a terminal (reading, then judging rule by rule), draws
nothing when the bar is off, and the result is the same either way."""

from __future__ import annotations

import io
import itertools
import shutil
from pathlib import Path

import duckdb

import checker
from checker.engines.duckdb.watch import QueryWatch, track_progress
from checker.inputs.progress import Progress
from tests.conftest import ROOT

SAMPLE = ROOT / "examples" / "sample-events.jsonl"
NOW = "2026-01-01T00:00:00Z"


def _bar(enabled: bool) -> tuple[Progress, io.StringIO]:
    stream = io.StringIO()
    ticks = itertools.count(step=1.0)  # every call a second later: every step is drawn
    return Progress(stream, enabled=enabled, delay=0.0, interval=0.0, clock=lambda: next(ticks)), stream


def test_reading_and_judging_are_shown_and_the_result_is_unchanged(
    catalogue: checker.PolicySet, tmp_path: Path
) -> None:
    shutil.copy(SAMPLE, tmp_path / "a.jsonl")
    (tmp_path / "b.json").write_text(
        "[" + ",".join(SAMPLE.read_text("utf-8").splitlines()[:5]) + "]", "utf-8"
    )
    paths = [tmp_path / "a.jsonl", tmp_path / "b.json"]  # one file DuckDB reads, one the readers read
    options = checker.RenderOptions(all_outcomes=True)
    shown, stream = _bar(True)
    with_bar = checker.check(catalogue, paths, engine="duckdb", now=NOW, progress=shown)
    drawn = stream.getvalue()
    total = sum(p.stat().st_size for p in paths)
    assert "reading [########################] 100%" in drawn
    assert f"{len(SAMPLE.read_text('utf-8').splitlines()) + 5:,} records" in drawn
    rules = len({p.id for p in catalogue.policies if p.status != "disabled"})
    assert f"judging [------------------------]   0% rule 1 of {rules}:" in drawn
    assert f"rule {rules} of {rules}:" in drawn
    assert drawn.endswith("\r\x1b[K")  # erased before the report is written
    assert total > 0
    hidden, quiet = _bar(False)
    without = checker.check(catalogue, paths, engine="duckdb", now=NOW, progress=hidden)
    assert quiet.getvalue() == ""
    assert checker.render("json", with_bar, options) == checker.render("json", without, options)


def test_query_watch_reports_duckdbs_estimate_while_a_statement_runs() -> None:
    con = duckdb.connect()
    track_progress(con)
    shares: list[float] = []
    with QueryWatch(con, shares.append, interval=0.005):
        con.execute("SELECT count(*) FROM range(60000000) t(x) WHERE x % 7 = hash(x) % 7").fetchall()
    assert shares and all(0.0 <= s <= 1.0 for s in shares)
    assert shares == sorted(shares)  # DuckDB's estimate only moves forward
