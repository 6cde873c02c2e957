"""CI gating: which findings are new, baselined or waived, and the run's exit code.

A :class:`Triage` classifies each finding of a result: *waived* when an
active waiver covers it, else *baselined* when its fingerprint is in the
baseline, else *new*. Only new findings at or above ``--fail-on`` fail a
run. Renderers show the classification; :func:`exit_code` turns it, and the
input accounting under ``--strict`` or a maximum :func:`reject_rate`, into
the exit code.

A baseline is applied by fingerprint whatever pack made it; when it was made
with another pack (name, revision or content) or names rule versions this run
does not load, :func:`baseline_warnings` says so (``Triage.baseline_warnings``):
the findings it accepted were judged by other rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from ..inputs.events import EventBatch
from ..language.policy import SEVERITIES
from ..language.times import zone
from .baseline import Baseline
from .outcomes import Outcome
from .result import CheckResult
from .waivers import Waiver, Waivers

EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR, EXIT_STRICT = 0, 1, 2, 3


class Status(StrEnum):
    """How a finding counts for the gate."""

    NEW = "new"
    BASELINED = "baselined"
    WAIVED = "waived"


@dataclass(frozen=True)
class Triage:
    """The gate's view of one result."""

    fail_on: str = SEVERITIES[0]
    today: date | None = None
    statuses: Mapping[str, Status] = field(default_factory=dict)  # by fingerprint
    waived_by: Mapping[str, Waiver] = field(default_factory=dict)
    expired: tuple[Waiver, ...] = ()
    unused: tuple[Waiver, ...] = ()
    baseline: Baseline | None = None
    baseline_absent: tuple[str, ...] = ()  # baselined fingerprints no longer found
    waivers: Waivers | None = None
    #: how the baseline does not match this run (another pack, rule versions not loaded)
    baseline_warnings: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        """Whether anything beyond the default gate was asked for (a baseline, waivers, --fail-on)."""
        return self.baseline is not None or self.waivers is not None or self.fail_on != SEVERITIES[0]

    def status(self, finding: Outcome) -> Status:
        """The finding's status (new when the triage does not know it)."""
        return self.statuses.get(finding.fingerprint, Status.NEW)

    def failing(self, findings: Iterable[Outcome]) -> list[Outcome]:
        """The new findings at or above ``fail_on``: those that fail the run."""
        return [f for f in findings if self.fails(f)]

    def fails(self, finding: Outcome) -> bool:
        """Whether ``finding`` is new and at or above ``fail_on``."""
        return self.status(finding) is Status.NEW and self.severe(finding)

    def severe(self, finding: Outcome) -> bool:
        """Whether ``finding`` is at or above ``fail_on`` (whatever its status)."""
        return SEVERITIES.index(finding.severity) >= SEVERITIES.index(self.fail_on)

    def count_failing(self, findings: Iterable[Outcome]) -> int:
        """How many findings fail the run (without holding them: findings may be on disk)."""
        return self.tally(findings).failing

    def counts(self, findings: Iterable[Outcome]) -> dict[str, int]:
        """Findings by status, every status named."""
        return self.tally(findings).by_status

    def tally(self, findings: Iterable[Outcome]) -> GateCount:
        """:meth:`counts` and :meth:`count_failing` in one pass over ``findings`` (which may be an
        iterator: a large run's findings, read from disk)."""
        counted = GateCount(self)
        for f in findings:
            counted.add(f)
        return counted

    def to_dict(self, findings: Iterable[Outcome]) -> dict[str, Any]:
        """The ``gating`` section of the JSON result (one pass over ``findings``)."""
        return self.gating_dict(self.tally(findings))

    def gating_dict(self, counted: GateCount) -> dict[str, Any]:
        """The ``gating`` section of the JSON result, for the findings ``counted``."""
        return {
            "fail_on": self.fail_on,
            "today": self.today.isoformat() if self.today else None,
            "by_status": dict(counted.by_status),
            "failing": counted.failing,
            "baseline": None
            if self.baseline is None
            else {
                "file": self.baseline.file,
                "entries": len(self.baseline.entries),
                "absent": list(self.baseline_absent),
            },
            "waivers": None
            if self.waivers is None
            else {
                "file": self.waivers.file,
                "count": len(self.waivers.waivers),
                "expired": [w.as_dict() for w in self.expired],
                "unused": [w.as_dict() for w in self.unused],
            },
        }


@dataclass
class GateCount:
    """A triage's counts of findings as they go by, one at a time (:meth:`add`): by status, and
    how many fail. A writer that streams the findings counts them on the way, for the summary
    it writes after them, instead of reading them all again."""

    triage: Triage
    by_status: dict[str, int] = field(init=False)
    failing: int = 0

    def __post_init__(self) -> None:
        self.by_status = {s.value: 0 for s in Status}

    def add(self, finding: Outcome) -> Outcome:
        """Count ``finding``; it is returned, so that a stream of findings can be counted as it is
        mapped (``map(counted.add, findings)``)."""
        status = self.triage.status(finding)
        self.by_status[status.value] += 1
        if status is Status.NEW and self.triage.severe(finding):
            self.failing += 1
        return finding


def today_in(timezone: str) -> date:
    """The current date in ``timezone`` (waivers expire on the calendar of the run's zone)."""
    return datetime.now(zone(timezone)).date()


