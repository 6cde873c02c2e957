"""Run the DuckDB engine on an export and capture, per rule, what the Spark probe replays.

For each rule it records every statement the engine executes on the rule's connection (in order,
with its time), the plan's own statements (base, candidate/reduced tables, hk, dec) and the
``ev`` table and each ``dec_<tag>`` decision table as Parquet (``fx`` as a list of JSON texts).
Writes ``capture.json``, ``ev.parquet`` and ``dec_<tag>.parquet`` to the output directory.

    cd <repo root>
    PYTHONPATH=$PWD python bench/spark_probe/capture.py [--events FILE] [--out DIR]

``--events`` defaults to ``out/spark-probe/data/events.jsonl``, ``--out`` to
``out/spark-probe/cap`` (both under the repository root); the as-of instant is fixed
(``--as-of``, default 2024-07-31T22:00:00+08:00; time zone Asia/Shanghai).

The engine is hooked by monkeypatches, the project is not edited: one rule connection
(``DuckdbRun.concurrent_rules = 1``, so statements run on the run's own connection in rule order);
``DuckdbRun.decide`` exports ``ev`` before any rule runs; ``DuckdbRun.rule`` runs with a
connection proxy that logs every statement, then its dec tables are saved (the engine drops the
other working tables once a rule is decided, so they are replayed from the logged statements).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import checker
from checker.engines.duckdb import engine as E
from checker.engines.duckdb.portable import Macros, portable_plan, spark_sql
from checker.language.loader import load_policies

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2024-07-31T22:00:00+08:00"


class Recorder:
    """A connection that logs each statement (text, parameters, seconds) before returning."""

    def __init__(self, con: Any, log: list[dict[str, Any]]) -> None:
        self._con, self._log = con, log

    def execute(self, q: str, params: Any = None) -> Any:
        self._log.append({"sql": q, "params": params})
        t = time.perf_counter()
        r = self._con.execute(q, params) if params is not None else self._con.execute(q)
        self._log[-1]["s"] = time.perf_counter() - t
        return r

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def hook(out: Path, captured: dict[str, Any]) -> None:
    """Patch the engine so that a check fills ``captured`` and writes the Parquet files to ``out``."""
    orig_decide, orig_rule = E.DuckdbRun.decide, E.DuckdbRun.rule

    def decide(self: E.DuckdbRun, rules: Any, progress: Any = None) -> None:
        con = self.con
        captured["paths"] = [list(p) for p in self.paths]
        captured["as_of"] = int(self.as_of)
        captured["macros"] = list(self.macros)
        print("ev columns:", con.execute("DESCRIBE ev").fetchall())
        # fx is JSON[] in DuckDB; as VARCHAR[] it reaches Spark as array<string> of the same texts
        target = out / "ev.parquet"
        con.execute(
            f"COPY (SELECT * REPLACE (CAST(fx AS VARCHAR[]) AS fx) FROM ev) TO '{target}' (FORMAT parquet)"
        )
        return orig_decide(self, rules, progress)

    def rule(self: E.DuckdbRun, con: Any, versions: Any, plans: Any) -> E.Decided:
        log: list[dict[str, Any]] = []
        t = time.perf_counter()
        decided = orig_rule(self, Recorder(con, log), versions, plans)
        total = time.perf_counter() - t
        entry: dict[str, Any] = {
            "rule": versions[0].id,
            "versions": [p.version for p in versions],
            "tags": [p.tag for p in plans],
            "sql_plans": len(decided.plans),
            "python_outcomes": len(decided.outcomes),
            "statements": log,
            "plan_statements": [
                {"tag": p.tag, "base": p.base_sql(self.paths), "statements": dict(p.statements)}
                for p in plans
            ],
            # the plan as the product spells it for Spark (checker.engines.duckdb.portable)
            "spark_statements": [
                {"table": s.table, "sql": spark_sql(s)}
                for p in plans
                for s in portable_plan(
                    p,
                    self.paths,
                    as_of=self.as_of,
                    macros=Macros(p.zones),
                )
            ],
            "duckdb_rule_seconds": total,
        }
        for p in decided.plans:
            name = f"dec_{p.tag}"
            con.execute(f"COPY (SELECT * FROM {name}) TO '{out / (name + '.parquet')}' (FORMAT parquet)")
            entry.setdefault("dec_rows", {})[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            entry.setdefault("dec_columns", {})[name] = con.execute(f"DESCRIBE {name}").fetchall()
        captured["rules"].append(entry)
        return decided

    E.DuckdbRun.concurrent_rules = 1
    E.DuckdbRun.decide = decide
    E.DuckdbRun.rule = rule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=Path, default=ROOT / "out" / "spark-probe" / "data" / "events.jsonl")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "spark-probe" / "cap")
    parser.add_argument("--policies", type=Path, default=ROOT / "policies")
    parser.add_argument("--as-of", default=AS_OF)
    args = parser.parse_args()
    here = Path(checker.__file__).resolve()
    if not here.is_relative_to(ROOT):
        sys.exit(f"checker imported from {here}, not from {ROOT}: run with PYTHONPATH={ROOT}")
    print("checker from", here.parent)
    args.out.mkdir(parents=True, exist_ok=True)

    captured: dict[str, Any] = {"rules": [], "macros": [], "paths": None, "as_of": None}
    hook(args.out, captured)
    ps = load_policies([str(args.policies)])
    t0 = time.perf_counter()
    E.check_duckdb(ps, [str(args.events)], as_of=args.as_of, timezone="Asia/Shanghai")
    print(f"check_duckdb: {time.perf_counter() - t0:.2f}s")
    (args.out / "capture.json").write_text(json.dumps(captured, indent=1, default=str))
    for r in captured["rules"]:
        print(
            r["rule"],
            r["versions"],
            r["tags"],
            "stmts",
            len(r["statements"]),
            r.get("dec_rows"),
            "py",
            r["python_outcomes"],
            f"{r['duckdb_rule_seconds']:.3f}s",
        )


if __name__ == "__main__":
    main()
