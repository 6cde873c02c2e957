"""A profiled CSV or TSV export mapped by DuckDB (``profilesql``) gives the reference's result.

Each row of ``ROWS`` is a line written to purpose: every value type in its strict form and
just off it, maps, defaults, required values, quoted cells, white space Python strips, days on
which the zone changes its offset, rows the reader skips or rejects. The file is read through
the profile below by both engines, as CSV (UTF-8 and GB18030) and as TSV; the JSON results must
be byte-identical, and DuckDB must have mapped the file itself (not handed it to the reader).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

import checker
from checker.engines.duckdb import intake as intake_module
from checker.engines.duckdb import profilesql
from checker.engines.duckdb.convert import Converted
from checker.engines.duckdb.profilesql import HARD, PY_WHITESPACE, day_intervals
from checker.inputs.fieldtypes import day_offset
from checker.inputs.files import settings_for
from checker.inputs.profiles import for_timezone, load_profile
from checker.language.times import zone
from tests.conftest import ROOT

AS_OF = "2024-08-01T00:00:00+08:00"
NOW = "2026-01-01T00:00:00Z"

PROFILE = """\
profile: crafted
description: every value type, for the SQL mapping
input: {format: FORMAT, encoding: ENCODING}
timezone: Asia/Shanghai
fields:
  event_id: {column: id, required: true}
  timestamp: {column: ts, format: ["%Y-%m-%d %H:%M:%S.%f", "%Y/%m/%d %H:%M"]}
  platform: {constant: kuaishou}
  seller_id: seller
  action:
    column: act
    map: {报名: distribution.enrolled, 取消: distribution.cancel_requested, 支付: distribution.order_paid}
  actor:
    column: who
    map: {商家: seller, 团长: leader}
    unmapped: keep
  subject.type: {column: stype}
  subject.id: sid
data:
  amount: {column: amt, type: number}
  base_paid_orders: {column: qty, type: integer, default: 0}
  via_leader: {column: flag, type: boolean}
  meta: {column: meta, type: json}
  note: {column: note, type: string}
  reason: {column: opt, type: string, unmapped: {constant: other}, map: {a: alpha}}
