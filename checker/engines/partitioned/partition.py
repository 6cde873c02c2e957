"""The reference engine over inputs larger than memory: partitioned on disk, judged a part at a time.

:func:`checker.api.check` holds every kept event in memory (about 1-2 KB
each). :func:`check_partitioned` gives the same result with memory bounded
by the largest part, in three passes:

1. **Read** every input with the project's readers (every format, profile
   and encoding) and write each record, unvalidated, to one of *n* id parts
   on disk by a hash of its ``event_id``. Records that cannot be read at all
   are rejected at once.
2. **Admit** one id part at a time through one :class:`~checker.inputs.events.Intake`
   (validation, timestamps, duplicates, conflicts), calling
   :meth:`~checker.inputs.events.Intake.flush` after each. Every version of an id is
   in the same part and in read order, so every decision is the one a single
   intake makes. Kept events go to *n* key parts by a hash of the first
   ``correlate_by`` value of the rules that read them.
3. **Judge** one key part at a time with :func:`checker.engines.reference.engine.evaluate`.
   Lookups never leave a correlation key, and events with the same key share
   their first ``correlate_by`` value, so each part decides its triggers as
   the whole would. Violations are written to disk, one sorted run per
   part, and merged in result order whenever they are read; other outcomes
   are counted, and judged again only if someone iterates them.

Memory is thus one part plus a few bytes per accepted event (instants, for
"events after as-of") and per rejected record (kept with its text for the
report); disk, about twice the input.

Rules whose versions disagree on the first ``correlate_by`` expression, or
that correlate by nothing, are judged over one part holding all their events
(memory bounded by those events only).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import weakref
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from ...inputs.events import Event, EventBatch, InputStats, Intake
from ...inputs.files import ProfileChoice, check_pins, input_bytes, read_inputs, settings_for
from ...inputs.progress import Progress
from ...inputs.readers import parse_json_line
from ...language.errors import CheckerError, Location, Problem
from ...language.expressions import EventView
from ...language.loader import PolicySet
from ...language.policy import Policy
from ...language.times import DEFAULT_TIMEZONE
from ...results.outcomes import Kind, Outcome
from ...results.result import OutcomeStore, StoredCheckResult
from ..base import EngineChoiceError, Inputs, RunOptions
from ..reference.engine import EVALUATION_ERRORS, evaluate, key_function, paused_gc
from ..setup import ParamOverrides, as_of_instant, as_of_used, now_instant, resolve_params
from ..spill import Spill, SpilledOutcomes, event_row, outcome_row, row_event

#: input bytes per part: judging a part of JSON Lines this size takes about 500-600 MB (BENCHMARKS.md)
PART_BYTES = 32 * 1024 * 1024
#: inputs from this size on are partitioned by ``checker check --engine python`` (BENCHMARKS.md)
PARTITION_FROM_BYTES = 64 * 1024 * 1024
_MAX_PARTS = 512  # a merge of findings reads one file per part at once


def part_count(size: int | None) -> int:
    """How many parts an input of ``size`` bytes is split into (:data:`PART_BYTES` each;
    standard input, of unknown size, gets 64)."""
    if size is None:
        return 64
    return max(1, min(_MAX_PARTS, math.ceil(size / PART_BYTES)))


class _PartsError(Exception):
    """A part could not be written while an input was being read (carried past the reader,
    which reports its own OSErrors as unreadable inputs)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _IdRouter:
    """Stands in for an :class:`Intake` while the readers read: records go to id parts,
    unreadable ones to the intake's rejections."""

    def __init__(self, intake: Intake, spill: Spill) -> None:
        self.intake = intake
        self.spill = spill
        self.stats: list[InputStats] = []
        self.index: dict[int, int] = {}

    def open(
        self, file: str, sha256: str = "", *, format: str = "jsonl", profile: str | None = None
    ) -> InputStats:
        stats = self.intake.open(file, sha256, format=format, profile=profile)
        self.index[id(stats)] = len(self.stats)
        self.stats.append(stats)
        return stats

    def reject(self, stats: InputStats, line: int, code: str, reason: str, text: str) -> None:
        self.intake.reject(stats, line, code, reason, text)

    def add(self, stats: InputStats, line: int, record: Any, text: str) -> None:
        stats.read += 1  # for progress; taken back before pass 2 counts it again
        event_id = record.get("event_id") if isinstance(record, dict) else None
        try:
            part = hash(event_id) % self.spill.n
        except TypeError:  # not hashable: invalid, and rejected as such in pass 2
            part = 0
        if stats.format == "jsonl" and stats.profile is None:
            # the record is its line's JSON: the text alone is written, and parsed again
            record = None
        try:
            self.spill.add(part, (self.index[id(stats)], line, record, text))
        except OSError as exc:  # not the input's fault: the reader must not report it as such
            raise _PartsError(exc) from exc

    def readmit(self) -> None:
        """Take back the counts of pass 1: pass 2's intake counts every record it reads."""
        for stats in self.stats:
            stats.read = stats.rejected


