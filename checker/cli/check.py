"""``checker check`` and ``checker baseline create``: run policies over exports, for people and CI.

Both read inputs the same way (formats, profiles, encodings: see
:func:`add_input_options`). ``check`` writes one report per ``--format``, each
to the ``-o FILE`` that follows it (or standard output), and gates: exit 1
when a new finding at or above ``--fail-on`` remains after the baseline and
the waivers, 3 under ``--strict`` when any record was rejected.
"""

from __future__ import annotations

import argparse
import os
from datetime import date
from typing import IO, Any

from ..engines import DUCKDB_THRESHOLD_BYTES, ENGINES, EngineChoiceError, Inputs, RunOptions, run_engine
from ..inputs.files import write_rejects
from ..inputs.progress import Progress
from ..inputs.readers import READERS
from ..language.policy import SEVERITIES
from ..language.times import DEFAULT_TIMEZONE
from ..outputs import RENDERERS, RenderOptions, write_report
from ..results.baseline import load_baseline, write_baseline
from ..results.gating import exit_code, triage
from ..results.result import CheckResult
from ..results.waivers import load_waivers
from .common import EXIT_ERROR, EXIT_OK, EXIT_STRICT, Subparsers, UsageError, load_or_report, parse_params


class _Sequence(argparse.Action):
    """Keeps ``--format`` and ``-o`` in the order given, so each ``-o`` pairs with its format."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        seq = list(getattr(namespace, "report_sequence", None) or [])
        seq.append((self.const, values))
        namespace.report_sequence = seq


def add_input_options(p: argparse.ArgumentParser) -> None:
    """The options that say what to read and how (shared by ``check`` and ``baseline create``)."""
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="files, directories, globs, or - for standard input: JSON Lines, JSON "
        "arrays, CSV, TSV or Parquet, optionally gzip-compressed",
    )
    p.add_argument(
        "--policies", action="append", metavar="DIR", help="policy files or directories (default: ./policies)"
    )
    p.add_argument(
        "--engine",
        choices=("auto", *ENGINES),
        default="auto",
        help="; ".join(f"{e.name}: {e.summary}" for e in ENGINES.values())
        + f"; auto (default): duckdb from {DUCKDB_THRESHOLD_BYTES // 2**20} MiB of plain JSON Lines "
        "input when installed, else python (BENCHMARKS.md)",
    )
    p.add_argument(
        "--parts",
        type=int,
        metavar="N",
        help="python engine: judge the input in N parts on disk, one at a time, to bound "
        "memory (0: all in memory; default: 0 below 64 MiB of input, else one part per "
        "32 MiB)",
    )
    p.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="[PATTERN=]FILE",
        help="a field-mapping profile for platform exports; with several, each reads "
        "the files its 'match' patterns (or PATTERN) name",
    )
    p.add_argument(
        "--encoding",
        metavar="NAME",
        help="text encoding of the inputs, e.g. gb18030 (default: the profile's, else "
        "utf-8; a UTF-8 byte order mark is always recognised)",
    )
    p.add_argument(
        "--input-format",
        choices=sorted(READERS),
        help="format of the inputs (default: from the file name, else sniffed)",
    )
    p.add_argument(
        "--timezone",
        default=DEFAULT_TIMEZONE,
        help=f"timezone of timestamps without an offset (default {DEFAULT_TIMEZONE})",
    )
    p.add_argument("--as-of", metavar="T", help="judge as of this instant (default: latest event)")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="RULE.NAME=VALUE",
        help="override a rule parameter, e.g. aliexpress.affiliate.early-exit.min_membership=P20D",
    )
    p.add_argument(
        "--rejects",
        metavar="FILE",
        help="write every rejected record (original text, file, line, reason) as JSON Lines",
    )
    p.add_argument("--strict", action="store_true", help="exit 3 when any record is rejected or conflicts")
    p.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar and no warnings on standard error"
    )


def add_check_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """Add ``check`` to ``checker``'s subparsers."""
    p = sub.add_parser(
        "check",
        help="run policies over exported events",
        description="Run policies over exports. Exit 0: no failing violation; 1: "
        "violations at or above --fail-on that are neither baselined nor waived; "
        "2: usage, policy or input-file error; 3: records rejected under --strict.",
    )
    add_input_options(p)
    p.add_argument(
        "--format",
        action=_Sequence,
        const="format",
        choices=sorted(RENDERERS),
        help="report format; may be given several times, each followed by its own -o",
    )
    p.add_argument(
        "-o",
        "--output",
        action=_Sequence,
        const="output",
        metavar="FILE",
        help="write the report of the preceding --format here (default stdout)",
    )
    p.add_argument(
        "--all-outcomes", action="store_true", help="also list every non-violation outcome with its reason"
    )
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language of messages")
    p.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default=SEVERITIES[0],
        help="only violations at or above this severity make exit code 1 (default: any)",
    )
    p.add_argument(
        "--baseline",
        metavar="FILE",
        help="findings recorded by 'checker baseline create' are reported as baselined "
        "and do not fail the run",
    )
    p.add_argument("--waivers", metavar="FILE", help="a YAML file of accepted exceptions")
    p.add_argument(
        "--today",
        metavar="YYYY-MM-DD",
        help="the date waivers' expiry is judged on (default: today in --timezone)",
    )
    return p


