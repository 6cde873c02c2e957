"""The Spark session a check runs on: one the caller gives, or one started for a master URL.

The plans' Spark text reads instants as UTC (:func:`checker.engines.duckdb.portable.spark_sql`):
a check sets the session time zone to ``UTC`` while it runs and puts the caller's setting back
after, so a notebook's session keeps its own zone. Sessions this module starts are kept, one per
master URL, for the life of the process: a Spark session takes seconds to start, and the tests
and a long-lived job run many checks on one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ...language.errors import CheckerError, Location, Problem

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: a master URL of this scheme is a Spark Connect server (Databricks, ``start-connect-server.sh``)
CONNECT_SCHEME = "sc://"
#: the master a check starts a session on when given none (every core of this machine)
DEFAULT_MASTER = "local[*]"

#: settings of a session this module starts: quiet, no web UI, Arrow to bring results back,
#: adaptive execution (it coalesces small shuffle partitions)
START_CONF: Mapping[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.driver.memory": os.environ.get("CHECKER_SPARK_DRIVER_MEMORY", "2g"),
}

#: the driver JVM's options in a local session this module starts (``local``, ``local[2]``...),
#: where the driver's JVM runs every task: the client compiler only, and the parallel collector.
#: A check is a few hundred short statements, each parsed, planned and compiled to code anew,
#: whose code runs for seconds: at 2M events on ``local[2]`` these options lowered the peak memory
#: from 3.6 GiB to 3.0-3.2 GiB, and the time from 116 s to 109 s on average (BENCHMARKS.md, "The
#: Spark engine", third session). As ``spark.driver.defaultJavaOptions``, the options a
#: ``spark.driver.extraJavaOptions`` follows and overrides (``-XX:TieredStopAtLevel=4`` brings the
#: optimising compiler back); ``CHECKER_SPARK_JAVA_OPTIONS`` replaces them (empty: none).
#: Executors on a cluster run long: they keep the JVM's defaults. With the client compiler alone
#: the JVM reserves 48 MiB for compiled code, not 240: a check at 2M events filled 37 of them, and
#: a session running check after check (the tests) filled them and ran on with the compiler
#: switched off ("CodeCache is full"); the reserve is the JVM's usual one again
LOCAL_JAVA_OPTIONS = os.environ.get(
    "CHECKER_SPARK_JAVA_OPTIONS",
    "-XX:TieredStopAtLevel=1 -XX:+UseParallelGC -XX:ReservedCodeCacheSize=240m",
)

#: a setting of Hadoop's given to Spark (``spark.hadoop.fs.s3a.endpoint``): Spark passes it to
#: Hadoop without the prefix
HADOOP_PREFIX = "spark.hadoop."

#: settings a check holds on any session while it runs, the caller's restored after
RUN_CONF: Mapping[str, str] = {
    # the plans' instants are UTC microseconds; naive wall times in the text are UTC too
    "spark.sql.session.timeZone": "UTC",
    # the semantics the Spark text was compared with DuckDB under (bench/spark_probe): casts,
    # overflow and element_at differ with ANSI mode off
    "spark.sql.ansi.enabled": "true",
    "spark.sql.caseSensitive": "false",
}


def is_local(master: str) -> bool:
    """Whether ``master`` runs Spark inside the driver's JVM (``local``, ``local[4]``, ``local[*, 2]``)."""
    return master == "local" or master.startswith("local[")


def spark_error(exc: BaseException) -> bool:
    """Whether ``exc`` is Spark's (PySpark's, or the Java side's through py4j), which the engine
    turns into a :class:`CheckerError`; any other error is the checker's own and goes on."""
    return type(exc).__module__.startswith(("pyspark", "py4j"))


