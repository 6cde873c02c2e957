"""The ``checker`` command: a thin layer over the library.

``run(argv, stdout, stderr) -> int`` takes its streams as arguments so tests
call it directly; only :func:`main` exits. Exit codes: 0 no violation,
1 violations found, 2 usage or policy error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import yaml

from . import __version__
from .api import check
from .errors import CheckerError, Problem
from .explain import explain
from .loader import PolicySet, load_policies
from .report import RENDERERS, RenderOptions
from .testing import format_report, run_policy_tests
from .times import DEFAULT_TIMEZONE, TimestampError

EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``run`` returns 2 on usage errors."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: error: {message}")


class _UsageError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="checker", description="Check seller activity logs against "
                     "versioned marketplace policies.")
    parser.add_argument("--version", action="version", version=f"policy-checker {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("check", help="run policies over exported events")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="JSON Lines files of canonical events")
    p.add_argument("--policies", action="append", metavar="DIR",
                   help="policy files or directories (default: ./policies)")
    p.add_argument("--as-of", metavar="T", help="judge as of this instant (default: latest event)")
    p.add_argument("--timezone", default=DEFAULT_TIMEZONE,
                   help=f"timezone of timestamps without an offset (default {DEFAULT_TIMEZONE})")
    p.add_argument("--format", choices=sorted(RENDERERS), default="text")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report here (default stdout)")
    p.add_argument("--all-outcomes", action="store_true",
                   help="also list every non-violation outcome with its reason")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language of messages")
    p.add_argument("--param", action="append", default=[], metavar="RULE.NAME=VALUE",
                   help="override a rule parameter, e.g. "
                   "aliexpress.affiliate.early-exit.min_membership=P20D")

    p = sub.add_parser("validate", help="validate policy files (schema and semantics)")
    p.add_argument("paths", nargs="*", default=["policies"], metavar="PATH")

    p = sub.add_parser("test", help="run the policy tests (*.tests.yaml)")
    p.add_argument("paths", nargs="*", default=["policies"], metavar="PATH")
    p.add_argument("-v", "--verbose", action="store_true", help="list passing cases too")

    p = sub.add_parser("explain", help="describe a rule in plain words")
    p.add_argument("rule_id")
    p.add_argument("--policies", action="append", metavar="DIR")
    p.add_argument("--lang", choices=("en", "zh"), default="en")

    p = sub.add_parser("generate", help="write a realistic sample export with ground truth")
    p.add_argument("args", nargs=argparse.REMAINDER, help="see checker generate -- --help")
    return parser


def _print_problems(problems: Sequence[Problem], stderr: IO[str]) -> None:
    for problem in problems:
        print(problem, file=stderr)
    print(f"{len(problems)} problem(s)", file=stderr)


def _load(paths: Sequence[str] | None, stderr: IO[str]) -> PolicySet | None:
    policy_set = load_policies(list(paths or ["policies"]))
    if policy_set.problems:
        _print_problems(policy_set.problems, stderr)
        return None
    return policy_set


def _params(pairs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``RULE.NAME=VALUE`` -> ``{RULE: {NAME: VALUE}}``; values are read as YAML scalars."""
    out: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        target, sep, raw = pair.partition("=")
        rule_id, dot, name = target.rpartition(".")
        if not (sep and dot and rule_id and name):
            raise _UsageError(f"checker: error: --param {pair!r}: expected RULE.NAME=VALUE")
        value = yaml.safe_load(raw) if raw.strip() else raw
        if not isinstance(value, str | int | float | bool):
            value = raw
        out.setdefault(rule_id, {})[name] = value
    return out


def _cmd_check(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    policy_set = _load(args.policies, stderr)
    if policy_set is None:
        return EXIT_ERROR
    missing = [p for p in args.inputs if not Path(p).is_file()]
    if missing:
        for path in missing:
            print(f"{path}: no such input file", file=stderr)
        return EXIT_ERROR
    result = check(policy_set, args.inputs, as_of=args.as_of, params=_params(args.param),
                   timezone=args.timezone)
    to_terminal = args.output is None and stdout.isatty() and not os.environ.get("NO_COLOR")
    options = RenderOptions(all_outcomes=args.all_outcomes, lang=args.lang, color=to_terminal)
    text = RENDERERS[args.format](result, options)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        stdout.write(text)
    if result.batch.rejected:
        print(f"warning: {len(result.batch.rejected)} input record(s) rejected; "
              "see the report's input section", file=stderr)
    return EXIT_VIOLATIONS if result.findings else EXIT_OK


def _cmd_validate(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    policy_set = _load(args.paths, stderr)
    if policy_set is None:
        return EXIT_ERROR
    print(f"{len(policy_set.policies)} policies valid "
          f"(pack {policy_set.pack.name}@{policy_set.pack.revision})", file=stdout)
    return EXIT_OK


def _cmd_test(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    policy_set = _load(args.paths, stderr)
    if policy_set is None:
        return EXIT_ERROR
    report = run_policy_tests(policy_set, args.paths)
    stdout.write(format_report(report, verbose=args.verbose))
    return EXIT_OK if report.passed else EXIT_VIOLATIONS


def _cmd_explain(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    policy_set = _load(args.policies, stderr)
    if policy_set is None:
        return EXIT_ERROR
    versions = policy_set.by_id(args.rule_id)
    if not versions:
        known = "\n  ".join(sorted({p.id for p in policy_set.policies}))
        print(f"checker: no rule {args.rule_id!r}; known rules:\n  {known}", file=stderr)
        return EXIT_ERROR
    stdout.write(explain(versions, args.lang))
    return EXIT_OK


def _cmd_generate(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    from .generator import main as generate_main

    rest = [a for a in args.args if a != "--"]
    return generate_main(rest)


COMMANDS = {
    "check": _cmd_check,
    "validate": _cmd_validate,
    "test": _cmd_test,
    "explain": _cmd_explain,
    "generate": _cmd_generate,
}


def run(argv: Sequence[str] | None = None, stdout: IO[str] | None = None,
        stderr: IO[str] | None = None) -> int:
    """Run the command line ``argv`` and return its exit code."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        args = _parser().parse_args(list(argv) if argv is not None else None)
        return COMMANDS[args.command](args, stdout, stderr)
    except _UsageError as exc:
        print(exc, file=stderr)
        return EXIT_ERROR
    except CheckerError as exc:
        _print_problems(exc.problems, stderr)
        return EXIT_ERROR
    except TimestampError as exc:
        print(f"checker: error: {exc}", file=stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"checker: error: {exc}", file=stderr)
        return EXIT_ERROR


def main() -> None:
    """Entry point of the ``checker`` console script."""
    try:
        code = run()
    except SystemExit as exc:  # --help and --version
        code = exc.code if isinstance(exc.code, int) else 0
    sys.exit(code)


if __name__ == "__main__":
    main()

