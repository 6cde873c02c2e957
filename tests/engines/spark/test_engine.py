"""The Spark engine behind the command line and the library: the flags, a caller's session, the
accounting of bad input, and what it refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest
from sqlglot import exp

import checker
from checker.engines import RunOptions, get_engine
from checker.engines.base import EngineChoiceError, Inputs
from checker.engines.duckdb.compile import UnsupportedConstruct, compile_policy
from checker.engines.duckdb.portable import Macros, portable_plan
from checker.engines.spark import check_spark, session
from checker.engines.spark.engine import fx_columns
from checker.engines.spark.session import is_local, unknown_vm_options
from tests.conftest import FIXTURES, ROOT, run_cli

SAMPLE = ROOT / "examples" / "sample-events.jsonl"
NOW = "2026-01-01T00:00:00Z"


def test_cli_engine_spark_gives_the_reference_json_and_a_dataset(spark: Any, tmp_path: Path) -> None:
    """``--engine spark`` (on the session the tests share, the one this process has) writes the
    reference engine's JSON result byte for byte, and ``--output-dir`` the same findings."""
    common = [str(SAMPLE), "--now", NOW, "--format", "json", "-o"]
    code_py, _, _ = run_cli("check", *common, str(tmp_path / "py.json"), "--engine", "python")
    code_sp, _, err_sp = run_cli(
        "check",
        *common,
        str(tmp_path / "spark.json"),
        "--engine",
        "spark",
        "--spark-master",
        spark.sparkContext.master,
        "--output-dir",
        str(tmp_path / "out"),
    )
    assert (code_py, code_sp) == (1, 1), err_sp
    assert (tmp_path / "py.json").read_bytes() == (tmp_path / "spark.json").read_bytes()
    result = json.loads((tmp_path / "py.json").read_text("utf-8"))
    findings = ds.dataset(str(tmp_path / "out" / "findings"), partitioning="hive").to_table().to_pylist()
    assert len(findings) == result["summary"]["violations"] == 29
    assert sorted(f["fingerprint"] for f in findings) == sorted(f["fingerprint"] for f in result["findings"])
    outcomes = ds.dataset(str(tmp_path / "out" / "outcomes"), partitioning="hive").to_table().to_pylist()
    by_kind: dict[str, int] = {}
    for o in outcomes:
        by_kind[o["outcome"]] = by_kind.get(o["outcome"], 0) + 1
    assert by_kind == {k: v for k, v in result["summary"]["by_outcome"].items() if v}


@pytest.mark.parametrize("flag", [["--spark-master", "local[1]"], ["--spark-conf", "spark.driver.memory=1g"]])
def test_spark_flags_without_the_spark_engine_are_a_usage_error(flag: list[str]) -> None:
    code, _, err = run_cli("check", str(SAMPLE), "--engine", "python", *flag)
    assert code == 2
    assert f"{flag[0]} is for --engine spark" in err


def test_spark_conf_is_held_for_the_run_and_a_fixed_one_must_match(spark: Any) -> None:
    """``--spark-conf`` on a session that runs already: a setting Spark takes at run time is held
    for the check and put back; one fixed when Spark started is refused unless it is the session's."""
    master = spark.sparkContext.master
    memory = spark.conf.get("spark.driver.memory")
    partitions = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "64m")
    try:
        code, out, err = run_cli(
            "check",
            str(SAMPLE),
            "--now",
            NOW,
            "--engine",
            "spark",
            "--spark-master",
            master,
            "--spark-conf",
            "spark.sql.files.maxPartitionBytes=32m",
            "--spark-conf",
            f"spark.driver.memory={memory}",
            "--format",
            "json",
        )
        assert code == 1, err
        assert json.loads(out)["summary"]["violations"] == 29
        assert spark.conf.get("spark.sql.files.maxPartitionBytes") == "64m"
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    code, _, err = run_cli(
        "check",
        str(SAMPLE),
        "--engine",
        "spark",
        "--spark-master",
        master,
        "--spark-conf",
        "spark.driver.memory=7g",
    )
    assert code == 2
    assert (
        f"spark.driver.memory is fixed when Spark starts, and the session runs with {memory}, not 7g" in err
    )
    # the settings held before the refused one are put back too
    assert spark.conf.get("spark.sql.shuffle.partitions") == partitions
    code, _, err = run_cli("check", str(SAMPLE), "--engine", "spark", "--spark-conf", "nokey")
    assert code == 2 and "--spark-conf 'nokey': expected KEY=VALUE" in err


