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
    assert evil.startswith("s\x1b") and not any(
        r[c].startswith(("=", "+", "-", "@")) for r in rows for c in COLUMNS
    )
    assert rows[1]["waiver_approver"] == "li.si" and rows[1]["waiver_expires"] == "2024-12-31"
    hostile = dict(rows[0])
    assert hostile["subject_id"] == ""
