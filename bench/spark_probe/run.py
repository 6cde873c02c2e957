"""Run the DuckDB engine's captured plans on Spark SQL, statement by statement, and compare decisions.

    cd <repo root>
    nice -n 19 python bench/spark_probe/run.py [--cap DIR] [RULE ...]

``--cap`` (default ``out/spark-probe/cap`` under the repository root) is what ``capture.py`` wrote
(capture.json, ev.parquet, dec_<tag>.parquet); RULE limits the run to those rule ids. For each
rule, every statement of its plan (base, candidate/reduced tables, hk, dec) is first transpiled
as is (sqlglot duckdb -> spark) and tried; then rewritten (the transforms below, on the sqlglot
tree) and run. Each CREATE TABLE becomes a materialised temp view (harness, not a rewrite of the
plan's logic). The dec_<tag> rows are compared with DuckDB's (as a multiset of rows), and the
rewritten statements are run twice more for a warm time. Spark runs ``local[2]``, session time
zone UTC, ANSI mode as the Spark default. Writes each rewritten statement
(``<table>.spark.sql``) and ``results.json`` to ``<cap>/spark/``; prints a summary table at the
end and exits 1 if a rule failed or its rows differ.
"""

from __future__ import annotations

import argparse
import collections
import decimal
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from pyspark.sql import DataFrame, SparkSession
from sqlglot import exp

ROOT = Path(__file__).resolve().parents[2]

# set by start(): the capture, its as-of instant and macros, and the Spark session
CAP = Path()
cap: dict[str, Any] = {}
AS_OF = 0
MACROS: dict[str, tuple[str, exp.Expression]] = {}
spark: SparkSession

# ---------------------------------------------------------------------------------------------
# rewrites (each counts how often it fired, per statement)

HITS: collections.Counter[str] = collections.Counter()


def P(text: str) -> exp.Expression:
    """A Spark-dialect fragment with {name} holes (column placeholders __h_name)."""
    return sqlglot.parse_one(text.replace("{", "__h_").replace("}", ""), read="spark")


def fill(tree: exp.Expression, **subs: exp.Expression) -> exp.Expression:
    tree = tree.copy()

    def put(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Column) and not n.table and n.name.startswith("__h_"):
            return exp.paren(subs[n.name[4:]].copy(), copy=False)
        return n

    return tree.transform(put)


# DuckDB's json_type of a JSON text (as DuckDB serialises it: no surrounding space), exactly:
# non-negative integers up to 2^64-1 are UBIGINT, negative ones down to -2^63 BIGINT, other
# numbers DOUBLE (checked against DuckDB on every fx value of the export and on edge cases)
JSON_TYPE = P(
    "CASE WHEN {j} IS NULL THEN NULL "
    "WHEN left({j}, 1) = '\"' THEN 'VARCHAR' WHEN left({j}, 1) = '{' THEN 'OBJECT' "
    "WHEN left({j}, 1) = '[' THEN 'ARRAY' WHEN {j} IN ('true', 'false') THEN 'BOOLEAN' "
    "WHEN {j} = 'null' THEN 'NULL' "
    "WHEN {j} RLIKE '^-[0-9]+$' AND try_cast({j} AS BIGINT) IS NOT NULL THEN 'BIGINT' "
    "WHEN {j} RLIKE '^[0-9]+$' AND try_cast({j} AS DECIMAL(38, 0)) <= 18446744073709551615 THEN 'UBIGINT' "
    "ELSE 'DOUBLE' END".replace("'{'", "chr(123)")  # a literal brace would read as a hole
)
# measured by edge_cases.py and not used: schema_of_variant names other types (DECIMAL, VOID)
JSON_TYPE_VARIANT = P("schema_of_variant(parse_json({j}))")
# DuckDB ``j ->> '$'``: a JSON string's text (unescaped); NULL for JSON null; other values' JSON
# (built as anonymous calls: sqlglot's Spark generator drops parse_json, taking it for a no-op)
STR_OF_JSON = exp.Anonymous(
    this="variant_get",
    expressions=[
        exp.Anonymous(this="parse_json", expressions=[exp.column("__h_j")]),
        exp.Literal.string("$"),
        exp.Literal.string("string"),
    ],
)
# DuckDB to_json(x) of a scalar: its JSON text; NULL stays NULL
# to_json(named_struct('v', x)) is '{"v":<json>}': the text between 6th char and the last
TO_JSON = P(
    "CASE WHEN {x} IS NULL THEN NULL ELSE substr(to_json(named_struct('v', {x})), 6, "
    "length(to_json(named_struct('v', {x}))) - 6) END"
)
ISFINITE = P("abs({x}) < double('Infinity')")