def spark_cause(exc: BaseException) -> str:
    """The line of Spark's error ``exc`` that says what failed: the first naming an exception or an
    error (a Java stack trace's cause), else its first line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    return next((line for line in lines if "Exception" in line or "Error" in line), first)


class SparkStartError(CheckerError):
    """Spark would not start on a master (no Java, a master that does not answer...)."""

    def __init__(self, master: str, exc: Exception) -> None:
        home = os.environ.get("JAVA_HOME")
        if home and not os.path.exists(os.path.join(home, "bin", "java")):
            hint = f"JAVA_HOME is {home}, which holds no bin/java: point it at a Java 17, or unset it"
        elif not home and shutil.which("java") is None:
            hint = (
                "Spark needs Java 17 and found no `java` on the PATH "
                "(Debian: apt-get install openjdk-17-jre-headless)"
            )
        else:
            hint = f"check that {master} is a master URL that answers, and Spark's own messages above"
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        first = lines[0] if lines else type(exc).__name__
        message = f"Spark did not start on {master}: {first[:300]}; {hint}"
        super().__init__([Problem(Location(master), "spark-start", message)])


_started: dict[str, SparkSession] = {}
_lock = threading.Lock()
#: one check at a time holds a session's settings (two at once would each restore the other's)
_running = threading.Lock()


def start_session(master: str = DEFAULT_MASTER, conf: Mapping[str, str] | None = None) -> SparkSession:
    """A Spark session on ``master`` (``local[*]``, ``spark://host:7077``, ``yarn``, ...), started once
    per master and kept; ``conf`` adds or overrides settings (:data:`START_CONF`)."""
    with _lock:
        return _start(master, conf)[0]


def _start(master: str, conf: Mapping[str, str] | None) -> tuple[SparkSession, bool]:
    """:func:`start_session`'s work, under ``_lock``; and whether this call made a new SparkContext
    (not a Connect session, not one that ran already, the process's or the checker's)."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    session = _started.get(master)
    if session is not None and not _stopped(session):
        return session, False
    if master.startswith(CONNECT_SCHEME):
        return _connect(master), False
    fresh = SparkContext._active_spark_context is None
    active = SparkSession.getActiveSession()
    if active is not None and not is_connect(active) and active.sparkContext.master != master:
        # a process has one SparkContext: the builder would hand back that one, on its master
        message = (
            f"this process already runs Spark on {active.sparkContext.master}, not {master}: "
            "pass that session (check_spark(spark=...)) or stop it first (stop_sessions())"
        )
        raise CheckerError([Problem(Location(master), "spark-master", message)])
    builder = SparkSession.builder.master(master).appName("policy-checker")
    settings = dict(START_CONF)
    # Spark makes its warehouse folder at start, in the working directory unless told
    warehouse = tempfile.mkdtemp(prefix="checker-spark-warehouse-")
    settings["spark.sql.warehouse.dir"] = warehouse
    if is_local(master) and LOCAL_JAVA_OPTIONS.strip():
        settings["spark.driver.defaultJavaOptions"] = LOCAL_JAVA_OPTIONS
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:
        if not spark_error(exc):
            raise
        raise SparkStartError(master, exc) from exc
    session.sparkContext.setLogLevel("ERROR")
    wrong = unknown_vm_options(session, settings.get("spark.driver.defaultJavaOptions", ""))
    if wrong:
        # Spark starts the driver's JVM with -XX:+IgnoreUnrecognizedVMOptions: a misspelled
        # option would be ignored without a word
        session.stop()
        message = (
            f"the JVM knows no option {', '.join(wrong)} of CHECKER_SPARK_JAVA_OPTIONS "
            "(Spark starts it ignoring unknown -XX options): correct it, or set the variable empty"
        )
        raise CheckerError([Problem(Location("CHECKER_SPARK_JAVA_OPTIONS"), "spark-start", message)])
    _started[master] = session
    import atexit

    atexit.register(shutil.rmtree, warehouse, ignore_errors=True)
    return session, fresh


def unknown_vm_options(session: SparkSession, options: str) -> list[str]:
    """The ``-XX`` options of ``options`` (JVM options, as in ``spark.driver.defaultJavaOptions``)
    that the JVM of ``session``'s driver does not know."""
    jvm = session.sparkContext._jvm
    assert jvm is not None
    management = jvm.java.lang.management.ManagementFactory
    diagnostic = management.getPlatformMXBean(jvm.com.sun.management.HotSpotDiagnosticMXBean._java_lang_class)
    unknown = []
    for option in options.split():
        if not option.startswith("-XX:"):
            continue
        name = option[4:].lstrip("+-").split("=", 1)[0]
        try:
            diagnostic.getVMOption(name)
        except Exception as exc:  # py4j's error: IllegalArgumentException, no such option
            if not spark_error(exc):
                raise
            unknown.append(option)
    return unknown


def _connect(url: str) -> SparkSession:
    """A Spark Connect session on the server at ``url`` (``sc://host:15002``), kept as a started
    one. Its settings are the server's: a client cannot set the driver's memory."""
    import socket
    from urllib.parse import urlsplit

    from pyspark.sql import SparkSession

    # the Connect client retries a server that does not answer for minutes: ask once, briefly
    where = urlsplit(url.split(";", 1)[0])
    try:
        socket.create_connection((where.hostname or "localhost", where.port or 15002), timeout=15).close()
    except OSError as exc:
        raise SparkStartError(url, RuntimeError(f"nothing answers at {where.netloc}: {exc}")) from exc
    try:
        session = SparkSession.builder.remote(url).getOrCreate()
        session.sql("SELECT 1").collect()  # the builder does not reach the server; this does
    except ImportError as exc:  # the Connect client's packages: grpcio, pandas...
        missing = RuntimeError(f"{exc}: pip install 'policy-checker[spark-connect]'")
        raise SparkStartError(url, missing) from exc
    except Exception as exc:
        if not spark_error(exc):
            raise
        raise SparkStartError(url, exc) from exc
    _started[url] = session
    return session


def stop_sessions() -> None:
    """Stop every session :func:`start_session` started, and the JVM PySpark launched for them (a
    new check starts a new one, with its own settings)."""
    with _lock:
        for session in _started.values():
            _stop(session)
        _started.clear()


#: checks running on each master's session (:func:`open_session`), and the masters whose session is
#: to stop when its last check ends
_users: Counter[str] = Counter()
_stop_when_idle: set[str] = set()


def open_session(master: str, conf: Mapping[str, str] | None) -> tuple[SparkSession, bool]:
    """:func:`start_session` for one check, counted until :func:`close_session`; and whether this
    call started the session (a new SparkContext: not one that ran already, the caller's or the
    checker's, and never a Connect session), which only then may the check stop."""
    with _lock:
        session, fresh = _start(master, conf)
        _users[master] += 1
        return session, fresh


def close_session(master: str, stop: bool) -> None:
    """The end of a check :func:`open_session` counted. With ``stop`` (the check started the
    session and need not keep it), the session stops when no other check runs on it, and the
    driver's JVM PySpark launched for it ends (:func:`_end_jvm`): a stopped context leaves that JVM
    running, its heap held (at 2M events, 2.3 GiB while the command line built the findings)."""
    with _lock:
        _users[master] -= 1
        if stop:
            _stop_when_idle.add(master)
        if _users[master] > 0 or master not in _stop_when_idle:
            return
        del _users[master]
        _stop_when_idle.discard(master)
        session = _started.pop(master, None)
        if session is not None:
            _stop(session)


def _stop(session: SparkSession) -> None:
    """Stop ``session`` and end the JVM PySpark launched for it. A Spark that has died already
    (its JVM killed for memory) cannot be stopped cleanly: that is not the check's error, which
    is the one the user reads, so the failure to stop is not raised."""
    try:
        session.stop()
    except Exception as exc:
        if not spark_error(exc):
            raise
    finally:
        if not is_connect(session):
            _end_jvm()


def _end_jvm() -> None:
    """End the JVM PySpark launched (its gateway's process): it exits when its standard input closes.
    A JVM PySpark did not launch (under ``spark-submit``) is left alone, as is one a context runs on."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    process = getattr(gateway, "proc", None)
    if gateway is None or process is None or SparkContext._active_spark_context is not None:
        return
    if os.name == "nt":
        return  # there the process is spark-submit.cmd, and the JVM under it never sees the end of input
    try:
        gateway.close()
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    finally:
        # a later session launches a JVM of its own, with its own settings
        SparkContext._gateway = None
        SparkContext._jvm = None


def _stopped(session: SparkSession) -> bool:
    if is_connect(session):
        return bool(getattr(session, "is_stopped", False))
    context = session.sparkContext
    return bool(getattr(context, "_jsc", None) is None)


@contextmanager
def run_settings(session: SparkSession, conf: Mapping[str, str] | None = None) -> Iterator[None]:
    """Hold :data:`RUN_CONF` on ``session`` for the block, and shuffle partitions twice its default
    parallelism (its cores), then put back what the caller had. Spark's default of 200 shuffle
    partitions made a rule 1.6x slower than 2-8 on two cores at 2M events (issue 12). Checks in
    several threads of a process take turns here: the settings are the session's, not a thread's.

    ``conf`` (a run's ``--spark-conf``) is held too: a ``spark.hadoop.`` setting as the Hadoop
    setting it names (``fs.s3a.endpoint``: the session's Hadoop configuration takes it, for the
    inputs and Spark's readers); a setting fixed when Spark started (``spark.driver.memory``)
    must be the session's already, else :class:`CheckerError` says so."""
    with _running:
        yield from _held(session, conf or {})


def is_connect(session: SparkSession) -> bool:
    """Whether ``session`` is a Spark Connect client (Databricks serverless and shared clusters,
    ``SparkSession.builder.remote(...)``): it has no SparkContext, and the server may be another
    machine."""
    return type(session).__module__.startswith("pyspark.sql.connect")


def _held(session: SparkSession, conf: Mapping[str, str]) -> Iterator[None]:
    before: dict[str, Any] = {}
    wanted = dict(RUN_CONF)
    if not is_connect(session):  # a Connect client cannot see the cluster's cores: the server's setting
        cores = session.sparkContext.defaultParallelism
        wanted["spark.sql.shuffle.partitions"] = str(max(2, 2 * cores))
    for key, value in conf.items():
        wanted[key.removeprefix(HADOOP_PREFIX)] = value
    try:
        for key, value in wanted.items():
            current = session.conf.get(key, None)
            try:
                session.conf.set(key, value)
            except Exception as exc:
                if not spark_error(exc):
                    raise
                if current == value:  # fixed at start, to this value: nothing to hold
                    continue
                message = (
                    f"{key} is fixed when Spark starts, and the session runs with "
                    f"{current if current is not None else 'its default'}, not {value}: start Spark "
                    "with it (a new process, or spark-submit --conf), or leave it out"
                )
                raise CheckerError([Problem(Location("--spark-conf"), "spark-conf", message)]) from exc
            before[key] = current
    except BaseException:
        _restore(session, before)
        raise
    try:
        yield
    finally:
        _restore(session, before)


def _restore(session: SparkSession, before: Mapping[str, Any]) -> None:
    for key, value in before.items():
        if value is None:
            session.conf.unset(key)
        else:
            session.conf.set(key, value)
