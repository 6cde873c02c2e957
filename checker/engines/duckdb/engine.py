"""The DuckDB engine: policies compiled to SQL over the input files, same findings as Python.

:func:`check_duckdb` reads the inputs with :mod:`checker.engines.duckdb.intake`, runs
each policy version's plan (:mod:`checker.engines.duckdb.compile`), and returns a
:class:`~checker.results.result.CheckResult` (:class:`SqlCheckResult`) that every
renderer takes unchanged. The reference engine stays the judge of what SQL
cannot reproduce exactly:

* a trigger whose decision row is *hard* (see :mod:`checker.engines.duckdb.values`) is
  judged by :func:`checker.engines.reference.engine.evaluate` over the events of its
  correlation key — lookups never leave a key, so this is the same decision;
* a rule reading an event DuckDB cannot hold faithfully (NaN, lone
  surrogates, integers beyond 64 bits), or whose correlation key is not
  exactly computable for some event, is judged whole by the reference engine.

DuckDB runs with a memory limit and a spill directory, so inputs larger than
memory spill to disk instead of failing.
"""

from __future__ import annotations

import atexit
import os
import queue
import shutil
import tempfile
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, Any, cast

import duckdb
from sqlglot import exp

from ...inputs.events import EventBatch
from ...inputs.files import ProfileChoice, check_pins, settings_for
from ...inputs.progress import Progress
from ...language.errors import CheckerError, Location, Problem
from ...language.loader import PolicySet
from ...language.policy import Policy
from ...language.times import DEFAULT_TIMEZONE
from ...results.outcomes import Kind, Outcome
from ...results.result import CheckResult
from ..base import Inputs, RunOptions
from ..reference.engine import evaluate
from ..setup import as_of_instant, as_of_used, by_rule, nearest_version, now_instant, resolve_params, runnable
from ..spill import SpilledOutcomes
from . import findings
from .compile import Plan, compile_policy, create_table
from .convert import LineFiles, line_source
from .findings import spill_outcomes
from .intake import IntakeResult, load_events
from .jmes import UnsupportedConstruct
from .portable import Macros, portable_plan
from .render import fetch_events, ids_table, not_applicable
from .results import SqlCheckResult, SqlEventBatch, SqlOutcomeStore
from .sqlbuild import and_, col, lit, sql, table, tmpl, union_all
from .timesql import Zone, binding_cost, macros, zone_table

#: DuckDB settings: bounded memory, spilling to a temporary directory
MEMORY_LIMIT = os.environ.get("CHECKER_DUCKDB_MEMORY", "1GB")


