"""The fast timestamp path agrees with the general reader on every input.

``times.parse_timestamp`` reads the common fixed-width forms and integer
epochs without ``fromisoformat`` (with memo tables of date-hours and
minute-second-offset tails); ``times._parse`` is the general reader. Both
must give the same instant, or fail with the same error and message, for
valid and near-valid texts in zones with and without transitions, for every
kind of number, and for arbitrary text.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from checker.language import times
from checker.language.times import EARLIEST, LATEST, TimestampError, parse_timestamp, zone
from tests.conftest import examples

ZONES = [
    zone(name)
    for name in (
        "Asia/Shanghai",
        "UTC",
        "America/New_York",
        "Europe/London",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "Pacific/Apia",
        "America/Sao_Paulo",
        "Europe/Dublin",
        "Pacific/Kiritimati",
        "America/St_Johns",
        "Africa/Casablanca",
    )
]

# dates around transitions (DST starts and ends, Shanghai's 1901 end of local mean time,
# Samoa's skipped 30 December 2011, Lord Howe's half-hour shifts) and the accepted range's ends
DATES = [
    "1900-01-01",
    "1899-12-31",
    "1900-12-31",
    "1901-01-01",
    "1919-04-13",
    "1940-06-01",
    "1986-05-04",
    "1991-09-15",
    "2011-12-29",
    "2011-12-30",
    "2011-12-31",
    "2024-02-29",
    "2023-02-29",
    "2024-03-10",
    "2024-11-03",
    "2024-03-31",
    "2024-10-27",
    "2024-04-07",
    "2024-10-06",
    "2024-03-21",
    "1970-01-01",
    "8999-12-31",
    "9000-01-01",
    "9999-12-31",
    "0000-01-01",
    "0001-01-01",
    "2024-13-01",
    "2024-00-10",
    "2024-04-31",
    "2024-01-32",
    "2024-1-01",
    "20240-01-01",
]


def _padded(high: int) -> st.SearchStrategy[str]:
    return st.integers(0, high).map(lambda n: f"{n:02d}")


two = _padded(99)
# mostly valid fields, sometimes out of range, so the fast path is both taken and refused
hours = st.one_of(_padded(23), _padded(23), _padded(23), two)
minutes = st.one_of(_padded(59), _padded(59), _padded(59), two)
valid_dates = st.dates().filter(lambda d: d.year >= 1000).map(lambda d: d.isoformat())
dates = st.one_of(
    st.sampled_from(DATES),
    valid_dates,
    valid_dates,
    st.builds(
        lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}",
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
    ),
)
fractions = st.one_of(
    st.just(""),
    st.just(""),
    st.builds(
        lambda sep, digits: sep + digits,
        st.sampled_from([".", ","]),
        st.text("0123456789", min_size=0, max_size=10),
    ),
)
offsets = st.one_of(
    st.sampled_from(["", "Z", "+08:00", "-05:00"]),
    st.sampled_from(
        [
            "",
            "",
            "Z",
            "z",
            "+08:00",
            "-05:00",
            "+14:00",
            "-12:00",
            "+23:59",
            "-23:59",
            "+24:00",
            "+08:60",
            "+08:75",
            "+0800",
            "+08",
            "-00:00",
            "+05:30",
            "Z ",
            " Z",
        ]
    ),
    st.builds(lambda sign, h, m: f"{sign}{h}:{m}", st.sampled_from("+-"), hours, minutes),
)
texts = st.builds(
    lambda lead, date_, sep, h, m, s, frac, off, trail: f"{lead}{date_}{sep}{h}:{m}{s}{frac}{off}{trail}",
    st.sampled_from(["", "", "", "", "", " ", "\t"]),
    dates,
    st.sampled_from(["T", "T", "T", " ", " ", "t", "_", "  "]),
    hours,
    minutes,
    st.one_of(minutes.map(lambda s: ":" + s), minutes.map(lambda s: ":" + s), st.just("")),
    fractions,
    offsets,
    st.sampled_from(["", "", "", "", "", " ", "\n", "x"]),
)
valid_texts = st.builds(
    lambda date_, sep, h, m, s, frac, off: f"{date_}{sep}{h:02d}:{m:02d}:{s:02d}{frac}{off}",
    st.one_of(valid_dates, st.sampled_from(DATES[:20])),
    st.sampled_from(["T", " ", "t"]),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
    fractions,
    st.one_of(
        st.sampled_from(["", "Z", "z", "+08:00", "-05:00", "+14:00", "-12:00", "+05:45"]),
        st.builds(
            lambda sign, h, m: f"{sign}{h:02d}:{m:02d}",
            st.sampled_from("+-"),
            st.integers(0, 23),
            st.integers(0, 59),
        ),
    ),
)
# a character swapped for a lookalike: other scripts' digits, full-width forms, letters
LOOKALIKES = "\u0663\uff11\u00b2\u0661aZ:-+. \u3000"


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(texts)
    if text and draw(st.integers(0, 3)) == 0:
        i = draw(st.integers(0, len(text) - 1))
        text = text[:i] + draw(st.sampled_from(LOOKALIKES)) + text[i + 1 :]
    return text


def _reference(value: Any, tz: ZoneInfo) -> int:
    """parse_timestamp as it was: the general reader, then the range check."""
    instant = times._parse(value, tz)
    if not EARLIEST <= instant < LATEST:
        raise TimestampError(f"{value!r} is outside the years 1900 to 8999")
    return instant


def _outcome(read: Any, value: Any, tz: ZoneInfo) -> tuple[str, Any]:
    try:
        return "ok", read(value, tz)
    except Exception as exc:  # the error's type and message must match too
        return type(exc).__name__, str(exc)


def _assert_same(value: Any, tz: ZoneInfo) -> None:
    expected = _outcome(_reference, value, tz)
    assert _outcome(parse_timestamp, value, tz) == expected
    # a second read comes from the memo tables when the first filled them
    assert _outcome(parse_timestamp, value, tz) == expected


@settings(max_examples=examples(3000), deadline=None)
@given(value=st.one_of(valid_texts, mutated(), texts), tz=st.sampled_from(ZONES))
@example(value="2024-03-10 02:30:00", tz=zone("America/New_York"))  # skipped hour
@example(value="2024-11-03 01:30:00", tz=zone("America/New_York"))  # repeated hour
@example(value="2024-10-06 02:15:00", tz=zone("Australia/Lord_Howe"))  # half-hour gap
@example(value="2024-04-07 01:45:00", tz=zone("Australia/Lord_Howe"))  # half-hour fold
@example(value="2011-12-30 12:00:00", tz=zone("Pacific/Apia"))  # a skipped day
@example(value="1900-12-31 23:59:59", tz=zone("Asia/Shanghai"))  # local mean time, +08:05:43
@example(value="1900-01-01 00:00:00", tz=zone("Asia/Shanghai"))  # before 1900 in UTC
@example(value="2024-02-29T10:00:00+14:00", tz=zone("UTC"))
@example(value="2023-02-29T10:00:00Z", tz=zone("UTC"))
@example(value="8999-12-31T23:59:59.999999999-12:00", tz=zone("UTC"))
def test_texts_read_as_the_general_reader_reads_them(value: str, tz: ZoneInfo) -> None:
    _assert_same(value, tz)


@settings(max_examples=examples(500), deadline=None)
@given(value=st.text(max_size=40), tz=st.sampled_from(ZONES))
def test_arbitrary_text(value: str, tz: ZoneInfo) -> None:
    _assert_same(value, tz)


@settings(max_examples=examples(1500), deadline=None)
@given(
    value=st.one_of(
        st.integers(),
        st.integers(-(10**15), 10**15),
        st.sampled_from(
            [
                0,
                -1,
                10**11 - 1,
                10**11,
                -(10**11),
                10**14 - 1,
                10**14,
                -(10**14),
                10**18 - 1,
                10**18,
                -(10**18),
                2**63,
                10**5000,
                True,
                False,
            ]
        ),
        st.floats(),
        st.floats(-1e15, 1e15),
    ),
    tz=st.sampled_from(ZONES),
)
def test_epochs_read_as_the_general_reader_reads_them(value: Any, tz: ZoneInfo) -> None:
    _assert_same(value, tz)


def test_the_memo_tables_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(times, "_TABLE_LIMIT", 10)
    # from empty tables: inputs other tests left there would all be hits, and a hit never trims
    monkeypatch.setattr(times, "_HEADS", {})
    monkeypatch.setattr(times, "_TAILS", {})
    tz = zone("Asia/Shanghai")
    for day in range(1, 29):
        for hour in (0, 13, 23):
            _assert_same(f"2024-02-{day:02d}T{hour:02d}:{day:02d}:07+08:00", tz)
    assert len(times._HEADS) <= 10 and len(times._TAILS) <= 10
