"""Readers of input files, record by record: formats, gzip, encodings.

A reader turns a binary stream into :class:`RawRecord` values: the record as
parsed (a dict for JSON, a ``{header: cell}`` dict for CSV and TSV rows, a
dict for Parquet rows), the line (or row) it starts on, and its original
text. A record that cannot even be parsed (bad JSON, bytes that are not in
the encoding, a CSV row with the wrong number of cells) comes back with an
``error`` instead, so intake can reject it with its place and go on.

Readers stream: JSON Lines, CSV and TSV line by line, JSON arrays element by
element (:mod:`checker.inputs.jsonarray`), Parquet in row batches. A problem with a
file as a whole (no header, a header naming a column twice, a corrupt gzip or
Parquet file) raises :class:`~checker.language.errors.CheckerError` with its location:
what such a file holds cannot be accounted for record by record.

Readers are registered by format name in :data:`READERS`; a new format is one
decorated function.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import shutil
import tempfile
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any, Literal

import orjson

from ..language.errors import CheckerError, Location, Problem
from .jsonarray import NotAnArray, split_array

CHUNK = 1 << 16
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
_UTF8_BOM = codecs.BOM_UTF8
_OTHER_BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}
# GBK and GB2312 text is GB18030 text (a superset): one decoder reads all three
_ENCODING_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "936": "gb18030"}
_ESCAPED_BYTE = re.compile(r"[\udc80-\udcff]")

EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as read: where it starts, its parsed value and its original text.

    ``error`` is ``(code, reason)`` when the record could not be parsed; its
    ``value`` is then ``None``.
    """

    line: int
    value: Any
    text: str
    error: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Header:
    """The header row of a CSV or TSV file, yielded (as a record's value) before its rows.

    It is not a record: intake does not count it; a profile checks it names
    the columns the profile reads.
    """

    names: tuple[str, ...]


@dataclass(frozen=True)
class ReadOptions:
    """How to read one input: its text encoding and, for CSV, its delimiter."""

    encoding: str = "utf-8"
    delimiter: str | None = None


Reader = Callable[[IO[bytes], ReadOptions, str], Iterator[RawRecord]]
READERS: dict[str, Reader] = {}


def reader(name: str) -> Callable[[Reader], Reader]:
    """Register a reader under a format name (the value of ``--input-format``)."""

    def register(func: Reader) -> Reader:
        READERS[name] = func
        return func

    return register


def normalise_encoding(name: str) -> str:
    """The codec to decode ``name`` with; raises ``LookupError`` for unknown encodings."""
    codec = codecs.lookup(name).name
    return _ENCODING_ALIASES.get(codec, _ENCODING_ALIASES.get(name.lower(), codec))


def format_for(name: str) -> str | None:
    """The format a file name says (``x.csv.gz`` -> ``csv``), or None."""
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    for ext, fmt in EXTENSIONS.items():
        if lower.endswith(ext):
            return fmt
    return None


class Counted(io.RawIOBase):
    """A binary stream that counts (for progress) and hashes the bytes read through it."""

    def __init__(self, raw: IO[bytes], hasher: Any = None) -> None:
        self.raw = raw
        self.hasher = hasher
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        if self.hasher is not None:
            self.hasher.update(data)
        return n


@dataclass
class Opened:
    """An input opened for reading: the decompressed stream, its format and encoding."""

    stream: io.BufferedReader[Any]  # over a RawIOBase or BufferedIOBase, or a GzipFile over that
    format: str
    encoding: str
    compressed: bool


def open_stream(
    raw: io.RawIOBase | io.BufferedIOBase, display: str, *, format: str | None = None, encoding: str = "utf-8"
) -> Opened:
    """Open ``raw`` for reading: undo gzip, detect a BOM, settle the format.

    The format is ``format`` if given, else the file name's, else sniffed from
    the first bytes (``PAR1``: Parquet; ``[``: a JSON array; ``{``: JSON Lines;
    otherwise CSV, or TSV when the first line has tabs and no commas). A UTF-8
    byte order mark wins over ``encoding``.
    """
    stream: io.BufferedReader[Any] = io.BufferedReader(raw, CHUNK)
    compressed = stream.peek(2)[:2] == GZIP_MAGIC
    if compressed:
        stream = io.BufferedReader(gzip.GzipFile(fileobj=stream, mode="rb"), CHUNK)
    try:
        head = stream.peek(CHUNK)[:CHUNK]
    except (OSError, EOFError, zlib.error) as exc:
        raise _file_error(display, "unreadable-file", f"not a readable gzip file: {exc}") from exc
    for bom, name in _OTHER_BOMS.items():
        if head.startswith(bom):
            raise _file_error(
                display,
                "encoding",
                f"the file is {name} (it starts with a {name} "
                "byte order mark); re-save it as UTF-8 or GB18030",
            )
    if head.startswith(_UTF8_BOM):
        stream.read(len(_UTF8_BOM))
        encoding = "utf-8"
        head = head[len(_UTF8_BOM) :]
    fmt = format or format_for(display) or _sniff(head)
    if fmt == "json" and head.lstrip()[:1] == b"{":
        fmt = "jsonl"  # a .json file of one object per line is JSON Lines
    return Opened(stream, fmt, encoding, compressed)