def test_a_second_master_in_one_process_is_refused(spark: Any) -> None:
    """A process holds one SparkContext: a check asking for another master says so, rather than
    running on the one there is."""
    policies = checker.load_policies([ROOT / "policies"])
    with pytest.raises(checker.CheckerError, match="already runs Spark on local\\[2\\], not local\\[1\\]"):
        check_spark(policies, [SAMPLE], master="local[1]", now=NOW)


def test_the_callers_session_keeps_its_time_zone(spark: Any) -> None:
    """A check sets the session time zone to UTC while it runs (the plans' instants are UTC) and
    puts the caller's back."""
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        policies = checker.load_policies([ROOT / "policies"])
        # through the library's one entry point, as docs/spark.md shows
        on_spark = checker.check(policies, [SAMPLE], engine="spark", spark=spark, now=NOW)
        assert spark.conf.get("spark.sql.session.timeZone") == "America/New_York"
        reference = checker.check(policies, [SAMPLE], now=NOW)
        assert on_spark.to_dict(all_outcomes=True) == reference.to_dict(all_outcomes=True)
    finally:
        spark.conf.unset("spark.sql.session.timeZone")


def test_bad_records_are_accounted_for_as_on_the_reference_engine(spark: Any, tmp_path: Path) -> None:
    """The intake is the DuckDB engine's: every record accepted, a duplicate, or rejected with its
    file and line, the same counts and rejects as the reference engine."""
    lines = SAMPLE.read_text("utf-8").splitlines()[:200]
    bad = [
        *lines[:50],
        "{not json",
        lines[10],  # a duplicate
        json.dumps({**json.loads(lines[20]), "event_id": "x-1", "timestamp": "yesterday"}),
        *lines[50:],
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(bad) + "\n", encoding="utf-8")
    policies = checker.load_policies([ROOT / "policies"])
    on_spark = check_spark(policies, [path], spark=spark, now=NOW)
    reference = checker.check(policies, [path], now=NOW)
    assert on_spark.batch.totals() == reference.batch.totals()
    assert on_spark.batch.totals()["rejected"] == 2
    assert [(r.file, r.line, r.code) for r in on_spark.batch.rejected] == [
        (r.file, r.line, r.code) for r in reference.batch.rejected
    ]
    assert on_spark.to_dict(all_outcomes=True) == reference.to_dict(all_outcomes=True)


def test_the_engine_refuses_parts_and_events_in_memory() -> None:
    engine = get_engine("spark")
    reason = engine.refuses(Inputs.of([SAMPLE]), RunOptions(parts=2))
    assert reason is not None and "--parts is for --engine python" in reason
    with pytest.raises(EngineChoiceError, match="--parts is for --engine python"):
        get_engine("spark", Inputs.of([SAMPLE]), RunOptions(parts=2))


def test_validate_names_the_spark_engine(tmp_path: Path) -> None:
    code, out, err = run_cli("validate", str(ROOT / "policies"), "--engine", "spark")
    assert code == 0, out + err