@dataclass(frozen=True)
class _Group:
    """Rules judged over the same key parts: those whose versions all correlate first by the
    same expression in the same timezone (``key``; None: judged over one part)."""

    key: tuple[str, str] | None  # (expression text, rule timezone)
    rules: tuple[tuple[Policy, ...], ...]  # versions of each rule id

    @property
    def policies(self) -> list[Policy]:
        return [p for versions in self.rules for p in versions]

    @property
    def actions(self) -> frozenset[str]:
        return frozenset().union(*(p.actions for p in self.policies))

    def part_of(self, n: int, input_tz: Any) -> Callable[[Event], int]:
        """The key part of an event: a hash of the first value of the correlation key the
        engine itself computes (so equal keys always meet in one part)."""
        if self.key is None or n == 1:
            return lambda event: 0
        key_of = key_function(self.policies[0], _view, input_tz)

        def part(event: Event) -> int:
            try:
                return hash(key_of(event)[0]) % n
            except EVALUATION_ERRORS:  # the engine meets the same error in the same part
                return 0

        return part


def _view(event: Event) -> EventView:
    record = event.record
    return record if isinstance(record, EventView) else EventView(record, event.epoch)


def _groups(policies: Sequence[Policy]) -> list[_Group]:
    by_id: dict[str, list[Policy]] = defaultdict(list)
    for p in policies:
        if p.status != "disabled":
            by_id[p.id].append(p)
    grouped: dict[tuple[str, str] | None, list[tuple[Policy, ...]]] = defaultdict(list)
    for rule_id in sorted(by_id):
        versions = by_id[rule_id]
        firsts = {(p.correlate_by[0].text, p.timezone) if p.correlate_by else None for p in versions}
        key = firsts.pop() if len(firsts) == 1 else None
        grouped[key].append(tuple(versions))
    return [
        _Group(key, tuple(rules))
        for key, rules in sorted(grouped.items(), key=lambda kv: (kv[0] is None, kv[0] or ("", "")))
    ]


#: why a batch already in memory is not judged in parts
BATCH_NOT_PARTITIONED = "--parts partitions input files; events already in memory are judged in memory"


def check_partitioned(
    policy_set: PolicySet,
    paths: Sequence[str | os.PathLike[str]],
    *,
    as_of: int | str | None = None,
    params: ParamOverrides | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    parts: int | None = None,
    profiles: ProfileChoice | Sequence[ProfileChoice] | None = None,
    encoding: str | None = None,
    input_format: str | None = None,
    stdin: IO[bytes] | None = None,
    progress: Progress | None = None,
    directory: str | None = None,
    now: int | str | None = None,
) -> StoredCheckResult:
    """Run ``policy_set`` over ``paths`` as :func:`checker.api.check` does, holding one part
    of the input in memory at a time; the same findings, counts, evidence and JSON.

    ``parts`` defaults to :func:`part_count` of the input size. Parts are
    written under ``directory`` (default: the system's temporary directory,
    ``TMPDIR``; they take up to about twice the input's size) and removed
    when the result is no longer referenced. Input options are
    those of :func:`checker.inputs.files.read_events`.
    """
    inputs = Inputs.of(paths, profiles=profiles, encoding=encoding, input_format=input_format, stdin=stdin)
    options = RunOptions(
        as_of=as_of,
        params=params,
        timezone=timezone,
        parts=parts,
        work_dir=directory,
        progress=progress,
        now=now,
    )
    return check_parts(policy_set, inputs, options)


