"""What an audit report shows, computed once from the JSON result.

The HTML and Markdown reports are both rendered from a :class:`ReportModel`,
and the model is built only from the JSON result dict
(``CheckResult.to_dict(all_outcomes=True)``, or the same document read back
from a saved file), so ``checker report --from-json`` and ``checker check
--format html`` share one code path. Everything here is deterministic: lists
are sorted with explicit tie-breaks and the generation time comes from
``SOURCE_DATE_EPOCH`` when it is set.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..inputs.profiles import DEFAULT_SUBJECT_WORDS, SubjectWords
from ..language.errors import CheckerError, Location, Problem
from ..language.times import TimestampError, format_timestamp, parse_timestamp, zone
from ..results.gating import GateCount
from ..results.outcomes import Outcome
from ..results.result import CheckResult, other_outcome_dict
from .options import RenderOptions, finding_record

SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")  # most severe first
OUTCOMES = ("violation", "pass", "inconclusive", "pending", "not_applicable")
STATUSES = ("new", "baselined", "waived")  # a finding's status under CI gating
TOP_SELLERS = 10

# C0/C1 controls and bidi overrides would let a log value hide or reorder the
# text around it on screen (a "Trojan Source" seller id); they are shown as
# visible escapes instead. Newlines are kept: renderers decide what they mean.
_INVISIBLE = re.compile(
    r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    r"\ufeff]"
)


def visible(text: object) -> str:
    """``text`` with control, zero-width and bidi-override characters shown as ``\\uXXXX``."""
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))


@dataclass(frozen=True)
class Generated:
    """When a report was generated, and where that time came from."""

    epoch: int  # seconds since the epoch
    source: str  # "SOURCE_DATE_EPOCH" or "clock"

    @property
    def text(self) -> str:
        """RFC 3339 in UTC, to the second."""
        return datetime.fromtimestamp(self.epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def generation_time(
    environ: Mapping[str, str] | None = None, clock: Callable[[], float] = time.time
) -> Generated:
    """The generation time: ``SOURCE_DATE_EPOCH`` when set (reproducible reports), else the clock.

    A malformed ``SOURCE_DATE_EPOCH`` is an error rather than silently
    ignored, as the reproducible-builds specification asks.
    """
    env = os.environ if environ is None else environ
    raw = env.get("SOURCE_DATE_EPOCH")
    if raw is None or raw == "":
        return Generated(int(clock()), "clock")
    if not raw.isdigit():
        raise CheckerError(
            [
                Problem(
                    Location("SOURCE_DATE_EPOCH"),
                    "bad-source-date-epoch",
                    f"SOURCE_DATE_EPOCH must be a non-negative integer, not {raw!r}",
                )
            ]
        )
    return Generated(int(raw), "SOURCE_DATE_EPOCH")


@dataclass(frozen=True)
class RuleView:
    """One rule version as the report describes it, with its outcome counts."""

    id: str
    version: str
    severity: str
    status: str
    platform: str
    title: str
    description: str
    tags: tuple[str, ...]
    document: str
    quote: str
    section: str
    timezone: str
    file: str
    sha256: str
    effective_from: str | None
    effective_until: str | None
    params: tuple[tuple[str, str], ...]
    counts: tuple[tuple[str, int], ...]  # every outcome of OUTCOMES, in that order

    @property
    def triggers(self) -> int:
        """How many triggering events this version judged."""
        return sum(n for _, n in self.counts)


@dataclass(frozen=True)
class Week:
    """Violations of one week (Monday to Sunday in the report's timezone), by severity."""

    start: date
    counts: tuple[int, ...]  # in SEVERITY_ORDER

    @property
    def total(self) -> int:
        """All violations of the week."""
        return sum(self.counts)


@dataclass(frozen=True)
class VersionTally:
    """One version of a rule that found violations: its version, its title and how many."""

    version: str
    title: str
    total: int


@dataclass(frozen=True)
class Tally:
    """A key (a rule, a platform, a seller) and its violations by severity."""

    key: str
    label: str
    counts: tuple[int, ...]  # in SEVERITY_ORDER
    # by rule: every version with violations, oldest first, each with its own title (a rule's
    # older version keeps judging triggers before its successor takes effect)
    versions: tuple[VersionTally, ...] = ()

    @property
    def total(self) -> int:
        """All violations under this key."""
        return sum(self.counts)


@dataclass(frozen=True)
class ReportModel:
    """Everything a report shows, in the order and form both renderers use."""

    lang: str
    tool_version: str
    command: tuple[str, ...]
    generated: Generated
    as_of: str
    timezone: str
    pack: Mapping[str, str]
    platforms: tuple[str, ...]
    sellers_judged: int
    sellers_with_findings: int
    span: tuple[str, str] | None  # earliest and latest event judged or used as evidence
    event_times: Mapping[str, int]  # epoch microseconds of each evidence event, by event id
    complete: bool  # False when the result lacks other_outcomes (saved without --all-outcomes)
    inputs: tuple[Mapping[str, Any], ...]
    totals: Mapping[str, int]
    events_after_as_of: int | None
    rejected: tuple[Mapping[str, Any], ...]
    rules: tuple[RuleView, ...]
    violations: int
    by_severity: tuple[tuple[str, int], ...]
    by_outcome: tuple[tuple[str, int], ...]
    by_rule: tuple[Tally, ...]
    by_platform: tuple[Tally, ...]
    top_sellers: tuple[Tally, ...]
    weeks: tuple[Week, ...]
    findings: tuple[Mapping[str, Any], ...]
    # CI gating, when the result carries it: findings by status (new, baselined, waived),
    # the waivers that applied with how many findings each covers, and the gate's own section
    statuses: tuple[tuple[str, int], ...]
    waivers: tuple[tuple[Mapping[str, Any], int], ...]
    gating: Mapping[str, Any] | None
    # what the report calls the subject of seller_id (the result's subject_words, else a seller)
    words: SubjectWords = DEFAULT_SUBJECT_WORDS

    def message(self, finding: Mapping[str, Any]) -> str:
        """A finding's message in the report's language (from the policy's templates)."""
        if self.lang == "zh" and finding.get("message_zh"):
            return str(finding["message_zh"])
        return str(finding.get("message", ""))

    def rule_title(self, rule_id: str, version: str | None = None) -> str:
        """The title of a rule in the report's language: of ``version`` when given and listed,
        else of the rule's latest version."""
        titles = {r.id: r.title for r in self.rules}
        if version is not None:
            titles.update({r.id: r.title for r in self.rules if r.id == rule_id and r.version == version})
        return titles.get(rule_id, rule_id)


def version_line(version: VersionTally, counted: bool, words: Mapping[str, str]) -> str:
    """A version of a rule as the per-rule table names it: ``v1.0.0: Title``, or with its
    violations, ``v1.0.0 (3): Title``, when ``counted`` (several versions found some)."""
    template = words["version_count_title"] if counted else words["version_title"]
    return template.format(version=version.version, n=version.total, title=version.title)


def status_of(finding: Mapping[str, Any]) -> str:
    """A finding's gate status: ``new`` unless the result marks it baselined or waived."""
    status = finding.get("status")
    return status if status in STATUSES else "new"


def _title(policy: Mapping[str, Any], lang: str) -> str:
    title = policy.get("title") or {}
    if isinstance(title, Mapping):
        return str(title.get(lang) or title.get("en") or policy.get("id", ""))
    return str(title)


def _instant(value: Any, tz_name: str) -> int | None:
    """Epoch microseconds of a timestamp as read, or None when it cannot be read."""
    try:
        return parse_timestamp(value, zone(tz_name))
    except (TimestampError, TypeError, ValueError):
        return None


def _tallies(rows: Iterable[tuple[str, str]], labels: Mapping[str, str] | None = None) -> list[Tally]:
    """Count (key, severity) pairs into tallies, most violations first, then by key."""
    counter: dict[str, Counter[str]] = {}
    for key, severity in rows:
        counter.setdefault(key, Counter())[severity] += 1
    tallies = [
        Tally(key, (labels or {}).get(key, key), tuple(c[s] for s in SEVERITY_ORDER))
        for key, c in counter.items()
    ]
    return sorted(tallies, key=lambda t: (-t.total, t.key))


def _rule_tallies(findings: Sequence[Mapping[str, Any]], rules: Sequence[RuleView]) -> list[Tally]:
    """Violations by rule, each naming the versions that found them with their own titles.

    The label is the title of the newest version with violations (so a rule whose every
    violation came from an older version is not shown under its successor's title).
    """
    titles = {(r.id, r.version): r.title for r in rules}
    order = {(r.id, r.version): i for i, r in enumerate(rules)}  # policies: sorted by id, version
    per_version: dict[str, Counter[str]] = {}
    for f in findings:
        per_version.setdefault(str(f.get("rule_id")), Counter())[str(f.get("rule_version"))] += 1
    tallies = []
    for t in _tallies((str(f.get("rule_id")), str(f.get("severity"))) for f in findings):
        counted = per_version[t.key]
        fired = sorted(counted, key=lambda v: (order.get((t.key, v), len(order)), v))
        versions = tuple(VersionTally(v, titles.get((t.key, v), t.key), counted[v]) for v in fired)
        tallies.append(Tally(t.key, versions[-1].title, t.counts, versions))
    return tallies


def _weeks(findings: Sequence[Mapping[str, Any]], tz_name: str) -> tuple[Week, ...]:
    """Violations per week, every week from the first to the last one with a finding."""
    tz = zone(tz_name)
    buckets: dict[date, Counter[str]] = {}
    for f in findings:
        epoch = _instant(f.get("timestamp"), tz_name)
        if epoch is None:
            continue
        day = datetime.fromtimestamp(epoch / 1_000_000, tz).date()
        monday = day - timedelta(days=day.weekday())
        buckets.setdefault(monday, Counter())[str(f.get("severity"))] += 1
    if not buckets:
        return ()
    first, last = min(buckets), max(buckets)
    weeks = []
    current = first
    while current <= last:
        counts = buckets.get(current, Counter())
        weeks.append(Week(current, tuple(counts[s] for s in SEVERITY_ORDER)))
        current += timedelta(days=7)
    return tuple(weeks)


def _event_times(findings: Sequence[Mapping[str, Any]], tz_name: str) -> dict[str, int]:
    """The instant of every evidence event, by event id, each parsed once."""
    times: dict[str, int] = {}
    for f in findings:
        for event in f.get("evidence_events", []):
            event_id = str(event.get("event_id"))
            if event_id not in times:
                epoch = _instant(event.get("timestamp"), tz_name)
                if epoch is not None:
                    times[event_id] = epoch
    return times


def _span(doc: Mapping[str, Any], event_times: Mapping[str, int], tz_name: str) -> tuple[str, str] | None:
    """Earliest and latest instant among the triggers judged and the evidence events used."""
    stamps = [o.get("timestamp") for o in doc.get("other_outcomes", [])]
    instants = [t for t in (_instant(v, tz_name) for v in stamps) if t is not None]
    instants += event_times.values()  # every finding's trigger is among its evidence
    if not instants:
        return None
    tz = zone(tz_name)
    return format_timestamp(min(instants), tz), format_timestamp(max(instants), tz)


def _rule_views(doc: Mapping[str, Any], lang: str) -> tuple[RuleView, ...]:
    counts = {(c["rule_id"], c["rule_version"]): c for c in doc.get("outcomes", [])}
    views = []
    for p in doc.get("policies", []):
        source = p.get("source") or {}
        row = counts.get((p["id"], p["version"]), {})
        views.append(
            RuleView(
                id=p["id"],
                version=p["version"],
                severity=p.get("severity", ""),
                status=p.get("status", ""),
                platform=p.get("platform", ""),
                title=_title(p, lang),
                description=" ".join(str(p.get("description") or "").split()),
                tags=tuple(p.get("tags") or ()),
                document=str(source.get("document", "")),
                quote=str(source.get("quote", "")),
                section=str(source.get("section") or ""),
                timezone=p.get("timezone", ""),
                file=p.get("file", ""),
                sha256=p.get("sha256", ""),
                effective_from=p.get("effective_from"),
                effective_until=p.get("effective_until"),
                params=tuple((k, str(v)) for k, v in sorted((p.get("params") or {}).items())),
                counts=tuple((k, int(row.get(k, 0))) for k in OUTCOMES),
            )
        )
    return tuple(views)


def build_model(
    doc: Mapping[str, Any],
    *,
    lang: str = "en",
    command: Sequence[str] = (),
    generated: Generated | None = None,
) -> ReportModel:
    """The report model of a JSON result (``CheckResult.to_dict(all_outcomes=True)``).

    ``command`` is the command line that produced the report, passed in by
    the caller (the library never reads ``sys.argv``); ``generated``
    defaults to :func:`generation_time`.
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"unsupported report language {lang!r}")
    tz_name = str(doc.get("timezone") or "UTC")
    findings = tuple(doc.get("findings", []))
    others = doc.get("other_outcomes")
    rules = _rule_views(doc, lang)
    event_times = _event_times(findings, tz_name)
    rule_platform = {r.id: r.platform for r in rules}
    judged_platforms = {rule_platform[r.id] for r in rules if r.triggers}
    platforms = tuple(sorted(judged_platforms | {str(f.get("platform")) for f in findings}))
    sellers = {str(f.get("seller_id")) for f in findings}
    with_findings = len(sellers)
    sellers |= {str(o.get("seller_id")) for o in others or ()}
    summary = doc.get("summary") or {}
    by_severity = Counter(str(f.get("severity")) for f in findings)
    inputs = doc.get("inputs") or {}
    gated = any("status" in f for f in findings) or isinstance(doc.get("gating"), Mapping)
    by_status = Counter(status_of(f) for f in findings)
    waivers: dict[str, tuple[Mapping[str, Any], int]] = {}
    for f in findings:
        waiver = f.get("waiver")
        if status_of(f) == "waived" and isinstance(waiver, Mapping):
            key = repr(sorted(waiver.items()))
            waivers[key] = (waiver, waivers.get(key, (waiver, 0))[1] + 1)
    return ReportModel(
        lang=lang,
        tool_version=str((doc.get("tool") or {}).get("version", "")),
        command=tuple(command),
        generated=generated or generation_time(),
        as_of=str(doc.get("as_of", "")),
        timezone=tz_name,
        pack=dict(doc.get("pack") or {}),
        platforms=platforms,
        sellers_judged=len(sellers),
        sellers_with_findings=with_findings,
        span=_span(doc, event_times, tz_name),
        event_times=event_times,
        complete=others is not None,
        inputs=tuple(inputs.get("files", [])),
        totals=dict(inputs.get("totals") or {}),
        events_after_as_of=inputs.get("events_after_as_of"),
        rejected=tuple(inputs.get("rejected", [])),
        rules=rules,
        violations=int(summary.get("violations", len(findings))),
        by_severity=tuple((s, by_severity[s]) for s in SEVERITY_ORDER),
        by_outcome=tuple((k, int((summary.get("by_outcome") or {}).get(k, 0))) for k in OUTCOMES),
        by_rule=tuple(_rule_tallies(findings, rules)),
        by_platform=tuple(_tallies((str(f.get("platform")), str(f.get("severity"))) for f in findings)),
        top_sellers=tuple(
            _tallies((str(f.get("seller_id")), str(f.get("severity"))) for f in findings)[:TOP_SELLERS]
        ),
        weeks=_weeks(findings, tz_name),
        findings=findings,
        statuses=tuple((k, by_status[k]) for k in STATUSES) if gated else (),
        waivers=tuple(waivers[k] for k in sorted(waivers)),
        gating=doc.get("gating") if isinstance(doc.get("gating"), Mapping) else None,
        words=SubjectWords.from_dict(doc.get("subject_words")),
    )


def result_document(
    result: CheckResult, options: RenderOptions | None = None, *, digest: bool = False
) -> dict[str, Any]:
    """The JSON result with every outcome, and each finding's gate status and waiver when the
    options carry an active triage (baselines, waivers, ``--fail-on``), as ``--format json`` has.

    With ``digest`` the other outcomes are only what :func:`build_model` reads of them, the
    sellers judged and the span of time: each seller's earliest outcome and the latest of all,
    in result order. The reports are built from that: at export scale most triggers pass, and a
    dict for each (millions at ten million events) would hold more memory than the run did."""
    doc = result.to_dict(all_outcomes=not digest)
    if digest:
        doc["other_outcomes"] = [other_outcome_dict(o) for o in _digest(result.other_outcomes())]
    if options is not None and options.triage.active:
        counted = GateCount(options.triage)  # the gating counts, made as the records are
        doc["findings"] = [finding_record(counted.add(f), options) for f in result.findings]
        doc["gating"] = options.triage.gating_dict(counted)
    return doc


def _digest(outcomes: Iterable[Outcome]) -> list[Outcome]:
    """Each seller's earliest of ``outcomes`` and the latest of all (once), in result order."""
    earliest: dict[str, Outcome] = {}
    latest: Outcome | None = None
    for o in outcomes:
        first = earliest.get(o.seller_id)
        if first is None or o.epoch < first.epoch:
            earliest[o.seller_id] = o
        if latest is None or o.epoch > latest.epoch:
            latest = o
    kept = {id(o): o for o in [*earliest.values(), *([latest] if latest is not None else [])]}
    return sorted(kept.values(), key=lambda o: o.sort_key)
