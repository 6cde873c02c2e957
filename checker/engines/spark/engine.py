"""The Spark engine: each rule's plan decided on Apache Spark, the rest of a check as on DuckDB.

A check on Spark is the DuckDB engine's check (:func:`checker.engines.duckdb.check_duckdb`) with
one step moved: the statements that decide each rule. Those are the plans' portable form
(:mod:`checker.engines.duckdb.portable`) spelled in Spark SQL, so Spark runs the very plan the
DuckDB engine runs and the tests compare with the reference engine, not a second implementation.
What stays on the driver, on DuckDB, is what is the same on any engine:

* the intake: reading every input form and profile, with its accounting (accepted, duplicates,
  rejected with file and line). The canonical events are handed to Spark as Parquet
  (:class:`SparkRun`), and the rules' paths with them;
* the bookkeeping around a plan that picks from few rows (not-applicable triggers, the hard rows
  the reference engine judges) and the findings with their evidence, built from the decision rows
  Spark sends back.

The decision rows of a rule (one per trigger) come back through Arrow, with the tables the
findings read back for counts and sums, and the base table's flag columns. What never comes back
is the work in between: the candidate and reduced tables, the windows, the joins.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from ...inputs.files import ProfileChoice, fetched_copies
from ...inputs.progress import Progress
from ...language.errors import CheckerError, Location, Problem
from ...language.loader import PolicySet
from ...language.policy import Policy
from ...language.times import DEFAULT_TIMEZONE
from ...results.result import CheckResult
from ..base import Inputs, RunOptions
from ..duckdb import check_duckdb
from ..duckdb import unsupported as duckdb_unsupported
from ..duckdb.compile import Plan, compile_policy
from ..duckdb.engine import MEMORY_LIMIT, Decided, DuckdbRun
from ..duckdb.findings import lean
from ..duckdb.portable import Macros, Statement, fx_entry, portable_plan, spark_sql
from ..duckdb.sqlbuild import sql, table, tmpl
from .inputs import Fetched, fetch_inputs
from .session import (
    DEFAULT_MASTER,
    close_session,
    is_connect,
    open_session,
    run_settings,
    spark_cause,
    spark_error,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: the columns of the canonical event table the plans read (``fx``: every rule's paths, as JSON
#: texts, which reach Spark as a column per path); the record's text, file and line stay on the
#: driver, for the findings' evidence
EV_COLUMNS = ("eid", "ts", "platform", "seller_id", "action", "fx")

#: rules decided at once: Spark runs each statement on every core, but between a rule's
#: statements the driver plans the next, and short stages leave cores idle
CONCURRENT_RULES = 2

#: DuckDB's memory limit while Spark decides the rules (see :meth:`SparkRun._decide_on_ev`)
DECIDE_MEMORY = "256MB"

_runs = itertools.count()


class SparkRun(DuckdbRun):
    """One check whose rules Spark decides (see the module's docstring); the rest is
    :class:`DuckdbRun`'s."""

    concurrent_rules = CONCURRENT_RULES

    def __init__(
        self, *args: Any, spark: SparkSession, fetched: Fetched | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.spark = spark
        if fetched is not None:
            # the local copies of inputs named by URI: a result builds its findings when asked,
            # reading evidence lines again from the files the intake read (a copy itself where
            # the intake could not link it), so they go when the intake's account goes, as the
            # converted inputs do (the run, its store and the result hold it), or at exit
            weakref.finalize(self.intake, fetched.remove)
        # the run's temp views are prefixed: a caller's session may hold views of its own
        self.prefix = f"ck{os.getpid()}_{next(_runs)}_"
        self.views: set[str] = set()
        self.views_lock = threading.Lock()
        # every Spark job of the run carries this tag, so that a failure stops the rules in flight
        self.tag = f"checker-{self.prefix.rstrip('_')}"
        self.failure: CheckerError | None = None
        self.failure_lock = threading.Lock()
        self.connect = is_connect(spark)

    # --- the events, handed to Spark ------------------------------------------------------------

    def decide(
        self, rules: Sequence[tuple[list[Policy], list[Plan]]], progress: Progress | None = None
    ) -> None:
        """Hand the canonical events to Spark, decide every rule there, and drop the run's views."""
        # each path of fx (JSON in DuckDB) a column of its own, its JSON texts: a rule's base table
        # reads its own paths' columns from the Parquet file, not every rule's (fx_columns)
        columns = [c for c in EV_COLUMNS if c != "fx"]
        columns += [f"CAST(fx[{k}] AS VARCHAR) AS {_fx_column(k)}" for k in range(1, len(self.paths) + 1)]
        events = self.con.sql(sql(_select(columns, "ev")))
        if self.connect:
            # a Spark Connect server may be another machine, which reads no file of the driver's:
            # the events go in Arrow batches, kept on the server's disk for the rules to read
            try:
                frame = self.spark.createDataFrame(events.to_arrow_table())
                self._view("ev", frame.localCheckpoint(eager=True, storageLevel=_disk()))
            except Exception as exc:
                if not spark_error(exc):
                    raise
                raise CheckerError([_spark_problem("ev", "receiving the events", exc)]) from exc
            self._decide_on_ev(rules, progress)
            return
        exchange = os.path.abspath(os.environ.get("CHECKER_SPARK_EXCHANGE") or tempfile.gettempdir())
        directory = tempfile.mkdtemp(prefix="checker-spark-", dir=exchange)
        os.chmod(directory, 0o755)  # executors may run as another user (a shared directory)
        try:
            target = os.path.join(directory, "ev.parquet")
            events.write_parquet(target)
            os.chmod(target, 0o644)
            # read from the file by each rule's base table, not kept: the intake wrote the events
            # clustered by (platform, action), so a rule's filter skips the other row groups (at
            # 2M events kept on disk by Spark instead, the 15 base tables took 58 s, read whole).
            # A URI, so that a cluster whose default file system is another (HDFS) reads this one
            try:
                self._view("ev", self.spark.read.parquet(Path(target).as_uri()))
            except Exception as exc:
                if not spark_error(exc):
                    raise
                raise CheckerError([_spark_problem(target, "reading the events handed to it", exc)]) from exc
            self._decide_on_ev(rules, progress)
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def _decide_on_ev(
        self, rules: Sequence[tuple[list[Policy], list[Plan]]], progress: Progress | None
    ) -> None:
        try:
            # DuckDB's buffers (the events, the intake's tables) wait in its temporary files while
            # Spark decides, beside the JVM: at 2M events the driver's process held 500-600 MiB
            # then instead of 930 (with the limit put back, DuckDB grew again to 700 MiB on the
            # decision rows brought back). The bookkeeping on those rows runs meanwhile, and some
            # of it (ordered lists) cannot spill: DECIDE_MEMORY, not findings.LEAN_MEMORY
            with lean(self.con, MEMORY_LIMIT, hold=DECIDE_MEMORY):
                super().decide(rules, progress)
        finally:
            self._drop_views(["ev"])

    # --- one rule -------------------------------------------------------------------------------

    def rule(self, con: duckdb.DuckDBPyConnection, versions: list[Policy], plans: list[Plan]) -> Decided:
        """Decide one rule id's triggers on Spark; the decision rows go to ``con``'s database as
        the DuckDB engine would have made them, and the rest is :class:`DuckdbRun`'s. A failure of
        Spark's (a lost executor, memory) is a :class:`CheckerError` naming the rule and Spark's
        own first line, not a Java stack trace."""
        self._tag(True)  # the jobs this thread starts
        try:
            return self._rule(con, versions, plans)
        except Exception as exc:
            if not spark_error(exc):
                raise
            policy = versions[0]
            error = CheckerError([_spark_problem(policy.file or policy.id, f"deciding {policy.id}", exc)])
            with self.failure_lock:
                first, self.failure = self.failure, self.failure or error
            if first is not None:
                # this rule's jobs were stopped because another rule had failed: that is the error
                raise first from exc
            # the other rules in flight stop now, not at the end of their statement running
            self.interrupt_rules()
            raise error from exc
        finally:
            self._tag(False)

    def _tag(self, on: bool) -> None:
        """Tag (or stop tagging) the Spark jobs this thread starts with the run's tag."""
        if self.connect:
            (self.spark.addTag if on else self.spark.removeTag)(self.tag)
        else:
            context = self.spark.sparkContext
            (context.addJobTag if on else context.removeJobTag)(self.tag)

    def interrupt_rules(self) -> None:
        """Cancel every Spark job of the run still running (the rules in flight). (A classic
        session's ``interruptTag`` cancelled nothing on Spark 4.3 in local mode: the context's job
        tags do; a Spark Connect session has no context, and its tags do.)"""
        try:
            if self.connect:
                self.spark.interruptTag(self.tag)
            else:
                self.spark.sparkContext.cancelJobsWithTag(self.tag)
        except Exception as exc:
            if not spark_error(exc):
                raise

    def _rule(self, con: duckdb.DuckDBPyConnection, versions: list[Policy], plans: list[Plan]) -> Decided:
        reads = {(p.platform, a) for p in versions for a in p.actions}
        if reads & self.intake.exotic_actions:
            return Decided(versions, [], [], self.python_rule(con, versions, None))
        statements = {
            plan.tag: portable_plan(plan, self.paths, as_of=self.as_of, macros=Macros(plan.zones))
            for plan in plans
        }
        made = [s.table for ss in statements.values() for s in ss]
        names = {"ev", *made}
        try:
            for plan in plans:
                self._run(statements[plan.tag][0], names)
            if any(self._any_key_hard(plan) for plan in plans):
                return Decided(versions, [], [], self.python_rule(con, versions, None))
            if len(plans) > 1:
                self._select_versions_spark(plans)
            for plan in plans:
                for statement in statements[plan.tag][1:]:
                    self._run(statement, names)
            for plan in plans:
                self._bring_back(con, plan)
        finally:
            # the rule's tables are Spark's to free once nothing names them (a local checkpoint's
            # blocks go when its RDD is collected: unpersist does not reach them)
            self._drop_views(made)
        return self.finish_rule(con, versions, plans)

    def _run(self, statement: Statement, names: set[str]) -> None:
        """Run one plan statement on Spark and keep its rows as the view of its table's name."""
        query = fx_columns(statement.query.copy())
        for t in query.find_all(exp.Table):
            if not t.db and t.name in names:
                t.set("this", exp.to_identifier(self.prefix + t.name))
        text = spark_sql(Statement(statement.table, query))
        self._view(statement.table, self.spark.sql(text).localCheckpoint(eager=True, storageLevel=_disk()))

    def _drop_views(self, names: Iterable[str]) -> None:
        """Drop the run's views of the tables ``names``. A Spark that has failed cannot: the failure
        that stopped it is the error the user reads, not this one."""
        try:
            for name in names:
                with self.views_lock:
                    if self.prefix + name not in self.views:
                        continue
                    self.views.discard(self.prefix + name)
                self.spark.catalog.dropTempView(self.prefix + name)
        except Exception as exc:
            if not spark_error(exc):
                raise

    def _view(self, name: str, frame: DataFrame) -> None:
        frame.createOrReplaceTempView(self.prefix + name)
        with self.views_lock:
            self.views.add(self.prefix + name)

    def _table(self, name: str) -> DataFrame:
        return self.spark.table(self.prefix + name)

    def _any_key_hard(self, plan: Plan) -> bool:
        """Whether some event's correlation key is not exactly computable (the rule is then the
        reference engine's, whole)."""
        from pyspark.sql import functions as F

        row = self._table(plan.base_table).agg(F.max(F.col("kh").cast("int")).alias("kh")).first()
        return bool(row is not None and row["kh"])

    def _select_versions_spark(self, plans: list[Plan]) -> None:
        """With several versions, each trigger is judged by the first one in effect: each version's
        ``trig`` becomes whether it is that version (DuckDB's ``_select_versions``)."""
        from pyspark.sql import functions as F

        union = None
        for i, plan in enumerate(plans):
            part = (
                self._table(plan.base_table)
                .where(F.col("tw"))
                .select("eid", F.lit(i).alias("v"), (F.col("tw") & F.col("eff")).alias("ok"))
            )
            union = part if union is None else union.unionAll(part)
        assert union is not None
        chosen = union.groupBy("eid").agg(F.min(F.when(F.col("ok"), F.col("v"))).alias("ck_chosen"))
        for i, plan in enumerate(plans):
            base = self._table(plan.base_table)
            mine = F.coalesce(F.col("ck_chosen") == F.lit(i), F.lit(False))
            columns = [mine.alias("trig") if c == "trig" else F.col(c) for c in base.columns]
            joined = base.join(chosen, on="eid", how="left").select(*columns)
            self._view(plan.base_table, joined.localCheckpoint(eager=True, storageLevel=_disk()))

    # --- the rows the driver reads --------------------------------------------------------------

    def _bring_back(self, con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
        """Copy from Spark to ``con``'s database the tables of ``plan`` that later steps read: the
        decision table, the windows the findings read back, and the base table's flags and keys."""
        windows = [name for name, _ in plan.tables if name not in plan.scratch_tables()]
        keys = [f"k{j + 1}" for j in range(plan.keys)]
        wanted: list[tuple[str, list[str] | None]] = [
            (f"dec_{plan.tag}", None),
            *((w, None) for w in windows),
            (plan.base_table, ["eid", "ts", "trig", "tw", "eff", "th", *keys]),
        ]
        for name, columns in wanted:
            frame = self._table(name)
            if columns is not None:
                frame = frame.select(*columns)
            arrow = _arrow(frame)
            view = f"ck_arrow_{name}"
            con.register(view, arrow)
            try:
                query = _duckdb_types(arrow, view)
                con.execute(sql(tmpl("CREATE OR REPLACE TABLE {t} AS {q}", t=table(name), q=query)))
            finally:
                con.unregister(view)


def _fx_column(k: int) -> str:
    return f"ck_fx{k}"


def fx_columns(query: exp.Expression) -> exp.Expression:
    """``query`` with each ``fx[k]`` read from the events (a select from ``ev``) spelled as the
    events' column of path ``k`` (the events reach Spark with a column per path: :meth:`SparkRun.
    decide`)."""
    for n in list(query.find_all(exp.Anonymous)):
        k = fx_entry(n)
        # the select whose row ``fx`` is: a select without FROM (a value computed in a subquery)
        # reads the columns of the one around it
        select = n.find_ancestor(exp.Select)
        while select is not None and select.args.get("from_") is None:
            select = select.find_ancestor(exp.Select)
        source = select.args.get("from_") if select is not None else None
        if k is None or source is None or not isinstance(source.this, exp.Table) or source.this.name != "ev":
            continue
        n.replace(exp.column(_fx_column(k)))
    return query


def _spark_problem(where: str, doing: str, exc: Exception) -> Problem:
    """What a user reads when Spark fails (at ``where``, while ``doing``): Spark's message and what
    to try."""
    cause = spark_cause(exc)
    hint = ""
    if "OutOfMemoryError" in str(exc) or "Not enough memory" in str(exc):
        hint = (
            "; give Spark more memory (CHECKER_SPARK_DRIVER_MEMORY for a session the checker starts, "
            "spark.executor.memory on a cluster)"
        )
    return Problem(Location(where), "spark-failed", f"Spark failed while {doing}: {cause[:500]}{hint}")


def _disk() -> Any:
    """Where Spark keeps the events and each table a plan makes: on local disk, not in the JVM's
    heap, which the joins and windows need (at 2M events with a 1 GiB driver, tables kept in memory
    left too little for a broadcast and a window: OutOfMemoryError)."""
    from pyspark import StorageLevel

    return StorageLevel.DISK_ONLY


def _arrow(frame: DataFrame) -> pa.Table:
    """``frame``'s rows as a pyarrow Table (Spark sends them in Arrow batches)."""
    return frame.toArrow()


def _duckdb_types(arrow: pa.Table, view: str) -> exp.Expression:
    """A query over the registered Arrow ``view`` giving its columns the types the DuckDB engine's
    tables have: an integer Spark can only hold as DECIMAL(38, 0) is DuckDB's HUGEINT."""
    columns: list[exp.Expression] = []
    for field in arrow.schema:
        column: exp.Expression = exp.column(field.name, quoted=True)
        if pa.types.is_decimal(field.type) and field.type.scale == 0:
            column = exp.Alias(
                this=exp.cast(column, "HUGEINT"), alias=exp.to_identifier(field.name, quoted=True)
            )
        columns.append(column)
    return exp.select(*columns).from_(exp.to_table(view))


def _select(columns: Sequence[str], source: str) -> exp.Expression:
    from sqlglot import parse_one

    return exp.select(*(parse_one(c, read="duckdb") for c in columns)).from_(source)


def check_spark(
    policy_set: PolicySet,
    paths: Sequence[str | os.PathLike[str]],
    *,
    spark: SparkSession | None = None,
    master: str | None = None,
    conf: Mapping[str, str] | None = None,
    as_of: int | str | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    now: int | str | None = None,
    profiles: ProfileChoice | Sequence[ProfileChoice] | None = None,
    encoding: str | None = None,
    input_format: str | None = None,
    stdin: IO[bytes] | None = None,
    progress: Progress | None = None,
    keep_session: bool = True,
) -> CheckResult:
    """Run ``policy_set`` over the inputs ``paths`` with the rules decided on Spark: the same
    outcomes as :func:`checker.api.check`, which takes the other arguments. ``spark`` is a session
    the caller has (Databricks, EMR, a notebook); else one is started on ``master`` (default
    ``local[*]``) and kept for later checks. ``conf`` are Spark settings (``spark-submit --conf``):
    given to a session the check starts, and held on one that runs already while the check runs
    (:func:`~.session.run_settings`). ``paths`` may be URIs of any file system the
    session's Hadoop configuration reads (``s3a://``, ``hdfs://``, ``abfss://``): see
    :mod:`checker.engines.spark.inputs`. With ``keep_session`` false, a session this check started
    (a new SparkContext) is stopped once the rules are decided, when no other check runs on it:
    the result builds its findings without Spark, and the JVM PySpark launched ends first, its
    memory back (the command line's way, one check a process; under ``spark-submit`` the JVM is
    ``spark-submit``'s and stays). A session you pass, or one that ran before, is never stopped."""
    master = master or DEFAULT_MASTER
    started = False
    if spark is None:
        session, started = open_session(master, conf)
    else:
        session = spark
    try:
        return _check_on(
            session,
            policy_set,
            paths,
            conf,
            as_of=as_of,
            params=params,
            timezone=timezone,
            now=now,
            profiles=profiles,
            encoding=encoding,
            input_format=input_format,
            stdin=stdin,
            progress=progress,
        )
    finally:
        if spark is None:
            close_session(master, stop=started and not keep_session)


def _check_on(
    session: SparkSession,
    policy_set: PolicySet,
    paths: Sequence[str | os.PathLike[str]],
    conf: Mapping[str, str] | None,
    **options: Any,
) -> CheckResult:
    """:func:`check_spark` on ``session``, started or given."""
    with run_settings(session, conf):
        # inputs named by URI are copied through Spark's file systems and read from the copies
        # under their URIs (checker.engines.spark.inputs); the copies go with the result
        # (SparkRun), or here when no run was made
        fetched = fetch_inputs(session, paths)
        runs: list[SparkRun] = []

        def run_type(*args: Any, **kwargs: Any) -> SparkRun:
            runs.append(SparkRun(*args, spark=session, fetched=fetched, **kwargs))
            return runs[-1]

        try:
            with fetched_copies(fetched.copies):
                return check_duckdb(policy_set, fetched.paths, run_type=run_type, **options)
        finally:
            if not runs:
                fetched.remove()


class SparkEngine:
    """The ``spark`` engine: :func:`check_spark` behind the engine interface."""

    name = "spark"

    def refuses(self, inputs: Inputs, options: RunOptions) -> str | None:
        """Part counts and events already in memory, as DuckDB (whose intake it shares)."""
        if options.parts is not None:
            return "--parts is for --engine python (Spark partitions the work by itself)"
        if inputs.in_memory:
            return "--engine spark reads input files: events already in memory run on --engine python"
        return None

    def unsupported(self, policy: Policy, params: dict[str, Any] | None = None) -> list[Problem]:
        """What keeps ``policy`` off Spark: what keeps it off DuckDB (Spark runs the same plan), and
        a statement the portable form or its Spark spelling cannot give (found without Spark)."""
        problems = [
            Problem(p.location, p.code, p.message.replace("duckdb engine", "spark engine"))
            for p in duckdb_unsupported(policy, params)
        ]
        if problems:
            return problems
        plan = compile_policy(
            policy,
            "v",
            params=dict(params if params is not None else policy.defaults()),
            input_tz=DEFAULT_TIMEZONE,
        )
        try:
            for statement in portable_plan(plan, plan.paths.read(), as_of=0, macros=Macros(plan.zones)):
                spark_sql(statement)
        except ValueError as exc:
            message = f"{policy.id} {policy.version} cannot run on the spark engine: {exc}"
            return [Problem(Location(policy.file or policy.id), "unsupported-sql", message)]
        return []

    def check(self, policies: PolicySet, inputs: Inputs, options: RunOptions) -> CheckResult:
        """Judge with the rules decided on Spark (see :func:`check_spark`)."""
        return check_spark(
            policies,
            inputs.paths,
            spark=options.spark_session,
            master=options.spark_master,
            conf=dict(options.spark_conf),
            as_of=options.as_of,
            params=options.params,
            timezone=options.timezone,
            now=options.now,
            profiles=inputs.profiles,
            encoding=inputs.encoding,
            input_format=inputs.input_format,
            stdin=inputs.stdin,
            progress=options.progress,
            keep_session=options.spark_keep_session,
        )


ENGINE = SparkEngine()
