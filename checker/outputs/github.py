"""``github``: GitHub Actions workflow commands that annotate the run.

One annotation per finding, placed at the input file and line of the
triggering event: ``::error`` when it fails the gate (new, at or above
``--fail-on``), ``::notice`` with the reason (``below --fail-on SEVERITY``,
``baselined``, ``waived``) otherwise; one ``::warning`` per rejected record.
They come failing findings first (most severe first), then rejected records,
then the other findings, at most ``RenderOptions.annotations_max`` of them
(GitHub shows about 50 per job). Then a ``::notice`` with the summary and,
when annotations were left out, a final ``::notice`` saying how many and where
the full list is.

Values come from logs, so each is escaped as the runner expects (``%``, CR,
LF; in properties also ``:`` and ``,``) after control characters are made
visible: a seller id cannot start a command of its own.
"""

from __future__ import annotations

from ..results.result import CheckResult
from .options import RenderOptions, gate_rank, gate_verdict, safe_terminal

#: the command of a finding: it fails the gate, or it does not
FAILING_COMMAND, PASSING_COMMAND = "error", "notice"


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
    """Workflow commands for the findings, the rejected records and the summary."""
    gate = options.triage
    # (order key, annotation): failing findings, rejected records, other findings;
    # the most severe first within each, then in the result's order
    items: list[tuple[tuple[int, int, int], str]] = []
    for i, f in enumerate(result.findings):
        verdict = gate_verdict(f, gate)
        trigger = next((e for e in f.evidence_events if e.event_id == f.event_id), None)
        subject = f" subject {f.subject.get('type')}:{f.subject.get('id')}" if f.subject else ""
        message = f.message.get(options.lang) if f.message else f.rule_id
        failing, severity = gate_rank(f, gate)
        items.append(
            (
                (2 * failing, severity, i),
                _command(
                    FAILING_COMMAND if verdict is None else PASSING_COMMAND,
                    f"{'' if verdict is None else f'[{verdict}] '}"
                    f"{message} (seller {f.seller_id}{subject}, event {f.event_id} at {f.timestamp}; "
                    f"fingerprint {f.fingerprint})",
                    file=trigger.file if trigger else "",
                    line=trigger.line if trigger else 0,
                    title=f"{f.rule_id} ({f.severity})",
                ),
            )
        )
    for j, r in enumerate(result.batch.rejected):
        items.append(
            (
                (1, 0, j),
                _command(
                    "warning",
                    f"rejected input record [{r.code}]: {r.reason}",
                    file=r.file,
                    line=r.line,
                    title="policy-checker: rejected record",
                ),
            )
        )
    items.sort(key=lambda item: item[0])
    limit = len(items) if options.annotations_max is None else options.annotations_max
    out = [line for _, line in items[:limit]]
    left = [key[0] for key, _ in items[limit:]]
    counted = gate.tally(result.finding_heads())
    counts = counted.by_status
    totals = result.batch.totals()
    out.append(
        _command(
            "notice",
            f"{len(result.findings)} violation(s): {counts['new']} new, {counts['baselined']} baselined, "
            f"{counts['waived']} waived; {counted.failing} at or above "
            f"{gate.fail_on}. Inputs: {totals['read']} read, {totals['accepted']} accepted, "
            f"{totals['duplicates']} duplicates, {totals['rejected']} rejected.",
            title="policy-checker",
        )
    )
    if left:
        out.append(
            _command(
                "notice",
                f"{len(left)} of {len(items)} annotations left out (at most {limit} are written): "
                f"{left.count(0)} failing findings, {left.count(1)} rejected records, "
                f"{left.count(2)} other findings. The full list is in the other reports "
                "(--format json, sarif, junit or csv with -o FILE; ci/policy-check.sh writes them all).",
                title="policy-checker: annotations left out",
            )
        )
    return "".join(out)
