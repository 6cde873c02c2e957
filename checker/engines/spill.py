"""Records, events and findings on disk: what lets a run hold one part of its data at a time.

A :class:`Spill` is *n* files of pickled batches; events and findings travel
as plain tuples (rows), several times cheaper to pickle than the frozen
dataclasses, with an event's record carried as its JSON line when it has one.
:class:`SpilledOutcomes` is an outcome sequence (the findings, or the other outcomes) read back
from sorted runs.
"""

from __future__ import annotations

import heapq
import os
import pickle
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

from ..inputs.events import Event
from ..inputs.readers import parse_json_line
from ..language.expressions import EventView
from ..language.policy import Text
from ..results.outcomes import Kind, Outcome
from ..results.result import encode_finding

_BUFFERED = 256  # items buffered per file before a write: bounds memory, keeps writes large
#: the most runs one merge reads at once (an open file and a batch of :data:`_BUFFERED` items each):
#: more are first merged into fewer on disk (:meth:`SpilledOutcomes.compact`)
MAX_MERGE = 64


class Spill:
    """``n`` files of pickled record batches in one temporary directory.

    A file is opened only to append a batch, so a spill of hundreds of parts
    holds no file handles between writes.
    """

    def __init__(self, directory: str, name: str, n: int) -> None:
        self.n = n
        self.name = name
        self.directory = directory
        self.paths = [os.path.join(directory, f"{name}-{i:04d}") for i in range(n)]
        self.buffers: list[list[Any]] = [[] for _ in range(n)]

    def add(self, part: int, item: Any) -> None:
        buffer = self.buffers[part]
        buffer.append(item)
        if len(buffer) >= _BUFFERED:
            self._write(part)

    def add_part(self) -> int:
        """A new, empty part (its number)."""
        self.paths.append(os.path.join(self.directory, f"{self.name}-{self.n:04d}"))
        self.buffers.append([])
        self.n += 1
        return self.n - 1

    def remove(self, part: int) -> None:
        """Delete ``part``'s file (its items are gone)."""
        self.buffers[part] = []
        if os.path.exists(self.paths[part]):
            os.remove(self.paths[part])

    def extend(self, part: int, items: list[Any]) -> None:
        """Add ``items`` to ``part`` at once (written now)."""
        self.buffers[part].extend(items)
        self._write(part)

    def _write(self, part: int) -> None:
        # in batches of _BUFFERED: a reader holds one batch per part it reads (a merge reads all)
        items = self.buffers[part]
        with open(self.paths[part], "ab") as fh:
            for start in range(0, len(items), _BUFFERED):
                pickle.dump(items[start : start + _BUFFERED], fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.buffers[part] = []

    def close(self) -> None:
        """Write what is buffered."""
        for part in range(self.n):
            if self.buffers[part]:
                self._write(part)

    def read(self, part: int) -> Iterator[Any]:
        """The items of ``part`` in the order they were added."""
        if not os.path.exists(self.paths[part]):
            return
        with open(self.paths[part], "rb") as fh:
            while True:
                try:
                    batch = pickle.load(fh)
                except EOFError:
                    return
                yield from batch


def event_row(event: Event, text: str | None = None) -> tuple[Any, ...]:
    """``event`` as a row; with ``text`` (the JSON line its record was read from) the record
    itself is left out and parsed again from the line by :func:`row_event`."""
    return (
        event.event_id,
        event.epoch,
        event.platform,
        event.seller_id,
        event.action,
        None if text is not None else event.record,
        event.file,
        event.line,
        text,
    )


def row_event(row: tuple[Any, ...]) -> Event:
    """The event of a row: its record as written, or parsed again from its line."""
    event_id, epoch, platform, seller_id, action, record, file, line, text = row
    if record is None:
        record = EventView(parse_json_line(text), epoch)  # as the intake holds it
    return Event(event_id, epoch, platform, seller_id, action, record, file, line)


def outcome_row(o: Outcome, rows: Mapping[str, tuple[Any, ...]] | None = None) -> tuple[Any, ...]:
    """An outcome as a plain tuple. Its evidence events are taken from ``rows`` (by id) when
    given (rows that carry lines, not records), else written as they are."""
    message = o.message
    return (
        o.rule_id,
        o.rule_version,
        o.event_id,
        o.epoch,
        o.timestamp,
        o.platform,
        o.seller_id,
        o.subject,
        o.severity,
        o.reason,
        message.en if message else None,
        message.zh if message else None,
        o.evidence,
        tuple(rows[e.event_id] if rows is not None else event_row(e) for e in o.evidence_events),
        o.kind.value,
    )


def finding_row(o: Outcome, rows: Mapping[str, tuple[Any, ...]] | None = None) -> tuple[Any, ...]:
    """:func:`outcome_row`, and for a finding its JSON text (:func:`encode_finding`) after it.
    Built where the findings are (on every core), it spares the report parsing evidence records
    again. It is encoded from ``o`` itself, not from the row read back (:func:`row_outcome`): the
    two are the same text, since a row keeps every field of ``o`` as it is and each evidence
    record's line, which :func:`row_event` parses as strictly as the intake did when it built
    ``o``'s record from that line (parsing every record twice cost a fifth of building the
    findings)."""
    row = outcome_row(o, rows)
    return (*row, encode_finding(o)) if o.kind is Kind.VIOLATION else row


def row_outcome(row: tuple[Any, ...]) -> Outcome:
    """The outcome of a row written by :func:`outcome_row` (or :func:`finding_row`)."""
    return _outcome(row, tuple(map(row_event, row[13])))


def row_head(row: tuple[Any, ...]) -> Outcome:
    """The outcome of a row without its evidence records (``evidence_events`` empty; the evidence
    ids kept): every field a gate reads (fingerprint, severity, rule, seller, subject), for none of
    the parsing of evidence lines that :func:`row_outcome` does."""
    return _outcome(row, ())


def _outcome(row: tuple[Any, ...], events: tuple[Event, ...]) -> Outcome:
    """The outcome of a row, with ``events`` as its evidence records."""
    (
        rule_id,
        version,
        event_id,
        epoch,
        timestamp,
        platform,
        seller_id,
        subject,
        severity,
        reason,
        en,
        zh,
        evidence,
        _,  # the evidence events' rows: ``events``, read or not
        kind,
        *text,  # a finding's JSON text (finding_row)
    ) = row
    assert len(text) <= 1, "not an outcome row"
    return Outcome(
        rule_id,
        version,
        Kind(kind),
        event_id,
        epoch,
        timestamp,
        platform,
        seller_id,
        subject,
        severity,
        reason,
        None if en is None else Text(en, zh),
        evidence,
        events,
    )


def row_order(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """An :func:`outcome_row` row's place in result order (``Outcome.sort_key``)."""
    return (row[0], row[3], row[2], row[1])


#: where a :func:`finding_row` keeps the finding's JSON text: after the :func:`outcome_row` fields
_TEXT = 15


class SpilledOutcomes(Sequence[Outcome]):
    """Outcomes on disk in sorted runs (the findings, or the other outcomes of ``--all-outcomes``),
    merged in result order each time they are iterated.

    Memory holds one batch of outcomes per run while a report is written, whatever
    their number; each pass reads them again (a few microseconds an outcome).
    Indexing builds them all: prefer iterating.
    """

    def __init__(self, spill: Spill) -> None:
        self.spill = spill
        self.runs: list[int] = []
        self.size = 0  # not ``count``: that would hide Sequence.count

    def add_run(self, run: int, rows: list[tuple[Any, ...]]) -> None:
        """Write one part's outcomes (already in result order: see :func:`row_order`)."""
        self.spill.extend(run, rows)
        self.runs.append(run)
        self.size += len(rows)

    def add_written(self, run: int, count: int) -> None:
        """Take part ``run`` as a run of ``count`` outcomes, written already (by
        :meth:`Spill.extend`, in result order), perhaps by another process."""
        self.runs.append(run)
        self.size += count

    def compact(self, fan_in: int | None = None) -> None:
        """Merge the runs, ``fan_in`` (default :data:`MAX_MERGE`) at a time, into new runs on disk
        until at most ``fan_in`` remain: iterating then holds at most ``fan_in`` open files and
        batches, whatever the size of the result (at ten million events, some 300 runs of other
        outcomes)."""
        fan_in = fan_in or MAX_MERGE
        while len(self.runs) > fan_in:
            merged = []
            for start in range(0, len(self.runs), fan_in):
                group = self.runs[start : start + fan_in]
                if len(group) == 1:
                    merged.append(group[0])
                    continue
                into = self.spill.add_part()
                rows = heapq.merge(*(self.spill.read(r) for r in group), key=row_order)
                for row in rows:
                    self.spill.add(into, row)
                self.spill.close()
                for r in group:
                    self.spill.remove(r)
                merged.append(into)
            self.runs = merged

    def __len__(self) -> int:
        return self.size

    def _rows(self) -> Iterator[tuple[Any, ...]]:
        """Every outcome's row, the runs merged in result order."""
        if len(self.runs) == 1:
            return self.spill.read(self.runs[0])
        return heapq.merge(*(self.spill.read(r) for r in self.runs), key=row_order)

    def __iter__(self) -> Iterator[Outcome]:
        return map(row_outcome, self._rows())

    def heads(self) -> Iterator[Outcome]:
        """Each outcome without its evidence records (:func:`row_head`), in result order: what a
        pass that reads no evidence (a gate's) iterates, at a fraction of the cost."""
        return map(row_head, self._rows())

    def texts(self) -> Iterator[str]:
        """Each outcome's JSON text as a finding (:func:`encode_finding`), in result order: the
        one its row carries (:func:`finding_row`), else encoded from the row. For a sequence of
        findings only: another outcome has no text in the JSON result."""
        for row in self._rows():
            yield row[_TEXT] if len(row) > _TEXT else encode_finding(row_outcome(row))

    @overload
    def __getitem__(self, index: int) -> Outcome: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Outcome]: ...

    def __getitem__(self, index: int | slice) -> Outcome | Sequence[Outcome]:
        return tuple(self)[index]


__all__ = [
    "MAX_MERGE",
    "Spill",
    "SpilledOutcomes",
    "event_row",
    "finding_row",
    "outcome_row",
    "row_event",
    "row_order",
    "row_outcome",
]
