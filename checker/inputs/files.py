"""Which files a run reads, with which profile, and reading them into an :class:`Intake`.

Inputs are files, directories (every file below with a known extension,
``.gz`` included), shell globs (``exports/**/*.csv.gz``) and ``-`` for
standard input. They are read in sorted order of their names, so a run's
result does not depend on the order they were given in.

An input named by a URI (``s3a://bucket/exports/x.jsonl``) is read from a local copy an engine
fetched first (:func:`fetched_copies`; the Spark engine fetches through Spark's Hadoop file
systems): the readers open the copy (:func:`local_path`), and every name the run shows (results,
rejected records, evidence, errors) is the URI.

Each input is read by the reader of its format (:mod:`checker.inputs.readers`);
each record is mapped by the input's profile (:mod:`checker.inputs.profiles`), or
read as canonical when it has none, and handed to the intake, which accounts
for it. A record that cannot be parsed or mapped is rejected with its line
and reason; the run goes on.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import json
import os
import re
import stat
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import unquote, urlsplit

from ..language.errors import CheckerError, Location, Problem
from ..language.times import DEFAULT_TIMEZONE
from .events import EventBatch, FilePin, InputStats, Intake
from .profiles import (
    MappingError,
    Profile,
    canonical_from_flat,
    for_timezone,
    load_profile,
    run_declarations,
)
from .progress import Progress
from .readers import CHUNK, READERS, Counted, Header, ReadOptions, format_for, normalise_encoding, open_stream

STDIN = "-"
_GLOB_CHARS = frozenset("*?[")
#: an input named by a URI of some file system (``s3a://``, ``hdfs://``, ``abfss://``, ``file://``)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")

#: inputs named by a URI that an engine fetched to a local file: the URI -> the copy's path
_copies: dict[str, str] = {}
_copies_lock = threading.Lock()


def is_uri(raw: str) -> bool:
    """Whether the input ``raw`` is a URI (``s3a://bucket/x.jsonl``), not a local path."""
    return _URI.match(raw) is not None


def file_uri_path(raw: str) -> str | None:
    """The local path a ``file://`` URI of this machine names (``file:///data/x.jsonl``,
    ``file://localhost/data/x.jsonl``), else None."""
    parts = urlsplit(raw)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    return unquote(parts.path)


def directory_member(parts: Sequence[str]) -> bool:
    """Whether a file below a directory input, at the relative path ``parts``, is an input: a
    known format, and no name on the way starting with ``.`` (hidden)."""
    return bool(parts) and format_for(parts[-1]) is not None and not any(p.startswith(".") for p in parts)


def local_path(display: str) -> str:
    """The local file the input ``display`` is read from: the copy of a fetched URI, else itself."""
    return _copies.get(display, display)


@contextmanager
def fetched_copies(copies: Mapping[str, str]) -> Iterator[None]:
    """Read each URI of ``copies`` (URI -> local copy) from its copy within the block: the inputs
    of a run may then name the URIs, as files. Two runs of one process may fetch the same URI only
    to copies of the same bytes (each run checks its copy against its own listing)."""
    with _copies_lock:
        _copies.update(copies)
    try:
        yield
    finally:
        with _copies_lock:
            for uri, copy in copies.items():
                if _copies.get(uri) == copy:
                    del _copies[uri]


ProfileChoice = Profile | str | os.PathLike[str] | tuple[str, Profile | str | os.PathLike[str]]


class RecordSink(Protocol):
    """What the readers hand records to: an :class:`Intake`, or an engine's stand-in for one
    (the partitioned engine's router to id parts, the DuckDB intake's recorder)."""

    def open(
        self, file: str, sha256: str = "", *, format: str = "jsonl", profile: str | None = None
    ) -> InputStats: ...

    def reject(self, stats: InputStats, line: int, code: str, reason: str, text: str) -> None: ...

    def add(self, stats: InputStats, line: int, record: Any, text: str) -> None: ...


@dataclass(frozen=True)
class InputSettings:
    """How to read a run's inputs.

    ``profiles`` pairs each profile with the file-name pattern it is for, or
    ``None``: a lone profile without a pattern reads every input; among
    several, each reads the inputs its own ``match`` patterns name.
    ``encoding`` and ``format`` override what profiles and file names say.
    """

    timezone: str
    profiles: tuple[tuple[str | None, Profile], ...] = ()
    encoding: str | None = None
    format: str | None = None


def loaded_profiles(
    profiles: ProfileChoice | Sequence[ProfileChoice] | None,
) -> list[tuple[str | None, Profile]]:
    """``(pattern or None, loaded profile)`` for each of ``profiles``: one profile (loaded or a
    path), a ``(pattern, profile)`` pair, or a list of them; a profile with problems raises
    :class:`CheckerError`."""
    if profiles is None:
        items: list[ProfileChoice] = []
    elif isinstance(profiles, Profile | str | os.PathLike | tuple):
        items = [profiles]
    else:
        items = list(profiles)
    out: list[tuple[str | None, Profile]] = []
    for item in items:
        pattern, given = item if isinstance(item, tuple) else (None, item)
        out.append((pattern, given if isinstance(given, Profile) else load_profile(given)))
    return out


def settings_for(
    timezone: str,
    profiles: ProfileChoice | Sequence[ProfileChoice] | None = None,
    *,
    encoding: str | None = None,
    format: str | None = None,
) -> InputSettings:
    """:class:`InputSettings` from loaded profiles, profile paths or ``(pattern, profile)`` pairs."""
    pairs = [(pattern, for_timezone(profile, timezone)) for pattern, profile in loaded_profiles(profiles)]
    if encoding is not None:
        try:
            encoding = normalise_encoding(encoding)
        except LookupError as exc:
            raise CheckerError(
                [
                    Problem(
                        Location("--encoding"),
                        "usage",
                        f"unknown encoding {encoding!r} (try utf-8 or gb18030)",
                    )
                ]
            ) from exc
    if format is not None and format not in READERS:
        raise CheckerError(
            [
                Problem(
                    Location("--input-format"),
                    "usage",
                    f"unknown format {format!r} (known: {', '.join(sorted(READERS))})",
                )
            ]
        )
    plain = [p for pattern, p in pairs if pattern is None]
    if len(plain) > 1 and any(not p.match for p in plain):
        raise CheckerError(
            [
                Problem(
                    Location(p.file),
                    "usage",
                    f"profile {p.name} has no 'match' patterns, so it cannot be told "
                    "apart from the other profiles; give it as PATTERN=FILE",
                )
                for p in plain
                if not p.match
            ]
        )
    return InputSettings(timezone, tuple(pairs), encoding, format)


def expand(inputs: Sequence[str | os.PathLike[str]]) -> list[str]:
    """The files ``inputs`` name, sorted and without repeats; raises :class:`CheckerError`."""
    found: set[str] = set()
    problems: list[Problem] = []
    for item in inputs:
        raw = os.fspath(item)
        if raw == STDIN:
            found.add(STDIN)
            continue
        if (local := file_uri_path(raw)) is not None:
            raw = local  # a file:// URI of this machine is the path it names
        if is_uri(raw):
            if raw in _copies:
                found.add(raw)
            else:
                message = (
                    "a URI input is read by --engine spark, through Spark's file systems; "
                    "with another engine, name a local path or a mount"
                )
                problems.append(Problem(Location(raw), "no-input", message))
            continue
        path = Path(raw)
        if path.is_file():
            found.add(os.path.normpath(raw))
        elif path.is_dir():
            files = [
                p for p in path.rglob("*") if p.is_file() and directory_member(p.relative_to(path).parts)
            ]
            if not files:
                problems.append(
                    Problem(Location(raw), "no-input", "the directory holds no file of a known format")
                )
            found.update(os.path.normpath(p) for p in files)
        elif _GLOB_CHARS & set(raw):
            matched = [f for f in glob.glob(raw, recursive=True) if Path(f).is_file()]
            if not matched:
                problems.append(Problem(Location(raw), "no-input", "the pattern matches no file"))
            found.update(os.path.normpath(f) for f in matched)
        else:
            problems.append(Problem(Location(raw), "no-input", "no such input file"))
    if problems:
        raise CheckerError(problems)
    return sorted(found)


def input_bytes(paths: Sequence[str | os.PathLike[str]]) -> int | None:
    """The size of the expanded inputs on disk (compressed files counted as written), or None
    when one is standard input (size unknown); raises :class:`CheckerError` as :func:`expand`."""
    files = expand(paths)
    if STDIN in files:
        return None
    return sum(os.path.getsize(local_path(f)) for f in files)


def choose_profile(display: str, settings: InputSettings) -> Profile | None:
    """The profile that reads ``display``, or None (canonical events)."""
    base = os.path.basename(display)
    for pattern, profile in settings.profiles:
        if pattern is not None and (fnmatch.fnmatch(base, pattern) or fnmatch.fnmatch(display, pattern)):
            return profile
    plain = [p for pattern, p in settings.profiles if pattern is None]
    if len(plain) == 1:
        return plain[0]
    matching = [p for p in plain if p.matches(display)]
    if len(matching) > 1:
        raise CheckerError(
            [
                Problem(
                    Location(display),
                    "usage",
                    f"profiles {', '.join(p.name for p in matching)} all match this "
                    "input; give the one meant as PATTERN=FILE",
                )
            ]
        )
    return matching[0] if matching else None


def read_inputs(
    intake: RecordSink,
    inputs: Sequence[str | os.PathLike[str]],
    settings: InputSettings,
    *,
    stdin: IO[bytes] | None = None,
    progress: Progress | None = None,
) -> None:
    """Read every input into ``intake``."""
    files = expand(inputs)
    if progress is not None:
        sizes = [0 if f == STDIN else os.path.getsize(local_path(f)) for f in files]
        progress.begin(sum(sizes) if STDIN not in files else None)
    for display in files:
        read_file(
            intake, display, choose_profile(display, settings), settings, stdin=stdin, progress=progress
        )
    if progress is not None:
        progress.end()


def read_file(
    intake: RecordSink,
    display: str,
    profile: Profile | None,
    settings: InputSettings,
    *,
    stdin: IO[bytes] | None = None,
    progress: Progress | None = None,
) -> None:
    """Read one input (a path, or ``-`` for ``stdin``) into ``intake``."""
    if display == STDIN:
        import sys

        raw: IO[bytes] = stdin if stdin is not None else sys.stdin.buffer
    else:
        try:
            raw = open(local_path(display), "rb")  # noqa: SIM115 - closed below, after the hash is complete
        except OSError as exc:  # gone, or unreadable, since the inputs were listed
            raise CheckerError(
                [Problem(Location(display), "unreadable-file", f"cannot open the input: {exc.strerror}")]
            ) from exc
    pinned = pin_identity(display, raw)
    hasher = hashlib.sha256()
    counted = Counted(raw, hasher)
    line = 0
    try:
        encoding = settings.encoding or (profile.encoding if profile else None) or "utf-8"
        fmt = settings.format or format_for(display) or (profile.format if profile else None)
        opened = open_stream(counted, display, format=fmt, encoding=encoding)
        stats = intake.open(display, format=opened.format, profile=profile.name if profile else None)
        options = ReadOptions(opened.encoding, profile.delimiter if profile else None)
        flat = opened.format in ("csv", "tsv")
        for record in READERS[opened.format](opened.stream, options, display):
            line = record.line
            if isinstance(record.value, Header):
                problems = profile.header_problems(list(record.value.names), display, line) if profile else []
                if problems:
                    raise CheckerError(problems)
                continue
            if record.error is not None:
                intake.reject(stats, line, *record.error, record.text)
            else:
                take_record(intake, stats, line, record.value, record.text, profile, flat)
            if progress is not None and stats.read % 512 == 0:
                progress.advance(counted.count, stats.read)
        while counted.read(CHUNK):  # the rest of the file (after a gzip stream), for the hash
            pass
    except (OSError, EOFError, zlib.error) as exc:
        where = f"after line {line}" if line else "at the start"
        raise CheckerError(
            [
                Problem(
                    Location(display, line + 1 if line else 0),
                    "unreadable-file",
                    f"reading stopped {where}: {exc}",
                )
            ]
        ) from exc
    finally:
        if display != STDIN:
            raw.close()
    stats.sha256 = hasher.hexdigest()
    if pinned is not None:
        # the SHA-256 is of the bytes read; the file must still hold them, or the provenance
        # names bytes nobody judged (an export rewritten in place while it was read)
        stats.pin = FilePin(local_path(display), *pinned, stats.sha256)
        check_pins([stats], "while it was read")
    if progress is not None:
        progress.advance(counted.count, stats.read, done=True)


#: how recent a file's last change may be, when it is opened, for its times alone not to prove
#: it unchanged later: file systems keep times in ticks (milliseconds on Linux, 2 s on FAT) and a
#: file server's clock may differ a little, so a write in the same tick as the last one before the
#: read could leave every time and the size as they were; such a file is hashed again instead
RACY_NS = 3_000_000_000


def _identity(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def pin_identity(display: str, raw: IO[bytes]) -> tuple[tuple[int, int, int, int, int], int] | None:
    """The identity of a regular file just opened, and the wall clock just before it was read
    (None for standard input, pipes and devices, which cannot change under a run)."""
    if display == STDIN:
        return None
    now = time.time_ns()
    st = os.fstat(raw.fileno())
    return (_identity(st), now) if stat.S_ISREG(st.st_mode) else None


def file_sha256(path: str) -> str:
    """The SHA-256 of the bytes of ``path`` now."""
    hasher = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            hasher.update(chunk)
    return hasher.hexdigest()


def verify_pin(pin: FilePin) -> tuple[str | None, FilePin]:
    """Why the file ``pin`` names no longer holds the bytes the run read (None: it does), and the
    pin to keep.

    The same identity (device, inode, size, modification and change times) proves it unchanged,
    unless the file had changed within :data:`RACY_NS` of when it was last known to hold them;
    otherwise (a touched, replaced or recent file) its bytes are hashed again, and only other bytes
    count as a change. A file hashed again and found equal is known to hold them from then on, so
    a later check of a file read long after it was written does not hash it again.
    """
    checked = time.time_ns()
    try:
        now = os.stat(pin.path)
    except OSError as exc:
        return f"it can no longer be read ({exc.strerror})", pin
    identity = _identity(now)
    recent = max(pin.identity[3], pin.identity[4]) >= pin.known_ns - RACY_NS
    if identity == pin.identity and not recent:
        return None, pin
    if now.st_size != pin.identity[2]:
        return f"its size went from {pin.identity[2]} to {now.st_size} bytes", pin
    try:
        sha = file_sha256(pin.path)
    except OSError as exc:
        return f"it can no longer be read ({exc.strerror})", pin
    if sha != pin.sha256:
        return f"its bytes now have the SHA-256 {sha}", pin
    return None, FilePin(pin.path, identity, checked, pin.sha256)


def check_pins(inputs: Iterable[InputStats], when: str = "during the check") -> None:
    """Raise :class:`CheckerError` (``input-changed``, naming each file) when an input read with a
    pin (:attr:`InputStats.pin`) no longer holds the bytes the run read and recorded."""
    problems = []
    for stats in inputs:
        if stats.pin is None:
            continue
        why, stats.pin = verify_pin(stats.pin)
        if why is not None:
            problems.append(
                Problem(
                    Location(stats.file),
                    "input-changed",
                    f"the input changed {when}: {why}, but the run read bytes with the SHA-256 "
                    f"{stats.sha256}; check a copy that nothing writes to while the check runs",
                )
            )
    if problems:
        raise CheckerError(problems)


def take_record(
    intake: RecordSink,
    stats: InputStats,
    line: int,
    value: Any,
    text: str,
    profile: Profile | None,
    flat: bool,
) -> None:
    """Hand one record the reader read at ``line`` to ``intake``: mapped by ``profile`` (or, when
    ``flat``, read as a canonical CSV row), or rejected with the mapping's code and reason."""
    try:
        if profile is not None:
            value = profile.apply(value)
        elif flat:
            value = canonical_from_flat(value)
    except MappingError as exc:
        intake.reject(stats, line, exc.code, exc.reason, text)
        return
    intake.add(stats, line, value, text)


def write_rejects(batch: EventBatch, stream: IO[str]) -> int:
    """Write each rejected record as a JSON line (file, line, code, reason, original text).

    Returns the number written. The order is the batch's (by file and line).
    """
    for r in batch.rejected:
        stream.write(
            json.dumps(
                {"file": r.file, "line": r.line, "code": r.code, "reason": r.reason, "text": r.text},
                ensure_ascii=False,
            )
            + "\n"
        )
    return len(batch.rejected)


def read_events(
    paths: Sequence[str | os.PathLike[str]],
    *,
    timezone: str | None = None,
    keep: Callable[[str], bool] | None = None,
    profiles: ProfileChoice | Sequence[ProfileChoice] | None = None,
    encoding: str | None = None,
    input_format: str | None = None,
    stdin: IO[bytes] | None = None,
    progress: Progress | None = None,
    now: int | None = None,
) -> EventBatch:
    """Read exports into an :class:`EventBatch`, accounting for every record.

    ``paths`` are files, directories, globs or ``-`` (``stdin``, else the
    process's standard input), in any supported format (JSON Lines, JSON
    array, CSV, TSV, Parquet; gzip-compressed or not), read in sorted order.
    ``profiles`` is a field-mapping profile (loaded, or a path), a list of
    them, or ``(pattern, profile)`` pairs (see :mod:`checker.inputs.files`); inputs
    without one hold canonical events. ``encoding`` and ``input_format``
    override what profiles and file names say. ``keep`` selects the actions
    whose events are held in memory (all by default). ``progress`` is a
    :class:`checker.inputs.progress.Progress`. Problems with a file as a whole
    raise :class:`~checker.language.errors.CheckerError`. ``now`` (epoch microseconds, default
    the wall clock) is the run's present: a record stamped more than a day after it is rejected
    as ``future-timestamp``. ``timezone`` (of offset-less times and of the batch) defaults to the
    one the profiles declare, else ``Asia/Shanghai`` (:func:`~.profiles.run_declarations`).
    """
    if timezone is None:
        declared = settings_for(DEFAULT_TIMEZONE, profiles).profiles
        timezone = run_declarations([p for _, p in declared]).timezone
    settings = settings_for(timezone, profiles, encoding=encoding, format=input_format)
    intake = Intake(timezone, keep, now=now)
    read_inputs(intake, paths, settings, stdin=stdin, progress=progress)
    return intake.finish()