def add_baseline_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """Add ``baseline`` (with its action ``create``) to ``checker``'s subparsers."""
    p = sub.add_parser("baseline", help="record the current findings as accepted (by fingerprint)")
    actions = p.add_subparsers(dest="baseline_action", required=True, parser_class=type(p))
    create = actions.add_parser("create", help="write a baseline of the findings of these inputs")
    add_input_options(create)
    create.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="the baseline file to write (JSON)"
    )
    return p


def report_targets(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    """``(format, file or None for stdout)`` pairs from ``--format`` and ``-o`` in order.

    An ``-o`` belongs to the ``--format`` before it; one given before any
    ``--format`` belongs to the first (``text`` when there is none).
    """
    entries: list[list[Any]] = []
    leading: str | None = None
    for kind, value in getattr(args, "report_sequence", None) or []:
        if kind == "format":
            entries.append([value, None])
        elif not entries:
            if leading is not None:
                raise UsageError("checker check: error: -o given twice before any --format")
            leading = value
        elif entries[-1][1] is None:
            entries[-1][1] = value
        else:
            raise UsageError(f"checker check: error: -o given twice for --format {entries[-1][0]}")
    if leading is not None:
        if not entries:
            entries.append(["text", None])
        if entries[0][1] is not None:
            raise UsageError("checker check: error: -o given twice for the first --format")
        entries[0][1] = leading
    entries = entries or [["text", None]]
    if sum(1 for _, out in entries if out is None) > 1:
        raise UsageError(
            "checker check: error: only one --format can write to standard output; give the others -o FILE"
        )
    files = [out for _, out in entries if out is not None]
    if len(files) != len(set(files)):
        raise UsageError("checker check: error: two reports would be written to the same file")
    return [(fmt, out) for fmt, out in entries]


def _profiles(specs: list[str]) -> list[Any]:
    out: list[Any] = []
    for spec in specs:
        pattern, sep, path = spec.partition("=")
        if sep and pattern and not os.path.exists(spec):
            out.append((pattern, path))
        else:
            out.append(spec)
    return out


def _inputs(args: argparse.Namespace) -> Inputs:
    return Inputs.of(
        args.inputs,
        profiles=_profiles(args.profile),
        encoding=args.encoding,
        input_format=args.input_format,
        stdin=getattr(args, "stdin", None),
    )


def run_check(args: argparse.Namespace, stderr: IO[str]) -> CheckResult | None:
    """Run the check the arguments describe on the engine they choose (the library's ``auto``
    by default); None after printing the policies' problems."""
    policy_set = load_or_report(args.policies, stderr)
    if policy_set is None:
        return None
    options = RunOptions(
        as_of=args.as_of,
        params=parse_params(args.param),
        timezone=args.timezone,
        parts=getattr(args, "parts", None),
        progress=Progress.for_terminal(stderr, quiet=args.quiet),
    )
    try:
        result = run_engine(policy_set, _inputs(args), options, getattr(args, "engine", "auto"))
    except EngineChoiceError as exc:
        raise UsageError(f"checker check: {exc}") from exc
    batch = result.batch
    if args.rejects:
        with open(args.rejects, "w", encoding="utf-8", newline="") as fh:
            write_rejects(batch, fh)
    if not args.quiet and batch.rejected:
        conflicts = sum(1 for r in batch.rejected if r.code == "conflict")
        print(
            f"warning: {len(batch.rejected)} input record(s) rejected"
            f"{f' ({conflicts} in conflicts)' if conflicts else ''}; see the report's input "
            f"section{' or ' + args.rejects if args.rejects else ' (--rejects FILE keeps them)'}",
            file=stderr,
        )
    return result


def cmd_check(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    """Run ``checker check``."""
    targets = report_targets(args)
    baseline = load_baseline(args.baseline) if args.baseline else None
    waivers = load_waivers(args.waivers) if args.waivers else None
    today = parse_date(args.today) if args.today else None
    result = run_check(args, stderr)
    if result is None:
        return EXIT_ERROR
    gate = triage(result, baseline=baseline, waivers=waivers, fail_on=args.fail_on, today=today)
    for fmt, out in targets:
        color = out is None and fmt == "text" and stdout.isatty() and not os.environ.get("NO_COLOR")
        options = RenderOptions(
            all_outcomes=args.all_outcomes,
            lang=args.lang,
            color=color,
            triage=gate,
            command=("checker", *getattr(args, "argv", ())),
        )
        if out is None:
            write_report(fmt, result, options, stdout)
        else:
            with open(out, "w", encoding="utf-8", newline="") as fh:
                write_report(fmt, result, options, fh)
    if not args.quiet:
        for w in gate.expired:
            print(
                f"warning: {w.location}: the waiver for {w.rule} expired on "
                f"{w.expires.isoformat()}; its findings count again",
                file=stderr,
            )
    return exit_code(result, gate, strict=args.strict)


def cmd_baseline(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    """Run ``checker baseline create``."""
    result = run_check(args, stderr)
    if result is None:
        return EXIT_ERROR
    count = write_baseline(result, args.output)
    print(f"{count} finding(s) recorded in {args.output}", file=stdout)
    return EXIT_STRICT if args.strict and result.batch.rejected else EXIT_OK


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"checker check: error: --today {text!r}: expected YYYY-MM-DD") from exc
