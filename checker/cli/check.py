"""``checker check`` and ``checker baseline create``: run policies over exports, for people and CI.

Both read inputs the same way (formats, profiles, encodings: see
:func:`add_input_options`). ``check`` writes one report per ``--format``, each
to the ``-o FILE`` that follows it (or standard output), and gates: exit 1
when a new finding at or above ``--fail-on`` remains after the baseline and
the waivers, 3 under ``--strict`` when any record was rejected (or with
``--max-reject-rate`` when more than that share was).

Every file a run writes (reports, ``--rejects``, the baseline) is written
all-or-nothing through :class:`checker.language.atomic.AtomicFiles`: each to a
temporary file beside it, all renamed into place once every one is complete.
A run that accepted no event judged nothing and exits 2 saying why
(:func:`nothing_judged`), unless ``--allow-empty`` is given.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from datetime import date
from typing import IO, Any

from ..api import prepare_inputs, with_declarations
from ..engines import (
    CONVERTED_SHARE,
    DUCKDB_THRESHOLD_BYTES,
    ENGINES,
    EngineChoiceError,
    Inputs,
    RunOptions,
    run_engine,
)
from ..inputs.events import EventBatch
from ..inputs.files import write_rejects
from ..inputs.profiles import RunDeclarations
from ..inputs.progress import Progress
from ..inputs.readers import READERS
from ..language.atomic import AtomicFiles
from ..language.policy import SEVERITIES
from ..language.times import DEFAULT_TIMEZONE
from ..outputs import RENDERERS, RenderOptions, write_report
from ..outputs.dataset import check_target, write_dataset
from ..outputs.options import ANNOTATIONS_MAX, SARIF_MAX_RESULTS
from ..outputs.registry import READS_FINDING_TEXTS
from ..results.baseline import Baseline, load_baseline, write_baseline
from ..results.gating import Triage, exit_code, reject_rate, triage
from ..results.result import CheckResult
from ..results.waivers import Waivers, load_waivers
from .common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_STRICT,
    StageProgress,
    Subparsers,
    UsageError,
    load_or_report,
    parse_params,
)


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
        "--policies",
        action="append",
        metavar="DIR",
        help="policy files or directories (default: ./policies, else the bundled pack)",
    )
    p.add_argument(
        "--engine",
        choices=("auto", *ENGINES),
        default="auto",
        help="; ".join(f"{e.name}: {e.summary}" for e in ENGINES.values())
        + f"; auto (default): duckdb from {DUCKDB_THRESHOLD_BYTES // 2**20} MiB of JSON Lines or "
        f"Parquet, or {round(DUCKDB_THRESHOLD_BYTES * CONVERTED_SHARE) // 2**20} MiB of converted input "
        "(CSV, TSV, profiles...), else python (BENCHMARKS.md)",
    )
    p.add_argument(
        "--spark-master",
        metavar="URL",
        help=(
            "spark engine: where Spark runs: local[N], local[*] (default), spark://HOST:7077, yarn, "
            "k8s://..., or sc://HOST:15002 (a Spark Connect server)"
        ),
    )
    p.add_argument(
        "--spark-conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=(
            "spark engine: a Spark setting, as spark-submit --conf takes it (repeatable): "
            "spark.driver.memory=4g, spark.hadoop.fs.s3a.endpoint=http://minio:9000 for inputs "
            "named by URI (s3a://, hdfs://, abfss://)"
        ),
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
        metavar="TZ",
        help="IANA timezone of timestamps without an offset, of --as-of and --now, and of the "
        f"result (default: the one the profiles declare, else {DEFAULT_TIMEZONE})",
    )
    p.add_argument(
        "--as-of",
        metavar="T",
        help="judge as of this instant: RFC 3339, a date (local midnight), or epoch digits "
        "(seconds below 10^11, else milliseconds or microseconds by magnitude) (default: the "
        "latest event)",
    )
    p.add_argument(
        "--now",
        metavar="T",
        help="the run's present, in the forms --as-of takes (default: the wall clock, read once): "
        "a record stamped more than a day after it is rejected as future-timestamp; give the "
        "result's inputs.now to reproduce a run",
    )
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
        "--max-reject-rate",
        type=parse_rate,
        metavar="RATE",
        help="exit 3 when more than this share of the records read was rejected "
        "(0..1, or a percentage such as 5%%)",
    )
    p.add_argument(
        "--allow-empty",
        action="store_true",
        help="accept a run in which no event was accepted (by default it exits 2: nothing was judged)",
    )
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
        "2: usage, policy, input-file or output error, or nothing judged (no event accepted: "
        "see --allow-empty); 3: records rejected under --strict, or more than --max-reject-rate.",
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
        "--output-dir",
        metavar="DIR",
        help="also write the findings and every outcome as Parquet datasets partitioned by rule "
        "(DIR/findings, DIR/outcomes) and DIR/summary.json; whole or not at all",
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
    p.add_argument(
        "--sarif-max-results",
        type=_limit,
        default=SARIF_MAX_RESULTS,
        metavar="N",
        help="at most N SARIF results, failing and most severe first; the number left out is "
        f"recorded in the run's properties (default {SARIF_MAX_RESULTS}, GitHub code scanning's limit)",
    )
    p.add_argument(
        "--annotations-max",
        type=_limit,
        default=ANNOTATIONS_MAX,
        metavar="N",
        help="at most N GitHub annotations, failing and most severe first, then a notice saying "
        f"how many were left out (default {ANNOTATIONS_MAX})",
    )
    return p


def _limit(text: str) -> int:
    """A limit of a CI format: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number, 0 or more")
    return value


