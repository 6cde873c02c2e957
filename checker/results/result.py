"""The result of a check, and its documented JSON form (``schemas/result.schema.json``)."""

from __future__ import annotations

import heapq
import json
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from .._version import __version__
from ..inputs.events import EventBatch
from ..inputs.profiles import SubjectWords
from ..language.loader import Pack
from ..language.policy import SEVERITIES, Policy
from ..language.times import format_timestamp, zone
from .outcomes import OUTCOME_ORDER, Kind, Outcome

RESULT_SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class CheckResult:
    """Everything one check decided, with what it ran and over what."""

    as_of: int
    outcomes: Sequence[Outcome]  # a tuple, or an OutcomeStore (StoredCheckResult)
    policies: tuple[Policy, ...]
    pack: Pack
    batch: EventBatch
    #: each policy version's parameter values, by (rule id, version):
    #: :func:`checker.engines.reference.engine.resolve_params`
    params: dict[tuple[str, str], dict[str, Any]]
    #: what the reports call the subject of seller_id, when a profile of the run declares it
    #: (set by :func:`checker.check` and the command line after the engine ran)
    subject_words: SubjectWords | None = None

    @property
    def findings(self) -> Sequence[Outcome]:
        """The violations, sorted by rule, time and event id."""
        return tuple(o for o in self.outcomes if o.kind is Kind.VIOLATION)

    def finding_texts(self) -> Iterator[str] | None:
        """Each finding's JSON text (:func:`encode_finding`), in result order, when the engine kept
        them ready-made, else None (held outcomes: the report encodes them)."""
        return None

    def keep_finding_texts(self) -> None:
        """Ask the engine to make each finding's JSON text where it builds the findings, because a
        JSON result will be written: only an engine that builds them later (a stored result) and
        only before anything has read them makes a difference (:meth:`finding_texts`)."""

    def finding_heads(self) -> Iterable[Outcome]:
        """The findings, in result order, perhaps without their evidence records
        (``evidence_events`` empty, the evidence ids kept): for passes that read only a finding's
        own fields (a gate's: fingerprint, severity, rule, seller, subject), which a stored result
        then makes without parsing evidence again."""
        return self.findings

    def other_outcomes(self) -> Iterable[Outcome]:
        """Every outcome but the violations, in result order (what ``--all-outcomes`` adds)."""
        return (o for o in self.outcomes if o.kind is not Kind.VIOLATION)

    @property
    def as_of_text(self) -> str:
        """The as-of time in RFC 3339, in the input's timezone."""
        return format_timestamp(self.as_of, zone(self.batch.timezone))

    @property
    def exit_code(self) -> int:
        """0 when no violation was found, 1 otherwise."""
        return 1 if self.findings else 0

    def counts(self) -> list[dict[str, Any]]:
        """Outcome counts per rule and version, every outcome named (zeros included)."""
        tally = self.tally()
        rows = []
        for p in self.policies:
            row: dict[str, Any] = {"rule_id": p.id, "rule_version": p.version, "severity": p.severity}
            for kind in OUTCOME_ORDER:
                row[kind.value] = tally[(p.id, p.version, kind.value)]
            row["triggers"] = sum(row[k.value] for k in OUTCOME_ORDER)
            rows.append(row)
        return rows

    def severity_counts(self) -> dict[str, int]:
        """Violations by severity, every severity named."""
        tally = Counter(o.severity for o in self.findings)
        return {s: tally[s] for s in SEVERITIES}

    def tally(self) -> Counter[tuple[str, str, str]]:
        """Outcome counts per (rule id, version, kind)."""
        return Counter((o.rule_id, o.rule_version, o.kind.value) for o in self.outcomes)

    def outcome_totals(self) -> dict[str, int]:
        """How many outcomes of each kind, every kind named."""
        totals: Counter[str] = Counter()
        for (_, _, kind), n in self.tally().items():
            totals[kind] += n
        return {k.value: totals[k.value] for k in OUTCOME_ORDER}

    def to_dict(self, *, all_outcomes: bool = False) -> dict[str, Any]:
        """The JSON result: stable key order, sorted lists, no run-dependent values."""
        doc = self.head_dict()
        doc["findings"] = [finding_dict(o) for o in self.findings]
        if all_outcomes:
            doc["other_outcomes"] = [other_outcome_dict(o) for o in self.other_outcomes()]
        return doc

    def head_dict(self) -> dict[str, Any]:
        """The JSON result up to its findings (what a streaming writer writes first)."""
        read = frozenset().union(*(p.actions for p in self.policies))
        doc: dict[str, Any] = {
            "schema_version": RESULT_SCHEMA_VERSION,
            "tool": {"name": "policy-checker", "version": __version__},
            "as_of": self.as_of_text,
            "timezone": self.batch.timezone,
            **({"subject_words": self.subject_words.to_dict()} if self.subject_words is not None else {}),
            "pack": {
                "name": self.pack.name,
                "revision": self.pack.revision,
                "content_hash": self.pack.content_hash,
            },
            "policies": [
                {
                    "id": p.id,
                    "version": p.version,
                    "severity": p.severity,
                    "status": p.status,
                    "platform": p.platform,
                    "title": {"en": p.title.en, "zh": p.title.zh},
                    "description": p.description,
                    "tags": list(p.tags),
                    "source": {
                        "document": p.source.document,
                        "quote": p.source.quote,
                        "section": p.source.section,
                    },
                    "timezone": p.timezone,
                    "file": p.file,
                    "sha256": p.sha256,
                    "effective_from": p.effective_from_text,
                    "effective_until": p.effective_until_text,
                    "params": self.params.get((p.id, p.version), {}),
                }
                for p in self.policies
            ],
            "inputs": {
                "files": [s.as_dict() for s in self.batch.inputs],
                "totals": self.batch.totals(),
                "events_after_as_of": self.batch.accepted_after(self.as_of),
                # unknown actions are kept and counted, never an error
                "actions": dict(sorted(self.batch.actions.items())),
                "unread_actions": sorted(set(self.batch.actions) - read),
                "rejected": [
                    {"file": r.file, "line": r.line, "code": r.code, "reason": r.reason}
                    for r in self.batch.rejected
                ],
            },
            "summary": {
                "violations": len(self.findings),
                "by_severity": self.severity_counts(),
                "by_outcome": self.outcome_totals(),
            },
            "outcomes": self.counts(),
        }
        now = self.now_text
        if now is not None:
            doc["inputs"]["now"] = now
        return doc

    @property
    def now_text(self) -> str | None:
        """The run's "now" as RFC 3339 text in the input timezone when it rejected a record
        (``future-timestamp``), else None: only then does the wall clock change the result, and
        ``--now`` with this value reproduces it."""
        now = self.batch.now
        if now is None or not any(r.code == "future-timestamp" for r in self.batch.rejected):
            return None
        return format_timestamp(now, zone(self.batch.timezone))


