"""Readers: every format (plain and gzip) gives the same events; encodings, stdin, broken files."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

import checker
from checker.inputs import readers
from checker.language.errors import CheckerError

RECORDS: list[dict[str, Any]] = [
    {
        "event_id": f"e{i}",
        "timestamp": f"2024-03-0{i}T10:00:00+08:00",
        "platform": "taobao",
        "seller_id": f"s{i % 2}",
        "action": "plan.close_requested",
        "actor": "seller",
        "subject": {"type": "affiliate_plan", "id": f"p{i}"},
        "data": {"amount": 1.5 * i, "urgent": i % 2 == 0, "reason": f'原因 {i}, "quoted"'},
    }
    for i in range(1, 5)
]
FLAT = (
    "event_id",
    "timestamp",
    "platform",
    "seller_id",
    "action",
    "actor",
    "subject.type",
    "subject.id",
    "data.amount",
    "data.urgent",
    "data.reason",
)


def _flat(record: dict[str, Any]) -> list[str]:
    out = []
    for key in FLAT:
        value: Any = record
        for part in key.split("."):
            value = value[part]
        out.append(json.dumps(value) if isinstance(value, bool | float) else str(value))
    return out


def _delimited(delimiter: str) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(
        buf,
        delimiter=delimiter,
        lineterminator="\n",
        quoting=csv.QUOTE_MINIMAL if delimiter == "," else csv.QUOTE_NONE,
        escapechar=None if delimiter == "," else "\\",
    )
    writer.writerow(FLAT)
    writer.writerows(_flat(r) for r in RECORDS)
    return buf.getvalue().encode("utf-8")


def _parquet() -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(RECORDS), buf)
    return buf.getvalue()


WRITERS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "jsonl": ("x.jsonl", lambda: "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS).encode()),
    "ndjson": ("x.ndjson", lambda: "\n".join(json.dumps(r) for r in RECORDS).encode()),
    "json": ("x.json", lambda: json.dumps(RECORDS, ensure_ascii=False, indent=1).encode()),
    "csv": ("x.csv", lambda: _delimited(",")),
    "parquet": ("x.parquet", _parquet),
}


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_every_format_gives_the_same_events(tmp_path: Path, kind: str, compressed: bool) -> None:
    name, write = WRITERS[kind]
    content = write()
    if compressed:
        name, content = name + ".gz", gzip.compress(content)
    (tmp_path / name).write_bytes(content)
    batch = checker.read_events([tmp_path / name])
    assert batch.rejected == ()
    assert [e.record for e in batch.events] == RECORDS
    stats = batch.inputs[0]
    assert (stats.read, stats.accepted, stats.format) == (
        4,
        4,
        "json" if kind == "json" else "jsonl" if kind == "ndjson" else kind,
    )
    import hashlib

    assert stats.sha256 == hashlib.sha256(content).hexdigest()


def test_tsv_without_quoting(tmp_path: Path) -> None:
    rows = [
        "event_id\ttimestamp\tplatform\tseller_id\taction\tdata.note",
        'e1\t2024-03-01 10:00:00\ttaobao\ts1\tplan.closed\tsays "hi", ok',
    ]
    (tmp_path / "x.tsv").write_text("\n".join(rows) + "\n", "utf-8")
    batch = checker.read_events([tmp_path / "x.tsv"])
    assert batch.events[0].record["data"] == {"note": 'says "hi", ok'}


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"[", "json"),
        (b"\n  {", "jsonl"),
        (b"a,b\n", "csv"),
        (b"a\tb\n", "tsv"),
        (b"PAR1", "parquet"),
    ],
)
def test_formats_are_sniffed_when_the_name_does_not_say(head: bytes, expected: str) -> None:
    from checker.inputs.readers import open_stream

    assert open_stream(io.BytesIO(head + b"\n"), "stdin").format == expected


def test_standard_input_gzip_json_array() -> None:
    data = gzip.compress(json.dumps(RECORDS).encode())
    batch = checker.read_events(["-"], stdin=io.BytesIO(data))
    assert [e.record for e in batch.events] == RECORDS
    assert batch.inputs[0].file == "-" and batch.inputs[0].format == "json"


# --- encodings ---------------------------------------------------------------------------------

GBK_CSV = "event_id,timestamp,platform,seller_id,action\ne1,2024-03-01 10:00,taobao,商家一,plan.closed\n"


def test_gbk_is_rejected_as_utf8_with_a_hint_and_read_with_encoding(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(GBK_CSV.encode("gbk"))
    batch = checker.read_events([path])
    (rejected,) = batch.rejected
    assert (rejected.line, rejected.code) == (2, "encoding")
    assert "--encoding gb18030" in rejected.reason and "\\xc9" in rejected.text
    for name in ("gbk", "GB18030", "gb2312"):
        batch = checker.read_events([path], encoding=name)
        assert [e.seller_id for e in batch.events] == ["商家一"]


@pytest.mark.parametrize(
    ("raw", "encoding", "text", "bad"),
    [
        ("商家一,ok\n".encode("gb18030"), "gb18030", "商家一,ok\n", None),
        ("商家一".encode("gb18030") + b"\xff,ok", "gb18030", "商家一\\xff,ok", "byte 0xff at column 4"),
        ("商家一".encode() + b"\xed\xa0\x80", "utf-8", "商家一\\xed\\xa0\\x80", "byte 0xed at column 4"),
        (
            "商家一".encode("gbk"),
            "utf-8",
            "\\xc9\u033c\\xd2\u04bb",  # two of the pairs are UTF-8 too
            "byte 0xc9 at column 1",
        ),
        (b"caf\xe9", "iso8859-1", "caf\u00e9", None),
    ],
)
def test_decoding_keeps_the_bad_bytes_and_says_where(
    raw: bytes, encoding: str, text: str, bad: str | None
) -> None:
    got, why = readers.decode(raw, encoding)
    assert got == text
    assert (why is None) == (bad is None) and (bad is None or bad in str(why))


@pytest.mark.slow
def test_no_gb18030_sequence_decodes_to_an_escaped_byte() -> None:
    """decode takes a line GB18030 decodes strictly as free of bad bytes: no 2- or 4-byte sequence
    may decode to a code point in the range surrogateescape uses for them."""
    seen = 0
    for a in range(0x81, 0xFF):
        two = [bytes([a, b]) for b in [*range(0x40, 0x7F), *range(0x80, 0xFF)]]
        four = [
            bytes([a, b, c, d])
            for b in range(0x30, 0x3A)
            for c in range(0x81, 0xFF)
            for d in range(0x30, 0x3A)
        ]
        for raw in two + four:
            try:
                text = raw.decode("gb18030")
            except UnicodeDecodeError:
                continue
            seen += 1
            assert readers._ESCAPED_BYTE.search(text) is None, raw
    assert seen > 1_000_000


def test_a_utf8_bom_is_recognised_whatever_the_encoding_given(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GBK_CSV.encode("utf-8"))
    for encoding in (None, "gbk"):
        batch = checker.read_events([path], encoding=encoding)
        assert [e.seller_id for e in batch.events] == ["商家一"] and batch.rejected == ()


# --- CSV rows ----------------------------------------------------------------------------------

HEADER = "event_id,timestamp,platform,seller_id,action\n"
ROW = "{},2024-03-01 10:00,taobao,s1,plan.closed\n"
CSV_CASES = [
    ("blank lines are not records", ROW.format("a") + "\n  \n" + ROW.format("b"), ["a", "b"], []),
    (
        "too few and too many cells",
        ROW.format("a") + "b,1\n" + ROW.format("c").replace("\n", ",x\n"),
        ["a"],
        [(3, "bad-row"), (4, "bad-row")],
    ),
    (
        "a quoted cell over two lines is one record",
        'a,"2024-03-01\n10:00",taobao,s1,plan.closed\n' + ROW.format("b"),
        ["b"],
        [(2, "bad-timestamp")],
    ),
    (
        "an unclosed quote costs its own line only",
        ROW.format("a") + 'b,"2024,taobao,s1,plan.closed\n' + ROW.format("c") + ROW.format("d"),
        ["a", "c", "d"],
        [(3, "bad-row")],
    ),
    (
        "text after a closing quote",
        ROW.format("a") + '"b"x,2024-03-01 10:00,taobao,s1,plan.closed\n',
        ["a"],
        [(3, "bad-row")],
    ),
    ("an unclosed quote at the end", ROW.format("a") + 'b,"oops\n', ["a"], [(3, "bad-row")]),
]


@pytest.mark.parametrize(
    ("body", "accepted", "rejected"), [c[1:] for c in CSV_CASES], ids=[c[0] for c in CSV_CASES]
)
def test_csv_rows(tmp_path: Path, body: str, accepted: list[str], rejected: list[tuple[int, str]]) -> None:
    path = tmp_path / "x.csv"
    path.write_text(HEADER + body, "utf-8")
    batch = checker.read_events([path])
    assert [e.event_id for e in batch.events] == accepted
    assert [(r.line, r.code) for r in batch.rejected] == rejected
    totals = batch.totals()
    assert totals["read"] == totals["accepted"] + totals["duplicates"] + totals["rejected"]


# --- files that cannot be read as a whole -------------------------------------------------------

BROKEN = [
    ("utf16.jsonl", "\ufeff{}".encode("utf-16-le"), "encoding", 0),
    ("dup.csv", b"event_id,timestamp,event_id\n1,2,3\n", "bad-header", 1),
    ("number.json", b"  42", "bad-json", 1),
    ("cut.jsonl.gz", gzip.compress(b'{"a": 1}\n' * 1000)[:-30], "unreadable-file", None),
    ("bad.parquet", b"PAR1 not really", "unreadable-file", 0),
]


@pytest.mark.parametrize(("name", "content", "code", "line"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_file_that_cannot_be_read_is_an_error_with_its_place(
    tmp_path: Path, name: str, content: bytes, code: str, line: int | None
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(CheckerError) as info:
        checker.read_events([tmp_path / name])
    (problem,) = info.value.problems
    assert problem.code == code and problem.location.file.endswith(name)
    if line is not None:
        assert problem.location.line == line


# --- integers past 64 bits ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"id": 1234567890123456789}',
        '{"id": 123456789012345678}',
        '{"id": "商家1234567890123456789"}',
        '{"id": "\udc801234567890123456789\ud800"}',
        '{"id": "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩"}',  # other digits: not a JSON number
        "12345678901234567890",
        "1234567890123456789.5",
        "",
    ],
)
def test_a_long_run_of_digits_is_found_as_the_pattern_finds_it(text: str) -> None:
    assert readers.has_long_digits(text) == (readers.LONG_DIGITS.search(text) is not None)


@given(st.text(alphabet=st.sampled_from('0123456789 .,-"{}e商\udc80١'), max_size=60))
def test_long_runs_of_digits_on_random_texts(text: str) -> None:
    assert readers.has_long_digits(text) == (readers.LONG_DIGITS.search(text) is not None)
