"""Inputs DuckDB cannot read itself, converted once, in a stream, into the JSON Lines it reads.

A CSV or TSV export, a file read through a profile or an encoding override, gzip, a JSON array,
a Parquet file with inexact column types and standard input are read by the project's own
reader (:func:`checker.inputs.files.read_file`: the same parsing, mapping, header checks,
hashing and pinning as the reference intake), and each record it hands over is written, as the
canonical JSON text of the record, to a temporary JSON Lines file **at the line number of the
source record**: the lines between (a header, the other lines of a quoted cell holding newlines,
rejected rows, blank lines) are written empty. The DuckDB intake then classifies the converted
file like any plain JSON Lines file, and every line number it counts (rejects, duplicates,
conflicts, a finding's file and line) is the source's; its events carry the converted record's
text as their evidence, so that neither the input nor the converted file is read again after the
intake. Each record's original text is written beside it (``side``, a JSON string per line,
aligned the same way): a record Python decides is judged with it, as the reference intake judges
it with the text it read.

Records are never held in memory: only rejects and the few records whose JSON text would not read
back as the same value (:meth:`Converter.add`) are handed to Python as they are.
"""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from ...inputs.events import InputStats
from ...inputs.files import STDIN, InputSettings, local_path, read_file, take_record
from ...inputs.profiles import Profile, for_timezone, load_profile
from ...inputs.progress import Progress
from ...inputs.readers import (
    GZIP_MAGIC,
    MAX_RECORD_BYTES,
    READERS,
    Header,
    ReadOptions,
    format_for,
    normalise_encoding,
    open_stream,
    value_problem,
)
from ...language.errors import CheckerError
from ..cores import cores

#: the longest converted record (bytes) written to the converted file; a longer one is decided by
#: Python (DuckDB's line reader, :func:`checker.engines.duckdb.intake.line_reader`, stops at 2 MB)
MAX_CONVERTED_BYTES = 1 << 20
#: orjson writes what the readers give (dicts, lists, text, numbers, booleans, None) and refuses
#: anything else (times, decimals, subclasses) rather than writing it as text
_DUMP_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
)

Call = tuple[int, str, tuple[Any, ...]]