def triage(
    result: CheckResult,
    *,
    baseline: Baseline | None = None,
    waivers: Waivers | None = None,
    fail_on: str = SEVERITIES[0],
    today: date | None = None,
) -> Triage:
    """Classify every finding of ``result``. ``today`` (for waiver expiry) defaults to the
    current date in the result's timezone."""
    if fail_on not in SEVERITIES:
        raise ValueError(f"unknown severity {fail_on!r} (one of {', '.join(SEVERITIES)})")
    if waivers is not None and today is None:
        today = today_in(result.batch.timezone)
    statuses: dict[str, Status] = {}
    waived_by: dict[str, Waiver] = {}
    used: set[int] = set()
    listed = waivers.waivers if waivers else ()
    # with neither a baseline nor waivers every finding is new, which status() says of a finding
    # it has no entry for: no pass over the findings (a large run reads them from disk, and
    # parses their evidence again, at every pass)
    for f in result.finding_heads() if baseline is not None or listed else ():
        waiver = next((w for w in listed if w.covers(f) and today is not None and w.active(today)), None)
        if waiver is not None:
            statuses[f.fingerprint] = Status.WAIVED
            waived_by[f.fingerprint] = waiver
            used.add(id(waiver))
        elif baseline is not None and f.fingerprint in baseline:
            statuses[f.fingerprint] = Status.BASELINED
        else:
            statuses[f.fingerprint] = Status.NEW
    expired = tuple(w for w in listed if today is not None and not w.active(today))
    unused = tuple(w for w in listed if id(w) not in used and w not in expired)
    # every finding has its status: one pass over the findings, which a large run reads from disk
    absent = tuple(sorted(fp for fp in (baseline.entries if baseline else {}) if fp not in statuses))
    warnings = tuple(baseline_warnings(baseline, result)) if baseline is not None else ()
    return Triage(
        fail_on=fail_on,
        today=today,
        statuses=statuses,
        waived_by=waived_by,
        expired=expired,
        unused=unused,
        baseline=baseline,
        baseline_absent=absent,
        waivers=waivers,
        baseline_warnings=warnings,
    )


#: how many rule versions a baseline warning names before "and N more"
_SHOWN_VERSIONS = 5


def baseline_warnings(baseline: Baseline, result: CheckResult) -> list[str]:
    """How ``baseline`` does not match the run of ``result``: made with another pack (name,
    revision or content hash), or with entries naming rule versions the run did not load.
    Not errors: fingerprints do not depend on rule versions, but what was accepted was
    judged by other rules, so the baseline may hide or keep findings it should not."""
    out: list[str] = []
    pack = baseline.pack or {}
    here = result.pack
    made = f"{pack.get('name', '?')}@{pack.get('revision', '?')}"
    if pack and (pack.get("name"), pack.get("revision")) != (here.name, here.revision):
        out.append(
            f"{baseline.file}: the baseline was made with pack {made}, this run loads "
            f"{here.name}@{here.revision}; re-create it with 'checker baseline create' "
            "once its findings are reviewed"
        )
    elif pack.get("content_hash") and pack.get("content_hash") != here.content_hash:
        out.append(
            f"{baseline.file}: the baseline was made with pack {made} of other content "
            f"(hash {str(pack['content_hash'])[:12]}, this run's {here.content_hash[:12]}): "
            "the policies changed without a new revision"
        )
    loaded = {(p.id, p.version) for p in result.policies}
    ids = {p.id for p in result.policies}
    unknown: dict[str, int] = {}
    for entry in baseline.entries.values():
        rule, version = entry.get("rule_id"), entry.get("rule_version")
        if rule is None:  # not in a baseline file (the schema requires it); nothing to compare
            continue
        key = (rule, version) if version is not None else None
        if (key is not None and key not in loaded) or (key is None and rule not in ids):
            name = f"{rule}@{version}" if version is not None else str(rule)
            unknown[name] = unknown.get(name, 0) + 1
    if unknown:
        names = sorted(unknown)
        shown = ", ".join(f"{n} ({unknown[n]})" for n in names[:_SHOWN_VERSIONS])
        more = f" and {len(names) - _SHOWN_VERSIONS} more" if len(names) > _SHOWN_VERSIONS else ""
        out.append(
            f"{baseline.file}: {sum(unknown.values())} baseline entr"
            f"{'y names a rule version' if sum(unknown.values()) == 1 else 'ies name rule versions'} "
            f"this run does not load: {shown}{more}"
        )
    return out


def reject_rate(batch: EventBatch) -> float:
    """The share of the records read that were rejected (0 when nothing was read)."""
    totals = batch.totals()
    return totals["rejected"] / totals["read"] if totals["read"] else 0.0


def exit_code(
    result: CheckResult, gate: Triage, *, strict: bool = False, max_reject_rate: float | None = None
) -> int:
    """3 under ``strict`` when any record was rejected (conflicts included), or when more
    than ``max_reject_rate`` of the records read were, else 1 when a finding fails the
    gate, else 0. Input problems come first: with records missing, the findings
    themselves are in doubt."""
    if strict and result.batch.rejected:
        return EXIT_STRICT
    if max_reject_rate is not None and reject_rate(result.batch) > max_reject_rate:
        return EXIT_STRICT
    return EXIT_VIOLATIONS if any(gate.fails(f) for f in result.finding_heads()) else EXIT_OK
