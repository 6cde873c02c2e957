"""Benchmark: both engines end to end over generated exports, beside DuckDB's plain scan.

For each size N it generates N events with the project's generator (seed 7,
kept under ``out/bench/`` and reused), then runs, each as its own process:

* the floor: ``SELECT count(*) FROM read_json(file)`` in DuckDB;
* beside it, DuckDB reading every field of every record, typed
  (``SELECT max(COLUMNS(*)::VARCHAR) FROM read_json(file)``): what parsing
  the data alone costs, which the floor (finding where records end) does not;
* ``python -m checker check FILE --engine python -q --format json -o ...`` (the
  reference engine; from 64 MiB of input it judges the file in parts on disk);
* the same with ``--engine duckdb``;
* the hand-written SQL baseline (``bench/handwritten.py``: the 15 catalogue rules written by hand
  in plain DuckDB SQL over one typed read, what the fast engine's target is stated against), whose
  violations must be the checker's, evidence included (``bench/handwritten_check.py``); and the
  same script with ``--exact-intake`` (numbered lines, each read as Python's json reads it, rejects
  with their line numbers: the checker's intake done by hand), whose violations are checked too;
* ``--engine duckdb`` over the same events as canonical CSV and as a GB18030 CSV with Chinese
  headers read through a profile (``bench/exports.py`` writes both beside the JSON Lines file);

and prints wall time, events per second, peak RSS (``wait4`` of that child)
and the ratios to the floor and to the typed read; then checks that both engines wrote the same
JSON result, byte for byte, and that the CSV and GB18030 runs found the same findings (rule,
version, event, outcome) as the JSON Lines run. Nothing here is a test: speed is measured, never
asserted.

    python bench/run.py --events 1000000 10000000

The reference engine runs only up to ``--reference-up-to`` events (default 2,000,000).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from exports import write_exports
from handwritten_check import load_baseline, load_product

ROOT = Path(__file__).resolve().parent.parent
FLOOR = (
    "import duckdb, sys; "
    "print(duckdb.sql('SELECT count(*) FROM read_json(?)', params=[sys.argv[1]]).fetchall()[0][0])"
)
# not the floor the issue names, a second reference beside it: the same reader made to type and
# read every field of every record (count(*) only finds where records end), so that a checker's
# ratio can be read against what parsing the data alone costs DuckDB
TYPED = (
    "import duckdb, sys; "
    "print(duckdb.sql('SELECT max(COLUMNS(*)::VARCHAR) FROM read_json(?)', params=[sys.argv[1]])"
    ".fetchall()[0][0])"
)


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        (
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "0",
    )
    import duckdb

    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": f"{int(mem) / 1024 / 1024:.1f} GiB",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def timed(argv: list[str], timeout: float) -> tuple[float, int, int, str]:
    """(wall seconds, peak RSS in MiB, exit code, stdout) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return float("nan"), 0, -1, "timeout"
    wall = time.perf_counter() - start
    # the child has been reaped by communicate(); its usage is in RUSAGE_CHILDREN deltas, so
    # each measured run is started from a fresh helper that reports its own child's peak
    return wall, 0, proc.returncode, out.decode() + err.decode()[-2000:]


def measure(argv: list[str], timeout: float, cap_gib: float = 0) -> tuple[float, float, int, str]:
    """Run ``argv`` under a small helper that reports the child's peak memory: the larger of its
    peak RSS (``wait4``: the largest of it and the processes it waited for) and the peak, sampled
    every 0.5 s while it has children, of the proportional set size (PSS) summed over it and them
    (reading a process's PSS walks its pages: 18 ms for 1.4 GiB, too dear to do more often). The
    DuckDB engine builds findings in forked processes, which share most of their pages with their
    parent: summing their RSS would count those pages twice, PSS counts each page once, shared
    out between the processes mapping it. With ``cap_gib``, the child's address space is capped
    (a MemoryError, not the OOM killer)."""
    cap = int(cap_gib * 2**30)
    helper = (
        "import json, os, resource, subprocess, sys, threading, time\n"
        "t = time.perf_counter()\n"
        f"cap = {cap}\n"
        "limit = (lambda: resource.setrlimit(resource.RLIMIT_AS, (cap, cap))) if cap else None\n"
        "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,\n"
        "                     preexec_fn=limit)\n"
        "def tree(pid):\n"
        "    found = [pid]\n"
        "    try:\n"
        "        for task in os.listdir(f'/proc/{pid}/task'):\n"
        "            with open(f'/proc/{pid}/task/{task}/children') as fh:\n"
        "                for child in fh.read().split():\n"
        "                    found += tree(int(child))\n"
        "    except OSError:\n"
        "        pass\n"
        "    return found\n"
        "def pss(pid):\n"
        "    try:\n"
        "        with open(f'/proc/{pid}/smaps_rollup') as fh:\n"
        "            return next((int(l.split()[1]) for l in fh if l.startswith('Pss:')), 0)\n"
        "    except OSError:\n"
        "        return 0\n"
        "peak, done = [0], threading.Event()\n"
        "def sample():\n"
        "    while not done.wait(0.5):\n"
        "        pids = tree(p.pid)\n"
        "        if len(pids) > 1:  # alone, its own peak RSS says it\n"
        "            peak[0] = max(peak[0], sum(pss(q) for q in pids))\n"
        "threading.Thread(target=sample, daemon=True).start()\n"
        "err = p.stderr.read()\n"
        "_, status, ru = os.wait4(p.pid, 0)\n"
        "done.set()\n"
        "print(json.dumps({'wall': time.perf_counter() - t, 'rss_kb': max(ru.ru_maxrss, peak[0]),\n"
        "  'code': os.waitstatus_to_exitcode(status), 'out': '', 'err': err.decode()[-1500:]}))\n"
    )
    _, _, code, text = timed([sys.executable, "-c", helper, *argv], timeout)
    if code != 0:
        return float("nan"), 0.0, code, text
    report = json.loads(text.splitlines()[-1])
    return report["wall"], report["rss_kb"] / 1024, report["code"], report["out"] + report["err"]


