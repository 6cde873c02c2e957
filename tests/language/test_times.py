from datetime import UTC, datetime

import pytest

from checker.language.durations import to_epoch_us
from checker.language.times import (
    TimestampError,
    format_timestamp,
    local_date,
    parse_instant,
    parse_timestamp,
    zone,
)

SHANGHAI = zone("Asia/Shanghai")
NOON_UTC = to_epoch_us(datetime(2024, 3, 1, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai


@pytest.mark.parametrize(
    "value",
    [
        "2024-03-01T10:00:00+08:00",
        "2024-03-01T02:00:00Z",
        "2024-03-01T02:00:00z",
        "2024-02-29T21:00:00-05:00",
        "2024-03-01 10:00:00",  # naive: the input's timezone
        "2024-03-01T10:00:00",
        "2024-03-01T10:00",
        "2024-03-01T10:00:00.000000+08:00",
        "2024-03-01T10:00:00.000000000+08:00",  # nanoseconds are truncated
        "2024-03-01T10:00:00+0800",
        1709258400,  # epoch seconds
        1709258400000,  # epoch milliseconds
        1709258400000000,  # epoch microseconds
        1709258400.0,
    ],
)
def test_every_form_reads_the_same_instant(value: object) -> None:
    assert parse_timestamp(value, SHANGHAI) == NOON_UTC


def test_naive_timestamps_take_the_declared_timezone() -> None:
    assert parse_timestamp("2024-03-01 10:00:00", zone("UTC")) == NOON_UTC + 8 * 3600 * 1_000_000


def test_fractions_are_exact() -> None:
    assert parse_timestamp("2024-03-01T10:00:00.000001+08:00", SHANGHAI) == NOON_UTC + 1
    assert parse_timestamp(1709258400123, SHANGHAI) == NOON_UTC + 123_000


@pytest.mark.parametrize(
    "value",
    [
        "",
        "yesterday",
        "2024-13-01T00:00:00Z",
        "2024-02-30 10:00:00",
        True,
        None,
        [],
        {},
        "2024-03-01",
        float("nan"),
        float("inf"),
    ],
)
def test_unreadable_timestamps(value: object) -> None:
    with pytest.raises(TimestampError):
        parse_timestamp(value, SHANGHAI)


def test_dates_mean_local_midnight() -> None:
    start = parse_instant("2023-09-16", SHANGHAI)
    assert format_timestamp(start, SHANGHAI) == "2023-09-16T00:00:00+08:00"
    assert parse_instant("2023-09-16", SHANGHAI, end_of_day=True) - start == 86_400_000_000


def test_local_date_follows_the_zone_not_utc() -> None:
    late_utc = parse_timestamp("2024-06-08T16:00:00Z", SHANGHAI)
    assert local_date(late_utc, SHANGHAI).isoformat() == "2024-06-09"
    assert local_date(late_utc, zone("UTC")).isoformat() == "2024-06-08"


def test_unknown_timezone_is_a_clear_error() -> None:
    with pytest.raises(TimestampError, match="unknown timezone"):
        zone("Mars/Olympus")
