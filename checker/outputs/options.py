"""What every renderer takes: :class:`RenderOptions`, and the helpers they share.

Anything that comes from a log (ids, messages built from log fields) is
neutralised before it reaches a terminal: control characters, ANSI escapes
included, are shown as ``\\xNN`` escapes (:func:`safe_terminal`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..language.policy import SEVERITIES
from ..results.gating import Status, Triage
from ..results.outcomes import Outcome
from ..results.result import JSON_ENCODER, CheckResult, finding_dict

#: GitHub code scanning refuses a SARIF run with more results than this
SARIF_MAX_RESULTS = 25_000
#: GitHub shows at most 10 annotations of each kind per step and 50 per job
ANNOTATIONS_MAX = 50


@dataclass(frozen=True)
class RenderOptions:
    """What a renderer may be asked for.

    ``triage`` classifies findings as new, baselined or waived (the default
    triage calls every finding new and fails on any severity); the CI formats
    (``junit``, ``sarif``, ``github``) mark as failing only the findings it
    fails (:func:`gate_verdict`).

    ``sarif_max_results`` and ``annotations_max`` keep the SARIF and GitHub
    outputs within what GitHub accepts (code scanning refuses more than 25,000
    results per run; a job shows about 50 annotations): the most severe are
    kept (:func:`gate_rank`) and the number left out is stated. ``None`` means
    no limit.
    """

    all_outcomes: bool = False
    lang: str = "en"
    color: bool = False
    triage: Triage = field(default_factory=Triage)
    command: tuple[str, ...] = ()  # the command line, for the report's provenance
    sarif_max_results: int | None = SARIF_MAX_RESULTS
    annotations_max: int | None = ANNOTATIONS_MAX

    def __post_init__(self) -> None:
        for name in ("sarif_max_results", "annotations_max"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be at least 0 or None, got {value}")


#: a renderer: the result and its options to text, or to text pieces when it streams
Renderer = Callable[[CheckResult, RenderOptions], "str | Iterable[str]"]


def finding_record(finding: Outcome, options: RenderOptions) -> dict[str, object]:
    """A finding's JSON form, with its gate status (and waiver) when a triage is active."""
    doc: dict[str, object] = finding_dict(finding)
    if options.triage.active:
        doc.update(_triaged(finding, options.triage))
    return doc


def _triaged(finding: Outcome, triage: Triage) -> dict[str, object]:
    """The keys a triage adds to a finding's JSON form, in their order."""
    waiver = triage.waived_by.get(finding.fingerprint)
    added: dict[str, object] = {"status": triage.status(finding).value}
    if waiver is not None:
        added["waiver"] = waiver.as_dict()
    return added


def triaged_text(text: str, finding: Outcome, triage: Triage) -> str:
    """``encode(finding_record(...))`` of a finding whose untriaged text (:func:`encode_finding`)
    is ``text``, for ``finding`` (its evidence records not needed): the triage's keys come last in
    the record, so they are written before the text's closing brace."""
    return (
        text[:-1]
        + "".join(
            f",{JSON_ENCODER.encode(k)}:{JSON_ENCODER.encode(v)}"
            for k, v in _triaged(finding, triage).items()
        )
        + "}"
    )


def gate_verdict(finding: Outcome, gate: Triage) -> str | None:
    """None when ``finding`` fails the gate, else why it does not: ``baselined``,
    ``waived`` or ``below --fail-on SEVERITY``. The CI formats show a failing
    finding as a failure (JUnit ``<failure>``, SARIF ``error``, ``::error``) and
    any other as passing with this reason (``<skipped>``, ``note``, ``::notice``)."""
    status = gate.status(finding)
    if status is not Status.NEW:
        return status.value
    return None if gate.fails(finding) else f"below --fail-on {gate.fail_on}"


def gate_rank(finding: Outcome, gate: Triage) -> tuple[int, int]:
    """A sort key putting failing findings first, then the most severe: sorted with it
    (a stable sort), findings keep their order within a rank."""
    return (0 if gate.fails(finding) else 1, -SEVERITIES.index(finding.severity))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def safe_terminal(text: object) -> str:
    """``text`` with control and bidi-override characters escaped, newlines kept as ``\\n``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text)).replace("\n", "\\n")
