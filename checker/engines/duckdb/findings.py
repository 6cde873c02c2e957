"""The DuckDB engine's findings (and, for ``--all-outcomes``, its other outcomes), built a chunk at
a time and kept on disk.

At export scale the violations and the parsed records of their evidence,
all held at once as Python objects, were most of the DuckDB engine's memory
(3.4 GB at ten million events, DuckDB itself being capped at 1 GB). Here no
process holds more than one chunk of them at a time:

1. the non-hard violation rows (or every other row) of every plan are numbered into chunks of at
   most :data:`FINDINGS_CHUNK` rows, across plans (``fv_<tag>``, column
   ``chunk__``); their counting windows are joined once (``fp_<tag>``); and
   the events every chunk needs are listed (``fneed``: chunk, id, and where
   the intake read the event);
2. each input file is read once more, by the reader that numbered its lines
   at intake, joined with the lines needed (DuckDB builds the join on the
   needed lines, never on the file); the rows stream into Python and go, with
   their text, to one spill file per chunk (:class:`~checker.engines.spill.Spill`),
   so neither DuckDB nor Python ever holds every evidence line;
3. each chunk's decision rows go to a file of their own; then, chunk by chunk, the evidence is
   parsed and checked (an input that changed since intake is an ``input-changed`` error), the
   outcomes are built by :func:`~checker.engines.duckdb.render.build` exactly as before, and
   written as outcome rows to one sorted run each (:class:`~checker.engines.spill.SpilledOutcomes`),
   merged in result order whenever they are read. This step is Python alone, so the chunks are
   shared between this process and forked copies of it, one a core
   (:func:`~checker.engines.forked.map_forked`); the runs and the first error do not depend on
   which process built what.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
from sqlglot import exp

from ...inputs.events import Event
from ...language.errors import CheckerError, Problem
from ...results.outcomes import Outcome
from ..forked import map_forked
from ..spill import Spill, SpilledOutcomes, event_row, finding_row, outcome_row, row_order
from .compile import Plan
from .convert import LineFiles
from .intake import evidence_unreadable, line_reader
from .render import Selected, bound_queries, build, input_changed, read_event, window_queries, windowed
from .sqlbuild import lit, sql, table, tmpl, union_all

#: violation rows built into findings at a time: bounds the outcomes and parsed evidence records
#: alive at once (each chunk becomes one sorted run on disk)
FINDINGS_CHUNK = 10_000
_FETCH = 4096  # rows fetched from DuckDB at a time while evidence lines stream in

# for the one statement joining a file with the lines needed: DuckDB estimates a file read line by
# line at a few dozen rows and so would build its hash table on the file (gigabytes of text); with
# these optimizers off, the build side is the one written on the right, the needed lines
_JOIN_AS_WRITTEN = "join_order,build_side_probe_side"


@dataclass(frozen=True)
class _Chunked:
    """The plans with violation rows to build: (plan, its first chunk, its number of chunks)."""

    plans: list[tuple[Plan, int, int]]

    @property
    def count(self) -> int:
        return sum(n for _, _, n in self.plans)


def spill_outcomes(
    con: duckdb.DuckDBPyConnection,
    plans: Sequence[Plan],
    files: Mapping[int, LineFiles],
    extra: Iterable[Sequence[Outcome]],
    directory: str,
    *,
    violations: bool,
    texts: bool = False,
    memory_limit: str | None = None,
    input_names: Sequence[str],
    as_of: int,
    params: Mapping[tuple[str, str], Mapping[str, Any]],
    input_tz: str,
) -> SpilledOutcomes:
    """The violations of ``plans`` (non-hard rows of their decision tables), or with ``violations``
    false every other outcome, plus ``extra`` (decided outside SQL, of the same kinds, in batches,
    each made only when taken), written to sorted runs under ``directory`` and merged in result
    order when read. With ``texts`` each violation's row carries its text in the JSON result
    (:func:`~checker.engines.spill.finding_row`), made where the violation is built. With
    ``memory_limit`` (the connection's), DuckDB holds little memory while Python builds the
    outcomes (:func:`lean`), and ``memory_limit`` again after.

    ``files`` are the intake's line-read files (:attr:`~checker.engines.duckdb.intake.IntakeResult.files`).
    The tables made on the way are dropped; the caller owns ``directory``."""
    size = FINDINGS_CHUNK
    chunked = _number(con, plans, size, violations)
    name = "findings" if violations else "others"
    evidence = Spill(directory, f"{name}-evidence", max(chunked.count, 1))
    tasks: list[_Task] = []
    try:
        _route_evidence(con, files, evidence, input_names)
        # a run per chunk at most, and one per batch of ``extra``
        spilled = SpilledOutcomes(Spill(directory, name, 0))

        def run(rows: list[tuple[Any, ...]]) -> None:
            spilled.add_run(spilled.spill.add_part(), sorted(rows, key=row_order))

        row = finding_row if violations and texts else outcome_row
        for batch in extra:
            # a run per chunk: the rows (with their texts) of one chunk in memory at a time
            for start in range(0, len(batch), size):
                run(list(map(row, batch[start : start + size])))
        # each chunk's decision rows go to a file (SQL, here), then the chunks are built, on every
        # core (Python: forked.map_forked), each into a sorted run of its own
        tasks = _tasks(con, chunked, directory, name, spilled.spill)
        build_chunk = _ChunkBuilder(
            [plan for plan, _, _ in chunked.plans],
            evidence,
            spilled.spill,
            files,
            input_names=input_names,
            as_of=as_of,
            params=params,
            input_tz=input_tz,
            row=row,
        )
        with lean(con, memory_limit):
            built = map_forked(build_chunk, tasks, [t.rows for t in tasks], directory=directory)
        for task, result in zip(tasks, built, strict=True):
            if isinstance(result, tuple):  # the first chunk, in order, that found a problem
                raise CheckerError(result) if result else _missing(con, files, input_names, evidence, task.gi)
            spilled.add_written(task.run, result)
        spilled.compact()
    finally:
        for path in evidence.paths:
            if os.path.exists(path):
                os.remove(path)
        for task in tasks:
            if os.path.exists(task.path):
                os.remove(task.path)
        for made in ("fneed", *(f"{p}_{plan.tag}" for plan, _, _ in chunked.plans for p in ("fv", "fp"))):
            con.execute(sql(tmpl("DROP TABLE IF EXISTS {t}", t=table(made))))
    return spilled


def _number(con: duckdb.DuckDBPyConnection, plans: Sequence[Plan], size: int, violations: bool) -> _Chunked:
    """Number the violation rows of ``plans`` (or, not ``violations``, the other rows) into chunks and
    list what each chunk needs (``fneed``)."""
    chosen: list[tuple[Plan, int, int]] = []
    needs: list[exp.Expression] = []
    first = 0
    for plan in plans:
        fv, fp = f"fv_{plan.tag}", f"fp_{plan.tag}"
        # which chunk a row falls in does not matter: every chunk is sorted before it is written
        con.execute(
            sql(
                tmpl(
                    "CREATE OR REPLACE TEMP TABLE {fv} AS SELECT *, {first} + "
                    "(row_number() OVER () - 1) // {size} AS chunk__ FROM {dec} "
                    "WHERE NOT hard AND {chosen}",
                    chosen=tmpl("kind = 'violation'" if violations else "kind <> 'violation'"),
                    fv=table(fv),
                    first=lit(int(first)),
                    size=lit(int(size)),
                    dec=table(f"dec_{plan.tag}"),
                )
            )
        )
        counted = con.execute(sql(tmpl("SELECT count(*) FROM {fv}", fv=table(fv)))).fetchone()
        n = int(counted[0]) if counted else 0
        if not n:
            con.execute(sql(tmpl("DROP TABLE {fv}", fv=table(fv))))
            continue
        chunks = (n + size - 1) // size
        chosen.append((plan, first, chunks))
        first += chunks
        # every event to read: triggers, bound events, and the events counted or summed
        needs.extend(bound_queries(plan, fv, carry=("chunk__",)))
        windows = window_queries(plan, fv, carry=("chunk__",))
        if windows:
            con.execute(
                sql(tmpl("CREATE OR REPLACE TEMP TABLE {fp} AS {u}", fp=table(fp), u=union_all(*windows)))
            )
            needs.append(tmpl("SELECT chunk__, eid FROM {fp}", fp=table(fp)))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE fneed (gi BIGINT, eid VARCHAR, ts BIGINT, platform VARCHAR, "
        "seller_id VARCHAR, action VARCHAR, rec VARCHAR, fi INTEGER, line BIGINT)"
    )
    if needs:
        con.execute(
            sql(
                tmpl(
                    "INSERT INTO fneed SELECT n.chunk__, e.eid, e.ts, e.platform, e.seller_id, e.action, "
                    "e.rec, e.fi, e.line FROM (SELECT DISTINCT * FROM ({u})) n "
                    "JOIN ev e ON e.eid = n.eid WHERE NOT e.exotic",
                    u=union_all(*needs),
                )
            )
        )
    return _Chunked(chosen)


#: DuckDB's memory while the findings are built in Python (by this process and forked copies of
#: it): its tables wait in its temporary files meanwhile
LEAN_MEMORY = "64MB"


@contextmanager
def lean(con: duckdb.DuckDBPyConnection, limit: str | None, hold: str = LEAN_MEMORY) -> Iterator[None]:
    """DuckDB's memory limit lowered to :data:`LEAN_MEMORY` for the block, then set to ``limit``
    (None: left alone): DuckDB evicts what it holds to its temporary files and hands the memory
    back, so that what runs meanwhile does not come on top of a gigabyte of DuckDB buffers nobody
    reads: the processes building findings (at ten million events the run's peak went from 1,693
    to 1,303 MiB, in the same time), or Spark's JVM deciding the rules. When DuckDB cannot evict
    enough, the limit is left as it is. With ``hold`` (more than :data:`LEAN_MEMORY`), DuckDB
    evicts down to :data:`LEAN_MEMORY` and may then hold up to ``hold`` for the queries it runs
    meanwhile: some of their aggregates (ordered lists) cannot spill."""
    if limit is None:
        yield
        return
    try:
        con.execute("SET memory_limit = ?", [LEAN_MEMORY])
        if hold != LEAN_MEMORY:
            con.execute("SET memory_limit = ?", [hold])
    except duckdb.Error:  # it cannot let go of enough (no temporary directory, pinned buffers)
        yield
        return
    try:
        yield
    finally:
        con.execute("SET memory_limit = ?", [limit])


def _route_evidence(
    con: duckdb.DuckDBPyConnection, files: Mapping[int, LineFiles], evidence: Spill, names: Sequence[str]
) -> None:
    """Put every needed event, with its JSON text, in the spill part of each chunk that needs it."""
    # events the Python intake accepted carry their record's text in ``ev``
    _stream(
        con.execute(
            "SELECT n.gi, n.eid, n.ts, n.platform, n.seller_id, n.action, n.fi, n.line, n.rec "
            "FROM fneed n WHERE n.rec IS NOT NULL"
        ),
        evidence,
    )
    for (fi,) in con.execute("SELECT DISTINCT fi FROM fneed WHERE rec IS NULL ORDER BY fi").fetchall():
        query = tmpl(
            "SELECT n.gi, n.eid, n.ts, n.platform, n.seller_id, n.action, n.fi, n.line, l.text "
            "FROM ({r}) l JOIN "
            "(SELECT * FROM fneed WHERE rec IS NULL AND fi = {fi}) n ON l.line = n.line",
            r=line_reader(files[fi]),
            fi=lit(fi),
        )
        con.execute("SET disabled_optimizers = ?", [_JOIN_AS_WRITTEN])
        try:
            _stream(con.execute(sql(query)), evidence)
        except duckdb.Error as exc:
            raise evidence_unreadable(files, names, fi, exc) from exc
        finally:
            con.execute("RESET disabled_optimizers")
    evidence.close()


def _stream(cur: duckdb.DuckDBPyConnection, evidence: Spill) -> None:
    while rows := cur.fetchmany(_FETCH):
        for gi, *row in rows:
            evidence.add(gi, row)


@dataclass(frozen=True)
class _Task:
    """One chunk to build: its plan (an index into the chunked plans), number, decision rows
    (``rows`` of them, in the file ``path``), and the run its findings go to."""

    plan: int
    gi: int
    rows: int
    path: str
    run: int


def _tasks(
    con: duckdb.DuckDBPyConnection, chunked: _Chunked, directory: str, name: str, runs: Spill
) -> list[_Task]:
    """Each chunk's decision rows, column names, counted events and number of needed events,
    written to a file of its own (one chunk in memory at a time), with a part of ``runs`` for its
    findings; each plan's tables are dropped once its chunks are written."""
    wanted = dict(con.execute("SELECT gi, count(*) FROM fneed GROUP BY gi").fetchall())
    tasks: list[_Task] = []
    for k, (plan, first, n) in enumerate(chunked.plans):
        fv, fp = f"fv_{plan.tag}", f"fp_{plan.tag}"
        names = [lk.binding.name for lk in windowed(plan)]
        for gi in range(first, first + n):
            # literal chunk numbers (not parameters): filters on constants prune row groups
            cur = con.execute(
                sql(
                    tmpl(
                        "SELECT * EXCLUDE (chunk__) FROM {fv} WHERE chunk__ = {gi}",
                        fv=table(fv),
                        gi=lit(int(gi)),
                    )
                )
            )
            columns = [d[0] for d in cur.description]
            rows = cur.fetchall()
            counted: dict[str, dict[str, list[str]]] = {name: {} for name in names}
            if names:
                query = tmpl(
                    "SELECT w, trig, eid FROM {fp} WHERE chunk__ = {gi}", fp=table(fp), gi=lit(int(gi))
                )
                for w, trig, eid in con.execute(sql(query)).fetchall():
                    counted[names[w]].setdefault(trig, []).append(eid)
            path = os.path.join(directory, f"{name}-task-{gi:04d}")
            with open(path, "wb") as fh:
                pickle.dump((columns, rows, counted, wanted.get(gi, 0)), fh, protocol=pickle.HIGHEST_PROTOCOL)
            tasks.append(_Task(k, gi, len(rows), path, runs.add_part()))
        con.execute(sql(tmpl("DROP TABLE {fv}", fv=table(fv))))
        con.execute(sql(tmpl("DROP TABLE IF EXISTS {fp}", fp=table(fp))))
    return tasks


class _ChunkBuilder:
    """Builds one chunk's findings into its run (:meth:`__call__`), from its task file and its
    evidence: pure Python, no DuckDB, so that forked processes can share the chunks."""

    def __init__(
        self,
        plans: list[Plan],
        evidence: Spill,
        runs: Spill,
        files: Mapping[int, LineFiles],
        *,
        input_names: Sequence[str],
        as_of: int,
        params: Mapping[tuple[str, str], Mapping[str, Any]],
        input_tz: str,
        row: Callable[[Outcome, Mapping[str, tuple[Any, ...]]], tuple[Any, ...]] = outcome_row,
    ) -> None:
        self.plans = plans
        self.row = row  # outcome_row, or finding_row for findings with their texts
        self.evidence = evidence
        self.runs = runs
        self.files = files
        self.input_names = input_names
        self.as_of = as_of
        self.params = params
        self.input_tz = input_tz

    def __call__(self, task: _Task) -> int | tuple[Problem, ...]:
        """The number of findings written to ``task.run``; or the problems found instead (an
        input that changed since intake), empty when a needed line is missing (the caller finds
        which: :func:`_missing`)."""
        with open(task.path, "rb") as fh:
            columns, rows, counted, wanted = pickle.load(fh)  # written by _tasks
        plan = self.plans[task.plan]
        try:
            events, texts = _chunk_events(self.evidence, task.gi, self.files, self.input_names)
            if len(events) != wanted:
                return ()  # a needed line the file no longer has (it was shortened since intake)
            outcomes = build(
                Selected(plan, columns, rows, counted),
                events,
                as_of=self.as_of,
                params=self.params[(plan.policy.id, plan.policy.version)],
                input_tz=self.input_tz,
            )
        except CheckerError as exc:
            return exc.problems
        event_rows = {eid: event_row(e, texts[eid]) for eid, e in events.items()}
        found = sorted((self.row(o, event_rows) for o in outcomes), key=row_order)
        self.runs.extend(task.run, found)
        return len(found)


def _chunk_events(
    evidence: Spill, gi: int, files: Mapping[int, LineFiles], input_names: Sequence[str]
) -> tuple[dict[str, Event], dict[str, str]]:
    """The events (records parsed) and their JSON texts, by id, that chunk ``gi`` needs."""
    events: dict[str, Event] = {}
    texts: dict[str, str] = {}
    for eid, ts, platform, seller_id, action, fi, line, text in evidence.read(gi):
        events[eid] = read_event(eid, ts, platform, seller_id, action, text, files, fi, line, input_names)
        texts[eid] = text
    return events, texts


def _missing(
    con: duckdb.DuckDBPyConnection,
    files: Mapping[int, LineFiles],
    names: Sequence[str],
    evidence: Spill,
    gi: int,
) -> CheckerError:
    """The error of chunk ``gi``'s first needed line that the evidence lacks (its file was shortened
    since intake)."""
    query = tmpl(
        "SELECT fi, line, eid FROM fneed WHERE gi = {gi} AND NOT list_contains(?, eid) "
        "ORDER BY fi, line LIMIT 1",
        gi=lit(int(gi)),
    )
    found = [row[0] for row in evidence.read(gi)]
    missing = con.execute(sql(query), [found]).fetchone()
    assert missing is not None  # fewer events read than needed: one needed line is missing
    fi, line, eid = missing
    return input_changed(files, names, fi, line, eid)


__all__ = ["FINDINGS_CHUNK", "lean", "spill_outcomes"]
