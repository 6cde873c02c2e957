"""Benchmark: the Spark engine end to end on one export, beside the DuckDB engine on the same file.

    python bench/spark_run.py --events out/bench/events-2000000-seed7/events.jsonl \\
        --master 'local[2]' [--master 'local[1]'] [--cluster 2x1] [--no-duckdb]

For each master (``--cluster WxC`` starts a standalone cluster of W workers of C cores on
127.0.0.1 and uses it; each master runs in its own process, a process holding one SparkContext)
it runs ``check_spark`` over the file, then builds the JSON result, and prints:

* wall time of the check (session already started; the session's start is printed apart),
* events per second, peak RSS of the process and its children (the JVMs) sampled every 0.2 s,
* Spark's shuffle bytes written (all stages, from the status REST API) and per event,
* the seconds Spark spent in the rules (``SparkRun.decide``), against the rest (intake, findings).

Then the DuckDB engine on the same file in its own process, and whether the JSON results are
identical (they must be).

With ``--cli``, each master and the DuckDB engine also run end to end as a user runs them:
``checker check FILE --engine spark --spark-master M --format json -o OUT`` in a process of its
own, timed from its start (the JVM's start, the intake, the rules, the findings and the report
all included), its peak RSS that of the command and every process under it; those JSON reports
must be byte-identical too. Nothing here is a test: speed is measured, never asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def tree_rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and every descendant, in MiB (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


class Peak:
    """The peak of :func:`tree_rss_mib` of this process, sampled in a thread."""

    def __init__(self) -> None:
        self.peak = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stop.wait(0.2):
            self.peak = max(self.peak, tree_rss_mib(os.getpid()))

    def end(self) -> float:
        self.stop.set()
        self.thread.join()
        return self.peak


def shuffle_bytes(ui: str, app: str) -> int:
    """Shuffle bytes written by every stage of application ``app`` (Spark's status REST API)."""
    with urllib.request.urlopen(f"{ui}/api/v1/applications/{app}/stages") as r:
        stages = json.load(r)
    return sum(int(s.get("shuffleWriteBytes", 0)) for s in stages)


def one_spark(events: str, master: str, out: str, driver_memory: str) -> dict[str, Any]:
    """One check on ``master`` in this process (run as ``--child``)."""
    sys.path.insert(0, str(ROOT))
    import checker
    from checker.engines.spark import engine as spark_engine
    from checker.engines.spark import start_session

    peak = Peak()
    t = time.perf_counter()
    spark = start_session(
        master, {"spark.ui.enabled": "true", "spark.ui.port": "0", "spark.driver.memory": driver_memory}
    )
    started = time.perf_counter() - t
    decide = spark_engine.SparkRun.decide
    spent: dict[str, float] = {}

    def timed(self: Any, *args: Any, **kwargs: Any) -> None:
        t0 = time.perf_counter()
        try:
            decide(self, *args, **kwargs)
        finally:
            spent["rules"] = time.perf_counter() - t0

    spark_engine.SparkRun.decide = timed  # type: ignore[method-assign]
    policies = checker.load_policies([ROOT / "policies"])
    t = time.perf_counter()
    result = spark_engine.check_spark(policies, [events], spark=spark)
    text = json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=True)
    seconds = time.perf_counter() - t
    Path(out).write_text(text, encoding="utf-8")
    ui = spark.sparkContext.uiWebUrl
    shuffled = shuffle_bytes(ui, spark.sparkContext.applicationId) if ui else -1
    accepted = result.batch.totals()["accepted"]
    return {
        "master": master,
        "session_start_s": round(started, 1),
        "check_s": round(seconds, 1),
        "rules_on_spark_s": round(spent.get("rules", 0.0), 1),
        "events": accepted,
        "events_per_s": round(accepted / seconds),
        "peak_rss_mib": round(peak.end()),
        "shuffle_bytes": shuffled,
        "shuffle_bytes_per_event": round(shuffled / accepted, 1) if accepted else None,
        "sha256": hashlib.sha256(text.encode()).hexdigest()[:16],
    }


def one_duckdb(events: str, out: str) -> dict[str, Any]:
    """The DuckDB engine on the same file (run as ``--child``)."""
    sys.path.insert(0, str(ROOT))
    import checker
    from checker.engines.duckdb import check_duckdb

    peak = Peak()
    policies = checker.load_policies([ROOT / "policies"])
    t = time.perf_counter()
    result = check_duckdb(policies, [events])
    text = json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=True)
    seconds = time.perf_counter() - t
    Path(out).write_text(text, encoding="utf-8")
    accepted = result.batch.totals()["accepted"]
    return {
        "master": "duckdb engine",
        "check_s": round(seconds, 1),
        "events": accepted,
        "events_per_s": round(accepted / seconds),
        "peak_rss_mib": round(peak.end()),
        "sha256": hashlib.sha256(text.encode()).hexdigest()[:16],
    }


