"""``checker report``: the audit report (HTML or Markdown) over inputs or a saved JSON result.

A thin layer: it runs the check exactly as ``checker check`` does (the same
input options, formats, profiles and gate), or reads ``--from-json``, then
hands the JSON result to :mod:`checker.outputs.html` or :mod:`checker.outputs.markdown`,
the renderers ``checker check --format html|markdown`` uses too. The command
line recorded in the report's provenance is rebuilt from the parsed
arguments, so it does not depend on how the process was started.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import IO, Any

from ..language.errors import CheckerError
from ..language.policy import SEVERITIES
from ..outputs import RenderOptions
from ..outputs.html import render_html_report
from ..outputs.markdown import render_markdown_report
from ..outputs.reportmodel import result_document
from ..results.baseline import load_baseline
from ..results.gating import triage
from ..results.waivers import load_waivers
from .check import add_input_options, parse_date, run_check
from .common import EXIT_ERROR, EXIT_OK, EXIT_STRICT, Subparsers, UsageError

FORMATS = ("html", "markdown")


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``report`` subcommand to ``checker``'s subparsers."""
    p = subparsers.add_parser(
        "report",
        help="write the audit report: one self-contained HTML file, or Markdown",
        description="Write the audit report over inputs (read as 'checker check' reads them), or "
        "over a saved JSON result (checker check --format json --all-outcomes). Exit 0 when "
        "written; 2 on an error; 3 under --strict when records were rejected.",
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


def _from_json(path: str, stderr: IO[str]) -> dict[str, Any] | None:
    doc = json.loads(Path(path).read_text("utf-8"))
    if not (
        isinstance(doc, dict)
        and isinstance(doc.get("findings"), list)
        and isinstance(doc.get("policies"), list)
        and "schema_version" in doc
    ):
        print(f"{path}: not a policy-checker JSON result", file=stderr)
        return None
    if "other_outcomes" not in doc:
        print(
            f"warning: {path} was saved without --all-outcomes: sellers and time span "
            "count only the findings",
            file=stderr,
        )
    return doc


def _checked(args: argparse.Namespace, stderr: IO[str]) -> dict[str, Any] | None:
    """Run the check as ``checker check`` does, with its gate when one is asked for."""
    baseline = load_baseline(args.baseline) if args.baseline else None
    waivers = load_waivers(args.waivers) if args.waivers else None
    result = run_check(args, stderr)
    if result is None:
        return None
    today = parse_date(args.today) if args.today else None
    gate = triage(result, baseline=baseline, waivers=waivers, fail_on=args.fail_on, today=today)
    return result_document(result, RenderOptions(triage=gate))


def cmd_report(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    """Run ``checker report``: 0 when the report was written, 2 on an error, 3 under
    ``--strict`` when records were rejected."""
    if bool(args.inputs) == bool(args.from_json):
        print("checker report: error: give INPUT files or --from-json FILE (one of them)", file=stderr)
        return EXIT_ERROR
    try:
        doc = _from_json(args.from_json, stderr) if args.from_json else _checked(args, stderr)
        if doc is None:
            return EXIT_ERROR
        fmt = report_format(args)
        render = render_html_report if fmt == "html" else render_markdown_report
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
    if args.output:
        target = Path(args.output)
        target.parent.mkdir(parents=True, exist_ok=True)  # e.g. out/, which a fresh clone lacks
        # bytes, not text mode: the file is byte-identical on every platform
        target.write_bytes(text.encode("utf-8"))
        if not args.quiet:
            print(f"wrote {args.output} ({fmt}, {len(doc['findings'])} findings)", file=stderr)
    else:
        stdout.write(text)
    rejected = (doc.get("inputs") or {}).get("rejected") or []
    return EXIT_STRICT if args.strict and rejected else EXIT_OK