"""


class Verbatim(str):
    """A cell written as it is (in CSV, other cells are quoted where the csv module would)."""


HEADER = ["id", "ts", "seller", "act", "who", "stype", "sid", "amt", "qty", "flag", "meta", "note", "opt"]
BASE = {
    "ts": "2024-03-21 17:28:06.000000",
    "seller": "ks-seller-1",
    "act": "报名",
    "who": "商家",
    "stype": "distribution_enrolment",
    "sid": "enr-1",
    "amt": "",
    "qty": "",
    "flag": "",
    "meta": "",
    "note": "",
    "opt": "",
}

#: (label, cells that differ from BASE); the id is the label's place
VARIANTS: list[tuple[str, dict[str, str]]] = [
    ("plain", {}),
    *[
        (f"amount {v!r}", {"amt": v})
        for v in [
            "325.52",
            "1e5",
            "-0",
            "+5",
            "007",
            "1,234",
            ".5",
            "5.",
            "1e400",
            "0.10",
            "-0.0",
            "12345678901234567890",
            "1E-7",
            "١٢",
        ]
    ],
    *[(f"quantity {v!r}", {"qty": v}) for v in ["+7", "007", "1,000", "1.0", "99999999999999999999", "-3"]],
    *[(f"flag {v!r}", {"flag": v}) for v in ["TRUE", "Yes", "是", "否", "maybe", "Ｙ", "0", "T"]],
    *[
        (f"meta {v!r}", {"meta": v})
        for v in [
            "null",
            "true",
            "[1,2]",
            '{"a":1}',
            '"x"',
            "01",
            "-0.0",
            '"\\u0041"',
            '"a\\"b"',
            "1.5e3",
            "nan",
        ]
    ],
    *[
        (f"time {v!r}", {"ts": v})
        for v in [
            "2024-03-21 17:28:06",
            "2024-03-21 17:28:06.5",
            "2024-03-21 17:28:06.123456",
            "2024-02-30 10:00:00.000000",
            "1986-05-04 12:00:00.000000",
            "1986-05-05 12:00:00.000000",
            "1969-12-31 23:00:00.000000",
            "2024-3-1 10:00:00.000000",
            "2024/03/21 17:28",
            "2101-01-01 00:00:00.000000",
            "0000-01-01 00:00:00.000000",
            "2024-03-21T17:28:06.000000",
        ]
    ],
    ("unknown action", {"act": "退出"}),
    ("actor kept as written", {"who": "小二"}),
    ("reason mapped", {"opt": "a"}),
    ("reason unmapped", {"opt": "zzz"}),
    ("no seller", {"seller": ""}),
    ("subject id without type", {"stype": ""}),
    ("subject type without id", {"sid": ""}),
    ("leading ideographic space", {"note": "\u3000x"}),
    ("trailing no-break space", {"seller": "ks-seller-1\xa0"}),
    ("note with NaN", {"note": "NaN here"}),
    ("note with a backslash", {"note": "a\\b"}),
    ("note with a tab", {"note": "a\tb"}),
    ("quoted comma", {"note": "x, y"}),
    ("doubled quotes", {"note": 'say "hi"'}),
    ("quoted empty", {"note": Verbatim('""')}),
    ("quoted leading space", {"note": Verbatim('" x"')}),
    ("quoted id", {"id": Verbatim('"q-1"')}),
    ("brackets", {"note": "[" * 70}),
]


def _cell(value: str, delimiter: str) -> str:
    if delimiter == "\t" or isinstance(value, Verbatim):
        return value
    if '"' in value or delimiter in value or "\n" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _line(i: int, cells: dict[str, str], delimiter: str) -> str:
    row = {"id": f"ev-{i:03d}", **BASE, **cells}
    return delimiter.join(_cell(row[h], delimiter) for h in HEADER)


def _export(tmp: Path, fmt: str, encoding: str) -> tuple[Path, Path]:
    delimiter = "\t" if fmt == "tsv" else ","
    lines = [delimiter.join(HEADER)]
    for i, (label, cells) in enumerate(VARIANTS):
        if fmt == "tsv" and (any(isinstance(v, Verbatim) for v in cells.values()) or "tab" in label):
            cells = {}  # TSV has no quoting, and a tab is its delimiter
        lines.append(_line(i, cells, delimiter))
    lines += [
        "",  # blank
        delimiter * (len(HEADER) - 1),  # every cell empty: skipped
        " " + delimiter + " ",  # white space only: skipped by Python
        delimiter.join(HEADER),  # the header again: a record like any other (rejected)
        _line(900, {}, delimiter) + delimiter + "extra",  # a cell too many
        _line(0, {}, delimiter),  # the first record again: a duplicate
        _line(1, {"note": "other"}, delimiter),  # a conflict
    ]
    path = tmp / f"crafted.{fmt}"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    profile = tmp / "crafted.yaml"
    profile.write_text(PROFILE.replace("FORMAT", fmt).replace("ENCODING", encoding), encoding="utf-8")
    return path, profile


@pytest.fixture(scope="module")
def catalogue() -> checker.PolicySet:
    return checker.load_policies(ROOT / "policies")


FORMS = [("csv", "utf-8"), ("csv", "gb18030"), ("tsv", "utf-8")]


def _both_engines(
    catalogue: checker.PolicySet, monkeypatch: pytest.MonkeyPatch, path: Path, **kwargs: Any
) -> dict[str, str]:
    """The JSON result (all outcomes) of each engine; DuckDB must have mapped the file itself."""
    mapped: list[object] = []
    real = intake_module.convert_in_sql

    def spy(*args: Any) -> Any:
        out = real(*args)
        mapped.append(out)
        return out

    monkeypatch.setattr(intake_module, "convert_in_sql", spy)
    results = {
        engine: checker.render(
            "json",
            checker.check(catalogue, [path], engine=engine, as_of=AS_OF, now=NOW, **kwargs),
            checker.RenderOptions(all_outcomes=True),
        )
        for engine in ("python", "duckdb")
    }
    assert mapped and all(m is not None for m in mapped), "DuckDB did not map the file itself"
    return results


def _converted(
    path: Path, profile_file: Path | None, tmp: Path, encoding: str | None = None
) -> Converted | None:
    """``path`` converted by :func:`profilesql.convert_in_sql` (None: not mapped in SQL)."""
    profile = None if profile_file is None else for_timezone(load_profile(profile_file), "Asia/Shanghai")
    settings = settings_for("Asia/Shanghai", encoding=encoding)
    return profilesql.convert_in_sql(
        duckdb.connect(), str(path), profile, settings, str(tmp), 0, intake_module._lines
    )


def _mapped_lines(conv: Converted | None) -> list[int]:
    """The lines SQL mapped, each checked against the record Python makes of it: value for value,
    type for type and key for key in order."""
    assert conv is not None and conv.python_line is not None
    converted = Path(str(conv.path)).read_text(encoding="utf-8").split("\n")
    source = Path(str(conv.side)).read_text(encoding="utf-8").split("\n")
    mapped = []
    for number, (text, line) in enumerate(zip(converted, source, strict=False), start=1):
        if not text or text == HARD:
            continue
        calls = conv.python_line(number, line)
        assert len(calls) == 1 and calls[0][1] == "add", (number, line, calls)
        assert orjson.dumps(orjson.loads(text)) == orjson.dumps(calls[0][2][0]), (number, line)
        assert calls[0][2][1] == line
        mapped.append(number)
    return mapped


@pytest.mark.parametrize(("fmt", "encoding"), FORMS)
def test_mapped_in_sql_as_python_maps_it(
    tmp_path: Path, catalogue: checker.PolicySet, monkeypatch: pytest.MonkeyPatch, fmt: str, encoding: str
) -> None:
    path, profile = _export(tmp_path, fmt, encoding)
    results = _both_engines(catalogue, monkeypatch, path, profiles=profile)
    assert results["duckdb"] == results["python"]
    # and the file says something: accepted records, rejects, a duplicate and a conflict
    assert '"rejected":0' not in results["python"]
    assert '"duplicates":1' in results["python"]


def test_most_lines_are_mapped_by_sql(tmp_path: Path) -> None:
    """The strict forms stay on the fast path: only the lines off it are Python's."""
    path, profile_file = _export(tmp_path, "csv", "utf-8")
    labels = ["header", *[label for label, _ in VARIANTS]]
    on_sql = {
        labels[n - 1] for n in _mapped_lines(_converted(path, profile_file, tmp_path)) if n <= len(labels)
    }
    for label in (
        "plain",
        "amount '325.52'",
        "amount '1e5'",
        "quantity '+7'",
        "flag 'Yes'",
        "flag '是'",
        "meta '\"x\"'",
        "time '2024-03-21 17:28:06.5'",
        "quoted comma",
        "doubled quotes",
        "reason unmapped",
        "actor kept as written",
        "time '1986-05-05 12:00:00.000000'",
    ):
        assert label in on_sql, label
    for label in (
        "header",
        "amount '1,234'",
        "flag 'maybe'",
        "meta '[1,2]'",
        "time '1986-05-04 12:00:00.000000'",
        "unknown action",
        "subject id without type",
        "leading ideographic space",
        "note with NaN",
        "quoted leading space",
        "time '2024/03/21 17:28'",
        "amount '12345678901234567890'",
    ):
        assert label not in on_sql, label