def test_a_failure_of_sparks_names_the_rule(spark: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spark refusing a statement is an error naming the rule and Spark's reason, and the run's
    views are gone after it (a caller's session is left as it was)."""
    from checker.engines.spark import engine as spark_engine

    monkeypatch.setattr(spark_engine, "spark_sql", lambda statement: "SELECT no_such_column FROM range(1)")
    policies = checker.load_policies([ROOT / "policies"])
    views_before = {t.name for t in spark.catalog.listTables() if t.isTemporary}
    with pytest.raises(checker.CheckerError, match=r"Spark failed while deciding [a-z.-]+: .*no_such_column"):
        check_spark(policies, [SAMPLE], spark=spark, now=NOW)
    assert {t.name for t in spark.catalog.listTables() if t.isTemporary} == views_before


def test_a_failing_rule_cancels_the_rule_in_flight(spark: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """When one rule fails, the Spark jobs of the other rule in flight are cancelled then, not left
    to run to their end, and the error the user reads is the failing rule's (not the cancelled
    one's, which comes first in the run's order)."""
    import dataclasses
    import threading

    from checker.engines.spark import engine as spark_engine
    from checker.engines.spark.session import spark_error

    policies = checker.load_policies([ROOT / "policies"])
    ids = sorted({p.id for p in policies.policies})[:2]
    two = dataclasses.replace(policies, policies=tuple(p for p in policies.policies if p.id in ids))
    long_one: list[str] = []
    ended: list[str] = []
    lock = threading.Lock()

    def run(self: Any, statement: Any, names: Any) -> None:
        with lock:
            first = not long_one
            if first:
                long_one.append(threading.current_thread().name)
        if first:  # a statement that takes minutes unless cancelled
            try:
                self.spark.sql("SELECT count(*) FROM range(0, 100000000000, 1, 2) WHERE id % 7 = 3").collect()
            except Exception as exc:
                cancelled = spark_error(exc) and "cancel" in str(exc).lower()
                ended.append("cancelled" if cancelled else f"failed: {str(exc)[:300]}")
                raise
            ended.append("ran to its end")
        tracker = self.spark.sparkContext.statusTracker()
        for _ in range(600):  # the other rule fails once the long job is running
            if tracker.getActiveJobsIds():
                break
            threading.Event().wait(0.1)
        self.spark.sql("SELECT no_such_column FROM range(1)").collect()

    monkeypatch.setattr(spark_engine.SparkRun, "_run", run)
    with pytest.raises(checker.CheckerError, match="no_such_column") as caught:
        check_spark(two, [SAMPLE], spark=spark, now=NOW)
    assert ended == ["cancelled"]
    assert len(caught.value.problems) == 1


def test_a_connect_server_that_does_not_answer_is_a_clear_error() -> None:
    """``--spark-master sc://...`` names a Spark Connect server; one that does not answer is exit 2
    at once (the Connect client alone retries for minutes)."""
    code, _, err = run_cli(
        "check", str(SAMPLE), "--engine", "spark", "--spark-master", "sc://127.0.0.1:1", "-q"
    )
    assert code == 2
    assert "Spark did not start on sc://127.0.0.1:1: nothing answers at 127.0.0.1:1" in err


def test_no_java_is_a_clear_error(tmp_path: Path) -> None:
    """Spark that cannot start (here JAVA_HOME names no Java) is exit 2 with what to change, in a
    process of its own (this one has its Spark)."""
    import os
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "checker", "check", str(SAMPLE), "--engine", "spark", "-q"],
        capture_output=True,
        text=True,
        env=dict(os.environ, JAVA_HOME=str(tmp_path / "no-java")),
        timeout=120,
    )
    assert run.returncode == 2
    assert "Spark did not start on local[*]" in run.stderr
    assert f"JAVA_HOME is {tmp_path / 'no-java'}, which holds no bin/java" in run.stderr
    assert "Traceback" not in run.stderr


def test_platform_exports_through_profiles(spark: Any) -> None:
    """The three sample platform exports (GBK CSV in two overlapping files, a gzip JSON array, a TSV
    with a byte order mark), each read through its profile: on Spark, the reference engine's
    result, inputs and rejects included."""
    exports = ROOT / "examples" / "exports"
    profiles = sorted((ROOT / "profiles").glob("*.yaml"))
    files = [
        *sorted((exports / "kuaishou").glob("*.csv")),
        *sorted((exports / "juhuasuan").glob("*.json.gz")),
        *sorted((exports / "aliexpress").glob("*.tsv")),
    ]
    assert len(files) == 4 and len(profiles) == 3
    policies = checker.load_policies([ROOT / "policies"])
    on_spark = checker.check(policies, files, profiles=profiles, engine="spark", spark=spark, now=NOW)
    reference = checker.check(policies, files, profiles=profiles, now=NOW)
    assert on_spark.to_dict(all_outcomes=True) == reference.to_dict(all_outcomes=True)
    assert on_spark.batch.totals() == reference.batch.totals()
    assert on_spark.to_dict()["summary"]["violations"] > 0
    assert {s.profile for s in on_spark.batch.inputs} == {
        "kuaishou-distribution",
        "taobao-juhuasuan",
        "aliexpress-affiliate",
    }


def test_spark_settings_are_for_the_spark_engine() -> None:
    with pytest.raises(EngineChoiceError, match="for engine='spark', not 'python'"):
        checker.check(ROOT / "policies", [SAMPLE], engine="python", spark_master="local[1]")


def test_a_local_session_runs_its_jvm_with_the_local_options(spark: Any) -> None:
    # the options reach the JVM (as spark.driver.defaultJavaOptions, set before it starts), not
    # only the session's settings: what the JVM was started with is what it runs with
    arguments = list(
        spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
    )
    assert "-XX:TieredStopAtLevel=1" in arguments
    assert "-XX:+UseParallelGC" in arguments
    # the client compiler alone reserves 48 MiB for compiled code, which a session running check
    # after check filled (the compiler then switched off): the options give it the usual 240
    pools = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getMemoryPoolMXBeans()
    [code] = [p for p in pools if p.getName() == "CodeCache"]
    assert code.getUsage().getMax() == 240 * 2**20
    assert unknown_vm_options(spark, session.LOCAL_JAVA_OPTIONS) == []
    assert unknown_vm_options(spark, "-Xss4m -XX:+UseParalelGC -XX:TieredStopAtLevel=1 -XX:Nope=3") == [
        "-XX:+UseParalelGC",
        "-XX:Nope=3",
    ]


def test_a_misspelled_jvm_option_stops_the_start(tmp_path: Path) -> None:
    """Spark starts its driver's JVM ignoring unknown ``-XX`` options: the checker asks the JVM
    for each one, and a misspelled one is exit 2 naming it (in a process of its own)."""
    import os
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "checker", "check", str(SAMPLE), "--engine", "spark", "-q"],
        capture_output=True,
        text=True,
        env=dict(os.environ, CHECKER_SPARK_JAVA_OPTIONS="-XX:TieredStopAtLevel=1 -XX:+UseParalelGC"),
        timeout=120,
    )
    assert run.returncode == 2, run.stderr
    assert "the JVM knows no option -XX:+UseParalelGC of CHECKER_SPARK_JAVA_OPTIONS" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("master", "local"),
    [
        ("local", True),
        ("local[2]", True),
        ("local[*]", True),
        ("local[4, 2]", True),
        ("local-cluster[2, 1, 1024]", False),
        ("spark://127.0.0.1:7077", False),
        ("yarn", False),
    ],
)
def test_only_a_driver_that_runs_the_tasks_takes_the_local_options(master: str, local: bool) -> None:
    assert is_local(master) is local


