"""Run the product's Spark form of each captured plan on Spark SQL and compare decisions.

    cd <repo root>
    nice -n 19 python bench/spark_probe/run.py [--cap DIR] [RULE ...]

``--cap`` (default ``out/spark-probe/cap`` under the repository root) is what ``capture.py`` wrote
(capture.json, ev.parquet, dec_<tag>.parquet); RULE limits the run to those rule ids. For each
rule, every statement of its plan in the form :mod:`checker.engines.duckdb.portable` gives it
(``portable`` then ``spark_sql``: no rewriting here) is run and materialised as a temp view of
its table's name. The dec_<tag> rows are compared with DuckDB's (as a multiset of rows), and the
statements are run twice more for a warm time. Spark runs ``local[2]``, session time zone UTC,
ANSI mode as the Spark default. Writes each statement (``<table>.spark.sql``) and
``results.json`` to ``<cap>/spark/``; prints a summary table at the end and exits 1 if a rule
failed or its rows differ.
"""

from __future__ import annotations

import argparse
import collections
import decimal
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
from pyspark.sql import DataFrame, SparkSession

ROOT = Path(__file__).resolve().parents[2]

# set by start(): the capture and the Spark session
CAP = Path()
cap: dict[str, Any] = {}
spark: SparkSession

# ---------------------------------------------------------------------------------------------
# Spark


def spark_session(driver_memory: str, *, adaptive: bool = False) -> SparkSession:
    """The probe's Spark session: local[2], session time zone UTC (the plans' instants are UTC
    microseconds), two shuffle partitions, no UI, quiet logs."""
    builder = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", driver_memory)
        .config("spark.ui.enabled", "false")
        # Spark makes its warehouse folder at start, in the working directory unless told
        .config("spark.sql.warehouse.dir", str(ROOT / "out" / "spark-probe" / "spark-warehouse"))
    )
    if adaptive:
        builder = builder.config("spark.sql.adaptive.enabled", "true")
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("OFF")
    return session


def start(capdir: Path, driver_memory: str) -> None:
    """Load the capture and start Spark with ``ev`` cached."""
    global CAP, cap, spark
    CAP = capdir
    cap = json.loads((CAP / "capture.json").read_text())
    spark = spark_session(driver_memory, adaptive=True)
    print("spark", spark.version, "ansi", spark.conf.get("spark.sql.ansi.enabled"))
    spark.read.parquet(str(CAP / "ev.parquet")).createOrReplaceTempView("ev")
    spark.table("ev").cache().count()


def materialise_df(name: str, df: DataFrame) -> None:
    df = df.localCheckpoint(eager=True)
    df.createOrReplaceTempView(name)


def first_line(e: Exception) -> str:
    s = str(e).strip().splitlines()
    return (s[0] if s else repr(e))[:300]


def norm(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, decimal.Decimal)):
        d = decimal.Decimal(v)
        return int(d) if d == d.to_integral_value() else str(d.normalize())
    if isinstance(v, float):
        return int(v) if v.is_integer() and abs(v) < 2**63 else repr(v)
    if isinstance(v, (list, tuple)):
        return tuple(norm(x) for x in v)
    return v


def run_rule(rule: dict[str, Any], log_sql_dir: Path) -> dict[str, Any]:
    report: dict[str, Any] = {"rule": rule["rule"], "statements": []}
    for statement in rule["spark_statements"]:
        name, text = statement["table"], statement["sql"]
        (log_sql_dir / f"{name}.spark.sql").write_text(text)
        st: dict[str, Any] = {"table": name, "spark_chars": len(text), "seconds": None}
        t = time.perf_counter()
        try:
            materialise_df(name, spark.sql(text))
            st["ran"] = "ran"
        except Exception as e:
            st["ran"] = "failed: " + first_line(e)
        st["seconds"] = round(time.perf_counter() - t, 3)
        report["statements"].append(st)
        if st["ran"] != "ran":
            break  # every later statement reads the table this one did not make
    return report


def compare(tag: str) -> dict[str, Any]:
    name = f"dec_{tag}"
    d = duckdb.connect()
    dd = d.execute(f"SELECT * FROM '{CAP / (name + '.parquet')}'")
    dcols = [c[0] for c in dd.description]
    drows = dd.fetchall()
    sdf = spark.table(name)
    scols = sdf.columns
    out: dict[str, Any] = {"duckdb_rows": len(drows), "columns_equal": dcols == scols}
    if dcols != scols:
        out["columns"] = (dcols, scols)
        return out
    srows = [tuple(r) for r in sdf.collect()]
    out["spark_rows"] = len(srows)
    dc = collections.Counter(tuple(norm(v) for v in r) for r in drows)
    sc = collections.Counter(tuple(norm(v) for v in r) for r in srows)
    out["rows_equal"] = dc == sc
    if dc != sc:
        out["only_duckdb"] = [list(r) for r in list((dc - sc).elements())[:3]]
        out["only_spark"] = [list(r) for r in list((sc - dc).elements())[:3]]
        out["n_diff"] = (sum((dc - sc).values()), sum((sc - dc).values()))
    out["kinds"] = dict(collections.Counter(r[dcols.index("kind")] for r in drows))
    out["hard_rows"] = sum(1 for r in drows if r[dcols.index("hard")])
    return out