def load_macros() -> dict[str, tuple[str, exp.Expression]]:
    out = {}
    for text in cap["macros"]:
        t = sqlglot.parse_one(text, read="duckdb")
        udf = t.this
        out[udf.this.name.lower()] = (udf.expressions[0].name, t.expression)
    return out


def inline_macros(tree: exp.Expression) -> exp.Expression:
    """Replace every call of a ck_* macro by its body, argument substituted (recursively)."""

    def put(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Anonymous) and n.name.lower() in MACROS:
            param, body = MACROS[n.name.lower()]
            arg = n.expressions[0]
            HITS["macro " + n.name.lower().rsplit("_", 1)[0]] += 1

            def sub(m: exp.Expression) -> exp.Expression:
                if isinstance(m, exp.Column) and not m.table and m.name == param:
                    return exp.paren(arg.copy(), copy=False)
                return m

            return inline_macros(body.copy().transform(sub))
        return n

    return tree.transform(put)


def lambda_once(tree: exp.Expression) -> exp.Expression:
    """list_transform([v], lambda x: body)[1] (the macros' bind-once form) -> body with x := v.

    It never fires as written: sqlglot stores DuckDB's 1-based ``[1]`` as index 0, so the test on
    ``"1"`` fails and the form reaches Spark as ``transform(array(v), x -> body)[0]``, which Spark
    runs. Kept as it was measured (README.md, pitfalls)."""

    def put(n: exp.Expression) -> exp.Expression:
        if (
            isinstance(n, exp.Bracket)
            and isinstance(n.this, (exp.Transform, exp.Anonymous))
            and len(n.expressions) == 1
            and n.expressions[0].name == "1"
        ):
            f = n.this
            if isinstance(f, exp.Anonymous) and f.name.lower() != "list_transform":
                return n
            arr, lam = (f.this, f.expression) if isinstance(f, exp.Transform) else f.expressions
            if isinstance(arr, exp.Array) and len(arr.expressions) == 1 and isinstance(lam, exp.Lambda):
                name = lam.expressions[0].name
                v = arr.expressions[0]
                HITS["list_transform once-lambda"] += 1

                def sub(m: exp.Expression) -> exp.Expression:
                    if isinstance(m, exp.Column) and not m.table and m.name == name:
                        return exp.paren(v.copy(), copy=False)
                    return m

                return lambda_once(lam.this.copy().transform(sub))
        return n

    return tree.transform(put)