def add_baseline_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """Add ``baseline`` (with its action ``create``) to ``checker``'s subparsers."""
    p = sub.add_parser(
        "baseline",
        help="record the current findings as accepted (by fingerprint)",
        description="Record the findings of a run as accepted, by fingerprint: a later 'checker "
        "check --baseline FILE' reports them as baselined and does not fail on them. Exit 0: "
        "written; 2: usage, policy, input-file or output error, or nothing judged; 3: records "
        "rejected under --strict, or more than --max-reject-rate.",
    )
    actions = p.add_subparsers(
        dest="baseline_action", required=True, parser_class=type(p), help="create: write a baseline"
    )
    create = actions.add_parser(
        "create",
        help="write a baseline of the findings of these inputs",
        description="Run the policies over the inputs as 'checker check' does and write every "
        "finding's fingerprint to FILE (JSON). Exit 0: written; 2: usage, policy, input-file or "
        "output error, or nothing judged (see --allow-empty); 3: records rejected under --strict, "
        "or more than --max-reject-rate.",
    )
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


def _spark_conf(pairs: list[str]) -> tuple[tuple[str, str], ...]:
    """``--spark-conf KEY=VALUE`` pairs (the last of a key counts, as with spark-submit)."""
    conf: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not (sep and key.strip()):
            raise UsageError(f"checker: error: --spark-conf {pair!r}: expected KEY=VALUE")
        conf[key.strip()] = value
    return tuple(sorted(conf.items()))


def _inputs(args: argparse.Namespace) -> tuple[Inputs, RunDeclarations]:
    """The inputs, their profiles loaded, and what the profiles declare (timezone, words)."""
    inputs = Inputs.of(
        args.inputs,
        encoding=args.encoding,
        input_format=args.input_format,
        stdin=getattr(args, "stdin", None),
    )
    return prepare_inputs(inputs, _profiles(args.profile), args.timezone)


def parse_rate(text: str) -> float:
    """``--max-reject-rate``: a share in [0, 1], or a percentage (``5%``)."""
    try:
        rate = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a share in 0..1 or a percentage like 5%")
    return rate


#: how many rejected records the "nothing judged" message quotes
SHOWN_REASONS = 5