def test_a_quoted_cell_over_two_lines_sends_the_file_to_the_reader(tmp_path: Path) -> None:
    path, profile_file = _export(tmp_path, "csv", "utf-8")
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(_line(950, {"note": "two\nlines"}, ",") + "\n")
    assert _converted(path, profile_file, tmp_path) is None


def test_white_space_is_what_str_strip_removes() -> None:
    assert set(PY_WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}
    assert all(unicodedata.category(c) != "Cn" for c in PY_WHITESPACE)


@pytest.mark.parametrize("name", ["Asia/Shanghai", "Europe/Berlin", "America/Sao_Paulo", "UTC"])
def test_day_intervals_agree_with_the_reference(name: str) -> None:
    tz = zone(name)
    intervals = day_intervals(tz)
    assert intervals
    for first, last, offset in intervals[:: max(1, len(intervals) // 12)]:
        for day in (first, last):
            assert day_offset(tz, f"{day.year:04d}", f"{day.month:02d}", f"{day.day:02d}") == offset


@pytest.mark.parametrize(("fmt", "encoding"), FORMS)
def test_each_mapped_line_is_the_record_python_maps(tmp_path: Path, fmt: str, encoding: str) -> None:
    """The JSON text SQL writes for a line reads back as what the reader and ``Profile.apply``
    give for it (_mapped_lines checks each)."""
    path, profile_file = _export(tmp_path, fmt, encoding)
    assert len(_mapped_lines(_converted(path, profile_file, tmp_path))) >= len(VARIANTS) // 2


# --- no profile: a canonical CSV (canonical_from_flat) -----------------------------------------

FLAT_HEADER = [
    "event_id",
    "timestamp",
    "platform",
    "seller_id",
    "action",
    "actor",
    "subject.type",
    "subject.id",
    "data.amount",
    "data.note",
    "data.when",
    "",
]
FLAT_BASE = {
    "timestamp": "2024-03-21T17:28:06+08:00",
    "platform": "kuaishou",
    "seller_id": "007",
    "action": "distribution.enrolled",
    "actor": "seller",
    "subject.type": "distribution_enrolment",
    "subject.id": "42",
    "data.amount": "",
    "data.note": "",
    "data.when": "",
    "": "ignored",
}
FLAT_VARIANTS: list[tuple[str, dict[str, str]]] = [
    ("plain", {}),
    *[
        (f"timestamp {v!r}", {"timestamp": v})
        for v in ["1711013286", "1711013286000", "1711013286.5", "007", "١٢", "2024-03-21 17:28:06", "-0"]
    ],
    *[
        (f"literal {v!r}", {"data.amount": v})
        for v in [
            "0",
            "-0",
            "325.52",
            "999999999999999999",
            "1000000000000000000",
            "1234567890123456.7",
            "1E5",
            "1e400",
            "true",
            "null",
            "[1, 2.5]",
            "{}",
            "007",
            "-",
            "[oops",
            "TRUE",
            "٣",
        ]
    ],
    ("a date in data", {"data.when": "2024-03-21"}),
    ("quoted comma", {"data.note": "x, y"}),
    ("no subject", {"subject.type": "", "subject.id": ""}),
    ("number as seller", {"seller_id": "123"}),
]


def _flat_export(tmp: Path, fmt: str, encoding: str) -> Path:
    delimiter = "\t" if fmt == "tsv" else ","
    lines = [delimiter.join(FLAT_HEADER)]
    for i, (_, cells) in enumerate(FLAT_VARIANTS):
        row = {"event_id": f"ev-{i:03d}", **FLAT_BASE, **cells}
        if fmt == "tsv" and any(delimiter in v for v in row.values()):
            row = {"event_id": f"ev-{i:03d}", **FLAT_BASE}
        lines.append(delimiter.join(_cell(row[h], delimiter) for h in FLAT_HEADER))
    path = tmp / f"canonical.{fmt}"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.mark.parametrize(("fmt", "encoding"), FORMS)
def test_canonical_csv_mapped_in_sql_as_python_reads_it(
    tmp_path: Path, catalogue: checker.PolicySet, monkeypatch: pytest.MonkeyPatch, fmt: str, encoding: str
) -> None:
    path = _flat_export(tmp_path, fmt, encoding)
    given = {"encoding": encoding} if encoding != "utf-8" else {}
    results = _both_engines(catalogue, monkeypatch, path, **given)
    assert results["duckdb"] == results["python"]
    assert '"rejected":0' not in results["python"]  # the timestamps no reader takes
    mapped = _mapped_lines(_converted(path, None, tmp_path, given.get("encoding")))
    on_sql = {FLAT_VARIANTS[n - 2][0] for n in mapped}
    for label in ("plain", "timestamp '1711013286'", "literal '325.52'", "literal 'true'", "a date in data"):
        assert label in on_sql, label
    for label in ("timestamp '007'", "literal '1E5'", "literal '[oops'", "literal '٣'"):
        assert label not in on_sql, label


def test_an_export_mostly_off_the_fast_path_goes_to_the_reader(
    tmp_path: Path, catalogue: checker.PolicySet
) -> None:
    """Every amount written with thousands separators: each line would be Python's, one at a time,
    so the file goes to the reader's conversion (in pieces, on every core) instead; same result."""
    path, profile = _export(tmp_path, "csv", "utf-8")
    with open(path, "a", encoding="utf-8") as fh:
        for i in range(300):
            fh.write(_line(1000 + i, {"amt": "1,234.5"}, ",") + "\n")
    assert _converted(path, profile, tmp_path) is None
    results = {
        engine: checker.render(
            "json",
            checker.check(catalogue, [path], engine=engine, as_of=AS_OF, now=NOW, profiles=profile),
            checker.RenderOptions(all_outcomes=True),
        )
        for engine in ("python", "duckdb")
    }
    assert results["duckdb"] == results["python"]
