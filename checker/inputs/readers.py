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
import math
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
#: the largest record read: a JSON Lines or CSV line, a JSON array element or a Parquet row's JSON
#: text, in UTF-8 bytes without its line ending. A longer one is rejected (``record-too-large``)
#: without being parsed.
MAX_RECORD_BYTES = 16 << 20
#: the deepest nesting of arrays and objects in a record (the record object itself is level 1):
#: real exports stay below 10. A deeper one is rejected (``too-deep``) without being parsed.
MAX_DEPTH = 64
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


#: codecs whose strict decoding never yields a code point in ``_ESCAPED_BYTE``'s range (UTF-8
#: refuses encoded surrogates; no GB18030 sequence maps to one: every 2- and 4-byte sequence
#: was decoded to check), so a line they decode strictly holds no escaped byte
_NO_SURROGATES = frozenset({"utf-8", "gb18030"})


def decode(raw: bytes, encoding: str) -> tuple[str, str | None]:
    """``raw`` decoded, and why it is not valid in ``encoding`` (None when it is).

    Undecodable bytes are kept as ``\\xNN`` in the text, so a rejected
    record's text shows exactly what was there.
    """
    if encoding in _NO_SURROGATES:
        try:
            return raw.decode(encoding), None  # the usual line: no escaped byte to look for
        except UnicodeDecodeError:
            pass
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


class NonFiniteNumber(ValueError):
    """A JSON text holds NaN, Infinity or a number too large for a double: not JSON."""


def _no_constant(name: str) -> Any:
    raise NonFiniteNumber(f"{name} is not a JSON number (JSON has no NaN or Infinity)")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise NonFiniteNumber(f"{shown} is too large for a number (it would be infinite)")
    return value


#: a JSON string (possibly unterminated) or a bracket: what the depth scan steps over and counts
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.S)


def json_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """The deepest nesting of arrays and objects in JSON ``text`` (brackets inside strings do
    not count) when it is at most ``limit``, else a number above ``limit``. Cheap for usual
    texts: only one with more than ``limit`` opening brackets is scanned."""
    brackets = text.count("[") + text.count("{")
    if brackets <= limit:
        return 0 if brackets == 0 else 1  # at most limit: the exact value does not matter here
    depth = 0
    for m in _JSON_TOKENS.finditer(text):
        char = m.group()
        if char == "[" or char == "{":
            depth += 1
            if depth > limit:
                return depth
        elif char == "]" or char == "}":
            depth = max(depth - 1, 0)
    return 0


def too_deep() -> tuple[str, str]:
    """The rejection of a record nested deeper than :data:`MAX_DEPTH`."""
    return (
        "too-deep",
        f"arrays and objects nested more than {MAX_DEPTH} levels deep (the limit for a record)",
    )


def too_large(size: int) -> tuple[str, str]:
    """The rejection of a record of ``size`` bytes (over :data:`MAX_RECORD_BYTES`)."""
    return (
        "record-too-large",
        f"the record is {size} bytes long, over the limit of {MAX_RECORD_BYTES} bytes "
        f"({MAX_RECORD_BYTES >> 20} MiB); it was not parsed",
    )


def text_problem(text: str) -> tuple[str, str] | None:
    """Why a record's JSON ``text`` is refused before it is parsed (too large, too deep), or None."""
    if len(text) * 4 > MAX_RECORD_BYTES:
        size = len(text.encode("utf-8", "surrogateescape"))
        if size > MAX_RECORD_BYTES:
            return too_large(size)
    if json_depth(text) > MAX_DEPTH:
        return too_deep()
    return None