def scalar_rewrites(tree: exp.Expression) -> exp.Expression:
    def put(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Anonymous):
            name = n.name.lower()
            if name == "getvariable":
                HITS["getvariable('ck_as_of') -> literal"] += 1
                return exp.Literal.number(AS_OF)
            if name == "list_extract":
                HITS["list_extract -> element_at"] += 1
                arr, idx = n.expressions
                if not isinstance(idx, exp.Literal):  # Spark's element_at takes an INT index
                    HITS["list_extract index -> CAST(.. AS INT)"] += 1
                    idx = exp.cast(idx, "INT")
                return exp.Anonymous(this="element_at", expressions=[arr, idx])
            if name == "isfinite":
                HITS["isfinite -> abs(x) < inf"] += 1
                return fill(ISFINITE, x=n.expressions[0])
            if name == "to_json":
                HITS["to_json -> to_json(named_struct) text"] += 1
                return fill(TO_JSON, x=n.expressions[0])
            if name == "to_months":
                HITS["to_months -> make_ym_interval"] += 1
                return exp.Anonymous(
                    this="make_ym_interval", expressions=[exp.Literal.number(0), n.expressions[0]]
                )
            if name == "to_days":
                HITS["to_days -> make_dt_interval"] += 1
                return exp.Anonymous(this="make_dt_interval", expressions=[n.expressions[0]])
            if name == "suffix":
                HITS["suffix -> endswith"] += 1
                return exp.Anonymous(this="endswith", expressions=n.expressions)
            if name == "epoch_us":
                HITS["epoch_us -> unix_micros(CAST(x AS TIMESTAMP))"] += 1
                return fill(P("unix_micros(CAST({x} AS TIMESTAMP))"), x=n.expressions[0])
        if isinstance(n, exp.JSONType):
            HITS["json_type -> text classifier"] += 1
            return fill(JSON_TYPE, j=n.this)
        if isinstance(n, exp.JSONExtractScalar):
            path = n.expression
            if path.sql(dialect="duckdb") == "'$'":
                HITS["->> '$' -> variant_get(parse_json, string)"] += 1
                return fill(STR_OF_JSON, j=n.this)
        if isinstance(n, exp.RegexpFullMatch):
            HITS["regexp_full_match -> RLIKE ^(?:..)$"] += 1
            pat = n.expression
            assert isinstance(pat, exp.Literal)
            return exp.RegexpLike(this=n.this, expression=exp.Literal.string(f"^(?:{pat.this})$"))
        if isinstance(n, exp.DataType):
            if n.this in (exp.DataType.Type.INT128,):
                HITS["HUGEINT -> DECIMAL(38,0)"] += 1
                return exp.DataType.build("DECIMAL(38, 0)")
            if n.this == exp.DataType.Type.JSON:
                HITS["JSON -> STRING"] += 1
                return exp.DataType.build("STRING")
            if (
                n.this == exp.DataType.Type.ARRAY
                and n.expressions
                and n.expressions[0].this == exp.DataType.Type.JSON
            ):
                HITS["JSON[] -> ARRAY<STRING>"] += 1
                return exp.DataType.build("ARRAY<STRING>", dialect="spark")
        return n

    return postorder(tree, put)


def postorder(tree: exp.Expression, fn: Callable[[exp.Expression], exp.Expression]) -> exp.Expression:
    """Apply ``fn`` children first (a node sees its rewritten arguments)."""
    nodes = list(tree.dfs())
    for n in reversed(nodes):
        new = fn(n)
        if new is not n:
            if n is tree:
                tree = new
            else:
                n.replace(new)
    return tree


def asof_rewrite(select: exp.Select, materialise: Callable[[exp.Expression], str]) -> exp.Select:
    """``FROM (left) AS la ASOF LEFT JOIN red AS r ON keys AND la.x <op> r.ts`` -> a LEFT JOIN on
    the probe's eid with the match found by a window over the union of probes and candidates:
    strictly before = RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING over integer microseconds,
    the max of a struct(ts, eid, ...) (ts unique per key in the reduced table)."""
    joins = select.args.get("joins") or []
    src = select.args["from_"].this
    for j in joins:
        if j.args.get("method") != "ASOF":
            continue
        HITS["ASOF LEFT JOIN -> window over union"] += 1
        la = src.alias
        r_alias = j.this.alias
        r_table = j.this.this.name
        conds = list(j.args["on"].flatten()) if isinstance(j.args["on"], exp.And) else [j.args["on"]]
        conds = [c.unnest() for c in conds]
        keys, ineq = [], None
        for c in conds:
            if isinstance(c, exp.EQ):
                keys.append(c.this.name)
            else:
                ineq = c
        assert ineq is not None
        # normalise to: probe_col OP r.ts
        if ineq.expression.table == r_alias or (
            isinstance(ineq.expression, exp.Column) and ineq.expression.name == "ts" and ineq.this.table == la
        ):
            probe, op = ineq.this.name, type(ineq).__name__
        else:
            raise ValueError(ineq.sql())
        frame, agg = {
            "GT": ("RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING", "max"),  # r.ts < x
            "GTE": ("RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW", "max"),  # r.ts <= x
            "LT": ("RANGE BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING", "min"),  # r.ts > x
            "LTE": ("RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING", "min"),  # r.ts >= x
        }[op]
        # the layer so far, materialised once (a second ASOF join of the same SELECT, as a count's
        # two ends, probes the table the first one made)
        left_name = src.name if isinstance(src, exp.Table) else materialise(src.this)
        rcols = [c for c in spark_columns(r_table) if c not in keys and c != "ts"]
        ks = ", ".join(f"`{k}`" for k in keys)
        struct = ", ".join(["ts"] + [f"`{c}`" for c in rcols])
        nulls = ", ".join(f"NULL AS `{c}`" for c in rcols)
        rsel = ", ".join(f"`{c}`" for c in rcols)
        fields = ", ".join(["m.ts AS ts"] + [f"m.`{c}` AS `{c}`" for c in rcols])
        q = f"""SELECT pid, {ks}, {fields} FROM (
          SELECT is_probe, pid, {ks}, {agg}(CASE WHEN NOT is_probe THEN struct({struct}) END)
            OVER (PARTITION BY {ks} ORDER BY t {frame}) AS m
          FROM (SELECT true AS is_probe, eid AS pid, {ks}, CAST(`{probe}` AS BIGINT) AS t,
                  CAST(NULL AS BIGINT) AS ts, {nulls}
                FROM {left_name} WHERE `{probe}` IS NOT NULL
                UNION ALL SELECT false, NULL, {ks}, ts, ts, {rsel} FROM {r_table})
        ) WHERE is_probe"""
        sub = sqlglot.parse_one(q, read="spark")
        select.set(
            "from_",
            exp.From(
                this=exp.Table(
                    this=exp.to_identifier(left_name), alias=exp.TableAlias(this=exp.to_identifier(la))
                )
            ),
        )
        j.set("method", None)
        j.set("this", exp.Subquery(this=sub, alias=exp.TableAlias(this=exp.to_identifier(r_alias))))
        j.set("on", sqlglot.parse_one(f"{r_alias}.pid = {la}.eid", read="spark"))
        src = select.args["from_"].this
    return select


