"""The DuckDB engine's findings, and its other outcomes, written to disk in sorted runs, a chunk
at a time, with chunks of a few rows so that they span many runs; every test runs with the chunks
built in this process alone, and shared with two forked ones.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

import checker
from checker.engines import forked, spill
from checker.engines.duckdb import check_duckdb, findings
from checker.engines.duckdb.engine import DuckdbRun
from checker.engines.duckdb.results import SqlOutcomeStore
from checker.engines.spill import SpilledOutcomes
from checker.generator import generate
from checker.results.result import CheckResult

from ..forks import recorded_forks
from .differential import catalogue_cases, one_input, outcome_key, write_jsonl


@pytest.fixture(autouse=True, params=[1, 3], ids=["one-process", "forked"])
def small_chunks(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[None]:
    """Chunks of a few decision rows: many runs, merged across rules and chunks, and merged on
    disk four at a time into at most four runs; built by one process, or shared by three however
    few they are (and then some were built by forked processes)."""
    monkeypatch.setattr(findings, "FINDINGS_CHUNK", 7)
    monkeypatch.setattr(spill, "MAX_MERGE", 4)
    monkeypatch.setattr(forked, "MAX_PROCESSES", request.param)
    monkeypatch.setattr(forked, "MIN_WEIGHT", 0)
    forks = recorded_forks(monkeypatch)
    yield
    assert bool(forks) == (request.param > 1)


def _compacted(found: SpilledOutcomes) -> None:
    """Many runs were written, merged on disk into at most four; only those are left."""
    assert found.spill.n > 10 and 1 <= len(found.runs) <= 4
    left = sorted(os.path.basename(found.spill.paths[r]) for r in found.runs)
    assert sorted(os.listdir(os.path.dirname(found.spill.paths[0]))) == left


def _key(o: checker.Outcome) -> tuple[Any, ...]:
    """:func:`outcome_key` with the evidence records as JSON text (a NaN read back from disk is
    not the object ``json`` reads NaN as, and NaN equals only itself)."""
    *head, records = outcome_key(o)
    return (*head, json.dumps(records))


def _same_findings(reference: CheckResult, duck: CheckResult) -> SpilledOutcomes:
    """The DuckDB result's findings (asked for before anything else) are the reference's."""
    found = duck.findings
    assert isinstance(found, SpilledOutcomes)
    want = [_key(o) for o in reference.findings]
    assert len(found) == len(want)
    assert [_key(o) for o in found] == want
    assert [_key(o) for o in found] == want  # every pass reads the runs again
    assert json.dumps(duck.to_dict()) == json.dumps(reference.to_dict())
    assert duck.exit_code == reference.exit_code
    return found


def test_generated_export(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    generate(tmp_path, events=6000, seed=7, violation_rate=0.5)
    path = tmp_path / "events.jsonl"
    found = _same_findings(checker.check(catalogue, [path]), check_duckdb(catalogue, [path]))
    _compacted(found)


def test_files_with_overlap(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    """Evidence read again from several files (one pass each), duplicates decided by Python."""
    generate(tmp_path / "g", events=3000, seed=5, violation_rate=0.4)
    lines = (tmp_path / "g" / "events.jsonl").read_text("utf-8").splitlines()
    (tmp_path / "a.jsonl").write_text("\n".join(lines[:2000]) + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text("\n".join(lines[1500:]) + "\n", encoding="utf-8")
    paths = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    _same_findings(checker.check(catalogue, paths), check_duckdb(catalogue, paths))


def test_whole_catalogue_over_all_cases(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    """Every catalogue case at once: hard triggers and not-applicable outcomes judged by the
    reference engine are merged with the chunks."""
    cases = catalogue_cases()
    path = write_jsonl(
        tmp_path / "all.jsonl",
        one_input(c for c in cases if c.timezone == "Asia/Shanghai" and not c.params and not c.as_of),
    )
    duck = check_duckdb(catalogue, [path])
    _same_findings(checker.check(catalogue, [path]), duck)


def test_rules_judged_by_the_reference_engine(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    """Events DuckDB cannot hold (a lone surrogate; NaN is now rejected at intake) send their
    rules to the reference engine, whose violations are one more run of the spill."""
    generate(tmp_path / "g", events=3000, seed=3, violation_rate=0.5)
    lines = (tmp_path / "g" / "events.jsonl").read_text("utf-8").splitlines()
    out = []
    for i, line in enumerate(lines):
        record = json.loads(line)
        if i % 50 == 0 and isinstance(record.get("data"), dict):
            record["data"]["odd"] = "\ud800"  # written as an escape (ensure_ascii)
            out.append(json.dumps(record))
            continue
        out.append(json.dumps(record, ensure_ascii=False))
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    duck = check_duckdb(catalogue, [path])
    assert isinstance(duck.outcomes, SqlOutcomeStore)
    assert any(o.kind is checker.Kind.VIOLATION for o in duck.outcomes.extra)
    _same_findings(checker.check(catalogue, [path]), duck)


def test_every_outcome_streamed_from_two_spills(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    """Every outcome is the findings' runs and the other outcomes' runs merged in result order,
    read from disk at each pass (never all held: ``--all-outcomes`` at 1M events took 2.4 GB)."""
    generate(tmp_path, events=2000, seed=9, violation_rate=0.5)
    path = tmp_path / "events.jsonl"
    duck = check_duckdb(catalogue, [path])
    reference = checker.check(catalogue, [path])
    others = duck.other_outcomes()
    assert isinstance(others, SpilledOutcomes)
    _compacted(others)
    assert all(o.kind is not checker.Kind.VIOLATION for o in others)
    want = [_key(o) for o in reference.outcomes]
    assert [_key(o) for o in duck.outcomes] == want
    assert [_key(o) for o in duck.outcomes] == want  # a second pass reads the runs again
    assert isinstance(duck.outcomes, SqlOutcomeStore)
    assert duck.outcomes._all is None  # iterating held nothing
    assert [_key(o) for o in others] == [_key(o) for o in reference.other_outcomes()]
    assert json.dumps(duck.to_dict(all_outcomes=True)) == json.dumps(reference.to_dict(all_outcomes=True))
    assert isinstance(duck.findings, SpilledOutcomes)


def test_spill_removed_with_findings(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    generate(tmp_path, events=2000, seed=4, violation_rate=0.5)
    duck = check_duckdb(catalogue, [tmp_path / "events.jsonl"])
    found = duck.findings
    assert isinstance(found, SpilledOutcomes)
    directory = os.path.dirname(found.spill.paths[0])
    assert os.path.isdir(directory)
    del duck, found
    gc.collect()
    assert not os.path.exists(directory)


def _violating_lines(path: Path, catalogue: checker.PolicySet) -> list[int]:
    """The file lines of the triggers of ``path``'s findings (by the reference engine)."""
    triggers = {o.event_id for o in checker.check(catalogue, [path]).findings}
    lines = path.read_text("utf-8").splitlines()
    return [n for n, text in enumerate(lines, 1) if json.loads(text)["event_id"] in triggers]