def _same_bytes(a: Path, b: Path) -> bool:
    """Whether two files hold the same bytes (read in blocks: results run to gigabytes)."""
    if a.stat().st_size != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while block := fa.read(1 << 22):
            if block != fb.read(1 << 22):
                return False
    return True


def dataset(n: int, seed: int, base: Path) -> Path:
    """The generated export of ``n`` events (made once, reused)."""
    out = base / f"events-{n}-seed{seed}"
    path = out / "events.jsonl"
    if not path.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "checker.generator",
                "--events",
                str(n),
                "--seed",
                str(seed),
                "-o",
                str(out),
            ],
            check=True,
            cwd=ROOT,
        )
    return path


def _findings(result: Path) -> list[tuple[Any, ...]]:
    """What a JSON result found, without where (file names and line numbers differ by form)."""
    document = json.loads(result.read_text(encoding="utf-8"))
    return sorted(
        (f["rule_id"], f.get("rule_version", f.get("version")), f["event_id"], f.get("outcome"))
        for f in document["findings"]
    )


#: the references a run's time is divided by in the table: DuckDB's typed read, the hand-written
#: SQL, the JSON Lines run of the same events
REFS = ("typed", "hand", "jsonl")


def _row(
    rows: list[dict[str, Any]], lines: int, what: str, seconds: float, rss: float, **refs: float
) -> None:
    rows.append({"events": lines, "what": what, "seconds": seconds, "rss_mib": rss, **refs})
    ratios = "  ".join(f"x{seconds / v:.1f} {k}" for k, v in refs.items())
    print(
        f"{lines:>10} events  {what:<44} {seconds:8.2f}s  {lines / seconds:>10,.0f} ev/s"
        f"  {rss:6.0f} MiB  {ratios}"
    )


