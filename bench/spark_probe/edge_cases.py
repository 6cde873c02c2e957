"""Edge cases of the DuckDB-only constructs and their Spark forms, side by side.

    cd <repo root>
    nice -n 19 python bench/spark_probe/edge_cases.py [--cap DIR]

Each section prints DuckDB's value beside Spark's (local[2], session time zone UTC) for inputs
chosen at the boundaries of a Spark form of ``checker/engines/duckdb/portable.py``: json_type,
``->> '$'``, CAST(DOUBLE AS VARCHAR), timestamp texts, arg_max with a NULL argument, division
of negative HUGEINTs, the whitespace regex, to_json of scalars. If ``<cap>/ev.parquet`` exists
(``--cap``, default ``out/spark-probe/cap`` under the repository root, as ``capture.py`` writes
it), the json_type classifier is also checked on every distinct fx value of that export.
Nothing is asserted: DIFF marks a difference.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import duckdb
from run import spark_session  # run.py beside this script (sys.path[0])
from sqlglot import exp

from checker.engines.duckdb.portable import SPARK_NODES

ROOT = Path(__file__).resolve().parents[2]

# the product's json_type classifier itself, over a column j: the edge cases check the form the
# plans' Spark text uses, not a copy of it
JSON_TYPE = SPARK_NODES[exp.JSONType](exp.JSONType(this=exp.column("j"))).sql("spark")
# the whitespace class the plans match with regexp_full_match (RE2 syntax, also valid in Java)
WS = (
    "[\\t\\n\\x{0B}\\f\\r\\x{1C}-\\x{1F} \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}"
    "\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}]*"
)


def ok(a: Any, b: Any) -> str:
    return "OK" if a == b else "DIFF"


def section(title: str) -> None:
    print(f"\n== {title}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=Path, default=ROOT / "out" / "spark-probe" / "cap")
    args = parser.parse_args()
    # Spark logs each failing query's context through this Python logger
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    d = duckdb.connect()
    spark = spark_session("1g")

    def sp(query: str, rows: list[tuple[Any, ...]], schema: str) -> list[tuple[Any, ...]]:
        """``query`` on Spark over ``rows`` as the view ``t``."""
        df = spark.createDataFrame(rows, schema)
        df.createOrReplaceTempView("t")
        return [tuple(r) for r in spark.sql(query).collect()]

    texts = [
        "0",
        "-0",
        "5",
        "-5",
        "1.0",
        "1e2",
        "1E400",
        "-1.5e-3",
        "32.84",
        "4999.5",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "123456789012345678901234567890123456789012",
        '"a"',
        '""',
        '"\\u00e9\\n\\t"',
        '"\\ud83d\\ude00"',
        "null",
        "true",
        "false",
        "[]",
        "[1]",
        "{}",
        '{"a":1}',
    ]
    section("json_type: DuckDB vs text classifier vs schema_of_variant")
    dj = dict(d.execute("SELECT x, json_type(x::JSON) FROM unnest(?) t(x)", [texts]).fetchall())
    sj = {
        r[0]: r[1:]
        for r in sp(
            f"SELECT j, {JSON_TYPE}, schema_of_variant(parse_json(j)) FROM t",
            [(x,) for x in texts],
            "j string",
        )
    }
    bad = 0
    for x in texts:
        same = dj[x] == sj[x][0]
        bad += not same
        print(
            f"  {x[:30]:32} duckdb={dj[x]:8} classifier={sj[x][0]:8} {'OK ' if same else 'DIFF'} "
            f"variant={sj[x][1]}"
        )
    print("  classifier mismatches:", bad)

    ev = args.cap / "ev.parquet"
    if ev.exists():
        distinct = d.execute(f"SELECT DISTINCT unnest(fx) FROM '{ev}'").fetchall()
        vals = [r[0] for r in distinct if r[0] is not None]
        dj = dict(d.execute("SELECT x, json_type(x::JSON) FROM unnest(?) t(x)", [vals]).fetchall())
        sj = dict(sp(f"SELECT j, {JSON_TYPE} FROM t", [(x,) for x in vals], "j string"))
        diff = [x for x in vals if dj[x] != sj[x]]
        print(f"  export: {len(vals)} distinct fx values, classifier mismatches: {len(diff)} {diff[:5]}")
    else:
        print(f"  export: {ev} not found, not checked")

    section("j ->> '$' (strings): DuckDB vs variant_get(parse_json) vs get_json_object")
    strs = [
        '"a"',
        '""',
        '"\\u00e9\\n\\t"',
        '"\\ud83d\\ude00"',
        '"\\"q\\""',
        '"\\u3000"',
        "null",
        "5",
        "4999.50",
        "true",
        "[1]",
    ]
    dj = dict(d.execute("SELECT x, x::JSON ->> '$' FROM unnest(?) t(x)", [strs]).fetchall())
    sj = {
        r[0]: r[1:]
        for r in sp(
            "SELECT j, variant_get(parse_json(j), '$', 'string'), get_json_object(j, '$') FROM t",
            [(x,) for x in strs],
            "j string",
        )
    }
    for x in strs:
        print(f"  {x:22} duckdb={dj[x]!r:12} variant_get={sj[x][0]!r:12} get_json_object={sj[x][1]!r}")

    section("CAST(double AS VARCHAR): DuckDB vs Spark (the sum's exactness test reads this text)")
    dbl = [
        30.0,
        4999.5,
        0.1,
        2 / 3,
        1e7,
        12345678.5,
        1e-5,
        0.001,
        1e16,
        123456789012.25,
        5e-324,
        1e22,
        1e23,
        2.0e-3,
        9007199254740993.0,
    ]
    dr = d.execute("SELECT x, CAST(x AS VARCHAR) FROM unnest(?::DOUBLE[]) t(x)", [dbl]).fetchall()
    sr = sp("SELECT x, CAST(x AS STRING) FROM t", [(x,) for x in dbl], "x double")
    for (x, a), (_, b) in zip(dr, sr, strict=True):
        print(f"  {x!r:24} python={x!r:24} duckdb={a:24} spark={b:24} {ok(a, b)}")

    section(
        "timestamp texts: DuckDB epoch_us(try_cast AS TIMESTAMP / TIMESTAMPTZ) "
        "vs Spark unix_micros(try_cast AS TIMESTAMP_NTZ / TIMESTAMP)"
    )
    ts = [
        "2024-03-16T10:00:00",
        "2024-03-16 10:00:00.123456",
        "2024-03-16T10:00:00.1",
        "2024-02-30T10:00:00",
        "2023-02-29 00:00:00",
        "2024-03-16T10:00:00+08:00",
        "2024-03-16T10:00:00Z",
        "2024-03-15T20:59:59-05:00",
        "2024-03-16T10:00:00.5+08:00",
        "1900-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2024-03-16T24:00:00",
        "2024-3-16T10:00:00",
        "2024-03-16T10:00:00+0800",
    ]
    d.execute("SET TimeZone='UTC'")
    dr = d.execute(
        "SELECT s, epoch_us(try_cast(s AS TIMESTAMP)), epoch_us(try_cast(s AS TIMESTAMPTZ)) "
        "FROM unnest(?) t(s)",
        [ts],
    ).fetchall()
    sr = sp(
        "SELECT s, unix_micros(CAST(try_cast(s AS TIMESTAMP_NTZ) AS TIMESTAMP)), "
        "unix_micros(try_cast(s AS TIMESTAMP)) FROM t",
        [(x,) for x in ts],
        "s string",
    )
    for a, b in zip(dr, sr, strict=True):
        print(
            f"  {a[0]:30} naive duckdb={a[1]} spark={b[1]} {ok(a[1], b[1])} "
            f"| tz duckdb={a[2]} spark={b[2]} {ok(a[2], b[2])}"
        )

    section("arg_max with a NULL argument vs max_by")
    print(
        "  duckdb arg_max:",
        d.execute("SELECT arg_max(a, b) FROM (VALUES (NULL, 2), ('x', 1)) t(a, b)").fetchall(),
        " spark max_by:",
        sp("SELECT max_by(a, b) FROM t", [(None, 2), ("x", 1)], "a string, b int"),
    )

    section("integer division of negatives: DuckDB HUGEINT // vs Spark DECIMAL(38,0) div")
    print(
        "  duckdb:",
        d.execute("SELECT CAST(-7 AS HUGEINT) // 2, CAST(7 AS HUGEINT) // -2").fetchall(),
        " spark:",
        sp("SELECT CAST(-7 AS DECIMAL(38,0)) div 2, CAST(7 AS DECIMAL(38,0)) div -2 FROM t", [(1,)], "x int"),
    )

    section("PY_WHITESPACE regex: RE2 (DuckDB regexp_full_match) vs Java (Spark RLIKE ^(?:..)$)")
    samples = [
        "",
        " ",
        "\t\t",
        "\u3000",
        "\u3000 \t\u3000\n ",
        "\u3000店铺调整\u3000",
        "\x0b",
        "\x1c\x1f",
        "\u0085",
        "\u200b",
        "a",
        "\n",
    ]
    dq = f"SELECT regexp_full_match(s, '{WS}') FROM unnest(?) WITH ORDINALITY t(s, i) ORDER BY i"
    dw = [r[0] for r in d.execute(dq, [samples]).fetchall()]
    indexed = spark.createDataFrame([(s, i) for i, s in enumerate(samples)], "s string, i int")
    indexed.createOrReplaceTempView("t")
    # Spark SQL string literals take backslash escapes, so the pattern's backslashes are doubled
    sq = "SELECT s RLIKE '^(?:" + WS.replace("\\", "\\\\") + ")$' FROM t ORDER BY i"
    sw = [r[0] for r in spark.sql(sq).collect()]
    for s, a, b in zip(samples, dw, sw, strict=True):
        print(f"  {s!r:28} duckdb={a} spark={b} {ok(a, b)}")

    section("to_json of scalars: DuckDB vs to_json(named_struct) text")
    print(
        "  duckdb:",
        d.execute(
            "SELECT to_json(CAST(1722434400000000 AS BIGINT)), to_json('hard'), to_json(2.5::DOUBLE), "
            "to_json(1e20::DOUBLE)"
        ).fetchall(),
    )
    inner = "regexp_extract(to_json(named_struct('v', {})), '^[{{]\"v\":(.*)[}}]$', 1)"
    values = ["CAST(1722434400000000 AS BIGINT)", "'hard'", "CAST(2.5 AS DOUBLE)", "CAST(1e20 AS DOUBLE)"]
    print("  spark: ", sp(f"SELECT {', '.join(inner.format(v) for v in values)} FROM t", [(1,)], "x int"))
    spark.stop()


if __name__ == "__main__":
    main()
