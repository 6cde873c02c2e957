"""``checker report``: the audit report (HTML or Markdown) over inputs or a saved JSON result.

A thin layer: it runs the check exactly as ``checker check`` does (the same
input options, formats, profiles and gate), or reads ``--from-json``, then
hands the JSON result to :mod:`checker.outputs.html` or :mod:`checker.outputs.markdown`,
the renderers ``checker check --format html|markdown`` uses too. The command
line recorded in the report's provenance is rebuilt from the parsed
arguments, so it does not depend on how the process was started.

A ``--from-json`` file is validated against ``schemas/result.schema.json``
(timestamps included) before anything is rendered: a file that is not a
result exits 2 with each problem at ``file:line:column``. The report is
written whole or not at all (:mod:`checker.language.atomic`), as are
``--rejects``; a run over inputs that accepted no event exits 2 like
``checker check`` does, unless ``--allow-empty``.
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import jsonschema
from jsonschema import Draft202012Validator

from ..language.atomic import AtomicFiles
from ..language.errors import CheckerError, Location, Problem
from ..language.loader import display_path
from ..language.policy import SEVERITIES
from ..language.schema import load_schema
from ..language.yamlsafe import json_path
from ..outputs import RenderOptions
from ..outputs.html import render_html_report
from ..outputs.markdown import render_markdown_report
from ..outputs.reportmodel import result_document
from ..results.baseline import load_baseline
from ..results.gating import triage
from ..results.result import CheckResult
from ..results.waivers import load_waivers
from .check import (
    add_input_options,
    check_inputs,
    input_gate,
    parse_date,
    run_check,
    warn_baseline,
    write_rejects_file,
)
from .common import EXIT_ERROR, EXIT_OK, EXIT_STRICT, StageProgress, Subparsers, UsageError, print_problems

FORMATS = ("html", "markdown")


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``report`` subcommand to ``checker``'s subparsers."""
    p = subparsers.add_parser(
        "report",
        help="write the audit report: one self-contained HTML file, or Markdown",
        description="Write the audit report over inputs (read as 'checker check' reads them), or "
        "over a saved JSON result (checker check --format json --all-outcomes). Exit 0 when "
        "written; 2 on an error (also an invalid --from-json file, or nothing judged: no event "
        "accepted, see --allow-empty); 3 under --strict when records were rejected, or more than "
        "--max-reject-rate.",
    )
    add_input_options(p)
    # INPUT is required by the shared options; with --from-json there is none
    for action in p._actions:
        if action.dest == "inputs":
            action.nargs, action.required = "*", False
    p.add_argument("--from-json", metavar="FILE", help="render a saved JSON result instead of checking")
    p.add_argument(
        "--format",
        choices=FORMATS,
        help="html or markdown (default: markdown when -o ends in .md, else html)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the report here (default stdout)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the report")
    p.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default=SEVERITIES[0],
        help="severity from which new findings fail the gate (shown in the report)",
    )
    p.add_argument("--baseline", metavar="FILE", help="show these recorded findings as baselined")
    p.add_argument("--waivers", metavar="FILE", help="show findings these waivers cover as waived")
    p.add_argument("--today", metavar="YYYY-MM-DD", help="the date waivers' expiry is judged on")
    p.set_defaults(report_parser=p)
    return p


def command_line(args: argparse.Namespace) -> list[str]:
    """The report's command line, rebuilt from its parsed arguments: inputs first, then every
    option that differs from its default, in the parser's order, by its long name."""
    parser: argparse.ArgumentParser = args.report_parser
    cmd = ["checker", "report"]
    positionals = [a for a in parser._actions if not a.option_strings]
    options = [a for a in parser._actions if a.option_strings and a.dest not in ("help",)]
    for action in positionals:
        cmd += [str(v) for v in getattr(args, action.dest, None) or ()]
    for action in options:
        value = getattr(args, action.dest, None)
        if value is None or value == action.default or value == []:
            continue
        name = action.option_strings[-1]
        if action.nargs == 0:  # a flag
            cmd.append(name)
        else:
            for item in value if isinstance(value, list) else [value]:
                cmd += [name, str(item)]
    return cmd


def report_format(args: argparse.Namespace) -> str:
    """The format asked for, or the one ``-o``'s suffix implies."""
    if args.format:
        return str(args.format)
    if args.output and Path(args.output).suffix.lower() in (".md", ".markdown"):
        return "markdown"
    return "html"


_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")
_FORMATS = jsonschema.FormatChecker()


@_FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    """RFC 3339 with an offset (jsonschema checks ``date-time`` only with an optional package)."""
    if not isinstance(value, str):
        return True
    if not _RFC3339.fullmatch(value):
        return False
    datetime.fromisoformat(value.replace("z", "Z"))  # a real date and time, or ValueError
    return True


#: at most this many schema problems are reported (a wrong file can have thousands)
MAX_PROBLEMS = 20