def check_parts(policy_set: PolicySet, inputs: Inputs, options: RunOptions) -> StoredCheckResult:
    """The partitioned run of the reference engine over ``inputs`` (files: a batch in memory has
    nothing to partition); ``options.parts`` parts (default: by the input's size)."""
    if inputs.batch is not None:
        raise EngineChoiceError(BATCH_NOT_PARTITIONED)
    paths = inputs.paths
    parts, params, directory = options.parts, options.params, options.work_dir
    if policy_set.problems:
        raise CheckerError(policy_set.problems)
    resolved = resolve_params(policy_set.policies, params)  # each version's own values
    n = parts if parts is not None else part_count(input_bytes(paths))
    if n < 1:
        raise ValueError(f"parts must be at least 1, not {n}")
    work = tempfile.mkdtemp(prefix="checker-parts-", dir=directory)
    try:
        store, batch, used_as_of = _run(policy_set, inputs, options, work, n)
    except (OSError, _PartsError) as exc:  # unreadable inputs are CheckerErrors already: these are the parts
        exc = exc.error if isinstance(exc, _PartsError) else exc
        shutil.rmtree(work, ignore_errors=True)
        raise CheckerError(
            [
                Problem(
                    Location(work),
                    "parts-disk",
                    (
                        f"the parts of the input could not be written or read under {work}: {exc}; they need "
                        "about twice the input's size: point TMPDIR at a larger disk, or use --parts 0 to "
                        "judge in memory"
                    ),
                )
            ]
        ) from exc
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    weakref.finalize(store, shutil.rmtree, work, True)
    return StoredCheckResult(used_as_of, store, policy_set.policies, policy_set.pack, batch, resolved)


def _run(
    policy_set: PolicySet, inputs: Inputs, options: RunOptions, work: str, n: int
) -> tuple[PartitionedOutcomes, EventBatch, int]:
    timezone, params = options.timezone, options.params
    groups = _groups(policy_set.policies)
    resolve_params([p for g in groups for p in g.policies], params)  # bad overrides fail first
    wanted = frozenset().union(*(g.actions for g in groups))
    intake = Intake(timezone, keep=wanted.__contains__, now=now_instant(options.now, timezone))
    with paused_gc():
        # pass 1: read, route by event id
        ids = Spill(work, "ids", n)
        router = _IdRouter(intake, ids)
        read_inputs(
            router,
            inputs.paths,
            settings_for(timezone, inputs.profiles, encoding=inputs.encoding, format=inputs.input_format),
            stdin=inputs.stdin,
            progress=options.progress,
        )
        ids.close()
        router.readmit()
        # pass 2: admit one id part at a time, route kept events by correlation key
        keyed = [Spill(work, f"keys{g_i}", n if g.key is not None else 1) for g_i, g in enumerate(groups)]
        routes = [
            (g.actions, g.part_of(spill.n, intake.tz), spill) for g, spill in zip(groups, keyed, strict=True)
        ]
        for part in range(n):
            texts: dict[tuple[str, int], str] = {}  # the lines whose JSON is the record
            for fi, line, record, text in ids.read(part):
                stats = router.stats[fi]
                if record is None:
                    texts[(stats.file, line)] = text
                    record = parse_json_line(text)
                intake.add(stats, line, record, text)
            for event in intake.flush():
                # a tuple pickles several times faster than the frozen dataclass, and a line of
                # JSON several times faster than the record it holds (parsed again when judged)
                row = event_row(event, texts.get((event.file, event.line)))
                for actions, place, spill in routes:
                    if event.action in actions:
                        spill.add(place(event), row)
            if os.path.exists(ids.paths[part]):  # read: the disk it held is free again
                os.unlink(ids.paths[part])
        for spill in keyed:
            spill.close()
        batch = intake.finish()
    # pass 1 hashed the bytes it read and the parts hold them; an input that changed since would
    # leave a result whose SHA-256s name no file on disk: checked between the passes and at the end
    check_pins(batch.inputs, "between the passes of the partitioned engine")
    used_as_of = as_of_used(as_of_instant(options.as_of, timezone), batch.latest)
    store = PartitionedOutcomes(groups, keyed, batch, used_as_of, params or {}, work)
    with paused_gc():
        store.judge()
    check_pins(batch.inputs)
    return store, batch, used_as_of


