"""The ``text`` format: one block per finding for people at a terminal, then counts."""

from __future__ import annotations

from ..inputs.profiles import DEFAULT_SUBJECT_WORDS
from ..results.gating import GateCount, Status, Triage
from ..results.outcomes import OUTCOME_ORDER, Outcome
from ..results.result import CheckResult
from ..results.waivers import Waiver
from .options import RenderOptions, safe_terminal

_SEVERITY_COLOR = {"critical": "35", "high": "31", "medium": "33", "low": "36", "info": "37"}


def render_text(result: CheckResult, options: RenderOptions) -> str:
    """A report for people: one block per finding, then counts and a summary line."""

    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if options.color else text

    gate = options.triage
    # the subject of seller_id as the run's profile calls it ("patient=C"); seller by default
    who = (result.subject_words or DEFAULT_SUBJECT_WORDS).en_singular.replace(" ", "_")
    lines: list[str] = []
    # a finding's lines read no evidence record; the gate's summary counts them on the way
    counted = GateCount(gate)
    for f in map(counted.add, result.finding_heads()):
        message = f.message.get(options.lang) if f.message else ""
        subject = f"{f.subject.get('type')}:{f.subject.get('id')}" if f.subject else "-"
        lines.append(
            f"{paint(f.severity.upper(), _SEVERITY_COLOR[f.severity])} {f.rule_id} "
            f"v{f.rule_version}  {safe_terminal(who)}={safe_terminal(f.seller_id)} "
            f"subject={safe_terminal(subject)} event={safe_terminal(f.event_id)} at {f.timestamp}"
            f"{_status_tag(gate, f)}"
        )
        lines.append(f"    {safe_terminal(message)}")
        lines.append(f"    evidence: {safe_terminal(', '.join(f.evidence))}")
        lines.append(f"    fingerprint: {f.fingerprint}")
    if options.all_outcomes:
        for o in result.other_outcomes():
            lines.append(
                f"{o.kind.value.upper()} {o.rule_id} v{o.rule_version} "
                f"event={safe_terminal(o.event_id)}: {safe_terminal(o.reason)}"
            )
    if lines:
        lines.append("")
    header = f"{'rule':<48} {'version':<8} " + " ".join(f"{k.value:>14}" for k in OUTCOME_ORDER)
    lines.append(header)
    for row in result.counts():
        lines.append(
            f"{row['rule_id']:<48} {row['rule_version']:<8} "
            + " ".join(f"{row[k.value]:>14}" for k in OUTCOME_ORDER)
        )
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
    summary = (
        f"{len(result.findings)} violation(s){' (' + by_sev + ')' if by_sev else ''} "
        f"from {len(result.policies)} rule version(s) of pack "
        f"{result.pack.name}@{result.pack.revision}, as of "
        f"{result.as_of_text}"
    )
    if gate.active:
        counts = counted.by_status
        summary += (
            f"; {counts['new']} new, {counts['baselined']} baselined, "
            f"{counts['waived']} waived; {counted.failing} failing "
            f"at --fail-on {gate.fail_on}"
        )
    lines.append(paint(summary, "1"))
    return "\n".join(lines) + "\n"


def _status_tag(gate: Triage, finding: Outcome) -> str:
    status = gate.status(finding)
    if status is Status.NEW:
        return ""
    waiver = gate.waived_by.get(finding.fingerprint)
    if waiver is None:
        return f"  [{status.value}]"
    return (
        f"  [waived until {waiver.expires.isoformat()} by {safe_terminal(waiver.approver)}: "
        f"{safe_terminal(waiver.reason)}]"
    )


def _gate_lines(gate: Triage, result: CheckResult) -> list[str]:
    lines = []
    for w in gate.expired:
        lines.append(
            f"waiver expired on {w.expires.isoformat()} ({w.location}): {w.rule} "
            f"{_waiver_scope(w)}; its findings count again"
        )
    for w in gate.unused:
        lines.append(f"waiver unused ({w.location}): {w.rule} {_waiver_scope(w)} matches no finding")
    if gate.baseline is not None and gate.baseline_absent:
        lines.append(
            f"{len(gate.baseline_absent)} finding(s) of the baseline {gate.baseline.file} no longer found"
        )
    return lines


def _waiver_scope(w: Waiver) -> str:
    parts = [
        f"seller={safe_terminal(w.seller)}" if w.seller else "",
        f"subject={safe_terminal(':'.join(w.subject))}" if w.subject else "",
    ]
    return " ".join(p for p in parts if p)