@lru_cache(maxsize=1)
def _spill_directory() -> str:
    """One directory for this process's spilled data, removed when the process ends."""
    path = tempfile.mkdtemp(prefix="checker-duckdb-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with bounded memory that spills to a temporary directory."""
    con = duckdb.connect(":memory:")
    spill = _spill_directory()
    con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET memory_limit = ?", [MEMORY_LIMIT])
    con.execute("SET temp_directory = ?", [spill])
    return con


@lru_cache(maxsize=64)
def macro_texts(zones: tuple[Zone, ...]) -> tuple[str, ...]:
    """SQL of the time macros for ``zones`` (generated once per zone set)."""
    return tuple(sql(m) for m in macros(list(zones)))


def read_keys(plans: Sequence[Plan]) -> list[str]:
    """The object keys below the top level that some rule reads (for the intake's fast path)."""
    keys: set[str] = {"type", "id"}
    for plan in plans:
        for path in plan.paths.read():
            keys.update(path[1:])
    return sorted(keys)


def _problem(policy: Policy, exc: UnsupportedConstruct) -> Problem:
    return Problem(
        Location(policy.file or policy.id),
        "unsupported-sql",
        f"{policy.id} {policy.version} cannot run on the duckdb engine: "
        f"{exc.construct} is not supported{f' ({exc.where})' if exc.where else ''}",
    )


def unsupported(policy: Policy, params: Mapping[str, Any] | None = None) -> list[Problem]:
    """Why ``policy`` cannot run on DuckDB (empty when it can)."""
    try:
        compile_policy(
            policy,
            "v",
            params=dict(params if params is not None else policy.defaults()),
            input_tz=DEFAULT_TIMEZONE,
        )
    except UnsupportedConstruct as exc:
        return [_problem(policy, exc)]
    return []


def check_duckdb(
    policy_set: PolicySet,
    paths: Sequence[str | os.PathLike[str]],
    *,
    as_of: int | str | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    now: int | str | None = None,
    profiles: ProfileChoice | Sequence[ProfileChoice] | None = None,
    encoding: str | None = None,
    input_format: str | None = None,
    stdin: IO[bytes] | None = None,
    progress: Progress | None = None,
    run_type: Callable[..., DuckdbRun] | None = None,
) -> CheckResult:
    """Run ``policy_set`` over the inputs ``paths`` on DuckDB; the same outcomes as
    :func:`checker.api.check`, which takes the same arguments (``now``: the run's present,
    default the wall clock; ``profiles``, ``encoding``, ``input_format``: how files are read;
    ``stdin``: what ``-`` reads, default the process's standard input; ``progress``: a bar that
    shows reading and judging). ``run_type`` makes the run that decides the rules (default
    :class:`DuckdbRun`; the Spark engine's decides them on Spark), given the arguments
    :class:`DuckdbRun` takes."""
    if policy_set.problems:
        raise CheckerError(policy_set.problems)
    reported = resolve_params(policy_set.policies, params)  # bad overrides fail first
    active = runnable(policy_set.policies)
    resolved = resolve_params(active, params)  # by (rule id, version): each version its own
    plans: dict[int, Plan] = {}
    problems = []
    for i, p in enumerate(active):
        try:
            plans[id(p)] = compile_policy(p, str(i), params=resolved[(p.id, p.version)], input_tz=timezone)
        except UnsupportedConstruct as exc:
            problems.append(_problem(p, exc))
    if problems:
        raise CheckerError(problems)
    con = connect()
    zones = [zone_table(timezone)] + [z for plan in plans.values() for z in plan.zones]
    macros = macro_texts(tuple(dict.fromkeys(zones)))
    for statement in macros:
        con.execute(statement)  # the intake reads instants with them
    read = list(dict.fromkeys(x for plan in plans.values() for x in plan.paths.read()))
    now_us = now_instant(now, timezone)
    settings = settings_for(timezone, profiles, encoding=encoding, format=input_format)
    intake = load_events(
        con,
        paths,
        timezone,
        read_keys(list(plans.values())),
        read,
        now=now_us,
        settings=settings,
        stdin=stdin,
        progress=progress,
    )
    if intake.workdir is not None:
        # the converted inputs hold the findings' evidence: removed when the intake's account goes
        # (the run, its store and the result hold it), or at exit
        weakref.finalize(intake, shutil.rmtree, intake.workdir, True)
    if progress is not None:
        progress.end()  # reading is over
    used_as_of = as_of_used(as_of_instant(as_of, timezone), intake.latest)
    run = (run_type or DuckdbRun)(con, intake, used_as_of, resolved, params or {}, timezone, read)
    con.execute("SET VARIABLE ck_as_of = CAST(? AS BIGINT)", [int(used_as_of)])
    run.macros = macros  # for the other connections (DuckdbRun.setup)
    run.decide(
        [(versions, [plans[id(p)] for p in versions]) for versions in by_rule(active).values()], progress
    )
    run.check_inputs()  # rules judged in Python (hard rows) read their events again
    # the paths rules read are read by no later step: their memory (80 MB a million events) is
    # DuckDB's again before the findings are built
    con.execute("ALTER TABLE ev DROP COLUMN fx")
    if progress is not None:
        progress.end()
    batch = SqlEventBatch(
        (),
        intake.inputs,
        intake.rejected,
        timezone,
        intake.actions,
        intake.latest,
        now=now_us,
        count_after=lambda t: int(_scalar(con, "SELECT count(*) FROM ev WHERE ts > ?", [t])),
    )
    return SqlCheckResult(used_as_of, run.store, policy_set.policies, policy_set.pack, batch, reported)


class DuckdbEngine:
    """The ``duckdb`` engine: :func:`check_duckdb` behind the engine interface."""

    name = "duckdb"

    def refuses(self, inputs: Inputs, options: RunOptions) -> str | None:
        """Part counts (DuckDB spills by itself) and events already read into memory; every
        input the reference engine reads (formats, profiles, encodings, standard input) it reads."""
        if options.parts is not None:
            return "--parts is for --engine python (DuckDB spills to disk by itself)"
        if inputs.in_memory:
            return "--engine duckdb reads input files: events already in memory run on --engine python"
        return None

    def unsupported(self, policy: Policy, params: dict[str, Any] | None = None) -> list[Problem]:
        """The constructs of ``policy`` that do not compile to SQL, by name."""
        return unsupported(policy, params)

    def check(self, policies: PolicySet, inputs: Inputs, options: RunOptions) -> CheckResult:
        """Judge on DuckDB (see :func:`check_duckdb`)."""
        return check_duckdb(
            policies,
            inputs.paths,
            as_of=options.as_of,
            params=options.params,
            timezone=options.timezone,
            now=options.now,
            profiles=inputs.profiles,
            encoding=inputs.encoding,
            input_format=inputs.input_format,
            stdin=inputs.stdin,
            progress=options.progress,
        )


ENGINE = DuckdbEngine()


#: the connections the rules are decided on at once. DuckDB runs each statement on every core,
#: but a rule is a chain of small statements with Python between them, during which the cores
#: idle: at a million events the 15 rules' statements took 2.87 s on one connection, 2.26 s on two
RULE_CONNECTIONS = 2
#: the form of the statements the plans run: ``duckdb`` (DuckDB's own constructs, the fastest) or
#: ``portable`` (:mod:`.portable`: the form the Spark engine runs; the tests run it here, where it
#: is compared with the reference engine on the same cases as the plan itself)
PLAN_FORM = "duckdb"


class RunStopping(Exception):
    """A rule's work given up because the run is stopping (another rule failed, or Ctrl-C)."""


class _Stoppable:
    """A connection whose every statement first checks that the run is not stopping, so that a
    rule's worker gives up at its next statement rather than at the end of its rule (an interrupt
    only stops the statement running at that moment)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, stop: threading.Event) -> None:
        self._con = con
        self._stop = stop

    def execute(self, *args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        if self._stop.is_set():
            raise RunStopping("the run is stopping")
        return self._con.execute(*args, **kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        if self._stop.is_set():
            raise RunStopping("the run is stopping")
        return self._con.executemany(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


@dataclass
class Decided:
    """What deciding one rule found, for the run's store (:meth:`DuckdbRun.take`): the plans
    decided in SQL (none when the reference engine judged the rule whole), the not-applicable
    triggers (version, event id), and the outcomes the reference engine decided."""

    versions: list[Policy]
    plans: list[Plan]
    not_applicable: list[tuple[Policy, str]]
    outcomes: list[Outcome]


class DuckdbRun:
    """One check on DuckDB: plans run rule by rule, outcomes gathered in a store."""

    #: how many rules are decided at once, each on a connection of its own
    concurrent_rules = RULE_CONNECTIONS

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        intake: IntakeResult,
        as_of: int,
        params: Mapping[tuple[str, str], dict[str, Any]],
        overrides: Mapping[str, Mapping[str, Any]],
        timezone: str,
        paths: list[tuple[str, ...]],
    ) -> None:
        self.paths = paths
        self.con = con
        self.intake = intake
        self.as_of = as_of
        self.params = params  # each version's values, by (rule id, version)
        self.overrides = overrides  # the run's, by rule id (for the rules judged in Python)
        self.timezone = timezone
        self.store = SqlOutcomeStore(self)
        # where the inputs' lines are read again; notes which inputs were (check_inputs)
        self.files = _ReadFiles(intake.files)
        self.plans: list[Plan] = []  # the plans decided in SQL, in the store's order
        self.macros: Sequence[str] = ()  # the time macros every connection defines (setup)

    def setup(self, con: duckdb.DuckDBPyConnection) -> None:
        """Ready another connection to the run's database to decide rules: the time macros and the
        as-of instant are each connection's own (the run's own connection has them already)."""
        con.execute("SET enable_progress_bar = false")
        for statement in self.macros:
            con.execute(statement)
        con.execute("SET VARIABLE ck_as_of = CAST(? AS BIGINT)", [int(self.as_of)])

    def decide(
        self, rules: Sequence[tuple[list[Policy], list[Plan]]], progress: Progress | None = None
    ) -> None:
        """Decide every rule (its versions and their plans), on :attr:`concurrent_rules` connections
        at once; the store takes them in the order given, whichever ends first, and the first
        rule in that order that fails is the error raised."""

        def shown(done: int) -> None:
            if progress is not None:
                versions = rules[done][0]
                progress.stage(
                    "judging", done / len(rules), f"rule {done + 1} of {len(rules)}: {versions[0].id}"
                )

        if self.concurrent_rules < 2 or len(rules) < 2:
            for done, (versions, plans) in enumerate(rules):
                shown(done)
                self.take(self.rule(self.con, versions, plans))
            return
        # the other connections, readied here (an error setting one up is the run's, not a rule's);
        # a rule takes a free one, and gives up at its next statement once the run is stopping
        cursors = [self.con.cursor() for _ in range(self.concurrent_rules)]
        stop = threading.Event()
        free: queue.SimpleQueue[duckdb.DuckDBPyConnection] = queue.SimpleQueue()
        pool = ThreadPoolExecutor(self.concurrent_rules, thread_name_prefix="checker-rules")

        def job(versions: list[Policy], plans: list[Plan]) -> Decided:
            con = free.get()
            try:
                return self.rule(cast(duckdb.DuckDBPyConnection, _Stoppable(con, stop)), versions, plans)
            finally:
                free.put(con)

        try:
            for con in cursors:
                self.setup(con)
                free.put(con)
            futures = [pool.submit(job, versions, plans) for versions, plans in rules]
            for done, future in enumerate(futures):
                shown(done)
                self.take(future.result())
        except BaseException:
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            for con in cursors:
                con.interrupt()  # a statement still running stops now
            self.interrupt_rules()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            for con in cursors:
                con.close()

    def interrupt_rules(self) -> None:
        """Stop the work of the rules in flight that is not on this run's connections (which
        :meth:`decide` interrupts itself): none here; a run deciding elsewhere stops it there."""

    def take(self, decided: Decided) -> None:
        """Add one rule's decisions to the store."""
        if decided.plans:
            self.store.add_rule(decided.versions, decided.plans)
            self.plans.extend(decided.plans)
        self.store.add_not_applicable(decided.not_applicable)
        self.store.add_outcomes(decided.outcomes)

    def rule(self, con: duckdb.DuckDBPyConnection, versions: list[Policy], plans: list[Plan]) -> Decided:
        """Decide every trigger of one rule id (each by the version in effect at its time), on
        ``con``; nothing is added to the store (:meth:`take` does)."""
        reads = {(p.platform, a) for p in versions for a in p.actions}
        if reads & self.intake.exotic_actions or any(_costly(plan, self.paths) for plan in plans):
            return Decided(versions, [], [], self.python_rule(con, versions, None))
        texts = {id(plan): self.statement_texts(plan) for plan in plans}
        for plan in plans:
            con.execute(texts[id(plan)][0])
        if any(
            _scalar(con, sql(tmpl("SELECT bool_or(kh) FROM {t}", t=table(plan.base_table)))) for plan in plans
        ):
            _drop(con, (plan.base_table for plan in plans))
            return Decided(versions, [], [], self.python_rule(con, versions, None))
        if len(plans) > 1:
            self._select_versions(con, plans)
        for plan in plans:
            for text in texts[id(plan)][1:]:
                con.execute(text)
        return self.finish_rule(con, versions, plans)

    def finish_rule(
        self, con: duckdb.DuckDBPyConnection, versions: list[Policy], plans: list[Plan]
    ) -> Decided:
        """What follows a rule's decision tables on ``con`` (made here or, on Spark, brought back):
        its not-applicable triggers, its hard rows judged by the reference engine, and its working
        tables dropped."""
        # not applicable: triggers by action and where, in no version's effective window
        na = self._not_applicable(con, plans)
        hard = self._hard(con, plans)
        outcomes = self.python_rule(con, versions, (plans, hard)) if hard else []
        _drop(con, (name for plan in plans for name in plan.scratch_tables()))
        return Decided(versions, plans, na, outcomes)

    def statement_texts(self, plan: Plan) -> list[str]:
        """The SQL of the tables ``plan`` creates, its base first, in the form :data:`PLAN_FORM`."""
        if PLAN_FORM == "duckdb":
            return [plan.base_sql(self.paths), *plan.statements.values()]
        if PLAN_FORM != "portable":
            raise ValueError(f"PLAN_FORM is {PLAN_FORM!r}: 'duckdb' or 'portable'")
        statements = portable_plan(plan, self.paths, as_of=self.as_of, macros=Macros(plan.zones))
        return [sql(create_table(s.table, s.query)) for s in statements]

    def _select_versions(self, con: duckdb.DuckDBPyConnection, plans: list[Plan]) -> None:
        """With several versions, each trigger is judged by the first one in effect."""
        union = _versions(plans, "SELECT eid, {i} AS v, tw AND eff AS ok FROM {t} WHERE tw")
        con.execute(
            sql(
                tmpl(
                    "CREATE OR REPLACE TEMP TABLE sel AS SELECT eid, min(v) FILTER (WHERE ok) AS chosen "
                    "FROM ({u}) GROUP BY eid",
                    u=union,
                )
            )
        )
        for i, plan in enumerate(plans):
            con.execute(
                sql(
                    tmpl(
                        "UPDATE {t} SET trig = "
                        "coalesce(eid IN (SELECT eid FROM sel WHERE chosen = {i}), false)",
                        t=table(plan.base_table),
                        i=lit(i),
                    )
                )
            )

    def _not_applicable(self, con: duckdb.DuckDBPyConnection, plans: list[Plan]) -> list[tuple[Policy, str]]:
        """The rule's triggers that no version's effective window holds, each under its nearest
        version, which its time alone decides. Their outcomes are built only when asked for
        (:meth:`not_applicable_outcomes`, ``--all-outcomes``): that reads their records again, a
        pass over every input file (17 s at ten million events), for outcomes no finding, count or
        gate needs."""
        union = _versions(plans, "SELECT eid, {i} AS v, tw, tw AND eff AS ok, th FROM {t} WHERE tw OR th")
        con.execute(
            sql(
                tmpl(
                    "CREATE OR REPLACE TEMP TABLE na_ids AS "
                    "SELECT eid, list(v ORDER BY v) FILTER (WHERE tw) AS vs FROM ({u}) "
                    "GROUP BY eid HAVING NOT bool_or(ok) AND NOT bool_or(th)",
                    u=union,
                )
            )
        )
        rows = con.execute("SELECT n.eid, n.vs, e.ts FROM na_ids n JOIN ev e ON e.eid = n.eid").fetchall()
        return [(nearest_version([plans[v].policy for v in versions], ts), eid) for eid, versions, ts in rows]

    def not_applicable_outcomes(self, chosen: Sequence[tuple[Policy, str]]) -> Iterator[list[Outcome]]:
        """The outcomes of not-applicable triggers (each id under the version :meth:`_not_applicable` chose),
        :data:`~checker.engines.duckdb.findings.FINDINGS_CHUNK` at a time: each batch reads its
        triggers' records from the inputs, and is built only when taken."""
        size = findings.FINDINGS_CHUNK
        for start in range(0, len(chosen), size):
            batch = chosen[start : start + size]
            ids_table(self.con, "na_all", sorted({eid for _, eid in batch}))
            events = fetch_events(self.con, "na_all", self.files, names=self.intake.names)
            self.con.execute("DROP TABLE na_all")
            self.check_inputs()
            yield [not_applicable(policy, events[eid]) for policy, eid in batch]

    def check_inputs(self) -> None:
        """Raise ``input-changed`` when an input whose lines were read again after intake (a file
        DuckDB read itself, not a converted copy) no longer holds the bytes the intake read. The
        event id at a line read again is checked too, but a record edited in place (its id and
        the file's size kept) would pass that and show content no decision was made on."""
        files, names = self.intake.files, self.intake.names
        # read from the input itself (or a link to it), not from a copy: line_source names no copy
        check_pins(
            [
                stats
                for fi, stats in enumerate(self.intake.inputs)
                if fi in self.files.read and line_source(files, names, fi)[1] is None
            ],
            "since the check read it",
        )

    def _hard(self, con: duckdb.DuckDBPyConnection, plans: list[Plan]) -> dict[int, list[str]]:
        hard: dict[int, list[str]] = {}
        for i, plan in enumerate(plans):
            rows = con.execute(
                sql(tmpl("SELECT eid FROM {t} WHERE hard", t=table(f"dec_{plan.tag}")))
            ).fetchall()
            if rows:
                hard[i] = [r[0] for r in rows]
        return hard

    def python_rule(
        self,
        con: duckdb.DuckDBPyConnection,
        versions: list[Policy],
        subset: tuple[list[Plan], dict[int, list[str]]] | None,
    ) -> list[Outcome]:
        """The outcomes of a rule judged by the reference engine: whole, or only the hard triggers
        of ``subset`` over the events of their correlation keys."""
        reads = sorted({(p.platform, a) for p in versions for a in p.actions})
        if subset is None:
            ids_table(con, "py_ids", ())
            con.execute(
                "INSERT INTO py_ids SELECT eid FROM ev WHERE list_contains(?, platform || chr(31) || action)",
                [[f"{pf}\x1f{a}" for pf, a in reads]],
            )
            only: set[str] | None = None
        else:
            plans, hard = subset
            only = {e for ids in hard.values() for e in ids}
            ids_table(con, "hard_ids", sorted(only))
            parts = []
            for plan in plans:
                same_key = and_(
                    *(
                        exp.EQ(this=col(f"k{j + 1}", "b"), expression=col(f"k{j + 1}", "h"))
                        for j in range(plan.keys)
                    )
                )
                parts.append(
                    tmpl(
                        "SELECT b.eid FROM {t} AS b SEMI JOIN "
                        "(SELECT * FROM {t} AS x SEMI JOIN hard_ids USING (eid)) AS h ON {k}",
                        t=table(plan.base_table),
                        k=same_key if plan.keys else exp.true(),
                    )
                )
            con.execute(
                sql(
                    tmpl(
                        "CREATE OR REPLACE TEMP TABLE py_ids AS SELECT DISTINCT eid FROM ({u})",
                        u=union_all(*parts),
                    )
                )
            )
        events = fetch_events(con, "py_ids", self.files, names=self.intake.names)
        exotic = [e for e in self.intake.exotic_events.values() if (e.platform, e.action) in set(reads)]
        for e in exotic:
            events[e.event_id] = e
        batch = EventBatch(
            tuple(sorted(events.values(), key=lambda e: e.sort_key)), (), (), self.timezone, Counter(), None
        )
        rule_id = versions[0].id
        own = {rule_id: self.overrides[rule_id]} if rule_id in self.overrides else None
        _, outcomes = evaluate(versions, batch, as_of=self.as_of, params=own)
        if only is not None:
            outcomes = [o for o in outcomes if o.event_id in only]
        return list(outcomes)

    def spill_outcomes(
        self, extra: Iterable[Sequence[Outcome]], *, violations: bool, texts: bool = False
    ) -> SpilledOutcomes:
        """The violations (or, not ``violations``, every other outcome) of every plan decided in
        SQL, plus ``extra`` (decided outside SQL, of the same kinds, in batches), built a chunk at a time into
        sorted runs on disk (:mod:`checker.engines.duckdb.findings`), removed with the sequence;
        with ``texts``, each violation with its text in the JSON result."""
        directory = tempfile.mkdtemp(prefix="findings-" if violations else "others-", dir=_spill_directory())
        try:
            found = spill_outcomes(
                self.con,
                self.plans,
                self.files,
                extra,
                directory,
                violations=violations,
                texts=texts,
                memory_limit=MEMORY_LIMIT,
                input_names=self.intake.names,
                as_of=self.as_of,
                params=self.params,
                input_tz=self.timezone,
            )
            self.check_inputs()  # the evidence was read again from them
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        weakref.finalize(found, shutil.rmtree, directory, True)
        return found


