"""Renderers of a :class:`CheckResult`, chosen by name from a registry.

Each renderer takes the result and its options and returns text. Anything
that comes from a log (ids, messages built from log fields) is neutralised
before it reaches a terminal: control characters, ANSI escapes included,
are shown as ``\\xNN`` escapes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from .outcomes import OUTCOME_ORDER, Kind
from .result import CheckResult


@dataclass(frozen=True)
class RenderOptions:
    """What a renderer may be asked for."""

    all_outcomes: bool = False
    lang: str = "en"
    color: bool = False


Renderer = Callable[[CheckResult, RenderOptions], str]
RENDERERS: dict[str, Renderer] = {}


def renderer(name: str) -> Callable[[Renderer], Renderer]:
    """Register a renderer under ``name`` (the value of ``--format``)."""

    def register(func: Renderer) -> Renderer:
        RENDERERS[name] = func
        return func

    return register


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def safe_terminal(text: object) -> str:
    """``text`` with control and bidi-override characters escaped, newlines kept as ``\\n``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text)).replace("\n", "\\n")


@renderer("json")
def render_json(result: CheckResult, options: RenderOptions) -> str:
    """The documented JSON result (``schemas/result.schema.json``)."""
    doc = result.to_dict(all_outcomes=options.all_outcomes)
    # one line per document: json's C encoder only runs without indentation, and
    # results with 100k findings are for machines (use jq to read one)
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


_SEVERITY_COLOR = {"critical": "35", "high": "31", "medium": "33", "low": "36", "info": "37"}


@renderer("text")
def render_text(result: CheckResult, options: RenderOptions) -> str:
    """A report for people: one block per finding, then counts and a summary line."""

    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if options.color else text

    lines: list[str] = []
    for f in result.findings:
        message = f.message.get(options.lang) if f.message else ""
        subject = f"{f.subject.get('type')}:{f.subject.get('id')}" if f.subject else "-"
        lines.append(
            f"{paint(f.severity.upper(), _SEVERITY_COLOR[f.severity])} {f.rule_id} "
            f"v{f.rule_version}  seller={safe_terminal(f.seller_id)} "
            f"subject={safe_terminal(subject)} event={safe_terminal(f.event_id)} at {f.timestamp}"
        )
        lines.append(f"    {safe_terminal(message)}")
        lines.append(f"    evidence: {safe_terminal(', '.join(f.evidence))}")
        lines.append(f"    fingerprint: {f.fingerprint}")
    if options.all_outcomes:
        for o in result.outcomes:
            if o.kind is Kind.VIOLATION:
                continue
            lines.append(f"{o.kind.value.upper()} {o.rule_id} v{o.rule_version} "
                         f"event={safe_terminal(o.event_id)}: {safe_terminal(o.reason)}")
    if lines:
        lines.append("")
    header = f"{'rule':<48} {'version':<8} " + " ".join(f"{k.value:>14}" for k in OUTCOME_ORDER)
    lines.append(header)
    for row in result.counts():
        lines.append(f"{row['rule_id']:<48} {row['rule_version']:<8} "
                     + " ".join(f"{row[k.value]:>14}" for k in OUTCOME_ORDER))
    totals = result.batch.totals()
    lines.append("")
    lines.append(
        f"inputs: {totals['read']} records read, {totals['accepted']} accepted, "
        f"{totals['duplicates']} duplicates, {totals['rejected']} rejected"
    )
    for r in result.batch.rejected[:20]:
        lines.append(f"  rejected {safe_terminal(r.file)}:{r.line}: {safe_terminal(r.reason)}")
    if len(result.batch.rejected) > 20:
        lines.append(f"  ... and {len(result.batch.rejected) - 20} more (see the JSON result)")
    by_sev = ", ".join(f"{n} {s}" for s, n in reversed(result.severity_counts().items()) if n)
    summary = (f"{len(result.findings)} violation(s){' (' + by_sev + ')' if by_sev else ''} "
               f"from {len(result.policies)} rule version(s) of pack "
               f"{result.pack.name}@{result.pack.revision}, as of "
               f"{result.as_of_text}")
    lines.append(paint(summary, "1"))
    return "\n".join(lines) + "\n"
