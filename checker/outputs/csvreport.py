"""``csv``: the findings as a spreadsheet that opens correctly in Excel.

UTF-8 with a byte order mark (without it Excel reads Chinese text as the
local code page) and CRLF line ends. Any cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is prefixed with ``'``: values come
from logs, and Excel would run such a cell as a formula (CSV injection).
"""

from __future__ import annotations

import csv
import io

from ..results.result import CheckResult
from .options import RenderOptions

BOM = "\ufeff"
COLUMNS = (
    "rule_id",
    "rule_version",
    "severity",
    "status",
    "platform",
    "seller_id",
    "subject_type",
    "subject_id",
    "event_id",
    "timestamp",
    "message",
    "evidence",
    "fingerprint",
    "waiver_reason",
    "waiver_approver",
    "waiver_expires",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> str:
    """A cell's text, made inert for spreadsheets."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_csv(result: CheckResult, options: RenderOptions) -> str:
    """One row per finding, with its gate status and waiver."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for f in result.findings:
        waiver = options.triage.waived_by.get(f.fingerprint)
        subject = f.subject or {}
        message = f.message.get(options.lang) if f.message else ""
        writer.writerow(
            [
                neutralise(v)
                for v in (
                    f.rule_id,
                    f.rule_version,
                    f.severity,
                    options.triage.status(f).value,
                    f.platform,
                    f.seller_id,
                    subject.get("type"),
                    subject.get("id"),
                    f.event_id,
                    f.timestamp,
                    message,
                    " ".join(f.evidence),
                    f.fingerprint,
                    waiver.reason if waiver else "",
                    waiver.approver if waiver else "",
                    waiver.expires.isoformat() if waiver else "",
                )
            ]
        )
    return BOM + out.getvalue()
