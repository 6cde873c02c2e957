"""What every renderer takes: :class:`RenderOptions`, and the helpers they share.

Anything that comes from a log (ids, messages built from log fields) is
neutralised before it reaches a terminal: control characters, ANSI escapes
included, are shown as ``\\xNN`` escapes (:func:`safe_terminal`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..results.gating import Triage
from ..results.outcomes import Outcome
from ..results.result import CheckResult, finding_dict


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


#: a renderer: the result and its options to text, or to text pieces when it streams
Renderer = Callable[[CheckResult, RenderOptions], "str | Iterable[str]"]


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
