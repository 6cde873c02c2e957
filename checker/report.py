"""Renderers of a :class:`CheckResult`, chosen by name from a registry.

Each renderer takes the result and its options and returns text, or an
iterable of text pieces when it streams (``jsonl``); :func:`write_report`
writes either. Anything that comes from a log (ids, messages built from log
fields) is neutralised before it reaches a terminal: control characters,
ANSI escapes included, are shown as ``\\xNN`` escapes.

The renderers of the CI formats live in :mod:`checker.formats`, one module
each, and register themselves here when that package is imported (at the
end of this module).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from .gating import Status, Triage
from .outcomes import OUTCOME_ORDER, Kind, Outcome
from .result import CheckResult, finding_dict, other_outcome_dict
from .waivers import Waiver


@dataclass(frozen=True)
class RenderOptions:
    """What a renderer may be asked for.

    ``triage`` classifies findings as new, baselined or waived (the default
    triage calls every finding new and fails on any severity).
    """

    all_outcomes: bool = False
    lang: str = "en"
    color: bool = False
    triage: Triage = field(default_factory=Triage)
    command: tuple[str, ...] = ()  # the command line, for the report's provenance


Renderer = Callable[[CheckResult, RenderOptions], "str | Iterable[str]"]
RENDERERS: dict[str, Renderer] = {}


def renderer(name: str) -> Callable[[Renderer], Renderer]:
    """Register a renderer under ``name`` (the value of ``--format``)."""

    def register(func: Renderer) -> Renderer:
        RENDERERS[name] = func
        return func

    return register


def render(name: str, result: CheckResult, options: RenderOptions) -> str:
    """The whole text of the ``name`` rendering of ``result``."""
    out = RENDERERS[name](result, options)
    return out if isinstance(out, str) else "".join(out)


def write_report(name: str, result: CheckResult, options: RenderOptions, stream: IO[str]) -> None:
    """Write the ``name`` rendering of ``result`` to ``stream``, piece by piece when it streams."""
    out = RENDERERS[name](result, options)
    if isinstance(out, str):
        stream.write(out)
        return
    for piece in out:
        stream.write(piece)


def finding_record(finding: Outcome, options: RenderOptions) -> dict[str, object]:
    """A finding's JSON form, with its gate status (and waiver) when a triage is active."""
    doc: dict[str, object] = finding_dict(finding)
    if options.triage.active:
        doc["status"] = options.triage.status(finding).value
        waiver = options.triage.waived_by.get(finding.fingerprint)
        if waiver is not None:
            doc["waiver"] = waiver.as_dict()
    return doc


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def safe_terminal(text: object) -> str:
    """``text`` with control and bidi-override characters escaped, newlines kept as ``\\n``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text)).replace("\n", "\\n")


#: the encoder of every JSON piece: what ``json.dumps(doc, ensure_ascii=False, separators=(",", ":"))``
#: uses, made once (a value encodes to the same text alone as inside its document)
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
#: findings encoded per piece handed to the writer: fewer writes, bounded memory
_CHUNK = 512


@renderer("json")
def render_json(result: CheckResult, options: RenderOptions) -> Iterator[str]:
    """The documented JSON result (``schemas/result.schema.json``), streamed.

    The pieces join to exactly ``json.dumps(doc, ensure_ascii=False, separators=(",", ":"))``
    of the whole document (plus a newline), but each finding's dict (with its evidence records)
    is built only when it is written: at export scale the findings are most of the document.
    """
    # one line per document: json's C encoder only runs without indentation, and
    # results with 100k findings are for machines (use jq to read one)
    findings = result.findings
    encode = _JSON.encode
    sep = "{"
    for key, value in result.head_dict().items():
        yield sep + encode(key) + ":" + encode(value)
        sep = ","
    yield ',"findings":['
    yield from _stream(finding_record(f, options) for f in findings)
    yield "]"
    if options.all_outcomes:
        # the entries of CheckResult.to_dict(all_outcomes=True), one at a time
        yield ',"other_outcomes":['
        yield from _stream(other_outcome_dict(o) for o in result.outcomes if o.kind is not Kind.VIOLATION)
        yield "]"
    if options.triage.active:
        yield ',"gating":' + encode(options.triage.to_dict(findings))
    yield "}\n"


def _stream(items: Iterable[object]) -> Iterator[str]:
    """The JSON array elements ``items``, comma-separated, a chunk of them per piece."""
    encode = _JSON.encode
    chunk: list[str] = []
    first = True
    for item in items:
        chunk.append(encode(item))
        if len(chunk) == _CHUNK:
            yield ("" if first else ",") + ",".join(chunk)
            first = False
            chunk = []
    if chunk:
        yield ("" if first else ",") + ",".join(chunk)


_SEVERITY_COLOR = {"critical": "35", "high": "31", "medium": "33", "low": "36", "info": "37"}


@renderer("text")
def render_text(result: CheckResult, options: RenderOptions) -> str:
    """A report for people: one block per finding, then counts and a summary line."""

    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if options.color else text

    gate = options.triage
    lines: list[str] = []
    for f in result.findings:
        message = f.message.get(options.lang) if f.message else ""
        subject = f"{f.subject.get('type')}:{f.subject.get('id')}" if f.subject else "-"
        lines.append(
            f"{paint(f.severity.upper(), _SEVERITY_COLOR[f.severity])} {f.rule_id} "
            f"v{f.rule_version}  seller={safe_terminal(f.seller_id)} "
            f"subject={safe_terminal(subject)} event={safe_terminal(f.event_id)} at {f.timestamp}"
            f"{_status_tag(gate, f)}"
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
    lines.extend(_gate_lines(gate, result))
    by_sev = ", ".join(f"{n} {s}" for s, n in reversed(result.severity_counts().items()) if n)
    summary = (f"{len(result.findings)} violation(s){' (' + by_sev + ')' if by_sev else ''} "
               f"from {len(result.policies)} rule version(s) of pack "
               f"{result.pack.name}@{result.pack.revision}, as of "
               f"{result.as_of_text}")
    if gate.active:
        counts = gate.counts(result.findings)
        summary += (f"; {counts['new']} new, {counts['baselined']} baselined, "
                    f"{counts['waived']} waived; {gate.count_failing(result.findings)} failing "
                    f"at --fail-on {gate.fail_on}")
    lines.append(paint(summary, "1"))
    return "\n".join(lines) + "\n"


def _status_tag(gate: Triage, finding: Outcome) -> str:
    status = gate.status(finding)
    if status is Status.NEW:
        return ""
    waiver = gate.waived_by.get(finding.fingerprint)
    if waiver is None:
        return f"  [{status.value}]"
    return (f"  [waived until {waiver.expires.isoformat()} by {safe_terminal(waiver.approver)}: "
            f"{safe_terminal(waiver.reason)}]")


def _gate_lines(gate: Triage, result: CheckResult) -> list[str]:
    lines = []
    for w in gate.expired:
        lines.append(f"waiver expired on {w.expires.isoformat()} ({w.location}): {w.rule} "
                     f"{_waiver_scope(w)}; its findings count again")
    for w in gate.unused:
        lines.append(f"waiver unused ({w.location}): {w.rule} {_waiver_scope(w)} matches no finding")
    if gate.baseline is not None and gate.baseline_absent:
        lines.append(f"{len(gate.baseline_absent)} finding(s) of the baseline {gate.baseline.file} "
                     "no longer found")
    return lines


def _waiver_scope(w: Waiver) -> str:
    parts = [f"seller={safe_terminal(w.seller)}" if w.seller else "",
             f"subject={safe_terminal(':'.join(w.subject))}" if w.subject else ""]
    return " ".join(p for p in parts if p)


# the CI formats register their renderers when imported
from . import formats as _formats  # noqa: E402, F401