@pytest.mark.parametrize("change", ["rewritten", "truncated"])
def test_input_changed_before_findings(catalogue: checker.PolicySet, tmp_path: Path, change: str) -> None:
    """Evidence is read again from the input: a line that no longer holds its event, or a line the
    file no longer has, is an ``input-changed`` error at that file and line, never a wrong finding."""
    generate(tmp_path, events=1500, seed=11, violation_rate=0.5)
    path = tmp_path / "events.jsonl"
    last = _violating_lines(path, catalogue)[-1]
    duck = check_duckdb(catalogue, [path])
    lines = path.read_text("utf-8").splitlines()
    if change == "rewritten":
        record = json.loads(lines[last - 1])
        record["event_id"] += "-changed"
        lines[last - 1] = json.dumps(record, ensure_ascii=False)
    else:
        lines = lines[: last - 1]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(checker.CheckerError) as caught:
        duck.findings  # noqa: B018 (reading the property is the test)
    [problem] = caught.value.problems
    assert problem.code == "input-changed"
    assert problem.location.file == str(path)
    assert problem.location.line >= last if change == "truncated" else problem.location.line == last


def test_not_applicable_outcomes_built_only_when_asked(
    catalogue: checker.PolicySet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not-applicable triggers are counted at once but their outcomes (a pass over every input
    to read their records) are built only for ``--all-outcomes``; the counts and outcomes are the
    reference's either way."""
    generate(tmp_path, events=3000, seed=5, violation_rate=0.3)
    path = tmp_path / "events.jsonl"
    calls: list[int] = []
    original = DuckdbRun.not_applicable_outcomes

    batches: list[int] = []

    def spy(self: DuckdbRun, chosen: Any) -> Any:
        calls.append(len(chosen))
        for batch in original(self, chosen):
            batches.append(len(batch))
            yield batch

    monkeypatch.setattr(DuckdbRun, "not_applicable_outcomes", spy)
    monkeypatch.setattr(findings, "FINDINGS_CHUNK", 2)
    duck = check_duckdb(catalogue, [path])
    reference = checker.check(catalogue, [path])
    assert isinstance(duck.outcomes, SqlOutcomeStore)
    assert duck.outcomes.not_applicable  # the generator writes triggers outside effective windows
    assert duck.tally() == reference.tally()
    assert json.dumps(duck.to_dict()) == json.dumps(reference.to_dict())
    assert calls == []
    na = [_key(o) for o in reference.outcomes if o.kind is checker.Kind.NOT_APPLICABLE]
    assert len(na) >= 3  # more than one batch
    assert [_key(o) for o in duck.other_outcomes() if o.kind is checker.Kind.NOT_APPLICABLE] == na
    assert calls == [len(na)]
    # built a chunk (here 2) at a time, each batch reading only its own triggers' records
    assert batches == [2] * (len(na) // 2) + [len(na) % 2] * (len(na) % 2)


def _memory_limit(con: Any) -> str:
    return str(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])


@pytest.mark.parametrize("fails", [False, True], ids=["built", "failing"])
def test_duckdb_holds_little_memory_while_outcomes_are_built(
    catalogue: checker.PolicySet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: bool
) -> None:
    """While Python builds the findings (and the other outcomes), DuckDB's memory limit is
    findings.LEAN_MEMORY, so that it hands back its buffers; then it is the engine's again, also
    when building fails."""
    generate(tmp_path, events=800, seed=3, violation_rate=0.5)
    duck = check_duckdb(catalogue, [tmp_path / "events.jsonl"])
    store = duck.outcomes
    assert isinstance(store, SqlOutcomeStore)
    con = store.run.con
    engine_limit = _memory_limit(con)
    probe = duckdb.connect()
    probe.execute("SET memory_limit = ?", [findings.LEAN_MEMORY])
    lean = _memory_limit(probe)
    assert lean != engine_limit
    seen: list[str] = []
    real = findings.map_forked

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(_memory_limit(con))
        built = real(*args, **kwargs)
        if fails:  # as a chunk that found a problem would end it
            raise checker.CheckerError([])
        return built

    monkeypatch.setattr(findings, "map_forked", spy)
    if fails:
        with pytest.raises(checker.CheckerError):
            duck.findings  # noqa: B018 (reading the property is the test)
    else:
        assert duck.findings and list(duck.other_outcomes())
    assert seen == [lean] if fails else [lean, lean]
    assert _memory_limit(con) == engine_limit