def canonical_bytes(record: Any, text: str) -> bytes | None:
    """The JSON text of ``record`` that reads back (:func:`orjson.loads`) as the very same value,
    to write on a converted line, or None when there is none or the line must be decided by Python
    with the record as it is: integers beyond 64 bits, lone surrogates, values JSON does not hold,
    NaN or infinite numbers (which orjson writes as ``null``), a record over
    :data:`MAX_CONVERTED_BYTES`, and a record whose original ``text`` says ``NaN`` or ``Infinity``
    (the reference digests such a record's content another way:
    :func:`checker.inputs.events.content_digest`)."""
    if type(record) is not dict or "NaN" in text or "Infinity" in text:
        return None
    try:
        data = orjson.dumps(record, option=_DUMP_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError
        return None
    if len(data) > MAX_CONVERTED_BYTES:
        return None
    if b"null" in data and value_problem(record) is not None:  # NaN or an infinity read as null
        return None
    return data


class Recorder:
    """A record sink (:class:`checker.inputs.files.RecordSink`) that keeps every record handed
    over in ``calls`` (line, ``"add"`` or ``"reject"``, arguments), as
    :class:`checker.inputs.events.Intake` is called, to replay them in file and line order."""

    def __init__(self) -> None:
        self.stats: InputStats | None = None
        self.calls: list[Call] = []

    def open(
        self, file: str, sha256: str = "", *, format: str = "jsonl", profile: str | None = None
    ) -> InputStats:
        self.stats = InputStats(file, sha256=sha256, format=format, profile=profile)
        return self.stats

    # ``read`` counts the records handed over, for the progress bar only: the account is the
    # DuckDB intake's
    def reject(self, stats: InputStats, line: int, code: str, reason: str, text: str) -> None:
        stats.read += 1
        self.calls.append((line, "reject", (code, reason, text)))

    def add(self, stats: InputStats, line: int, record: Any, text: str) -> None:
        stats.read += 1
        self.calls.append((line, "add", (record, text)))


class Converter(Recorder):
    """A :class:`Recorder` that writes each record handed over at its line of ``out`` and its text
    at the same line of ``side``; keeps only the rest in ``calls``."""

    def __init__(self, out: IO[bytes], side: IO[bytes], *, first: int = 1) -> None:
        super().__init__()
        self.out = out
        self.side = side
        self.written = 0  # converted records
        self._next = first  # the line of the source the next line of ``out`` stands for

    def add(self, stats: InputStats, line: int, record: Any, text: str) -> None:
        stats.read += 1
        data = canonical_bytes(record, text) if line >= self._next else None
        if data is not None:
            try:
                shown = orjson.dumps(text)
            except TypeError:  # a lone surrogate in the text
                data = None
        if data is None:
            self.calls.append((line, "add", (record, text)))
            return
        gap = b"\n" * (line - self._next)
        self.out.write(gap + data + b"\n")
        self.side.write(gap + shown + b"\n")
        self._next = line + 1
        self.written += 1

    def pad_to(self, last: int) -> None:
        """End ``out`` and ``side`` at line ``last`` of the source (the end of a piece of it)."""
        if last >= self._next:
            gap = b"\n" * (last - self._next + 1)
            self.out.write(gap)
            self.side.write(gap)
            self._next = last + 1


#: where an input's lines are read: one file, or files read one after another as one (an input
#: converted in pieces: a part per piece, each padded so that the lines are the source's)
LineFiles = str | tuple[str, ...]


class Snapshot(str):
    """A hard link to an input file, made in the run's own directory as the intake starts: DuckDB
    reads the input through it and the findings read their evidence from it, so that the input
    may be removed or replaced once the check has started. Its lines are the input's (an edit in
    place shows in both: the same file)."""


def line_source(
    files: Mapping[int, LineFiles], names: Sequence[str], fi: int | None
) -> tuple[str, str | None]:
    """Whom an error about input ``fi``'s lines, read again after intake, names: the input as the
    result names it (``names[fi]``; its lines keep their numbers in a converted copy); and, when
    the lines were read from the run's converted copy of the input rather than from the input, that
    copy (for one converted in pieces, its parts' number and directory): then the copy failed, not
    the input."""
    read = files.get(fi) if fi is not None else None
    if fi is None or not 0 <= fi < len(names):  # not an input of the run: whatever was read
        return (read if isinstance(read, str) else read[0] if read else "?"), None
    name = names[fi]
    if read is None or read == name or isinstance(read, Snapshot):
        return name, None
    # the parts of a copy made in pieces, read one after another as one file: which of them holds
    # a line, the line numbers (the input's) do not say
    where = read if isinstance(read, str) else f"{len(read)} parts in {os.path.dirname(read[0])}"
    return name, where


@dataclass
class Converted:
    """One input converted: the converted file and the texts beside it (or their parts, one per
    piece: :func:`convert_in_pieces`), the reader's account (format, profile, SHA-256, pin) and the
    records Python decides as they are."""

    path: LineFiles
    side: LineFiles
    stats: InputStats
    calls: list[Call] = field(default_factory=list)
    written: int = 0
    # an input DuckDB mapped itself (checker.engines.duckdb.profilesql): its side files are the
    # source's own lines (not JSON strings), and a source line (number, text) that SQL left to
    # Python is converted by this
    python_line: Callable[[int, str], list[Call]] | None = None


def convert(
    display: str,
    profile: Profile | None,
    settings: InputSettings,
    directory: str,
    index: int,
    *,
    stdin: IO[bytes] | None = None,
    progress: Progress | None = None,
) -> Converted:
    """Read the input ``display`` with the project's reader into a converted JSON Lines file in
    ``directory`` (named by the input's ``index``); raises what the reader raises."""
    path = os.path.join(directory, f"input-{index}.jsonl")
    side = os.path.join(directory, f"input-{index}.texts.jsonl")
    with open(path, "wb", buffering=1 << 20) as out, open(side, "wb", buffering=1 << 20) as texts:
        sink = Converter(out, texts)
        read_file(sink, display, profile, settings, stdin=stdin, progress=progress)
    assert sink.stats is not None
    return Converted(path, side, sink.stats, sink.calls, sink.written)


# --- a large plain CSV or TSV file: converted in pieces, on every core -------------------------

#: the smallest file converted in pieces (below it, starting the processes costs more than it saves)
PIECES_FROM_BYTES = 32 << 20
#: encodings in which a newline byte is always a newline (never part of another character)
_LINE_SAFE_ENCODINGS = frozenset({"utf-8", "gb18030"})
#: what the csv module says (strict) when its input ends inside a quoted cell
_OPEN_AT_END = "unexpected end of data"


@dataclass(frozen=True)
class Piece:
    """Lines ``first_line`` to ``last_line`` of a CSV or TSV file, bytes ``start`` to ``end``, read
    after the file's ``header`` line (empty for the first piece, which starts with it)."""

    display: str
    start: int
    end: int
    header: bytes
    first_line: int
    last_line: int
    format: str
    encoding: str
    # the profile's file (None: canonical CSV), loaded again by the worker process and bound to
    # the run's ``timezone``: a profile does not survive pickling (its sentinels are compared by
    # identity)
    profile: str | None
    timezone: str
    out: str
    side: str
    # the file the bytes are read from: ``display`` itself, or its local copy (a fetched URI)
    source: str


class _Slice(io.RawIOBase):
    """``prefix``, then bytes ``start`` to ``end`` of ``fh``."""

    def __init__(self, prefix: bytes, fh: IO[bytes], start: int, end: int) -> None:
        self.prefix = prefix
        self.fh = fh
        self.left = end - start
        fh.seek(start)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.prefix:
            n = min(len(buffer), len(self.prefix))
            buffer[:n] = self.prefix[:n]
            self.prefix = self.prefix[n:]
            return n
        data = self.fh.read(min(len(buffer), self.left))
        n = len(data)
        buffer[:n] = data
        self.left -= n
        return n


def convert_piece(piece: Piece) -> tuple[list[Call], int, bool]:
    """Convert one :class:`Piece` into its part files (``piece.out``, ``piece.side``) as
    :func:`convert` converts the whole file: the records handed to Python (with the file's line
    numbers), how many were written, and whether the piece ended between two records (not inside
    a quoted cell, which would run on into the next piece: then the file is converted whole)."""
    shift = piece.first_line - (2 if piece.header else 1)  # the reader counts the header as line 1
    clean = True
    with (
        open(piece.source, "rb") as fh,
        open(piece.out, "wb", buffering=1 << 20) as out,
        open(piece.side, "wb", buffering=1 << 20) as texts,
    ):
        opened = open_stream(
            _Slice(piece.header, fh, piece.start, piece.end),
            piece.display,
            format=piece.format,
            encoding=piece.encoding,
        )
        sink = Converter(out, texts, first=piece.first_line)
        profile = _profile(piece.profile, piece.timezone)
        stats = sink.open(piece.display, format=opened.format, profile=profile.name if profile else None)
        options = ReadOptions(opened.encoding, profile.delimiter if profile else None)
        for record in READERS[opened.format](opened.stream, options, piece.display):
            line = record.line + shift
            if isinstance(record.value, Header):
                if profile is not None and profile.header_problems(list(record.value.names), "", 1):
                    return [], 0, False  # the whole file's reading says what is wrong
                continue
            if record.error is not None:
                # a quoted cell still open where the piece ends (the csv module's strict reading
                # says so): the sequential reading would go on into the next piece
                clean = clean and not (record.error[0] == "bad-row" and _OPEN_AT_END in record.error[1])
                sink.reject(stats, line, *record.error, record.text)
                continue
            take_record(sink, stats, line, record.value, record.text, profile, flat=True)
        sink.pad_to(piece.last_line)
    return sink.calls, sink.written, clean


def _profile(file: str | None, timezone: str) -> Profile | None:
    """The profile in ``file`` as a run in ``timezone`` reads it (None: no file)."""
    return None if file is None else for_timezone(load_profile(file), timezone)


def pieces_of(
    display: str, profile: Profile | None, settings: InputSettings, directory: str, index: int, cores: int
) -> list[Piece]:
    """The pieces a plain (not compressed) CSV or TSV file of at least :data:`PIECES_FROM_BYTES`,
    in UTF-8 or GB18030, whose first line is its header (and holds no quote), is converted in: one
    a core, each starting at a line; none for any other input."""
    if display == STDIN or cores < 2:
        return []
    fmt = settings.format or format_for(display) or (profile.format if profile else None)
    if fmt not in ("csv", "tsv") or format_for(display) not in (None, "csv", "tsv"):
        return []
    try:
        encoding = normalise_encoding(settings.encoding or (profile.encoding if profile else None) or "utf-8")
        size = os.path.getsize(local_path(display))
    except (LookupError, OSError):
        return []
    if encoding not in _LINE_SAFE_ENCODINGS or size < PIECES_FROM_BYTES:
        return []
    try:  # a worker loads the profile again from its file: it must be the very profile
        if profile is not None and _profile(profile.file, settings.timezone) != profile:
            return []
    except CheckerError:
        return []
    with open(local_path(display), "rb") as fh:
        header = fh.readline(MAX_RECORD_BYTES)
        if (
            header[:2] == GZIP_MAGIC
            or header[:2] in (b"\xff\xfe", b"\xfe\xff")
            or header[:3] == b"\xef\xbb\xbf"
            or not header.endswith(b"\n")
            or not header.strip()
            or b'"' in header
        ):
            return []
        starts = [0]
        for i in range(1, cores):
            fh.seek(max(i * size // cores, len(header)) - 1)
            fh.readline()  # to the start of the next line
            if fh.tell() < size and fh.tell() > starts[-1]:
                starts.append(fh.tell())
        # the line each piece starts on: newlines before its first byte
        fh.seek(0)
        lines = [1]
        seen = 1
        at = 0
        for start in [*starts[1:], size]:
            while at < start:
                block = fh.read(min(1 << 22, start - at))
                if not block:
                    break
                at += len(block)
                seen += block.count(b"\n")
            lines.append(seen)
    # ``lines[-1]`` is the line after the last newline: the file's last line unless it is empty
    ends = [*starts[1:], size]
    return [
        Piece(
            display,
            start,
            end,
            header if k else b"",
            lines[k],
            lines[k + 1] - 1 if k + 1 < len(starts) else lines[-1],
            fmt,
            encoding,
            profile.file if profile is not None else None,
            settings.timezone,
            os.path.join(directory, f"input-{index}.part-{k}.jsonl"),
            os.path.join(directory, f"input-{index}.part-{k}.texts.jsonl"),
            local_path(display),
        )
        for k, (start, end) in enumerate(zip(starts, ends, strict=True))
    ]


def convert_in_pieces(
    display: str,
    profile: Profile | None,
    settings: InputSettings,
    directory: str,
    index: int,
    *,
    progress: Progress | None = None,
) -> Converted | None:
    """:func:`convert` for a large plain CSV or TSV file (:func:`pieces_of`), its pieces read at
    the same time, one in this process and the others in worker processes; None when the file is
    not one, or a piece did not end between two records (then :func:`convert` reads it whole).
    The stats have no SHA-256 or pin: the caller has them from its own pass over the bytes."""
    pieces = pieces_of(display, profile, settings, directory, index, min(cores(), 8))
    if len(pieces) < 2:
        return None
    results: list[tuple[list[Call], int, bool]] = []
    workers: list[tuple[subprocess.Popen[bytes], str]] = []
    kept = False
    try:
        try:
            for k, piece in enumerate(pieces[1:], start=1):
                workers.append(_start_worker(piece, os.path.join(directory, f"input-{index}.part-{k}")))
            results.append(convert_piece(pieces[0]))
            for worker, base in workers:
                results.append(_worker_result(worker, base))
        except Exception:  # any trouble: the file is read whole, and that reading says what is wrong
            results = []
        finally:
            for worker, base in workers:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
                for name in (base + ".piece", base + ".result"):
                    if os.path.exists(name):
                        os.unlink(name)
        kept = len(results) == len(pieces) and all(clean for _, _, clean in results[:-1])
    finally:
        # the parts are read as they are, one after another (joining them into one file cost
        # seconds of writing at a million records): they stay, with the rest of ``directory``,
        # unless the file is to be read whole
        if not kept:
            for piece in pieces:
                for part in (piece.out, piece.side):
                    if os.path.exists(part):
                        os.unlink(part)
    if not kept:
        return None
    fmt = pieces[0].format
    stats = InputStats(display, format=fmt, profile=profile.name if profile else None)
    calls = [c for piece_calls, _, _ in results for c in piece_calls]
    written = sum(n for _, n, _ in results)
    stats.read = written + len(calls)
    if progress is not None:
        progress.advance(os.path.getsize(local_path(display)), stats.read, done=True)
    return Converted(tuple(p.out for p in pieces), tuple(p.side for p in pieces), stats, calls, written)


#: what a worker process runs: :func:`piece_main` (a fresh interpreter: it imports the checker, not
#: the program that started the run, as multiprocessing's spawn would)
_WORKER = "from checker.engines.duckdb.convert import piece_main; piece_main()"


def _start_worker(piece: Piece, base: str) -> tuple[subprocess.Popen[bytes], str]:
    """A worker process converting ``piece``; its arguments and result go through ``base``.piece
    and ``base``.result."""
    with open(base + ".piece", "wb") as fh:
        pickle.dump(piece, fh)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER, base + ".piece", base + ".result"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    return worker, base


def _worker_result(worker: subprocess.Popen[bytes], base: str) -> tuple[list[Call], int, bool]:
    """What the worker converting a piece found (:func:`convert_piece`); raises when it failed."""
    _, err = worker.communicate()
    if worker.returncode != 0:
        raise RuntimeError(f"a conversion worker failed ({worker.returncode}): {err.decode()[-500:]}")
    with open(base + ".result", "rb") as fh:
        result: tuple[list[Call], int, bool] = pickle.load(fh)  # written by our own worker
    return result


def piece_main() -> None:
    """A worker process: convert the piece pickled in ``argv[1]``, pickle the result to ``argv[2]``."""
    with open(sys.argv[1], "rb") as fh:
        piece = pickle.load(fh)  # written by the intake that started this process
    result = convert_piece(piece)
    with open(sys.argv[2], "wb") as fh:
        pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