def validate_result(text: str, file: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """A saved JSON result, or the problems that keep it from being one, each at
    ``file:line:column`` (the first :data:`MAX_PROBLEMS` of them)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [Problem(Location(file, exc.lineno, exc.colno), "bad-json", f"not JSON: {exc.msg}")]
    if not isinstance(doc, dict):
        return None, [
            Problem(Location(file, 1, 1), "schema", "not a policy-checker JSON result: not an object")
        ]
    schema_validator = Draft202012Validator(load_schema("result"), format_checker=_FORMATS)
    problems = []
    for error in schema_validator.iter_errors(doc):
        path = tuple(error.absolute_path)
        line, col = json_position(text, path)
        message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
        problems.append(
            Problem(Location(file, line, col, json_path(path)), "schema", f"{json_path(path)}: {message}")
        )
        if len(problems) >= MAX_PROBLEMS:
            break
    return (None, sorted(problems)) if problems else (doc, [])


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def json_position(text: str, path: tuple[str | int, ...]) -> tuple[int, int]:
    """The 1-based line and column where the value at ``path`` starts in the JSON ``text``
    (of its nearest existing parent when the path is not there)."""
    index = _SPACE.match(text, 0).end()  # type: ignore[union-attr]  # always matches
    for step in path:
        found = _child(text, index, step)
        if found is None:
            break
        index = found
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _child(text: str, index: int, step: str | int) -> int | None:
    """Where the member ``step`` of the object or array starting at ``index`` starts."""
    opening = text[index : index + 1]
    if opening not in ("{", "["):
        return None
    i = _SPACE.match(text, index + 1).end()  # type: ignore[union-attr]
    position = 0
    while i < len(text) and text[i] not in "}]":
        if opening == "{":
            key, i = _DECODER.raw_decode(text, i)
            i = _SPACE.match(text, i).end() + 1  # type: ignore[union-attr]  # past ':'
            i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
            if key == step:
                return i
        elif position == step:
            return i
        _, i = _DECODER.raw_decode(text, i)
        i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
        if text[i : i + 1] == ",":
            i = _SPACE.match(text, i + 1).end()  # type: ignore[union-attr]
        position += 1
    return None


def _from_json(path: str, stderr: IO[str]) -> dict[str, Any] | None:
    shown = display_path(Path(path))
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        print_problems([Problem(Location(shown), "encoding", f"the result is not UTF-8: {exc}")], stderr)
        return None
    doc, problems = validate_result(text, shown)
    if doc is None:
        print_problems(problems, stderr)
        print(f"checker report: error: {shown} is not a policy-checker JSON result", file=stderr)
        return None
    if "other_outcomes" not in doc:
        print(
            f"warning: {path} was saved without --all-outcomes: sellers and time span "
            "count only the findings",
            file=stderr,
        )
    return doc


def _checked(
    args: argparse.Namespace, stderr: IO[str], progress: StageProgress
) -> tuple[dict[str, Any], CheckResult] | None:
    """Run the check as ``checker check`` does, with its gate when one is asked for."""
    baseline = load_baseline(args.baseline) if args.baseline else None
    waivers = load_waivers(args.waivers) if args.waivers else None
    progress.step("reading the inputs")
    result = run_check(args, stderr, progress)
    if result is None or not check_inputs(args, result, stderr, "report"):
        return None
    today = parse_date(args.today) if args.today else None
    gate = triage(result, baseline=baseline, waivers=waivers, fail_on=args.fail_on, today=today)
    if not args.quiet:
        warn_baseline(gate, stderr)
    return result_document(result, RenderOptions(triage=gate), digest=True), result


def cmd_report(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    """Run ``checker report``: 0 when the report was written, 2 on an error, 3 under
    ``--strict`` when records were rejected."""
    # a line naming the stage (reading, judging, rendering, writing) on a terminal, since each
    # can take long; anything else written to stdout or stderr first erases it
    progress = StageProgress.for_command(stderr, "report", quiet=args.quiet)
    try:
        return _report(args, progress.guard(stdout), progress.guard(stderr), progress)
    finally:
        progress.finish()


def _report(args: argparse.Namespace, stdout: IO[str], stderr: IO[str], progress: StageProgress) -> int:
    if bool(args.inputs) == bool(args.from_json):
        print("checker report: error: give INPUT files or --from-json FILE (one of them)", file=stderr)
        return EXIT_ERROR
    result: CheckResult | None = None
    try:
        if args.from_json:
            progress.step(f"reading {args.from_json}")
            doc = _from_json(args.from_json, stderr)
        else:
            checked = _checked(args, stderr, progress)
            doc, result = checked if checked is not None else (None, None)
        if doc is None:
            return EXIT_ERROR
        fmt = report_format(args)
        render = render_html_report if fmt == "html" else render_markdown_report
        progress.step(f"rendering the {fmt} report of {len(doc['findings']):,} finding(s)")
        text = render(doc, lang=args.lang, command=command_line(args))
    except CheckerError as exc:
        for problem in exc.problems:
            print(problem, file=stderr)
        return EXIT_ERROR
    except UsageError as exc:
        print(exc, file=stderr)
        return EXIT_ERROR
    except (OSError, ValueError) as exc:  # unreadable files, bad JSON, a bad --as-of
        print(f"checker report: error: {exc}", file=stderr)
        return EXIT_ERROR
    progress.step(f"writing {args.output or 'the report'}")
    # the report and --rejects, all-or-nothing; missing folders (out/ in a fresh clone) are made
    with AtomicFiles() as files:
        if result is not None:
            write_rejects_file(args, result.batch, files)
        if args.output:
            # bytes, not text mode: the file is byte-identical on every platform
            files.open(args.output, "wb").write(text.encode("utf-8"))
        else:
            stdout.write(text)
    if args.output and not args.quiet:
        print(f"wrote {args.output} ({fmt}, {len(doc['findings'])} findings)", file=stderr)
    if result is not None:
        return EXIT_STRICT if input_gate(args, result.batch, stderr) else EXIT_OK
    rejected = (doc.get("inputs") or {}).get("rejected") or []
    return EXIT_STRICT if args.strict and rejected else EXIT_OK