def _sniff(head: bytes) -> str:
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    first = head.lstrip()[:1]
    if first == b"[":
        return "json"
    if first == b"{":
        return "jsonl"
    line = head.split(b"\n", 1)[0]
    return "tsv" if b"\t" in line and b"," not in line else "csv"


def _file_error(display: str, code: str, message: str, line: int = 0) -> CheckerError:
    return CheckerError([Problem(Location(display, line, 0), code, message)])


def decode(raw: bytes, encoding: str) -> tuple[str, str | None]:
    """``raw`` decoded, and why it is not valid in ``encoding`` (None when it is).

    Undecodable bytes are kept as ``\\xNN`` in the text, so a rejected
    record's text shows exactly what was there.
    """
    text = raw.decode(encoding, "surrogateescape")
    bad = _ESCAPED_BYTE.search(text)
    if bad is None:
        return text, None
    shown = _ESCAPED_BYTE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", text)
    hint = " (a GBK/GB18030 export? pass --encoding gb18030)" if encoding == "utf-8" else ""
    byte = ord(bad.group()) - 0xDC00
    return shown, f"not valid {encoding}: byte 0x{byte:02x} at column {bad.start() + 1}{hint}"


def _strip_newline(text: str) -> str:
    return text.rstrip("\r\n")


@reader("jsonl")
def read_jsonl(stream: IO[bytes], options: ReadOptions, display: str) -> Iterator[RawRecord]:
    """JSON Lines: one JSON value per line; blank lines are skipped."""
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        text, bad = decode(raw, options.encoding)
        text = _strip_newline(text)
        if bad:
            yield RawRecord(number, None, text, ("encoding", bad))
            continue
        try:
            value = parse_json_line(text)
        except json.JSONDecodeError as exc:
            yield RawRecord(number, None, text, ("bad-json", f"not JSON: {exc.msg} at column {exc.colno}"))
            continue
        yield RawRecord(number, value, text)


