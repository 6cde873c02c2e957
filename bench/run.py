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

and prints wall time, events per second, peak RSS (``wait4`` of that child)
and the ratio to the floor; then checks that both engines wrote the same
JSON result, byte for byte. Nothing here is a test: speed is measured, never asserted.

    python bench/run.py --events 1000000 10000000
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
    """Run ``argv`` under a small helper that reports the child's own peak RSS (``wait4``);
    with ``cap_gib``, the child's address space is capped (a MemoryError, not the OOM killer)."""
    cap = int(cap_gib * 2**30)
    helper = (
        "import json, os, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        f"cap = {cap}\n"
        "limit = (lambda: resource.setrlimit(resource.RLIMIT_AS, (cap, cap))) if cap else None\n"
        "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,\n"
        "                     preexec_fn=limit)\n"
        "err = p.stderr.read()\n"
        "_, status, ru = os.wait4(p.pid, 0)\n"
        "print(json.dumps({'wall': time.perf_counter() - t, 'rss_kb': ru.ru_maxrss,\n"
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "bench")
    parser.add_argument("--engines", nargs="+", default=["python", "duckdb"], choices=["python", "duckdb"])
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument(
        "--memory-cap-gib",
        type=float,
        default=0,
        help="cap each checker's address space (on a shared machine), 0: none",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    info = machine()
    print("machine: " + ", ".join(f"{k}={v}" for k, v in info.items()), flush=True)
    rows = []
    for n in args.events:
        path = dataset(n, args.seed, args.out)
        size = path.stat().st_size
        with open(path, "rb") as fh:
            lines = sum(1 for _ in fh)
        floor, floor_rss, _, _ = measure([sys.executable, "-c", FLOOR, str(path)], args.timeout)
        rows.append(
            {
                "events": lines,
                "bytes": size,
                "what": "duckdb scan (floor)",
                "seconds": floor,
                "rss_mib": floor_rss,
                "ratio": 1.0,
            }
        )
        print(
            f"{lines:>10} events  floor {floor:8.2f}s  {lines / floor:>12,.0f} ev/s  {floor_rss:8.0f} MiB",
            flush=True,
        )
        typed, typed_rss, _, _ = measure([sys.executable, "-c", TYPED, str(path)], args.timeout)
        rows.append(
            {
                "events": lines,
                "bytes": size,
                "what": "duckdb typed read of every field",
                "seconds": typed,
                "rss_mib": typed_rss,
                "ratio": typed / floor,
            }
        )
        print(
            f"{lines:>10} events  typed {typed:8.2f}s  {lines / typed:>12,.0f} ev/s  {typed_rss:8.0f} MiB"
            f"  x{typed / floor:.1f} the floor",
            flush=True,
        )
        results = {}
        for engine in args.engines:
            result = args.out / f"result-{engine}-{n}.json"
            result.unlink(missing_ok=True)
            wall, rss, code, text = measure(
                [
                    sys.executable,
                    "-m",
                    "checker",
                    "check",
                    str(path),
                    "--engine",
                    engine,
                    "-q",
                    "--format",
                    "json",
                    "-o",
                    str(result),
                ],
                args.timeout,
                args.memory_cap_gib,
            )
            if code not in (0, 1) or "Traceback" in text or not result.exists():
                print(f"  {engine}: failed ({code}) after {wall:.0f}s: {text[-600:]}", flush=True)
                rows.append({"events": lines, "what": f"checker --engine {engine}", "failed": text[-600:]})
                continue
            results[engine] = result
            rows.append(
                {
                    "events": lines,
                    "bytes": size,
                    "what": f"checker --engine {engine}",
                    "seconds": wall,
                    "rss_mib": rss,
                    "ratio": wall / floor,
                }
            )
            print(
                f"{lines:>10} events  {engine:>6} {wall:8.2f}s  {lines / wall:>12,.0f} ev/s  {rss:8.0f} MiB"
                f"  x{wall / floor:.1f} the floor",
                flush=True,
            )
        if len(results) == 2:
            same = _same_bytes(results["python"], results["duckdb"])
            print(f"  byte-identical JSON results from both engines: {same}", flush=True)
            rows.append({"events": lines, "what": "identical results", "same": same})
    info["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    (args.out / "results.json").write_text(json.dumps({"machine": info, "rows": rows}, indent=2))
    print("\n| events | run | seconds | events/s | peak RSS (MiB) | x floor |")
    print("|---:|---|---:|---:|---:|---:|")
    for r in rows:
        if "seconds" in r:
            rate = r["events"] / r["seconds"]
            print(
                f"| {r['events']:,} | {r['what']} | {r['seconds']:.2f} | {rate:,.0f} | "
                f"{r['rss_mib']:.0f} | {r['ratio']:.2f} |"
            )
    print(f"\nload average before/after: {info['load_before']} / {info['load_after']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
