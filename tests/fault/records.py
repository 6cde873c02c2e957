"""Hypothesis strategies for hostile exports: real records of the sample, mutated, written in
every input format; and the properties every read of them must hold.

An export is drawn as a list of :class:`Line` values: the sample's events of one or two
sellers (so rules trigger and look things up), some of them mutated (a field set to an
arbitrary JSON value, an odd timestamp, odd characters, a key dropped, not an object at all),
plus duplicates and conflicts, plus faults on the JSON text itself (truncated, a duplicate key,
a raw non-finite or huge number, nesting around the depth limit, bytes that are not UTF-8).
Each kind is one entry of a table (:data:`MUTATIONS`, :data:`LINE_FAULTS`, :data:`WRITERS`), so
the suite's docs count them from here.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.conftest import ROOT
from tests.inputs.hostile import strict_json, strict_jsonl

#: the run's now: fixed, so future-timestamp decisions (and both engines' runs) do not depend on
#: the wall clock; the sample's events are of 2024
NOW = "2025-01-01T00:00:00Z"
NOW_US = 1_735_689_600 * 10**6

SAMPLE: tuple[dict[str, Any], ...] = tuple(
    json.loads(line) for line in (ROOT / "examples" / "sample-events.jsonl").read_text("utf-8").splitlines()
)


def _groups() -> tuple[tuple[dict[str, Any], ...], ...]:
    by_seller: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in SAMPLE:
        by_seller.setdefault((record["platform"], record["seller_id"]), []).append(record)
    return tuple(tuple(group) for _, group in sorted(by_seller.items()))


#: the sample's events, one group per seller: what a rule correlates
GROUPS = _groups()

#: characters that break naive consumers: C0/C1 controls and NUL, bidi overrides and isolates,
#: zero-width and line separators, a BOM, non-characters, lone surrogates, astral planes, and the
#: characters CSV, HTML and Markdown give meaning to
ODD_CHARS = (
    "\x00\x01\x08\x1b\x7f\x85\x9b\u200b\u200d\u200e\u200f\u202a\u202b\u202d\u202e\u2066\u2067\u2069"
    "\u2028\u2029\u3000\ufeff\ufffe\uffff\ud800\udbff\udc00\udfff\U0001f600\U000e0041\U0010ffff"
    "\\\"'=+@-<>&|`*_[]#\r\n\t 全角"
)
odd_text = st.text(st.sampled_from(ODD_CHARS) | st.characters(), max_size=10)

#: instants at and around the ends of the accepted calendar and of the run's now, in text
#: (offsets, naive, odd forms) and as epoch numbers of each magnitude
ODD_TIMESTAMPS: tuple[Any, ...] = (
    "1900-01-01T00:00:00Z",
    "1899-12-31T23:59:59.999999Z",
    "1900-01-01T07:59:59+08:00",
    "1900-01-01T00:00:00",
    "8999-12-31T23:59:59.999999Z",
    "9000-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59.999999-23:59",
    "0001-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "2024-02-29T23:59:59+08:00",
    "2023-02-29T12:00:00Z",
    "2024-02-30T00:00:00Z",
    "2024-12-31T24:00:00Z",
    "2016-12-31T23:59:60Z",
    "2024-03-01T10:00:00+14:00",
    "2024-03-01T10:00:00-12:00",
    "2024-03-01T10:00:00+24:00",
    "2024-03-01T10:00:00+0800",
    "2024-03-01",
    "2024-03-01T10:00",
    "2024-03-01 10:00:00",
    "2024-03-01t10:00:00z",
    "2024-03-01T10:00:00.123456789Z",
    "2024-03-01T10:00:00,5Z",
    "\uff12\uff10\uff12\uff14-03-01T10:00:00Z",
    "2024-03-01T10:00:00Z\u202e",
    " 2024-03-01T10:00:00Z",
    "",
    "2025-01-02T00:00:00Z",  # now + 1 day: the last instant accepted
    "2025-01-02T00:00:00.000001Z",  # one microsecond later
    "2025-01-02T08:00:00",  # the same, local time of Asia/Shanghai
    "2025-01-02T08:00:01",
    0,
    -1,
    -2208988800,  # 1900-01-01 in seconds
    -2208988801,
    1735776000,  # now + 1 day in seconds
    1735776001,
    1735776000000,
    1735776000001,
    1735776000000000,
    1735776000000001,
    99_999_999_999,
    100_000_000_000,
    99_999_999_999_999,
    100_000_000_000_000,
    63072000000,  # 1972 in milliseconds, read as seconds: the year 3968
    1704067200.5,
    1.5e9,
    1e15,
    2**63,
    2**64,
    -(2**63),
    10**30,
    True,
    None,
    [],
    {},
)

#: number literals that json.dumps never writes: written raw into a record's text
RAW_NUMBERS = (
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1E400",
    "1e-400",
    "-0",
    "-0.0",
    "0e0",
    "1.7976931348623157e308",
    "4.9e-324",
    "123456789012345678901234567890",
    "-9223372036854775809",
    "18446744073709551616",
    "1" + "0" * 400,
    "0." + "0" * 400 + "1",
    "1E+2",
)

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | odd_text
    | st.sampled_from([t for t in ODD_TIMESTAMPS if isinstance(t, str)])
)
#: any JSON value: scalars of every type and range, odd text, small arrays and objects
json_values = st.recursive(
    json_leaves,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(odd_text, children, max_size=4),
    max_leaves=10,
)

TOP_FIELDS = ("event_id", "timestamp", "platform", "seller_id", "action", "subject", "actor", "data")


@dataclass(frozen=True)
class Line:
    """One line of an export: a record (or not: a blank line), its value, its JSON text as
    bytes, and whether a fault made the text itself something other than ``value``."""

    value: Any
    text: bytes
    is_record: bool = True
    faulted: bool = False


def encode(value: Any, ascii_only: bool = False) -> bytes:
    """``value`` as one JSON Lines line (no newline); lone surrogates kept as their bytes, which
    are not UTF-8 (unless ``ascii_only`` escapes them)."""
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


# --- mutations of a record's value ------------------------------------------------------------

Draw = Callable[[st.SearchStrategy[Any]], Any]


def _set_field(draw: Draw, record: dict[str, Any]) -> Any:
    return {**record, draw(st.sampled_from(TOP_FIELDS) | odd_text): draw(json_values)}


def _set_data(draw: Draw, record: dict[str, Any]) -> Any:
    data = record.get("data")
    data = dict(data) if isinstance(data, dict) else {}
    keys = sorted(data) or ["amount"]
    data[draw(st.sampled_from(keys) | odd_text)] = draw(json_values)
    return {**record, "data": data}


def _timestamp(draw: Draw, record: dict[str, Any]) -> Any:
    return {**record, "timestamp": draw(st.sampled_from(ODD_TIMESTAMPS))}


def _drop(draw: Draw, record: dict[str, Any]) -> Any:
    key = draw(st.sampled_from(sorted(record)))
    return {k: v for k, v in record.items() if k != key}


def _odd_string(draw: Draw, record: dict[str, Any]) -> Any:
    key = draw(st.sampled_from(["event_id", "seller_id", "platform", "action", "actor"]))
    where = draw(st.sampled_from(["prefix", "suffix", "replace"]))
    odd = draw(odd_text)
    old = str(record.get(key, ""))
    new = {"prefix": odd + old, "suffix": old + odd, "replace": odd}[where]
    return {**record, key: new}


def _not_an_object(draw: Draw, record: dict[str, Any]) -> Any:
    return draw(json_leaves | st.lists(json_values, max_size=3))


def _subject(draw: Draw, record: dict[str, Any]) -> Any:
    return {**record, "subject": {"type": draw(json_values), "id": draw(json_values)}}


#: how a record's value is made hostile, by name
MUTATIONS: dict[str, Callable[[Draw, dict[str, Any]], Any]] = {
    "field-value": _set_field,
    "data-value": _set_data,
    "timestamp": _timestamp,
    "drop-key": _drop,
    "odd-string": _odd_string,
    "not-an-object": _not_an_object,
    "subject": _subject,
}


# --- faults of a record's text ----------------------------------------------------------------


def _truncate(draw: Draw, line: Line) -> Line:
    cut = draw(st.integers(min_value=0, max_value=max(len(line.text) - 1, 0)))
    return replace(line, text=line.text[:cut] or b"{", faulted=True)


def _duplicate_key(draw: Draw, line: Line) -> Line:
    if not line.text.startswith(b"{") or line.text == b"{}":
        return line
    key = draw(st.sampled_from(["event_id", "timestamp", "action", "data", "platform"]))
    value = encode(draw(json_values))
    front = draw(st.booleans())  # first or last: JSON parsers keep the last
    if front:
        text = b"{" + encode(key) + b": " + value + b", " + line.text[1:]
    else:
        text = line.text[:-1] + b", " + encode(key) + b": " + value + b"}"
    return replace(line, text=text, faulted=True)


def _raw_number(draw: Draw, line: Line) -> Line:
    if not line.text.startswith(b"{") or line.text == b"{}":
        return line
    where = draw(st.sampled_from(["data", "timestamp"]))
    raw = draw(st.sampled_from(RAW_NUMBERS)).encode()
    if where == "data":
        text = line.text[:-1] + b', "data": {"n": ' + raw + b"}}"
    else:
        text = line.text[:-1] + b', "timestamp": ' + raw + b"}"
    return replace(line, text=text, faulted=True)


def _deep(draw: Draw, line: Line) -> Line:
    if not line.text.startswith(b"{") or line.text == b"{}":
        return line
    depth = draw(st.sampled_from([61, 62, 63, 64, 65, 100, 1000, 5000]))
    opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
    inner = opener * depth + b"1" + closer * depth
    return replace(line, text=line.text[:-1] + b', "data": {"x": ' + inner + b"}}", faulted=True)


def _not_utf8(draw: Draw, line: Line) -> Line:
    at = draw(st.integers(min_value=0, max_value=len(line.text)))
    bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xe4\xb8", b"\x80"]))
    return replace(line, text=line.text[:at] + bad + line.text[at:], faulted=True)


def _padding(draw: Draw, line: Line) -> Line:
    pad = draw(st.sampled_from([b" ", b"\t", b"\r", b"\xef\xbb\xbf", b"\x0c", b"  \t "]))
    where = draw(st.sampled_from(["front", "back"]))
    text = pad + line.text if where == "front" else line.text + pad
    return replace(line, text=text, faulted=True)


#: how a record's JSON text is broken, by name
LINE_FAULTS: dict[str, Callable[[Draw, Line], Line]] = {
    "truncated": _truncate,
    "duplicate-key": _duplicate_key,
    "raw-number": _raw_number,
    "deep-nesting": _deep,
    "not-utf8": _not_utf8,
    "padding": _padding,
}

#: lines that hold no record: skipped by the readers, never counted
BLANK_LINES = (b"", b" ", b"\t", b"   \t ")


@st.composite
def exports(draw: Draw, *, max_mutated: int = 8) -> list[Line]:
    """An export: one or two sellers' real events, some mutated, duplicated, in conflict or
    broken, in a shuffled order, with blank lines here and there."""
    chosen = draw(st.lists(st.integers(0, len(GROUPS) - 1), min_size=1, max_size=2, unique=True))
    records: list[Any] = [dict(r) for i in chosen for r in GROUPS[i]]
    lines = [Line(r, encode(r)) for r in records]
    for n in range(draw(st.integers(min_value=1, max_value=max_mutated))):
        base = draw(st.sampled_from(records))
        value = draw(st.sampled_from(sorted(MUTATIONS)).map(MUTATIONS.__getitem__))(draw, base)
        if isinstance(value, dict) and value.get("event_id") == base["event_id"] and draw(st.integers(0, 3)):
            # mostly an event of its own, judged with the rest; else another version of the
            # original: a conflict when both are valid, the invalid one rejected alone otherwise
            value["event_id"] = f"{base['event_id']}~{n}"
        line = Line(value, encode(value, ascii_only=draw(st.booleans())))
        if draw(st.booleans()):
            fault = LINE_FAULTS[draw(st.sampled_from(sorted(LINE_FAULTS)))]
            line = fault(draw, line)
        lines.append(line)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):  # exact duplicates and conflicts
        base = draw(st.sampled_from(records))
        kind = draw(st.sampled_from(["same", "reordered", "conflict"]))
        if kind == "same":
            lines.append(Line(base, encode(base)))
        elif kind == "reordered":  # the same content, other key order and spacing: a duplicate
            value = dict(reversed(list(base.items())))
            lines.append(Line(value, json.dumps(value, indent=None, separators=(",", ":")).encode()))
        else:
            value = {**base, "data": {**(base.get("data") or {}), "conflict": draw(json_values)}}
            lines.append(Line(value, encode(value)))
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        lines.append(Line(None, draw(st.sampled_from(BLANK_LINES)), is_record=False))
    return draw(st.permutations(lines))


# --- writing an export in a format ------------------------------------------------------------


def _jsonl(lines: list[Line]) -> bytes:
    return b"".join(line.text + b"\n" for line in lines)


def _json_array(lines: list[Line]) -> bytes:
    return b"[\n" + b",\n".join(line.text for line in lines if line.is_record) + b"\n]\n"


def _flat(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict) and item and key in ("subject", "data") and not prefix:
            out.update(_flat(item, f"{name}."))
        else:
            out[name] = item
    return out


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _delimited(lines: list[Line], dialect: str) -> bytes:
    rows = [_flat(line.value) for line in lines if line.is_record and isinstance(line.value, dict)]
    header = sorted({k for row in rows for k in k_names(row)})
    out = io.StringIO(newline="")
    if dialect == "tsv":
        writer = csv.writer(out, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\", lineterminator="\n")
    else:
        writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header or ["event_id"])
    for row in rows:
        writer.writerow([_cell(row[k]) if k in row else "" for k in header])
    return out.getvalue().encode("utf-8", "surrogatepass")


def k_names(row: dict[str, Any]) -> list[str]:
    """The column names of a flattened row, without the empty name (a CSV header cannot hold it
    twice, and the reader skips it)."""
    return [k for k in row if k.strip()]


#: each input format the fuzz writes, by file name, and whether every line of the export is one
#: record of the file (so ``read`` is exactly the number of records written)
WRITERS: dict[str, tuple[Callable[[list[Line]], bytes], bool]] = {
    "export.jsonl": (_jsonl, True),
    "export.jsonl.gz": (lambda lines: gzip.compress(_jsonl(lines), mtime=0), True),
    "export.json": (_json_array, False),
    "export.json.gz": (lambda lines: gzip.compress(_json_array(lines), mtime=0), False),
    "export.csv": (lambda lines: _delimited(lines, "csv"), False),
    "export.tsv": (lambda lines: _delimited(lines, "tsv"), False),
}


def records_written(name: str, lines: list[Line]) -> int | None:
    """How many records a reader must count in the file: exact for the formats where each line
    is a record (JSON Lines), None where a fault may join or split records (a truncated array
    element swallows what follows; a CSV cell may hold a line break)."""
    if not WRITERS[name][1]:
        intact = all(not line.faulted for line in lines)
        if name.startswith("export.json") and intact:
            return sum(1 for line in lines if line.is_record)
        return None
    return sum(1 for line in lines if line.text.strip())


@dataclass(frozen=True)
class Export:
    """One input file of a fuzz run: its name (which says its format), its bytes, and how many
    records a reader must count in it when that is exact (:func:`records_written`)."""

    name: str
    data: bytes
    written: int | None

    def write(self, folder: Path) -> Path:
        """The file in ``folder``."""
        path = folder / self.name
        path.write_bytes(self.data)
        return path


@st.composite
def line_exports(draw: Draw) -> Export:
    """An export of :func:`exports`, written in one of :data:`WRITERS`' formats."""
    lines = draw(exports())
    name = draw(st.sampled_from(sorted(WRITERS)))
    return Export(name, WRITERS[name][0](lines), records_written(name, lines))