#: the encoder of every piece of the JSON result: what ``json.dumps(doc, ensure_ascii=False,
#: separators=(",", ":"))`` uses, made once (a value encodes to the same text alone as inside its
#: document)
JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode_finding(o: Outcome) -> str:
    """A finding's text in the JSON result (:func:`finding_dict`, encoded), without a triage's
    status: what an engine may keep ready-made beside the finding (:meth:`OutcomeStore.finding_texts`)."""
    return JSON_ENCODER.encode(finding_dict(o))


def finding_dict(o: Outcome) -> dict[str, Any]:
    """One finding in the JSON result, with its evidence events in time order."""
    assert o.message is not None
    return {
        "rule_id": o.rule_id,
        "rule_version": o.rule_version,
        "severity": o.severity,
        "platform": o.platform,
        "seller_id": o.seller_id,
        "subject": o.subject,
        "event_id": o.event_id,
        "timestamp": o.timestamp,
        "message": o.message.en,
        "message_zh": o.message.zh,
        "evidence": list(o.evidence),
        # the records themselves (plain dicts to an encoder): a copy of each cost more than the rest
        "evidence_events": [e.record for e in o.evidence_events],
        "fingerprint": o.fingerprint,
    }


def other_outcome_dict(o: Outcome) -> dict[str, Any]:
    """One outcome other than a violation, as ``--all-outcomes`` lists it."""
    return {
        "rule_id": o.rule_id,
        "rule_version": o.rule_version,
        "outcome": o.kind.value,
        "event_id": o.event_id,
        "timestamp": o.timestamp,
        "seller_id": o.seller_id,
        "reason": o.reason,
        "evidence": list(o.evidence),
    }


