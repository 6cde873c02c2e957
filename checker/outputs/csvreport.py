"""``csv``: the findings as a spreadsheet that opens correctly in Excel.

UTF-8 with a byte order mark (without it Excel reads Chinese text as the
local code page) and CRLF line ends. Any cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is prefixed with ``'``: values come
from logs, and Excel would run such a cell as a formula (CSV injection).

Before that, control characters and bidirectional overrides are shown
visibly: C0 controls other than tab, line feed and carriage return (so NUL and
ESC), DEL and the C1 controls become ``\\xNN``, and the bidi embeddings,
overrides and isolates (U+202A-U+202E, U+2066-U+2069) become ``\\uNNNN``. A
log value can then neither hide or reorder what a reader sees in a cell
(``Trojan Source``) nor carry terminal escapes or NULs into other tools.
"""

from __future__ import annotations

import csv
import io
import re

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
#: shown escaped: C0 controls but tab, LF and CR; DEL; C1; bidi embeddings, overrides, isolates
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralise(cell: object) -> str:
    """A cell's text, made inert for spreadsheets: invisible controls shown escaped, and a
    formula start prefixed with ``'``."""
    text = "" if cell is None else str(cell)
    text = _INVISIBLE.sub(_visible, text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_csv(result: CheckResult, options: RenderOptions) -> str:
    """One row per finding, with its gate status and waiver."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    # a row reads no evidence record: the findings without them (a stored result parses none)
    for f in result.finding_heads():
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
