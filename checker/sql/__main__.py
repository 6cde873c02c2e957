"""``python -m checker.sql check ...``: ``checker check`` with an engine choice.

Until ``checker check --engine`` exists this runs a check exactly as the CLI
does (same options for the common case, same renderers, same exit codes),
on the engine asked for: ``--engine python``, ``duckdb`` or ``auto`` (the
size rule of :mod:`checker.sql.choice`). The benchmark runs it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..api import check
from ..errors import CheckerError
from ..loader import load_policies
from ..report import RENDERERS, RenderOptions, write_report
from ..times import DEFAULT_TIMEZONE
from . import check_duckdb, choose_engine, unsupported


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``check`` or ``validate`` with ``--engine``; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m checker.sql")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check")
    p.add_argument("inputs", nargs="+")
    p.add_argument("--policies", action="append")
    p.add_argument("--engine", choices=("auto", "python", "duckdb"), default="auto")
    p.add_argument("--as-of")
    p.add_argument("--timezone", default=DEFAULT_TIMEZONE)
    p.add_argument("--format", choices=sorted(RENDERERS), default="text")
    p.add_argument("-o", "--output")
    v = sub.add_parser("validate")
    v.add_argument("paths", nargs="*", default=["policies"])
    v.add_argument("--engine", choices=("auto", "python", "duckdb"), default="duckdb")
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            policy_set = load_policies(args.paths)
            problems = list(policy_set.problems)
            if not problems and args.engine == "duckdb":
                problems = [pr for pol in policy_set.policies for pr in unsupported(pol)]
            for problem in problems:
                print(problem, file=sys.stderr)
            if problems:
                return 2
            print(f"{len(policy_set.policies)} policies valid for the {args.engine} engine")
            return 0
        policy_set = load_policies(args.policies or ["policies"])
        if policy_set.problems:
            raise CheckerError(policy_set.problems)
        engine = choose_engine(args.inputs) if args.engine == "auto" else args.engine
        run = check_duckdb if engine == "duckdb" else check
        result = run(policy_set, args.inputs, as_of=args.as_of, timezone=args.timezone)
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as fh:
                write_report(args.format, result, RenderOptions(), fh)
        else:
            write_report(args.format, result, RenderOptions(), sys.stdout)
        return 1 if result.findings else 0
    except CheckerError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
