"""Canonical events and the intake that turns input records into them.

Every record read is accounted for: it becomes an event, is dropped as an
exact duplicate (same ``event_id``, same content: overlapping exports), or is
rejected with its file, line and reason. A conflict (two valid records with the
same ``event_id`` and different content) rejects every version of that id,
because the export cannot say which is true, and that choice does not depend on
input order. An invalid record is rejected alone, for its own reason, before
its id is looked at: it never makes a conflict with a valid one.
``read = accepted + duplicates + rejected`` holds for every file and in total.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..language.errors import Location, Problem
from ..language.expressions import EventView
from ..language.schema import validate_record
from ..language.times import (
    DEFAULT_TIMEZONE,
    TimestampError,
    future_error,
    future_limit,
    parse_timestamp,
    wall_clock_now,
    zone,
)
from .readers import MAX_DEPTH, too_deep, value_problem


@dataclass(frozen=True, slots=True)
class Event:
    """One canonical event: the record as read, its exact instant and where it came from."""

    event_id: str
    epoch: int  # microseconds since the epoch
    platform: str
    seller_id: str
    action: str
    record: dict[str, Any] = field(compare=False, hash=False)
    file: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)

    @property
    def sort_key(self) -> tuple[int, str]:
        """Time order, ties broken by event_id (the catalogue's convention)."""
        return (self.epoch, self.event_id)


@dataclass(frozen=True, slots=True, order=True)
class Rejected:
    """A record that did not become an event, with why and its original text."""

    file: str
    line: int
    code: str
    reason: str
    text: str = field(default="", compare=False)

    def problem(self) -> Problem:
        """The rejection as a located problem."""
        return Problem(Location(self.file, self.line, 0), self.code, self.reason)


@dataclass(frozen=True)
class FilePin:
    """What a run read of one input file, to tell later whether the file still holds it: the
    file's identity and times as it was opened, when it was last known to hold the bytes read,
    and their SHA-256 (:func:`checker.inputs.files.verify_pin`)."""

    path: str
    identity: tuple[int, int, int, int, int]  # device, inode, size, mtime and ctime (ns)
    # the wall clock just before the identity was read (as opened, or hashed again and equal)
    known_ns: int
    sha256: str


@dataclass
class InputStats:
    """Record counts of one input file; ``read == accepted + duplicates + rejected``."""

    file: str
    read: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    sha256: str = ""
    format: str = "jsonl"
    profile: str | None = None  # the name of the field-mapping profile that read it
    # the file as read (None for standard input and records in memory): a run whose input changed
    # while it ran fails with ``input-changed`` (:func:`checker.inputs.files.check_pins`)
    pin: FilePin | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form used in results."""
        return {
            "file": self.file,
            "sha256": self.sha256,
            "format": self.format,
            "profile": self.profile,
            "read": self.read,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
        }


@dataclass(frozen=True)
class EventBatch:
    """The outcome of intake: events in time order, and an account of every record."""

    events: tuple[Event, ...]
    inputs: tuple[InputStats, ...]
    rejected: tuple[Rejected, ...]
    timezone: str
    actions: Counter[str]
    latest: int | None  # the latest accepted event instant: the default as-of time
    # the instants of every accepted event (kept or not), sorted: counts "after as-of"
    epochs: array[int] = field(default_factory=lambda: array("q"), compare=False, repr=False)
    # the run's "now" (epoch microseconds): events later than a day after it were rejected
    now: int | None = field(default=None, compare=False)

    def accepted_after(self, instant: int) -> int:
        """How many accepted events (kept in memory or not) are later than ``instant``."""
        return len(self.epochs) - bisect.bisect_right(self.epochs, instant)

    def totals(self) -> dict[str, int]:
        """Counts over all inputs."""
        keys = ("read", "accepted", "duplicates", "rejected")
        return {k: sum(getattr(s, k) for s in self.inputs) for k in keys}


def _fast_valid(record: Any) -> bool:
    """A quick check that agrees with ``event.schema.json`` on the common shapes.

    Anything it does not accept goes to the schema validator, which decides
    and explains; a test checks that the two agree.
    """
    if type(record) is not dict:
        return False
    for key in ("event_id", "platform", "seller_id", "action"):
        value = record.get(key)
        if type(value) is not str or not value.strip():
            return False
    ts = record.get("timestamp")
    if type(ts) not in (str, int, float):
        return False
    action = record["action"]
    if action != action.lower() or "." not in action or " " in action:
        return False
    platform = record["platform"]
    if platform != platform.lower() or not platform[0].isalpha() or " " in platform:
        return False
    subject = record.get("subject")
    if subject is not None and (
        type(subject) is not dict
        or type(subject.get("type")) is not str
        or type(subject.get("id")) not in (str, int)
    ):
        return False
    actor = record.get("actor")
    if actor is not None and type(actor) is not str:
        return False
    data = record.get("data")
    return data is None or type(data) is dict


def content_digest(record: dict[str, Any], text: str = "") -> bytes:
    """A digest of a record's content, independent of its key order and spacing.

    orjson writes the canonical form about ten times faster than json. It
    writes NaN and Infinity as null, though, so records whose text holds them
    (json.loads accepts them) and anything orjson cannot write (integers past
    64 bits, non-JSON values from in-memory records) take the json module.
    """
    if "NaN" not in text and "Infinity" not in text:
        try:
            return hashlib.blake2b(orjson.dumps(record, option=orjson.OPT_SORT_KEYS), digest_size=16).digest()
        except TypeError:
            pass
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.blake2b(canonical.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _needs_value_check(stats: InputStats, text: str) -> bool:
    """Whether a record must be walked for non-finite numbers and depth
    (:func:`checker.inputs.readers.value_problem`). A JSON record read without a profile was
    parsed from ``text`` by a reader that refuses both, and whose text shows either (``NaN``,
    ``Infinity``, many brackets): only those are walked. Others (CSV cells, profile
    conversions, Parquet values, in-memory records) always are."""
    if stats.profile is None and stats.format in ("jsonl", "json"):
        return "NaN" in text or "Infinity" in text or text.count("[") + text.count("{") > MAX_DEPTH
    return True


class Intake:
    """Accumulates records from any reader into an :class:`EventBatch`.

    ``keep`` lets a caller hold only the events some rule reads (their
    actions): others are still validated, de-duplicated and counted, but not
    kept in memory. ``now`` (epoch microseconds; default: the wall clock, read once here) is
    the run's present: a record stamped more than :data:`~checker.language.times.FUTURE_TOLERANCE`
    after it is rejected as ``future-timestamp``.
    """

    def __init__(
        self,
        timezone: str = DEFAULT_TIMEZONE,
        keep: Callable[[str], bool] | None = None,
        *,
        now: int | None = None,
    ) -> None:
        self.timezone = timezone
        self.now = wall_clock_now() if now is None else now
        self.limit = future_limit(self.now)
        self.tz = zone(timezone)
        self.keep = keep
        self.events: dict[str, Event] = {}
        # event_id -> (content digest, file, line, stats, action, epoch) of the accepted version
        self.digests: dict[str, tuple[bytes, str, int, InputStats, str, int]] = {}
        self.conflicted: dict[str, list[tuple[str, int, str, InputStats]]] = {}
        # the text of each accepted record until its id is closed (flush): a conflict's first
        # version is rejected with its own text, as every other reject is, whether the record was
        # kept or not (``keep`` must change nothing a run reports, and the DuckDB engine keeps all).
        # In memory that is about the input's size: PARTITION_FROM_BYTES at most by default
        self._texts: dict[str, str] = {}
        self.rejected: list[Rejected] = []
        # conflicting versions seen since the last flush, with their texts (resolved by flush)
        self._conflicting: list[Rejected] = []
        # instants of the accepted events of earlier flushes (see flush)
        self._epochs = array("q")
        self.inputs: list[InputStats] = []
        self.actions: Counter[str] = Counter()

    def open(
        self, file: str, sha256: str = "", *, format: str = "jsonl", profile: str | None = None
    ) -> InputStats:
        """Start accounting for one input file."""
        stats = InputStats(file, sha256=sha256, format=format, profile=profile)
        self.inputs.append(stats)
        return stats

    def reject(self, stats: InputStats, line: int, code: str, reason: str, text: str) -> None:
        """Count a record that could not be read at all (bad JSON, bad encoding...)."""
        stats.read += 1
        stats.rejected += 1
        self.rejected.append(Rejected(stats.file, line, code, reason, text))

    def add(self, stats: InputStats, line: int, record: Any, text: str) -> None:
        """Validate one parsed record and account for it."""
        stats.read += 1
        if _needs_value_check(stats, text):
            problem = value_problem(record)
            if problem is not None:
                self._reject(stats, line, *problem, text)
                return
        if not _fast_valid(record):
            problems = validate_record(record, "event", stats.file, line)
            if problems:
                reason = "; ".join(p.message for p in problems)
                self._reject(stats, line, "invalid-event", reason, text)
                return
        try:
            epoch = parse_timestamp(record["timestamp"], self.tz)
        except TimestampError as exc:
            self._reject(stats, line, exc.code, f"$.timestamp: {exc}", text)
            return
        if epoch > self.limit:
            future = future_error(record["timestamp"], epoch, self.now, self.tz)
            self._reject(stats, line, future.code, f"$.timestamp: {future}", text)
            return
        event_id = record["event_id"]
        digest = content_digest(record, text)
        if event_id in self.conflicted:
            self._conflict(event_id, stats, line, digest, text)
            return
        seen = self.digests.get(event_id)
        if seen is not None:
            if seen[0] == digest:
                stats.duplicates += 1
                return
            self._conflict(event_id, stats, line, digest, text)
            return
        action = record["action"]
        self.digests[event_id] = (digest, stats.file, line, stats, action, epoch)
        self._texts[event_id] = text
        stats.accepted += 1
        self.actions[action] += 1
        if self.keep is None or self.keep(action):
            # the record is kept as the view expressions read, so no second copy is made later
            record = EventView(record, epoch)
            self.events[event_id] = Event(
                event_id, epoch, record["platform"], record["seller_id"], action, record, stats.file, line
            )

    def _reject(self, stats: InputStats, line: int, code: str, reason: str, text: str) -> None:
        stats.rejected += 1
        self.rejected.append(Rejected(stats.file, line, code, reason, text))

    def _conflict(self, event_id: str, stats: InputStats, line: int, digest: bytes, text: str) -> None:
        versions = self.conflicted.setdefault(event_id, [])
        if not versions:
            # the first version was accepted: take it back and reject it too
            first_digest, file, first_line, first_stats, action, _ = self.digests[event_id]
            first_stats.accepted -= 1
            first_stats.rejected += 1
            self.events.pop(event_id, None)
            self.actions[action] -= 1
            original = self._texts.pop(event_id, "")
            self._conflicting.append(Rejected(file, first_line, "conflict", "", original))
            versions.append((file, first_line, first_digest.hex(), first_stats))
        if any(v[2] == digest.hex() for v in versions):
            stats.duplicates += 1
            return
        stats.rejected += 1
        versions.append((stats.file, line, digest.hex(), stats))
        self._conflicting.append(Rejected(stats.file, line, "conflict", "", text))

    def flush(self) -> list[Event]:
        """Close the event ids seen so far: resolve their conflicts into rejections, hand over
        their kept events (in no particular order) and forget them.

        A caller that feeds every version of an id between the same two flushes
        (as :mod:`checker.engines.partitioned.partition` does, one id partition at a time) gets the
        same decisions as one intake of everything, with memory for one part.
        """
        texts = {(r.file, r.line): r.text for r in self._conflicting}
        for event_id, versions in self.conflicted.items():
            places = ", ".join(f"{f}:{ln}" for f, ln, _, _ in sorted(versions, key=lambda v: v[:2]))
            for file, line, _, _ in versions:
                self.rejected.append(
                    Rejected(
                        file,
                        line,
                        "conflict",
                        f"event_id {event_id!r} appears with different content at {places}; "
                        "every version is rejected because the export does not say which is true",
                        texts.get((file, line), ""),
                    )
                )
        self._epochs.extend(v[5] for k, v in self.digests.items() if k not in self.conflicted)
        events = list(self.events.values())
        self.events, self.digests, self.conflicted, self._conflicting = {}, {}, {}, []
        self._texts = {}
        return events

    def finish(self) -> EventBatch:
        """Close intake: resolve conflicts into rejections and sort events in time order."""
        events = tuple(sorted(self.flush(), key=lambda e: e.sort_key))
        epochs = array("q", sorted(self._epochs))
        latest = epochs[-1] if epochs else None
        return EventBatch(
            events,
            tuple(self.inputs),
            tuple(sorted(self.rejected)),
            self.timezone,
            +self.actions,
            latest,
            epochs,
            self.now,
        )


def events_from_records(
    records: Iterable[Any],
    *,
    source: str = "<records>",
    timezone: str = DEFAULT_TIMEZONE,
    now: int | None = None,
) -> EventBatch:
    """Build an :class:`EventBatch` from in-memory records (dicts), e.g. in a Python job.
    ``now`` (epoch microseconds, default the wall clock) is the run's present: see :class:`Intake`."""
    intake = Intake(timezone, now=now)
    stats = intake.open(source)
    for index, record in enumerate(records, start=1):
        try:
            text = json.dumps(record, ensure_ascii=False, default=str)
        except (RecursionError, ValueError):  # nested too deep to write: rejected as such
            intake.reject(stats, index, *(value_problem(record) or too_deep()), "")
            continue
        intake.add(stats, index, record, text)
    return intake.finish()