@pytest.mark.parametrize(
    "source", [ROOT / "policies", FIXTURES / "custom-policies"], ids=["catalogue", "custom"]
)
def test_each_rule_reads_its_own_paths_columns_of_the_events(source: Path) -> None:
    """The events reach Spark with a column per path: after :func:`fx_columns` no select from
    ``ev`` reads the array of every path, and the columns a rule reads are its paths' (no Spark:
    the statements' text)."""
    policies = checker.load_policies([source])
    assert not policies.problems
    plans = []
    for i, policy in enumerate(policies.policies):
        try:
            plans.append(compile_policy(policy, str(i), params=policy.defaults(), input_tz="Asia/Shanghai"))
        except UnsupportedConstruct:
            continue  # judged by the reference engine
    everything = sorted({p for plan in plans for p in plan.paths.read()})
    read = 0
    for plan in plans:
        own = {everything.index(p) + 1 for p in plan.paths.read()}
        for statement in portable_plan(plan, everything, as_of=0, macros=Macros(plan.zones)):
            query = fx_columns(statement.query.copy())
            for select in query.find_all(exp.Select):
                where = select.args.get("from_")
                if where is None or not isinstance(where.this, exp.Table) or where.this.name != "ev":
                    continue
                names = {c.name for c in select.find_all(exp.Column)}
                assert "fx" not in names, (plan.policy.id, statement.table)
                columns = {int(n[len("ck_fx") :]) for n in names if n.startswith("ck_fx")}
                assert columns == own, (plan.policy.id, statement.table, columns, own)
                read += bool(columns)
    assert read >= 5


