"""``github``: GitHub Actions workflow commands that annotate the run.

One ``::error``, ``::warning`` or ``::notice`` line per new finding
(critical and high, medium, low and info), placed at the input file and line
of the triggering event; one ``::warning`` per rejected record; a closing
``::notice`` with the summary. Baselined and waived findings are not
annotated.

Values come from logs, so each is escaped as the runner expects (``%``, CR,
LF; in properties also ``:`` and ``,``) after control characters are made
visible: a seller id cannot start a command of its own.
"""

from __future__ import annotations

from ..results.gating import Status
from ..results.result import CheckResult
from .options import RenderOptions, safe_terminal

COMMANDS = {"critical": "error", "high": "error", "medium": "warning", "low": "notice", "info": "notice"}


def escape_data(text: object) -> str:
    """A command's message, escaped."""
    return safe_terminal(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: object) -> str:
    """A command's property value, escaped."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, message: str, *, file: str = "", line: int = 0, title: str = "") -> str:
    props = []
    if file and file != "-" and not file.startswith("<"):
        props.append(f"file={escape_property(file)}")
        if line > 0:
            props.append(f"line={line}")
    if title:
        props.append(f"title={escape_property(title)}")
    return (
        f"::{kind} {','.join(props)}::{escape_data(message)}\n"
        if props
        else f"::{kind}::{escape_data(message)}\n"
    )


def render_github(result: CheckResult, options: RenderOptions) -> str:
    """Workflow commands for the new findings, the rejected records and the summary."""
    gate = options.triage
    out = []
    for f in result.findings:
        if gate.status(f) is not Status.NEW:
            continue
        trigger = next((e for e in f.evidence_events if e.event_id == f.event_id), None)
        subject = f" subject {f.subject.get('type')}:{f.subject.get('id')}" if f.subject else ""
        message = f.message.get(options.lang) if f.message else f.rule_id
        out.append(
            _command(
                COMMANDS[f.severity],
                f"{message} (seller {f.seller_id}{subject}, event {f.event_id} at {f.timestamp}; "
                f"fingerprint {f.fingerprint})",
                file=trigger.file if trigger else "",
                line=trigger.line if trigger else 0,
                title=f"{f.rule_id} ({f.severity})",
            )
        )
    for r in result.batch.rejected:
        out.append(
            _command(
                "warning",
                f"rejected input record [{r.code}]: {r.reason}",
                file=r.file,
                line=r.line,
                title="policy-checker: rejected record",
            )
        )
    counts = gate.counts(result.findings)
    totals = result.batch.totals()
    out.append(
        _command(
            "notice",
            f"{len(result.findings)} violation(s): {counts['new']} new, {counts['baselined']} baselined, "
            f"{counts['waived']} waived; {gate.count_failing(result.findings)} at or above "
            f"{gate.fail_on}. Inputs: {totals['read']} read, {totals['accepted']} accepted, "
            f"{totals['duplicates']} duplicates, {totals['rejected']} rejected.",
            title="policy-checker",
        )
    )
    return "".join(out)