def all_asof(tree: exp.Expression, materialise: Callable[[exp.Expression], str]) -> exp.Expression:
    # innermost first: a join's left side may itself hold an ASOF join
    for s in reversed(list(tree.find_all(exp.Select))):
        if any(j.args.get("method") == "ASOF" for j in s.args.get("joins") or []):
            asof_rewrite(s, materialise)
    return tree


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


def start(capdir: Path) -> None:
    """Load the capture and start Spark with ``ev`` cached."""
    global CAP, cap, AS_OF, MACROS, spark
    CAP = capdir
    cap = json.loads((CAP / "capture.json").read_text())
    AS_OF = cap["as_of"]
    MACROS = load_macros()
    spark = spark_session("2g", adaptive=True)
    print("spark", spark.version, "ansi", spark.conf.get("spark.sql.ansi.enabled"))
    spark.read.parquet(str(CAP / "ev.parquet")).createOrReplaceTempView("ev")
    spark.table("ev").cache().count()


def spark_columns(name: str) -> list[str]:
    return spark.table(name).columns


def materialise_df(name: str, df: DataFrame) -> None:
    df = df.localCheckpoint(eager=True)
    df.createOrReplaceTempView(name)


_n = [0]


def materialise_query(q: exp.Expression) -> str:
    _n[0] += 1
    name = f"asof_left_{_n[0]}"
    materialise_df(name, spark.sql(q.sql(dialect="spark")))
    return name


def split_create(text: str) -> tuple[str, exp.Expression]:
    t = sqlglot.parse_one(text, read="duckdb")
    assert isinstance(t, exp.Create)
    return t.this.name, t.expression