def one_cli(engine: str, events: str, master: str | None, out: str) -> dict[str, Any]:
    """``checker check`` end to end in a process of its own, as a user runs it (see the docstring)."""
    command = [sys.executable, "-m", "checker", "check", events, "--engine", engine, "--format", "json"]
    command += ["-o", out, "-q", *(["--spark-master", master] if master else [])]
    peak = 0.0
    t = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while process.poll() is None:
        peak = max(peak, tree_rss_mib(process.pid))
        time.sleep(0.2)
    seconds = time.perf_counter() - t
    _, errors = process.communicate()
    if process.returncode not in (0, 1):  # 1: violations found
        sys.exit(f"{command} failed ({process.returncode}):\n{errors[-4000:]}")
    data = Path(out).read_bytes()
    accepted = json.loads(data)["inputs"]["totals"]["accepted"]
    return {
        "master": f"command line, {engine}" + (f" {master}" if master else ""),
        "check_s": round(seconds, 1),
        "events": accepted,
        "events_per_s": round(accepted / seconds),
        "peak_rss_mib": round(peak),
        "sha256": hashlib.sha256(data).hexdigest()[:16],
    }


def child(argv: list[str]) -> list[str]:
    return [sys.executable, __file__, "--child", *argv]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events")
    parser.add_argument("--master", action="append", default=[])
    parser.add_argument("--cluster", action="append", default=[], metavar="WxC")
    parser.add_argument("--driver-memory", default="2g")
    parser.add_argument("--no-duckdb", action="store_true")
    parser.add_argument("--cli", action="store_true", help="also each run end to end as `checker check`")
    parser.add_argument("--child", nargs="*")
    parser.add_argument("--out", default=str(ROOT / "out" / "spark-bench"))
    args = parser.parse_args()
    if args.child is not None:
        kind, *rest = args.child
        row = one_duckdb(*rest) if kind == "duckdb" else one_spark(*rest)
        print("ROW " + json.dumps(row), flush=True)
        return
    if not args.events:
        parser.error("--events FILE is required")
    os.makedirs(args.out, exist_ok=True)
    rows = []

    def run(argv: list[str]) -> None:
        done = subprocess.run(child(argv), capture_output=True, text=True)
        found = [line[4:] for line in done.stdout.splitlines() if line.startswith("ROW ")]
        if done.returncode or not found:
            sys.exit(f"{argv} failed ({done.returncode}):\n{done.stderr[-4000:]}")
        rows.append(json.loads(found[-1]))
        print(json.dumps(rows[-1]), flush=True)

    for master in args.master:
        name = master.replace("[", "").replace("]", "").replace("*", "all")
        out = os.path.join(args.out, f"spark-{name}.json")
        run(["spark", args.events, master, out, args.driver_memory])
    for spec in args.cluster:
        from checker.engines.spark.standalone import StandaloneCluster

        workers, cores = (int(x) for x in spec.split("x"))
        with StandaloneCluster(workers=workers, cores=cores, memory="2g") as cluster:
            out = os.path.join(args.out, f"cluster-{spec}.json")
            run(["spark", args.events, cluster.master_url, out, "1g"])
            rows[-1]["master"] = f"standalone {spec} on 127.0.0.1"
    if not args.no_duckdb:
        run(["duckdb", args.events, os.path.join(args.out, "duckdb.json")])
    hashes = {r["sha256"] for r in rows}
    print(f"JSON results identical across {len(rows)} runs: {len(hashes) == 1}")
    if args.cli:
        ends = []
        for master in args.master:
            name = master.replace("[", "").replace("]", "").replace("*", "all")
            out = os.path.join(args.out, f"cli-spark-{name}.json")
            ends.append(one_cli("spark", args.events, master, out))
            print(json.dumps(ends[-1]), flush=True)
        if not args.no_duckdb:
            ends.append(one_cli("duckdb", args.events, None, os.path.join(args.out, "cli-duckdb.json")))
            print(json.dumps(ends[-1]), flush=True)
        same = len({r["sha256"] for r in ends}) == 1
        print(f"JSON reports identical across {len(ends)} command lines: {same}")
        rows += ends
    for r in rows:
        print(
            f"{r['master']:<32} {r['check_s']:>7.1f} s {r['events_per_s']:>9,} ev/s "
            f"{r['peak_rss_mib']:>6,} MiB  shuffle/event {r.get('shuffle_bytes_per_event', '-')}"
            f"  rules on Spark {r.get('rules_on_spark_s', '-')} s"
        )


if __name__ == "__main__":
    main()