def value_problem(value: Any) -> tuple[str, str] | None:
    """Why a parsed record is refused: arrays and objects nested more than :data:`MAX_DEPTH`
    levels deep, or a number that is not finite (NaN, infinities); None when neither."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "$")]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_DEPTH:
                return too_deep()
            stack.extend((v, depth + 1, f"{path}.{k}") for k, v in reversed(item.items()))
        elif isinstance(item, list | tuple):
            if depth > MAX_DEPTH:
                return too_deep()
            stack.extend((v, depth + 1, f"{path}[{i}]") for i, v in reversed(list(enumerate(item))))
        elif isinstance(item, float | Decimal) and not math.isfinite(item):
            return (
                "non-finite-number",
                f"{path}: {item} is not a finite number (JSON has no NaN or Infinity)",
            )
    return None


def parse_strict(text: str) -> Any:
    """The value of one record's JSON text: ``json.JSONDecodeError`` when it is not JSON,
    :class:`NonFiniteNumber` when it holds NaN, Infinity or a number beyond a double's range.
    The caller checks :func:`text_problem` first (size and depth)."""
    # NaN, Infinity and numbers that overflow a double are not JSON
    return loads(text, parse_constant=_no_constant, parse_float=_finite_float)


def loads(text: str, **json_options: Any) -> Any:
    """The value of a JSON text: orjson's reading where it is the json module's, else the json
    module's (given ``json_options``), which explains an error and reads integers of any size
    exactly."""
    if not has_long_digits(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text, **json_options)


#: a run of digits that may be an integer orjson cannot hold: it reads one past 64 bits (above
#: 18446744073709551615, below -9223372036854775808) as a float, silently, where the json module
#: reads the exact integer; a text holding such a run is read by json (a run inside a string, or a
#: 19-digit integer orjson would hold, reads the same either way)
LONG_DIGITS = re.compile(r"[0-9]{19}")
#: each byte as ``0`` when it is an ASCII digit, else as a space
_DIGIT_BYTES = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_RUN = b"0" * 19


def has_long_digits(text: str) -> bool:
    """Whether ``text`` holds a :data:`LONG_DIGITS` run, found 4x sooner than by the pattern: the
    digits of its UTF-8 bytes (no byte of another character is an ASCII digit; a lone surrogate
    passes as three such bytes) turned to ``0`` and searched for nineteen in a row."""
    return _LONG_RUN in text.encode("utf-8", "surrogatepass").translate(_DIGIT_BYTES)


def parse_record(text: str) -> tuple[Any, tuple[str, str] | None]:
    """A record's JSON text parsed strictly, or None and why it is rejected (``bad-json``,
    ``non-finite-number``, ``record-too-large``, ``too-deep``)."""
    problem = text_problem(text)
    if problem is not None:
        return None, problem
    try:
        return parse_strict(text), None
    except NonFiniteNumber as exc:
        return None, ("non-finite-number", str(exc))
    except json.JSONDecodeError as exc:
        return None, ("bad-json", f"not JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:  # not expected below MAX_DEPTH; never an internal error
        return None, too_deep()


class _LongLine(bytes):
    """The first kilobyte of a line longer than :data:`MAX_RECORD_BYTES`; ``size`` is its length."""

    size: int


def _long_line(start: bytes, size: int) -> _LongLine:
    line = _LongLine(start[:1024])
    line.size = size
    return line


def limited_lines(stream: IO[bytes]) -> Iterator[bytes]:
    """The lines of ``stream`` (with their ``\\n``), never holding more than the record limit:
    a longer line comes as a :class:`_LongLine` (its start), the rest of it read and dropped."""
    limit = MAX_RECORD_BYTES + 2  # the line ending ("\\r\\n") is not part of the record
    while True:
        raw = stream.readline(limit)
        if not raw:
            return
        if raw.endswith(b"\n") or len(raw) < limit:  # the whole line
            size = len(raw.rstrip(b"\r\n"))
            yield raw if size <= MAX_RECORD_BYTES else _long_line(raw, size)
            continue
        start, size, last = raw, len(raw), b""
        while not last.endswith(b"\n"):
            last = stream.readline(CHUNK)
            if not last:
                break
            size += len(last)
        yield _long_line(start, size - (len(last) - len(last.rstrip(b"\r\n"))))


def _shorten(text: str) -> str:
    """The start of a long rejected text (a record over the size limit is not kept whole)."""
    return text if len(text) <= 1024 else text[:1024] + f"... ({len(text)} characters)"


def _long_text(raw: bytes, encoding: str) -> str:
    assert isinstance(raw, _LongLine)
    return decode(bytes(raw), encoding)[0] + f"... ({raw.size} bytes)"


@reader("jsonl")
def read_jsonl(stream: IO[bytes], options: ReadOptions, display: str) -> Iterator[RawRecord]:
    """JSON Lines: one JSON value per line; blank lines are skipped."""
    for number, raw in enumerate(limited_lines(stream), start=1):
        if isinstance(raw, _LongLine):
            yield RawRecord(number, None, _long_text(raw, options.encoding), too_large(raw.size))
            continue
        if not raw.strip():
            continue
        text, bad = decode(raw, options.encoding)
        text = _strip_newline(text)
        if bad:
            yield RawRecord(number, None, text, ("encoding", bad))
            continue
        value, problem = parse_record(text)
        yield RawRecord(number, value, text, problem)


def parse_json_line(text: str) -> Any:
    """The value of one JSON Lines line, as :func:`read_jsonl` reads it (``json.JSONDecodeError``
    when it is not JSON, :class:`NonFiniteNumber` when it holds NaN or Infinity)."""
    return parse_strict(text)


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
                problem = text_problem(text)
                if problem is not None:
                    yield RawRecord(element.line, None, _shorten(text), problem)
                    continue
                try:
                    yield RawRecord(element.line, parse_strict(text), text)
                except NonFiniteNumber as exc:
                    yield RawRecord(element.line, None, text, ("non-finite-number", str(exc)))
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
        self.numbered = enumerate(limited_lines(stream), start=1)
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
        if isinstance(raw, _LongLine):  # a line over the record limit: its row is rejected
            self.current.append((number, raw, _long_text(raw, self.encoding), None))
            return "\n"
        text, bad = decode(raw, self.encoding)
        self.current.append((number, raw, text, bad))
        return text

    def long_line(self) -> _LongLine | None:
        """The first line of the current record that is over the record limit, if any."""
        return next((raw for _, raw, _, _ in self.current if isinstance(raw, _LongLine)), None)

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
        current = lines.current
        if not current:
            return
        first = current[0][0]
        if len(current) == 1:  # the usual row, on one line: no joining or searching
            _, raw, line_text, bad = current[0]
            text = _strip_newline(line_text)
            long = raw if isinstance(raw, _LongLine) else None
        else:
            text = _strip_newline("".join(t for _, _, t, _ in current))
            long = lines.long_line()
            bad = next((b for _, _, _, b in current if b), None)
        if long is not None:
            if header is None:
                raise _file_error(
                    display, "record-too-large", "the header row is over the record limit", first
                )
            yield RawRecord(first, None, _shorten(text), too_large(long.size))
            continue
        # a blank line (a row whose first cell holds text, as most do, is not one)
        if (
            error is None
            and len(lines.current) == 1
            and not (row and row[0].strip())
            and not any(cell.strip() for cell in row)
        ):
            continue
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
        if bad:  # the first line of the row with bytes not in the encoding
            yield RawRecord(first, None, text, ("encoding", bad))
            continue
        # a cell holding JSON nested too deep to read: the record would be. Only a cell with
        # more than MAX_DEPTH opening brackets can be (json_depth), and a row's cells hold no
        # bracket its text does not, so the text's count rules most rows out without a scan
        if text.count("[") + text.count("{") > MAX_DEPTH and any(
            json_depth(cell) > MAX_DEPTH for cell in row
        ):
            yield RawRecord(first, None, _shorten(text), too_deep())
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
                    yield parquet_row(number, {k: _plain(v) for k, v in row.items()})
        except (pyarrow.lib.ArrowException, OSError) as exc:
            raise _file_error(display, "unreadable-file", f"not a readable Parquet file: {exc}") from exc


def parquet_row(number: int, record: dict[str, Any]) -> RawRecord:
    """Row ``number`` of a Parquet file as read: its record, or why it is rejected (a NaN or
    infinite double: ``non-finite-number``; too deep; its JSON text over the record limit)."""
    problem = value_problem(record)
    if problem is not None and problem[0] == "too-deep":
        return RawRecord(number, None, repr(record)[:1024], problem)
    text = json.dumps(record, ensure_ascii=False)
    if problem is None and len(text) * 4 > MAX_RECORD_BYTES:
        size = len(text.encode("utf-8", "surrogateescape"))
        if size > MAX_RECORD_BYTES:
            problem = too_large(size)
            text = _shorten(text)
    return RawRecord(number, None if problem else record, text, problem)


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