def _check(
    args: argparse.Namespace, inputs: list[str], engine: str, result: Path
) -> tuple[float, float, str | None]:
    """One ``checker check`` run as its own process: wall seconds, peak RSS, and why it failed."""
    result.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "checker", "check", *inputs, "--engine", engine, "-q", "--format", "json"]
    wall, rss, code, text = measure([*argv, "-o", str(result)], args.timeout, args.memory_cap_gib)
    if code not in (0, 1) or "Traceback" in text or not result.exists():
        return wall, rss, f"failed ({code}) after {wall:.0f}s: {text[-600:]}"
    return wall, rss, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "bench")
    parser.add_argument("--engines", nargs="+", default=["python", "duckdb"], choices=["python", "duckdb"])
    parser.add_argument(
        "--forms",
        nargs="*",
        default=["csv", "gb18030"],
        choices=["csv", "gb18030"],
        help="the other input forms timed on --engine duckdb (none: only JSON Lines)",
    )
    parser.add_argument(
        "--timezones",
        nargs="*",
        default=[],
        help="run --engine duckdb over the JSON Lines export again with each --timezone (its naive "
        "timestamps read there: a zone with daylight saving time, say America/New_York)",
    )
    parser.add_argument(
        "--reference-up-to",
        type=int,
        default=2_000_000,
        help="run --engine python only at sizes up to this many events (it takes minutes beyond)",
    )
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument(
        "--memory-cap-gib",
        type=float,
        default=0,
        help="cap the address space of each checker process and each it forks (shared machine), 0: none",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    info = machine()
    print("machine: " + ", ".join(f"{k}={v}" for k, v in info.items()), flush=True)
    rows: list[dict[str, Any]] = []
    for n in args.events:
        path = dataset(n, args.seed, args.out)
        with open(path, "rb") as fh:
            lines = sum(1 for _ in fh)
        floor, floor_rss, _, _ = measure([sys.executable, "-c", FLOOR, str(path)], args.timeout)
        _row(rows, lines, "duckdb scan (floor)", floor, floor_rss, floor=floor)
        typed, typed_rss, _, _ = measure([sys.executable, "-c", TYPED, str(path)], args.timeout)
        _row(rows, lines, "duckdb typed read of every field", typed, typed_rss, floor=floor, typed=typed)
        baseline = args.out / f"handwritten-{n}.jsonl"
        hand_argv = [sys.executable, str(ROOT / "bench" / "handwritten.py"), str(path), "-o", str(baseline)]
        hand_wall, hand_rss, code, text = measure(hand_argv, args.timeout)
        hand = {"hand": hand_wall} if code == 0 else {}  # the reference the checker runs divide by
        if code != 0:
            print(f"  hand-written SQL: failed ({code}): {text[-600:]}", flush=True)
        else:
            _row(rows, lines, "hand-written SQL, 15 rules", hand_wall, hand_rss, floor=floor, typed=typed)
        # the same with the checker's line-level accounting (--exact-intake): what a by-hand job pays
        # to number lines and to read each as Python's json does
        exact = args.out / f"handwritten-exact-{n}.jsonl"
        exact_wall, exact_rss, code, text = measure(
            [*hand_argv[:3], "-o", str(exact), "--exact-intake"], args.timeout
        )
        if code != 0:
            print(f"  hand-written SQL, exact intake: failed ({code}): {text[-600:]}", flush=True)
            exact = None
        else:
            label = "hand-written SQL, exact intake"
            _row(rows, lines, label, exact_wall, exact_rss, floor=floor, typed=typed, **hand)
        results = {}
        for engine in args.engines:
            if engine == "python" and n > args.reference_up_to:
                continue
            result = args.out / f"result-{engine}-{n}.json"
            wall, rss, failed = _check(args, [str(path)], engine, result)
            if failed:
                print(f"  {engine}: {failed}", flush=True)
                rows.append({"events": lines, "what": f"checker --engine {engine}", "failed": failed})
                continue
            results[engine] = (result, wall)
            _row(rows, lines, f"checker --engine {engine}", wall, rss, floor=floor, typed=typed, **hand)
        if results and hand:
            mine, (theirs, _, _) = load_baseline(baseline), load_product(next(iter(results.values()))[0])
            same = mine == theirs
            print(f"  hand-written SQL found the checker's violations, evidence included: {same}", flush=True)
            rows.append({"events": lines, "what": "hand-written SQL as the checker", "same": same})
        if results and exact is not None:
            same = load_baseline(exact) == load_product(next(iter(results.values()))[0])[0]
            print(f"  the hand-written SQL with the exact intake found them too: {same}", flush=True)
            rows.append(
                {"events": lines, "what": "hand-written SQL, exact intake, as the checker", "same": same}
            )
        if len(results) == 2:
            same = _same_bytes(results["python"][0], results["duckdb"][0])
            print(f"  byte-identical JSON results from both engines: {same}", flush=True)
            rows.append({"events": lines, "what": "identical results", "same": same})
        for tz in args.timezones if "duckdb" in results else ():
            label = f"checker --engine duckdb, --timezone {tz}"
            result = args.out / f"result-duckdb-{tz.replace('/', '-')}-{n}.json"
            wall, rss, failed = _check(args, [str(path), "--timezone", tz], "duckdb", result)
            if failed:
                print(f"  {tz}: {failed}", flush=True)
                rows.append({"events": lines, "what": label, "failed": failed})
                continue
            _row(rows, lines, label, wall, rss, typed=typed, **hand, jsonl=results["duckdb"][1])
        if args.forms and "duckdb" in results:
            csv_path, zh_path, profile = write_exports(path)
            forms = {
                "csv": ("canonical CSV", [str(csv_path)]),
                "gb18030": ("GB18030 CSV via a profile", [str(zh_path), "--profile", str(profile)]),
            }
            jsonl_result, jsonl_wall = results["duckdb"]
            for form in args.forms:
                label, inputs = forms[form]
                result = args.out / f"result-duckdb-{form}-{n}.json"
                wall, rss, failed = _check(args, inputs, "duckdb", result)
                if failed:
                    print(f"  {form}: {failed}", flush=True)
                    rows.append(
                        {"events": lines, "what": f"checker --engine duckdb, {label}", "failed": failed}
                    )
                    continue
                _row(
                    rows,
                    lines,
                    f"checker --engine duckdb, {label}",
                    wall,
                    rss,
                    typed=typed,
                    **hand,
                    jsonl=jsonl_wall,
                )
                same = _findings(result) == _findings(jsonl_result)
                print(f"  {label}: the same findings as the JSON Lines run: {same}", flush=True)
                rows.append({"events": lines, "what": f"{form} findings as JSON Lines", "same": same})
    info["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    (args.out / "results.json").write_text(json.dumps({"machine": info, "rows": rows}, indent=2))
    print(
        "\n| events | run | seconds | events/s | peak RSS (MiB) | x typed read | x hand-written "
        "| x JSON Lines |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if "seconds" in r:
            rate = r["events"] / r["seconds"]
            ratios = [f"{r['seconds'] / r[k]:.2f}" if k in r else "" for k in REFS]
            print(
                f"| {r['events']:,} | {r['what']} | {r['seconds']:.2f} | {rate:,.0f} | "
                f"{r['rss_mib']:.0f} | {' | '.join(ratios)} |"
            )
    print(f"\nload average before/after: {info['load_before']} / {info['load_after']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