_ENDS_ITS_JVM = """
import json, os, sys
import checker
from checker.engines.spark import check_spark
from pyspark import SparkContext

policies = checker.load_policies([sys.argv[1]])
result = check_spark(policies, [sys.argv[2]], master="local[1]", now=sys.argv[3], keep_session=False)
children = []
for entry in os.listdir("/proc"):
    try:
        with open(f"/proc/{entry}/stat") as fh:
            if entry.isdigit() and int(fh.read().rsplit(")", 1)[1].split()[1]) == os.getpid():
                children.append(entry)
    except OSError:
        pass
print(json.dumps({"gateway": SparkContext._gateway is not None, "children": children}))
print(json.dumps(result.to_dict(), sort_keys=True))
"""


@pytest.mark.slow
def test_a_check_that_need_not_keep_its_session_ends_the_jvm_before_the_findings(tmp_path: Path) -> None:
    """The command line's way (one check a process, ``keep_session=False``): the session the check
    started is stopped and its JVM has exited when the check returns, and the findings, built
    afterwards without Spark, are the reference engine's (in a process of its own: the tests'
    shared session must not be stopped)."""
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", _ENDS_ITS_JVM, str(ROOT / "policies"), str(SAMPLE), NOW],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    state, spark_result = (json.loads(line) for line in run.stdout.splitlines()[-2:])
    assert state == {"gateway": False, "children": []}
    reference = checker.check([ROOT / "policies"], [SAMPLE], engine="python", now=NOW)
    assert spark_result == json.loads(json.dumps(reference.to_dict(), sort_keys=True))
    assert spark_result["summary"]["violations"] == 29


class _FakeSession:
    """Stands for a session in :func:`session.close_session`'s bookkeeping (no Spark needed)."""

    def __init__(self, log: list[str], fails: bool = False) -> None:
        self.log, self.fails = log, fails

    def stop(self) -> None:
        self.log.append("stop")
        if self.fails:
            from py4j.protocol import Py4JNetworkError

            raise Py4JNetworkError("Answer from Java side is empty")


@pytest.mark.parametrize(
    ("closes", "log"),
    [
        # the check that started it ends first: the other check still runs on it
        ([True, False], ["stop", "jvm"]),
        ([False, True], ["stop", "jvm"]),
        # no check asked for a stop (a library caller's, kept)
        ([False, False], []),
    ],
)
def test_a_session_is_stopped_only_when_its_last_check_ends(
    monkeypatch: pytest.MonkeyPatch, closes: list[bool], log: list[str]
) -> None:
    from collections import Counter

    done: list[str] = []
    fake = _FakeSession(done)
    monkeypatch.setattr(session, "_started", {"local[9]": fake})
    monkeypatch.setattr(session, "_users", Counter({"local[9]": 2}))
    monkeypatch.setattr(session, "_stop_when_idle", set())
    monkeypatch.setattr(session, "is_connect", lambda s: False)
    monkeypatch.setattr(session, "_end_jvm", lambda: done.append("jvm"))
    session.close_session("local[9]", stop=closes[0])
    assert done == []  # one check still runs on it
    session.close_session("local[9]", stop=closes[1])
    assert done == log
    assert ("local[9]" in session._started) == (not log)


def test_a_spark_that_died_is_no_error_when_stopped_and_its_jvm_still_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The JVM killed for memory: stopping the session fails in py4j. The check's own error or
    result is what the user reads, so the stop does not raise, and the JVM is still ended."""
    from collections import Counter

    done: list[str] = []
    monkeypatch.setattr(session, "_started", {"local[9]": _FakeSession(done, fails=True)})
    monkeypatch.setattr(session, "_users", Counter({"local[9]": 1}))
    monkeypatch.setattr(session, "_stop_when_idle", set())
    monkeypatch.setattr(session, "is_connect", lambda s: False)
    monkeypatch.setattr(session, "_end_jvm", lambda: done.append("jvm"))
    session.close_session("local[9]", stop=True)
    assert done == ["stop", "jvm"]