class OutcomeStore(ABC, Sequence[Outcome]):
    """Outcomes kept outside Python objects until asked for (in DuckDB, or spilled to disk).

    At export scale most triggers pass, and holding millions of them as
    objects costs more than deciding them. A store counts outcomes, builds the
    findings (violations) when first asked, and the other outcomes only when
    something asks for them (``--all-outcomes``); both may be read from disk at each
    pass, so iterating a store holds a bounded part of it. Indexing builds every
    outcome at once: prefer iterating.
    """

    _all: tuple[Outcome, ...] | None = None

    @abstractmethod
    def tally(self) -> Counter[tuple[str, str, str]]:
        """Outcome counts per (rule id, version, kind)."""

    @abstractmethod
    def findings(self) -> Sequence[Outcome]:
        """The violations, in result order (a sequence that may read them from disk at each pass)."""

    @abstractmethod
    def others(self) -> Sequence[Outcome]:
        """Every outcome but the violations, in result order (may read them from disk at each pass)."""

    def finding_texts(self) -> Iterator[str] | None:
        """Each finding's :func:`encode_finding` text, in result order, when the store keeps them
        ready-made (built where the findings were, on every core), else None: the JSON result is
        then written from the findings themselves, to the same bytes."""
        return None

    def keep_finding_texts(self) -> None:
        """Make the findings' texts when they are built (:meth:`CheckResult.keep_finding_texts`)."""

    def finding_heads(self) -> Iterable[Outcome]:
        """The findings, perhaps without their evidence records (:meth:`CheckResult.finding_heads`)."""
        return self.findings()

    def materialised(self) -> tuple[Outcome, ...]:
        """Every outcome, in result order, held at once (built on first use, then kept)."""
        if self._all is None:
            self._all = tuple(self)
        return self._all

    def __len__(self) -> int:
        return sum(self.tally().values())

    @overload
    def __getitem__(self, index: int) -> Outcome: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Outcome]: ...

    def __getitem__(self, index: int | slice) -> Outcome | Sequence[Outcome]:
        return self.materialised()[index]

    def __iter__(self) -> Iterator[Outcome]:
        if self._all is not None:
            return iter(self._all)
        # result order is (rule, time, event, version) for every kind: the two streams interleave
        return heapq.merge(self.findings(), self.others(), key=_sort_key)


def _sort_key(o: Outcome) -> tuple[str, int, str, str]:
    return o.sort_key


@dataclass(frozen=True)
class StoredCheckResult(CheckResult):
    """A check result whose ``outcomes`` is an :class:`OutcomeStore`: the same JSON and the same
    findings as a :class:`CheckResult` holding every outcome, without building the passes."""

    @property
    def store(self) -> OutcomeStore:
        """The lazily built outcomes."""
        assert isinstance(self.outcomes, OutcomeStore)
        return self.outcomes

    @property
    def findings(self) -> Sequence[Outcome]:
        """The violations, sorted by rule, time and event id."""
        return self.store.findings()

    def finding_texts(self) -> Iterator[str] | None:
        """The findings' JSON texts, if the store keeps them made (:meth:`OutcomeStore.finding_texts`)."""
        return self.store.finding_texts()

    def keep_finding_texts(self) -> None:
        """Have the store make the findings' texts as it builds them
        (:meth:`OutcomeStore.keep_finding_texts`)."""
        self.store.keep_finding_texts()

    def finding_heads(self) -> Iterable[Outcome]:
        """The findings as the store gives them without evidence (:meth:`OutcomeStore.finding_heads`)."""
        return self.store.finding_heads()

    def other_outcomes(self) -> Iterable[Outcome]:
        """Every outcome but the violations, in result order, as the store keeps them."""
        return self.store.others()

    def tally(self) -> Counter[tuple[str, str, str]]:
        """Outcome counts per (rule id, version, kind), as the store counted them."""
        return self.store.tally()

    def severity_counts(self) -> dict[str, int]:
        """Violations by severity, from the store's counts: a finding's severity is its rule
        version's (judge.outcome_of), and counting needs no pass over findings read from disk."""
        severity = {(p.id, p.version): p.severity for p in self.policies}
        tally: Counter[str] = Counter()
        for (rule, version, kind), n in self.tally().items():
            if kind == Kind.VIOLATION.value:
                tally[severity[(rule, version)]] += n
        return {s: tally[s] for s in SEVERITIES}