def plan_texts(rule: dict[str, Any]) -> list[str]:
    p = rule["plan_statements"][0]
    return [p["base"], *p["statements"].values()]


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
    for text in plan_texts(rule):
        name, query = split_create(text)
        st: dict[str, Any] = {"table": name, "duckdb_chars": len(text), "seconds": None, "rewrites": {}}
        HITS.clear()
        # 1. as transpiled
        raw = query.sql(dialect="spark")
        try:
            spark.sql(raw).limit(1).collect()
            st["as_transpiled"] = "ran"
        except Exception as e:
            st["as_transpiled"] = "failed: " + first_line(e)
        # 2. rewritten
        tree = query.copy()
        tree = inline_macros(tree)
        tree = lambda_once(tree)
        tree = scalar_rewrites(tree)
        try:
            tree = all_asof(tree, materialise_query)
        except Exception as e:
            st["rewritten"] = "failed in ASOF rewrite: " + first_line(e)
            report["statements"].append(st)
            break
        text2 = tree.sql(dialect="spark")
        (log_sql_dir / f"{name}.spark.sql").write_text(text2)
        st["spark_chars"] = len(text2)
        st["rewrites"] = dict(HITS)
        t = time.perf_counter()
        try:
            materialise_df(name, spark.sql(text2))
            st["rewritten"] = "ran"
        except Exception as e:
            st["rewritten"] = "failed: " + first_line(e)
        st["seconds"] = round(time.perf_counter() - t, 3)
        report["statements"].append(st)
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
    for text in plan_texts(rule):
        name, query = split_create(text)
        tree = all_asof(scalar_rewrites(lambda_once(inline_macros(query.copy()))), materialise_query)
        materialise_df(name, spark.sql(tree.sql(dialect="spark")))


def duckdb_plan_seconds(rule: dict[str, Any]) -> float:
    """DuckDB's time for the plan's own statements (the logged ones whose text is the plan's),
    without the engine's bookkeeping queries around them (version choice, not-applicable, hard)."""
    texts = set(plan_texts(rule))
    return sum(s["s"] for s in rule["statements"] if s["sql"] in texts)


def summary(results: list[dict[str, Any]], rules: dict[str, dict[str, Any]]) -> bool:
    """Print one line per rule; true when every rule ran rewritten and its rows equal DuckDB's."""
    head = f"{'rule':46} {'stmts':>5} {'raw ran':>7} {'rewr ran':>8} {'rows':>5} {'equal':>5}"
    print(f"\n{head} {'spark warm s':>12} {'duckdb plan s':>13} {'duckdb rule s':>13}")
    all_ok = True
    for rep in results:
        sts = rep["statements"]
        n = len(plan_texts(rules[rep["rule"]]))
        raw = sum(s["as_transpiled"] == "ran" for s in sts)
        rewr = sum(s.get("rewritten") == "ran" for s in sts)
        cmp = rep.get("compare") or {}
        equal = bool(cmp.get("rows_equal"))
        all_ok &= equal and rewr == n
        warm = rep.get("spark_seconds_warm")
        print(
            f"{rep['rule']:46} {n:5} {raw:7} {rewr:8} {cmp.get('duckdb_rows', '-')!s:>5} "
            f"{'yes' if equal else 'NO':>5} {warm if warm is not None else '-'!s:>12} "
            f"{duckdb_plan_seconds(rules[rep['rule']]):13.3f} "
            f"{rep['duckdb_rule_seconds_incl_bookkeeping']:13.3f}"
        )
    print("all rules ran rewritten with equal rows:", all_ok)
    return all_ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=Path, default=ROOT / "out" / "spark-probe" / "cap")
    parser.add_argument("rules", nargs="*", metavar="RULE")
    args = parser.parse_args()
    # Spark logs each failing query's context through this Python logger; the failure is reported
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    start(args.cap)
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
        ok = all(s["rewritten"] == "ran" for s in rep["statements"])
        if ok:
            rep["compare"] = compare(rule["tags"][0])
            # warm timing: the rewritten statements again (twice, take the second)
            times = []
            for _ in range(2):
                t = time.perf_counter()
                rerun(rule)
                times.append(time.perf_counter() - t)
            rep["spark_seconds_warm"] = round(times[-1], 3)
            rep["spark_seconds_runs"] = [round(x, 3) for x in times]
        rep["duckdb_rule_seconds_incl_bookkeeping"] = round(rule["duckdb_rule_seconds"], 3)
        for s in rep["statements"]:
            print(
                "  ",
                s["table"],
                "| transpiled:",
                s["as_transpiled"][:160],
                "| rewritten:",
                s["rewritten"][:200],
                s["seconds"],
                "s",
            )
            print("      rewrites:", s["rewrites"])
        print("  compare:", json.dumps(rep.get("compare"), default=str)[:1500])
        print("  warm:", rep.get("spark_seconds_runs"), flush=True)
        results.append(rep)
        (outdir / "results.json").write_text(json.dumps(results, indent=1, default=str))
    ok = summary(results, rules)
    spark.stop()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
