"""A naive time written again with its day's offset is what the round trip through the instant gives.

:func:`checker.inputs.fieldtypes.to_timestamp` writes a naive export time (``2024-03-21
17:28:06``) as RFC 3339 text in the profile's zone. On a day the zone keeps one offset it writes
the fields again with that offset (:func:`checker.inputs.fieldtypes.wall_text`) instead of going
through the instant (``_to_timestamp``). These tests hold the two to the same text, or the same
refusal, in zones with odd offsets, on the days zones change (gaps, repeated hours, a skipped
day), at the ends of the datetime range, and on random times.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checker.inputs.fieldtypes import Conversion, ConversionError, _to_timestamp, to_timestamp, wall_text

ZONES = [
    "Asia/Shanghai",
    "America/New_York",
    "Europe/London",
    "Europe/Dublin",  # a negative DST in the tz database
    "Australia/Lord_Howe",  # half-hour DST
    "Asia/Kathmandu",  # +05:45
    "America/St_Johns",  # -03:30, DST
    "Pacific/Apia",  # skipped 30 December 2011
    "Africa/Casablanca",  # DST suspended each Ramadan
    "Pacific/Kiritimati",  # +14
    "UTC",
]
FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M"]
#: times of day written on each day tested: around the usual change hours, and the day's ends
TIMES = ["00:00:00", "00:30:00", "01:59:59", "02:00:00", "02:30:00", "03:00:00", "12:00:00", "23:59:59"]


def _outcome(convert: object, text: str, formats: tuple[str, ...], tz: ZoneInfo) -> object:
    try:
        if convert is to_timestamp:
            return to_timestamp(text, Conversion(formats=formats, tz=tz))
        return _to_timestamp(text, formats, tz)
    except ConversionError as exc:
        return ("refused", str(exc))


def _agree(text: str, fmt: str, zone: str) -> None:
    tz = ZoneInfo(zone)
    fast = _outcome(to_timestamp, text, (fmt,), tz)
    assert fast == _outcome(_to_timestamp, text, (fmt,), tz), (text, fmt, zone)


def _change_days(zone: str, years: range) -> list[date]:
    """The days of ``years`` on which ``zone`` changes its offset (found by the offset at noon and
    at the day's ends)."""
    tz = ZoneInfo(zone)
    days = []
    day = date(years.start, 1, 1)
    while day.year < years.stop:
        start = datetime(day.year, day.month, day.day, tzinfo=tz)
        end = start.replace(hour=23, minute=59, second=59)
        if start.utcoffset() != end.utcoffset() or start.utcoffset() != start.replace(fold=1).utcoffset():
            days.append(day)
        day += timedelta(days=1)
    return days


@pytest.mark.parametrize("zone", ZONES)
def test_every_time_of_the_change_days_and_their_neighbours(zone: str) -> None:
    days = _change_days(zone, range(2011, 2013))
    if zone not in ("UTC", "Asia/Shanghai", "Asia/Kathmandu", "Pacific/Kiritimati"):
        assert days, f"{zone} changed its offset in 2011-2012: the search found no day"
    days += [d + timedelta(days=k) for d in list(days) for k in (-1, 1)] + [date(2024, 7, 1)]
    for day in days:
        for fmt in FORMATS:
            for clock in TIMES:
                moment = datetime.combine(day, datetime.strptime(clock, "%H:%M:%S").time())
                _agree(moment.strftime(fmt), fmt, zone)


def test_a_day_that_changes_offset_goes_through_the_instant() -> None:
    # New York springs forward on 10 March 2024: 02:30 does not exist, and the day has two offsets
    assert wall_text("2024-03-10 02:30:00", "%Y-%m-%d %H:%M:%S", ZoneInfo("America/New_York")) is None
    assert wall_text("2024-03-09 02:30:00", "%Y-%m-%d %H:%M:%S", ZoneInfo("America/New_York")) == (
        "2024-03-09T02:30:00-05:00"
    )
    # the usual export time is written again without the instant
    assert wall_text(" 2024-03-21 17:28:06.500 ", "%Y-%m-%d %H:%M:%S.%f", ZoneInfo("Asia/Shanghai")) == (
        "2024-03-21T17:28:06.500000+08:00"
    )


@pytest.mark.parametrize(
    ("text", "fmt", "zone"),
    [
        ("0001-01-01 00:00:00", "%Y-%m-%d %H:%M:%S", "Asia/Shanghai"),  # the instant is in year 0
        ("0001-01-01 12:00:00", "%Y-%m-%d %H:%M:%S", "Asia/Shanghai"),
        ("0001-01-01 00:00:00", "%Y-%m-%d %H:%M:%S", "America/New_York"),
        ("9999-12-31 23:59:59", "%Y-%m-%d %H:%M:%S", "America/New_York"),  # the instant is in 10000
        ("9999-12-31 23:59:59", "%Y-%m-%d %H:%M:%S", "Pacific/Kiritimati"),
        ("0000-01-01 00:00:00", "%Y-%m-%d %H:%M:%S", "UTC"),  # no year 0
        ("2023-02-29 10:00:00", "%Y-%m-%d %H:%M:%S", "UTC"),  # no such day
        ("2024-02-29 10:00:00", "%Y-%m-%d %H:%M:%S", "UTC"),
        ("2024-04-31", "%Y-%m-%d", "Asia/Shanghai"),
        ("2024-03-21 17:28:06.000000", "%Y-%m-%d %H:%M:%S.%f", "Asia/Shanghai"),  # no micros shown
        ("2024-03-21 17:28:06.000001", "%Y-%m-%d %H:%M:%S.%f", "Asia/Shanghai"),
        ("2024-03-21 17:28:06.5", "%Y-%m-%d %H:%M:%S.%f", "Asia/Kathmandu"),
        ("2024-03-21 7:28:06", "%Y-%m-%d %H:%M:%S", "Asia/Shanghai"),  # one digit: strptime's
        ("2024-03-21T17:28:06", "%Y-%m-%d %H:%M:%S", "Asia/Shanghai"),  # not the format
        ("1900-01-01 00:00:00", "%Y-%m-%d %H:%M:%S", "Asia/Shanghai"),  # local mean time, +08:05:43
        ("1892-06-01 00:00:00", "%Y-%m-%d %H:%M:%S", "Europe/Dublin"),  # -00:25:21
    ],
)
def test_edges(text: str, fmt: str, zone: str) -> None:
    _agree(text, fmt, zone)


def test_later_formats_are_tried_after_a_refusal() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    conv = Conversion(formats=("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"), tz=tz)
    assert to_timestamp("2024/03/21 17:28", conv) == "2024-03-21T17:28:00+08:00"
    with pytest.raises(ConversionError, match="matches none of the formats"):
        to_timestamp("21.03.2024", conv)


@given(
    moment=st.datetimes(min_value=datetime(1850, 1, 1), max_value=datetime(2100, 12, 31)),
    zone=st.sampled_from(ZONES),
    fmt=st.sampled_from(FORMATS),
)
def test_random_times(moment: datetime, zone: str, fmt: str) -> None:
    _agree(moment.strftime(fmt), fmt, zone)