def rerun(rule: dict[str, Any]) -> None:
    for statement in rule["spark_statements"]:
        materialise_df(statement["table"], spark.sql(statement["sql"]))


def duckdb_plan_seconds(rule: dict[str, Any]) -> float:
    """DuckDB's time for the plan's own statements (the logged ones whose text is the plan's),
    without the engine's bookkeeping queries around them (version choice, not-applicable, hard)."""
    p = rule["plan_statements"][0]
    texts = {p["base"], *p["statements"].values()}
    return sum(s["s"] for s in rule["statements"] if s["sql"] in texts)


def summary(results: list[dict[str, Any]], rules: dict[str, dict[str, Any]]) -> bool:
    """Print one line per rule; true when every statement ran and the rule's rows equal DuckDB's."""
    head = f"{'rule':46} {'stmts':>5} {'ran':>5} {'rows':>5} {'equal':>5} {'spark first s':>13}"
    print(f"\n{head} {'spark warm s':>12} {'duckdb plan s':>13} {'duckdb rule s':>13}")
    all_ok = True
    for rep in results:
        sts = rep["statements"]
        n = len(rules[rep["rule"]]["spark_statements"])
        ran = sum(s["ran"] == "ran" for s in sts)
        cmp = rep.get("compare") or {}
        equal = bool(cmp.get("rows_equal"))
        all_ok &= equal and ran == n
        warm = rep.get("spark_seconds_warm")
        print(
            f"{rep['rule']:46} {n:5} {ran:5} {cmp.get('duckdb_rows', '-')!s:>5} "
            f"{'yes' if equal else 'NO':>5} {rep['spark_seconds_first']:13.3f} "
            f"{warm if warm is not None else '-'!s:>12} "
            f"{duckdb_plan_seconds(rules[rep['rule']]):13.3f} "
            f"{rep['duckdb_rule_seconds_incl_bookkeeping']:13.3f}"
        )
    print("all rules ran with equal rows:", all_ok)
    return all_ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=Path, default=ROOT / "out" / "spark-probe" / "cap")
    parser.add_argument("rules", nargs="*", metavar="RULE")
    parser.add_argument(
        "--warm-runs", type=int, default=2, help="further runs of each rule's statements (the last one timed)"
    )
    parser.add_argument("--driver-memory", default="2g", help="spark.driver.memory (local mode: all Spark)")
    args = parser.parse_args()
    # Spark logs each failing query's context through this Python logger; the failure is reported
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    start(args.cap, args.driver_memory)
    # rules with ASOF joins and the most rewrites first: the earliest to show a failure
    order = [
        "taobao.affiliate.close-without-reason",
        "aliexpress.affiliate.early-exit",
        "juhuasuan.insufficient-deposit",
        "kuaishou.distribution.unreviewed-cancel",
    ]
    rules = {r["rule"]: r for r in cap["rules"]}
    names = args.rules or [*order, *(r for r in rules if r not in order)]
    outdir = CAP / "spark"
    outdir.mkdir(exist_ok=True)
    results = []
    for rid in names:
        rule = rules[rid]
        print(f"== {rid}", flush=True)
        rep = run_rule(rule, outdir)
        ok = all(s["ran"] == "ran" for s in rep["statements"])
        if ok:
            rep["compare"] = compare(rule["tags"][0])
            # warm timing: the statements again (twice, take the second)
            times = []
            for _ in range(args.warm_runs):
                t = time.perf_counter()
                rerun(rule)
                times.append(time.perf_counter() - t)
            rep["spark_seconds_warm"] = round(times[-1], 3) if times else None
            rep["spark_seconds_runs"] = [round(x, 3) for x in times]
        rep["spark_seconds_first"] = round(sum(st["seconds"] for st in rep["statements"]), 3)
        rep["duckdb_rule_seconds_incl_bookkeeping"] = round(rule["duckdb_rule_seconds"], 3)
        for s in rep["statements"]:
            print("  ", s["table"], "|", s["ran"][:200], s["seconds"], "s")
        print("  compare:", json.dumps(rep.get("compare"), default=str)[:1500])
        print("  warm:", rep.get("spark_seconds_runs"), flush=True)
        results.append(rep)
        (outdir / "results.json").write_text(json.dumps(results, indent=1, default=str))
    ok = summary(results, rules)
    spark.stop()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
