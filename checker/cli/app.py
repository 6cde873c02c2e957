"""The ``checker`` command: a thin layer over the library.

``run(argv, stdout, stderr, stdin) -> int`` takes its streams as arguments so
tests call it directly; only :func:`main` exits. Exit codes: 0 no failing
violation, 1 failing violations found, 2 usage, policy or input-file error,
3 records rejected under ``--strict``.

Subcommands form a registry, :data:`COMMANDS`: each has a function that adds
its parser to ``checker``'s subparsers and a handler
``(args, stdout, stderr) -> int``. Subcommands defined in their own modules
are listed in :data:`SUBCOMMAND_MODULES`; wiring in a new one is one line
there. A handler finds the binary standard input as ``args.stdin``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO

from .._version import __version__
from ..engines import ENGINES, EngineChoiceError
from ..inputs.progress import Progress
from ..language.errors import CheckerError
from ..language.explain import explain
from ..language.times import TimestampError
from ..testing import format_report, run_policy_tests
from .common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_STRICT,
    EXIT_VIOLATIONS,
    ArgumentParser,
    Subparsers,
    UsageError,
    load_or_report,
    load_packs_or_report,
    parse_params,
    print_problems,
)

__all__ = [
    "COMMANDS",
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_STRICT",
    "EXIT_VIOLATIONS",
    "SUBCOMMAND_MODULES",
    "ArgumentParser",
    "Command",
    "UsageError",
    "command",
    "load_or_report",
    "main",
    "parse_params",
    "print_problems",
    "run",
]

Handler = Callable[[argparse.Namespace, IO[str], IO[str]], int]
AddParser = Callable[[Subparsers], argparse.ArgumentParser]


@dataclass(frozen=True)
class Command:
    """A subcommand: how to add its parser, and what runs it."""

    name: str
    add_parser: AddParser
    run: Handler


COMMANDS: dict[str, Command] = {}

# Subcommands defined in their own modules: (name, module, parser function, handler).
# The audit report's module plugs in the same way:
#     ("report", "checker.cli.report", "add_parser", "cmd_report"),
SUBCOMMAND_MODULES: tuple[tuple[str, str, str, str], ...] = (
    ("check", "checker.cli.check", "add_check_parser", "cmd_check"),
    ("baseline", "checker.cli.check", "add_baseline_parser", "cmd_baseline"),
    ("report", "checker.cli.report", "add_parser", "cmd_report"),
    ("pack", "checker.cli.pack", "add_parser", "cmd_pack"),
)


def command(name: str, add_parser: AddParser) -> Callable[[Handler], Handler]:
    """Register the handler of subcommand ``name``."""

    def register(func: Handler) -> Handler:
        COMMANDS[name] = Command(name, add_parser, func)
        return func

    return register


def _load_subcommand_modules() -> None:
    for name, module_name, parser_fn, handler_fn in SUBCOMMAND_MODULES:
        if name not in COMMANDS:
            module = importlib.import_module(module_name)
            COMMANDS[name] = Command(name, getattr(module, parser_fn), getattr(module, handler_fn))


def _parser() -> argparse.ArgumentParser:
    _load_subcommand_modules()
    parser = ArgumentParser(
        prog="checker",
        description="Check seller activity logs against versioned marketplace policies.",
        epilog="Exit 0: no failing violation; 1: failing violations (or a failing policy test); "
        "2: usage, policy or input-file error; 3: records rejected under --strict. "
        "'checker COMMAND --help' describes each command and its exit codes.",
    )
    parser.add_argument("--version", action="version", version=f"policy-checker {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)
    modular = [name for name, *_ in SUBCOMMAND_MODULES]
    for name in [*modular, *(n for n in COMMANDS if n not in modular)]:
        COMMANDS[name].add_parser(sub)
    return parser


# --- built-in subcommands ------------------------------------------------------------------


def _add_validate(sub: Subparsers) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "validate",
        help="validate policy files (schema and semantics)",
        description="Check policy files against the policy schema, then semantically (expressions, "
        "parameters, versions), and report every error at once as "
        "file:line:column: message [code]. Exit 0: all valid; 2: any error.",
    )
    p.add_argument(
        "paths",
        nargs="*",
        default=None,
        metavar="PATH",
        help="policy files or directories (default: ./policies, else the bundled pack)",
    )
    p.add_argument(
        "--engine",
        choices=tuple(ENGINES),
        default="python",
        help="also check that every policy runs on this engine (duckdb refuses, by name, any "
        "construct that cannot compile to SQL)",
    )
    return p


@command("validate", _add_validate)
def _cmd_validate(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    # each folder named is its own pack: alternative folders for the same rule ids validate together
    packs = load_packs_or_report(args.paths, stderr)
    if packs is None:
        return EXIT_ERROR
    try:
        engine = ENGINES[args.engine].load()  # an optional extra is imported only when asked for
    except EngineChoiceError as exc:
        raise UsageError(f"checker validate: {exc}") from exc
    problems = [problem for s in packs for p in s.policies for problem in engine.unsupported(p)]
    if problems:
        print_problems(problems, stderr)
        return EXIT_ERROR
    for policy_set in packs:
        pack = policy_set.pack
        print(f"{len(policy_set.policies)} policies valid (pack {pack.name}@{pack.revision})", file=stdout)
    return EXIT_OK


def _add_test(sub: Subparsers) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "test",
        help="run the policy tests (*.tests.yaml)",
        description="Run the policy tests (*.tests.yaml next to the policies): each case's events "
        "must give exactly the expected outcomes, no more and no fewer. Exit 0: all pass; "
        "1: a case fails; 2: a policy or test file is invalid.",
    )
    p.add_argument(
        "paths",
        nargs="*",
        default=None,
        metavar="PATH",
        help="policy and test files or directories (default: ./policies, else the bundled pack)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="list passing cases too")
    return p


@command("test", _add_test)
def _cmd_test(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    policy_set = load_or_report(args.paths, stderr)
    if policy_set is None:
        return EXIT_ERROR
    report = run_policy_tests(policy_set, args.paths)
    stdout.write(format_report(report, verbose=args.verbose))
    return EXIT_OK if report.passed else EXIT_VIOLATIONS


def _add_explain(sub: Subparsers) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "explain",
        help="describe a rule in plain words",
        description="Describe a rule in plain words: what it requires, the sentence of the "
        "platform's rules it comes from, and every version with its effective window, trigger, "
        "conditions and parameters. Exit 0: described; 2: unknown rule or invalid policies.",
    )
    p.add_argument("rule_id", metavar="RULE_ID", help="the rule's id, e.g. aliexpress.affiliate.early-exit")
    p.add_argument(
        "--policies",
        action="append",
        metavar="DIR",
        help="policy files or directories; may be repeated (default: ./policies, else the bundled pack)",
    )
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the text (default en)")
    return p


@command("explain", _add_explain)
def _cmd_explain(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    policy_set = load_or_report(args.policies, stderr)
    if policy_set is None:
        return EXIT_ERROR
    versions = policy_set.by_id(args.rule_id)
    if not versions:
        known = "\n  ".join(sorted({p.id for p in policy_set.policies}))
        print(f"checker: no rule {args.rule_id!r}; known rules:\n  {known}", file=stderr)
        return EXIT_ERROR
    stdout.write(explain(versions, args.lang))
    return EXIT_OK


def _add_generate(sub: Subparsers) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "generate",
        help="write a realistic sample export with ground truth",
        description="Write a synthetic export of all five sources with injected violations "
        "(events.jsonl), the outcome every rule must give each event (truth.jsonl) and a "
        "manifest. The same arguments always give the same files. A progress line is drawn "
        "on standard error when it is a terminal. Exit 0: written; 2: a bad argument or a "
        "file that cannot be written.",
    )
    p.add_argument("--events", type=int, default=5000, help="about how many events (default 5000)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument(
        "--violation-rate",
        type=float,
        default=0.2,
        help="share of scenarios with an injected violation, 0..1 (default 0.2)",
    )
    p.add_argument("--no-shuffle", action="store_true", help="write events in generation order")
    p.add_argument(
        "-o",
        "--out",
        required=True,
        metavar="DIR",
        help="writes events.jsonl, truth.jsonl and manifest.json here",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line on standard error")
    return p


class _GenerateProgress(Progress):
    """The progress bar, counting events made out of those asked for."""

    def draw(self, done_bytes: int, records: int) -> None:
        total = self.total or 1
        filled = int(min(records / total, 1.0) * 24)
        self.stream.write(
            f"\r\x1b[Kgenerating [{'#' * filled}{'-' * (24 - filled)}] "
            f"{min(records / total, 1.0):4.0%} {records:,} of {total:,} events"
        )
        self.stream.flush()
        self.drawn = True


@command("generate", _add_generate)
def _cmd_generate(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    from ..generator import generate

    if args.events < 1 or not 0.0 <= args.violation_rate <= 1.0:
        raise UsageError("checker generate: --events must be at least 1 and --violation-rate in [0, 1]")
    progress = _GenerateProgress.for_terminal(stderr, quiet=args.quiet)
    progress.begin(args.events)
    try:
        summary = generate(
            args.out,
            events=args.events,
            seed=args.seed,
            violation_rate=args.violation_rate,
            shuffle=not args.no_shuffle,
            on_progress=lambda made, _: progress.advance(made, made),
        )
    finally:
        progress.end()
    print(
        f"wrote {summary.events} events and {summary.truth_lines} truth lines to "
        f"{summary.out_dir}; as of {summary.as_of}",
        file=stdout,
    )
    return EXIT_OK


def run(
    argv: Sequence[str] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    stdin: IO[bytes] | None = None,
) -> int:
    """Run the command line ``argv`` and return its exit code.

    ``stdin`` is the binary stream an input of ``-`` reads (default: the
    process's standard input).
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        args = _parser().parse_args(list(argv) if argv is not None else None)
        args.stdin = stdin
        args.argv = tuple(sys.argv[1:] if argv is None else argv)
        return COMMANDS[args.command].run(args, stdout, stderr)
    except UsageError as exc:
        print(exc, file=stderr)
        return EXIT_ERROR
    except CheckerError as exc:
        print_problems(exc.problems, stderr)
        return EXIT_ERROR
    except TimestampError as exc:
        print(f"checker: error: {exc}", file=stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"checker: error: {exc}", file=stderr)
        return EXIT_ERROR


def main() -> None:
    """Entry point of the ``checker`` console script.

    An unexpected error exits 2 (never 1, which CI reads as "violations found").
    The cyclic garbage collector is off: a check's objects live until the
    process ends and make no reference cycles, so the collector's passes over
    millions of them (after each part, while reports are written) are pure cost.
    """
    gc.disable()
    try:
        code = run()
    except SystemExit as exc:  # --help and --version
        code = exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        code = 130
    except Exception:  # a bug of the checker's own: say so, with the traceback, and exit 2
        traceback.print_exc()
        print("checker: internal error (exit 2); please report it with the traceback above", file=sys.stderr)
        code = EXIT_ERROR
    sys.exit(code)


_load_subcommand_modules()

if __name__ == "__main__":
    main()