def parse_json_line(text: str) -> Any:
    """The value of one JSON Lines line, as :func:`read_jsonl` reads it (``json.JSONDecodeError``
    when it is not JSON)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # the json module explains the error, and reads what orjson refuses
        # but JSON Lines exports hold (NaN, integers past 64 bits)
        return json.loads(text)


@reader("json")
def read_json_array(stream: IO[bytes], options: ReadOptions, display: str) -> Iterator[RawRecord]:
    """A JSON array of records, read element by element."""
    decoder = codecs.getincrementaldecoder(options.encoding)("surrogateescape")

    def chunks() -> Iterator[str]:
        while block := stream.read(CHUNK):
            yield decoder.decode(block)
        yield decoder.decode(b"", final=True)

    try:
        for element in split_array(chunks()):
            text, bad = _escaped(element.text, options.encoding)
            if element.problem:
                yield RawRecord(element.line, None, text, ("bad-json", element.problem))
            elif bad:
                yield RawRecord(element.line, None, text, ("encoding", bad))
            else:
                try:
                    yield RawRecord(element.line, json.loads(text), text)
                except json.JSONDecodeError as exc:
                    yield RawRecord(
                        element.line,
                        None,
                        text,
                        (
                            "bad-json",
                            f"not JSON: {exc.msg} at line {exc.lineno - 1 + element.line} column {exc.colno}",
                        ),
                    )
    except NotAnArray as exc:
        raise _file_error(
            display, "bad-json", f"{exc}: a .json input must be an array of records (or JSON Lines)", 1
        ) from exc


def _escaped(text: str, encoding: str) -> tuple[str, str | None]:
    bad = _ESCAPED_BYTE.search(text)
    if bad is None:
        return text, None
    return decode(text.encode(encoding, "surrogateescape"), encoding)


class _Lines:
    """Decoded lines for :mod:`csv`, with the raw lines of the current record and push-back.

    A row whose quote never closes swallows the lines after it; when such a
    row turns out malformed, its first line is rejected alone and the others
    are pushed back to be read again, so one stray quote costs one line.
    """

    def __init__(self, stream: IO[bytes], encoding: str) -> None:
        self.numbered = enumerate(stream, start=1)
        self.encoding = encoding
        self.pending: deque[tuple[int, bytes]] = deque()
        self.current: list[tuple[int, bytes, str, str | None]] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.pending:
            number, raw = self.pending.popleft()
        else:
            number, raw = next(self.numbered)  # StopIteration ends the csv reader's input
        text, bad = decode(raw, self.encoding)
        self.current.append((number, raw, text, bad))
        return text

    def push_back_all_but_first(self) -> None:
        for number, raw, _, _ in reversed(self.current[1:]):
            self.pending.appendleft((number, raw))
        del self.current[1:]


#: csv.QUOTE_MINIMAL, QUOTE_ALL, QUOTE_NONNUMERIC or QUOTE_NONE, as csv.reader's stubs spell them
_Quoting = Literal[0, 1, 2, 3]


def _read_delimited(
    stream: IO[bytes], options: ReadOptions, display: str, delimiter: str, quoting: _Quoting
) -> Iterator[RawRecord]:
    lines = _Lines(stream, options.encoding)
    rows = csv.reader(lines, delimiter=delimiter, quoting=quoting, strict=True)
    header: list[str] | None = None
    while True:
        lines.current.clear()
        try:
            row = next(rows)
            error = None
        except StopIteration:
            return
        except csv.Error as exc:
            row, error = [], f"not a valid row: {exc}"
        if not lines.current:
            return
        first = lines.current[0][0]
        text = _strip_newline("".join(t for _, _, t, _ in lines.current))
        if error is None and not any(cell.strip() for cell in row) and len(lines.current) == 1:
            continue  # a blank line
        if header is None:
            header = _header(row, lines.current, display, first)
            yield RawRecord(first, Header(tuple(header)), text)
            continue
        if error is None and len(row) != len(header):
            error = f"the row has {len(row)} cells, the header has {len(header)}"
        if error is not None and len(lines.current) > 1:
            lines.push_back_all_but_first()
            yield RawRecord(
                first,
                None,
                _strip_newline(lines.current[0][2]),
                ("bad-row", f"{error} (an unclosed quote on this line ran into the next lines)"),
            )
            continue
        if error is not None:
            yield RawRecord(first, None, text, ("bad-row", error))
            continue
        bad = next((b for _, _, _, b in lines.current if b), None)
        if bad:
            yield RawRecord(first, None, text, ("encoding", bad))
            continue
        yield RawRecord(first, dict(zip(header, row, strict=True)), text)


def _header(
    row: list[str], current: list[tuple[int, bytes, str, str | None]], display: str, line: int
) -> list[str]:
    bad = next((b for _, _, _, b in current if b), None)
    if bad:
        raise _file_error(display, "encoding", f"the header row is {bad}", line)
    names = [cell.strip() for cell in row]
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise _file_error(display, "bad-header", f"the header names the column {name!r} twice", line)
        seen.add(name)
    return names


@reader("csv")
def read_csv(stream: IO[bytes], options: ReadOptions, display: str) -> Iterator[RawRecord]:
    """CSV with a header row (RFC 4180 quoting); each row a ``{column: text}`` dict."""
    return _read_delimited(stream, options, display, options.delimiter or ",", csv.QUOTE_MINIMAL)


@reader("tsv")
def read_tsv(stream: IO[bytes], options: ReadOptions, display: str) -> Iterator[RawRecord]:
    """Tab-separated values with a header row; no quoting, as in IANA's TSV."""
    return _read_delimited(stream, options, display, options.delimiter or "\t", csv.QUOTE_NONE)


@reader("parquet")
def read_parquet(stream: IO[bytes], options: ReadOptions, display: str) -> Iterator[RawRecord]:
    """Parquet, in row batches; row numbers count from 1.

    Parquet needs random access, so a compressed file or standard input is
    first copied to a temporary file (on disk past a few megabytes).
    """
    import pyarrow.lib
    import pyarrow.parquet as pq

    with tempfile.SpooledTemporaryFile(max_size=8 << 20) as spool:
        shutil.copyfileobj(stream, spool, CHUNK)
        spool.seek(0)
        try:
            parquet = pq.ParquetFile(spool)
            number = 0
            for batch in parquet.iter_batches(batch_size=4096):
                for row in batch.to_pylist():
                    number += 1
                    record = {k: _plain(v) for k, v in row.items()}
                    yield RawRecord(number, record, json.dumps(record, ensure_ascii=False))
        except (pyarrow.lib.ArrowException, OSError) as exc:
            raise _file_error(display, "unreadable-file", f"not a readable Parquet file: {exc}") from exc


def _plain(value: Any) -> Any:
    """A Parquet value as JSON would hold it (times as ISO 8601 text)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