# --- the properties ---------------------------------------------------------------------------

#: every rejection code an input record may get (docs/reliability.md, events.md)
REJECT_CODES = frozenset(
    {
        "bad-json",
        "bad-row",
        "bad-timestamp",
        "conflict",
        "encoding",
        "future-timestamp",
        "invalid-event",
        "non-finite-number",
        "record-too-large",
        "timestamp-out-of-range",
        "too-deep",
    }
)


def assert_accounted(doc: dict[str, Any], path: Path, written: int | None) -> None:
    """The JSON result ``doc`` accounts for every record of ``path``: ``read = accepted +
    duplicates + rejected`` per file and in total, ``written`` records read when known, and
    every rejected record listed with its file, line and a known code."""
    inputs = doc["inputs"]
    for stats in [*inputs["files"], inputs["totals"]]:
        assert stats["read"] == stats["accepted"] + stats["duplicates"] + stats["rejected"], stats
    if written is not None:
        assert inputs["totals"]["read"] == written, (inputs["totals"], written)
    rejected = inputs["rejected"]
    assert len(rejected) == inputs["totals"]["rejected"]
    for r in rejected:
        assert r["file"] == str(path) and r["line"] >= 1 and r["code"] in REJECT_CODES, r
        assert r["reason"], r


def strict_outputs(texts: dict[str, str]) -> None:
    """Every JSON and JSON Lines output parses with a strict parser (no NaN, no Infinity)."""
    for fmt, text in texts.items():
        if fmt == "jsonl":
            strict_jsonl(text)
        else:
            strict_json(text)


def complete_csv(text: str) -> list[list[str]]:
    """The rows of a complete CSV report: its header, then rows of as many cells, the last one
    ended (a file cut short fails here)."""
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert rows and rows[0][0] == "rule_id" and text.endswith("\n"), text[-200:]
    assert all(len(row) == len(rows[0]) for row in rows), "a row cut short"
    return rows