def nothing_judged(batch: EventBatch, *, command: str = "check") -> str | None:
    """Why a run that accepted no event judged nothing (None when it accepted some).

    Says what was read (inputs and record counts), the rejections per code, and the
    first few reasons at ``file:line``.
    """
    totals = batch.totals()
    if totals["accepted"]:
        return None
    files = [f"{s.file} [profile {s.profile}]" if s.profile else s.file for s in batch.inputs]
    shown_files = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    lines = [
        f"checker {command}: error: nothing judged: no event accepted from {len(files)} input(s)"
        f"{f' ({shown_files})' if files else ''} [nothing-judged]"
    ]
    if not totals["read"]:
        lines.append("  no record was read: the inputs are empty")
    else:
        codes = Counter(r.code for r in batch.rejected)
        by_code = ", ".join(
            f"{code} {n}" for code, n in sorted(codes.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        lines.append(
            f"  {totals['read']} record(s) read, {totals['rejected']} rejected"
            f"{f' ({by_code})' if by_code else ''}, {totals['duplicates']} duplicate(s)"
        )
        for r in batch.rejected[:SHOWN_REASONS]:
            reason = r.reason if len(r.reason) <= 200 else r.reason[:197] + "..."
            lines.append(f"  {r.file}:{r.line}: {reason} [{r.code}]")
        if len(batch.rejected) > SHOWN_REASONS:
            lines.append(
                f"  ... and {len(batch.rejected) - SHOWN_REASONS} more (--rejects FILE keeps them all)"
            )
        if any(s.profile for s in batch.inputs):
            lines.append("  check that the profile fits these files and their --encoding")
    lines.append("  give --allow-empty to accept a run with nothing to judge")
    return "\n".join(lines)


def write_rejects_file(args: argparse.Namespace, batch: EventBatch, files: AtomicFiles) -> None:
    """Write ``--rejects FILE`` (when given) as part of ``files``."""
    if getattr(args, "rejects", None):
        write_rejects(batch, files.open(args.rejects))


def check_inputs(args: argparse.Namespace, result: CheckResult, stderr: IO[str], command: str) -> bool:
    """Whether the run judged anything; when not (and without ``--allow-empty``), says why
    on ``stderr`` and writes only ``--rejects``, which shows what was refused."""
    if getattr(args, "allow_empty", False):
        return True
    message = nothing_judged(result.batch, command=command)
    if message is None:
        return True
    print(message, file=stderr)
    with AtomicFiles() as files:
        write_rejects_file(args, result.batch, files)
    return False


def input_gate(args: argparse.Namespace, batch: EventBatch, stderr: IO[str]) -> bool:
    """Whether the input accounting fails the run (exit 3): ``--strict`` and any rejection,
    or more rejected than ``--max-reject-rate``; says why for the rate."""
    if getattr(args, "strict", False) and batch.rejected:
        return True
    limit = getattr(args, "max_reject_rate", None)
    rate = reject_rate(batch)
    if limit is not None and rate > limit:
        totals = batch.totals()
        print(
            f"checker: {totals['rejected']} of {totals['read']} record(s) rejected ({rate:.2%}), "
            f"more than --max-reject-rate {limit:g} (exit 3)",
            file=stderr,
        )
        return True
    return False


def run_check(
    args: argparse.Namespace, stderr: IO[str], progress: Progress | None = None
) -> CheckResult | None:
    """Run the check the arguments describe on the engine they choose (the library's ``auto``
    by default); None after printing the policies' problems. Writes no file. ``progress``
    (default: a bar on a terminal) reports the reading."""
    policy_set = load_or_report(args.policies, stderr, quiet=args.quiet)
    if policy_set is None:
        return None
    inputs, declared = _inputs(args)
    options = RunOptions(
        as_of=args.as_of,
        now=args.now,
        params=parse_params(args.param),
        timezone=declared.timezone,
        parts=getattr(args, "parts", None),
        progress=progress or Progress.for_terminal(stderr, quiet=args.quiet),
        spark_master=getattr(args, "spark_master", None),
        spark_conf=_spark_conf(getattr(args, "spark_conf", [])),
        # one check a process: the JVM a check starts is not kept for the next one
        spark_keep_session=False,
    )
    if options.spark_master is not None and getattr(args, "engine", "auto") != "spark":
        raise UsageError("checker check: --spark-master is for --engine spark")
    if options.spark_conf and getattr(args, "engine", "auto") != "spark":
        raise UsageError("checker check: --spark-conf is for --engine spark")
    try:
        result = with_declarations(
            run_engine(policy_set, inputs, options, getattr(args, "engine", "auto")), declared
        )
    except EngineChoiceError as exc:
        raise UsageError(f"checker check: {exc}") from exc
    batch = result.batch
    if not args.quiet and batch.rejected and (batch.totals()["accepted"] or args.allow_empty):
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
    # reading (a bar), judging, then writing each output (at export scale writing the findings
    # takes as long as judging): one line on a terminal, erased before anything else is printed
    progress = StageProgress.for_command(stderr, "check", quiet=args.quiet)
    stdout, stderr = progress.guard(stdout), progress.guard(stderr)
    try:
        return _check_and_write(args, stdout, stderr, progress, targets, baseline, waivers, today)
    finally:
        progress.finish()


def _check_and_write(
    args: argparse.Namespace,
    stdout: IO[str],
    stderr: IO[str],
    progress: StageProgress,
    targets: list[tuple[str, str | None]],
    baseline: Baseline | None,
    waivers: Waivers | None,
    today: date | None,
) -> int:
    """The body of :func:`cmd_check`: run, gate and write every output, naming each stage."""
    if getattr(args, "output_dir", None):
        check_target(args.output_dir)  # before the check runs, not after
    result = run_check(args, stderr, progress)
    if result is None or not check_inputs(args, result, stderr, "check"):
        return EXIT_ERROR
    if any(fmt in READS_FINDING_TEXTS for fmt, _ in targets):
        result.keep_finding_texts()  # before the gate is the first to read the findings
    gate = triage(result, baseline=baseline, waivers=waivers, fail_on=args.fail_on, today=today)
    if not args.quiet:
        warn_baseline(gate, stderr)
    # every file of the run, all-or-nothing: each rendered to a temporary file, all renamed
    # once all are complete (a failure writes none and says which, opened yet or not)
    planned = [*([args.rejects] if getattr(args, "rejects", None) else []), *(o for _, o in targets if o)]
    with AtomicFiles(planned) as files:
        write_rejects_file(args, result.batch, files)
        for fmt, out in targets:
            color = out is None and fmt == "text" and stdout.isatty() and not os.environ.get("NO_COLOR")
            options = RenderOptions(
                all_outcomes=args.all_outcomes,
                lang=args.lang,
                color=color,
                triage=gate,
                command=("checker", *getattr(args, "argv", ())),
                sarif_max_results=args.sarif_max_results,
                annotations_max=args.annotations_max,
            )
            progress.step(f"writing the {fmt} report{f' to {out}' if out else ''}")
            write_report(fmt, result, options, stdout if out is None else files.open(out))
        if getattr(args, "output_dir", None):
            progress.step(f"writing the findings and outcomes to {args.output_dir}")
            write_dataset(result, args.output_dir)
    if not args.quiet:
        for w in gate.expired:
            print(
                f"warning: {w.location}: the waiver for {w.rule} expired on "
                f"{w.expires.isoformat()}; its findings count again",
                file=stderr,
            )
    if input_gate(args, result.batch, stderr):
        return EXIT_STRICT
    return exit_code(result, gate)


def warn_baseline(gate: Triage, stderr: IO[str]) -> None:
    """Print the baseline's mismatches with this run (another pack, rule versions not loaded)."""
    for warning in gate.baseline_warnings:
        print(f"warning: {warning}", file=stderr)


def cmd_baseline(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    """Run ``checker baseline create``."""
    # a line naming the stage on a terminal; anything written to stdout or stderr erases it first
    progress = StageProgress.for_command(stderr, "baseline create", quiet=args.quiet)
    stdout, stderr = progress.guard(stdout), progress.guard(stderr)
    try:
        progress.step("reading the inputs")
        result = run_check(args, stderr, progress)
        if result is None or not check_inputs(args, result, stderr, "baseline create"):
            return EXIT_ERROR
        progress.step(f"writing {len(result.findings):,} fingerprint(s) to {args.output}")
        with AtomicFiles([*([args.rejects] if getattr(args, "rejects", None) else []), args.output]) as files:
            write_rejects_file(args, result.batch, files)
            count = write_baseline(result, files.open(args.output))
    finally:
        progress.finish()
    print(f"{count} finding(s) recorded in {args.output}", file=stdout)
    return EXIT_STRICT if input_gate(args, result.batch, stderr) else EXIT_OK


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"checker check: error: --today {text!r}: expected YYYY-MM-DD") from exc
