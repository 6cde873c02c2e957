"""CSV for Excel: UTF-8 with BOM, CRLF, and no formula from a log value survives."""

from __future__ import annotations

import csv
import io

import pytest

from checker.outputs import render
from checker.outputs.csvreport import COLUMNS, neutralise


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33", "'+33"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\r=x", "'\r=x"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (12, "12"),
    ],
)
def test_neutralise(cell: object, expected: str) -> None:
    assert neutralise(cell) == expected


def test_csv_opens_in_excel_and_is_inert(scenario: tuple) -> None:
    result, options = scenario
    text = render("csv", result, options)
    assert text.startswith("\ufeff") and "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert tuple(rows[0]) == COLUMNS
    assert [(r["event_id"], r["status"]) for r in rows] == [
        ("x1", "baselined"),
        ("x2", "waived"),
        ("x3", "new"),
        ("c1", "new"),
    ]
    evil = rows[2]["seller_id"]
    assert (
        evil.startswith("s\\x1b[31m")
        and "\x1b" not in evil
        and not any(r[c].startswith(("=", "+", "-", "@")) for r in rows for c in COLUMNS)
    )
    assert rows[1]["waiver_approver"] == "li.si" and rows[1]["waiver_expires"] == "2024-12-31"
    hostile = dict(rows[0])
    assert hostile["subject_id"] == ""


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("a\x00b", "a\\x00b"),  # NUL
        ("\x1b[31mred", "\\x1b[31mred"),  # ESC: no terminal escape reaches a cell
        ("x\x7fy\x85z", "x\\x7fy\\x85z"),  # DEL and a C1 control
        ("pay\u202eevil\u202c", "pay\\u202eevil\\u202c"),  # a bidi override and its pop
        ("\u2066a\u2069", "\\u2066a\\u2069"),  # bidi isolates
        ("-\x1b", "'-\\x1b"),  # escaped, and still neutralised as a formula start
        ("line\nbreak", "line\nbreak"),  # CSV quotes line breaks: kept
        ("商家\u200b", "商家\u200b"),  # other characters untouched
    ],
)
def test_invisible_characters_are_shown_escaped(cell: str, expected: str) -> None:
    assert neutralise(cell) == expected


def test_no_control_or_bidi_character_reaches_a_cell(scenario: tuple) -> None:
    result, options = scenario
    text = render("csv", result, options)
    for row in csv.reader(io.StringIO(text.removeprefix("\ufeff"))):
        for cell in row:
            assert not any(
                (ord(c) < 0x20 and c not in "\t\n\r")
                or 0x7F <= ord(c) <= 0x9F
                or 0x202A <= ord(c) <= 0x202E
                or 0x2066 <= ord(c) <= 0x2069
                for c in cell
            ), cell