#: the most macro-argument copies a rule's statements may make DuckDB write while binding them
#: (timesql.binding_cost): above it the rule is judged by the reference engine, with the same
#: outcomes. Since the zone macros read bucketed lists (timesql.steps) a catalogue rule costs at
#: most 21, in Asia/Shanghai, America/New_York and Asia/Gaza alike; with one CASE branch per change
#: of offset they had cost 783 to 887 in New York, and DuckDB took 2 to 3 s a rule to bind them
MAX_BINDING_COST = 400


def _costly(plan: Plan, paths: list[tuple[str, ...]]) -> bool:
    """Whether binding ``plan``'s statements would cost DuckDB more than running the rule in Python."""
    texts = [plan.base_sql(paths), *plan.statements.values()]
    return sum(binding_cost(t) for t in texts) > MAX_BINDING_COST


class _ReadFiles(Mapping[int, LineFiles]):
    """The files an input's lines are read from (:attr:`IntakeResult.files`), noting each input
    looked up: the steps that read lines again look a file up just before reading it."""

    def __init__(self, files: Mapping[int, LineFiles]) -> None:
        self.files = files
        self.read: set[int] = set()

    def __getitem__(self, fi: int) -> LineFiles:
        self.read.add(fi)
        return self.files[fi]

    def __contains__(self, fi: object) -> bool:
        return fi in self.files  # a test, not a read

    def __iter__(self) -> Iterator[int]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)


def _versions(plans: Sequence[Plan], query: str) -> exp.Expression:
    """``query`` (holes ``{i}``: the version's place, ``{t}``: its event table) over each of a
    rule's versions, as one UNION ALL."""
    return union_all(*(tmpl(query, i=lit(i), t=table(plan.base_table)) for i, plan in enumerate(plans)))


def _drop(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> None:
    """Drop the tables ``names`` (those that exist)."""
    for name in names:
        con.execute(sql(tmpl("DROP TABLE IF EXISTS {t}", t=table(name))))


def _scalar(con: duckdb.DuckDBPyConnection, query: str, parameters: object = None) -> Any:
    row = con.execute(query, parameters).fetchone()
    return row[0] if row else None


__all__ = ["ENGINE", "DuckdbEngine", "Kind", "check_duckdb", "connect", "unsupported"]