class PartitionedOutcomes(OutcomeStore):
    """Outcomes judged part by part. The counts are kept; the violations are written to disk,
    one sorted run per part, and merged whenever they are read (:class:`SpilledOutcomes`); the
    other outcomes are judged again, part by part, the first time something asks for them, and
    written to disk the same way."""

    def __init__(
        self,
        groups: list[_Group],
        parts: list[Spill],
        batch: EventBatch,
        as_of: int,
        params: Mapping[str, Mapping[str, Any]],
        directory: str,
    ) -> None:
        self.groups = groups
        self.parts = parts
        self.timezone = batch.timezone
        self.as_of = as_of
        self.params = params  # the run's overrides by rule id: evaluate() resolves each version's
        self._tally: Counter[tuple[str, str, str]] = Counter()
        runs = sum(spill.n for spill in parts)
        self._runs = runs
        self._directory = directory
        self._findings = SpilledOutcomes(Spill(directory, "findings", runs))
        self._others: SpilledOutcomes | None = None

    def _parts(self) -> Iterator[tuple[dict[str, tuple[Any, ...]], list[Outcome]]]:
        """The events (rows by id) and the outcomes of each part, part after part."""
        for group, spill in zip(self.groups, self.parts, strict=True):
            policies = group.policies
            ids = {p.id for p in policies}
            own = {k: v for k, v in self.params.items() if k in ids}
            for part in range(spill.n):
                rows = {row[0]: row for row in spill.read(part)}
                events = sorted(map(row_event, rows.values()), key=lambda e: e.sort_key)
                batch = EventBatch(tuple(events), (), (), self.timezone, Counter(), None)
                yield rows, evaluate(policies, batch, as_of=self.as_of, params=own)[1]

    def judge(self) -> None:
        """Judge every part: count every outcome, write the violations out."""
        for run, (rows, outcomes) in enumerate(self._parts()):
            found = []
            for o in outcomes:
                self._tally[(o.rule_id, o.rule_version, o.kind.value)] += 1
                if o.kind is Kind.VIOLATION:
                    found.append(outcome_row(o, rows))
            if found:
                self._findings.add_run(run, found)  # evaluate() sorts: a run is in result order
        self._findings.compact()

    def tally(self) -> Counter[tuple[str, str, str]]:
        """Outcome counts per (rule id, version, kind)."""
        return self._tally

    def findings(self) -> SpilledOutcomes:
        """The violations, in result order (read from disk at each pass)."""
        return self._findings

    def finding_heads(self) -> Iterator[Outcome]:
        """The violations without their evidence records (:meth:`SpilledOutcomes.heads`)."""
        return self._findings.heads()

    def others(self) -> SpilledOutcomes:
        """Every other outcome, in result order: judged again part by part on the first call and
        written to disk, one sorted run per part, like the violations; read from disk at each pass."""
        if self._others is None:
            others = SpilledOutcomes(Spill(self._directory, "others", self._runs))
            with paused_gc():
                for run, (rows, outcomes) in enumerate(self._parts()):
                    kept = [outcome_row(o, rows) for o in outcomes if o.kind is not Kind.VIOLATION]
                    if kept:
                        others.add_run(run, kept)  # evaluate() sorts: a run is in result order
            others.compact()
            self._others = others
        return self._others


__all__ = [
    "PARTITION_FROM_BYTES",
    "PART_BYTES",
    "PartitionedOutcomes",
    "check_partitioned",
    "part_count",
]
