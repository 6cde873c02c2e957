from datetime import datetime

import pytest

from checker.language.durations import (
    US_PER_DAY,
    DurationError,
    add_calendar,
    format_elapsed,
    parse_duration,
    to_epoch_us,
)
from checker.language.times import zone

SHANGHAI = zone("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "elapsed_us"),
    [
        ("P15D", 15 * US_PER_DAY),
        ("PT72H", 3 * US_PER_DAY),
        ("P3D", 3 * US_PER_DAY),
        ("P1W", 7 * US_PER_DAY),
        ("P1DT12H30M", US_PER_DAY + (12 * 3600 + 30 * 60) * 1_000_000),
        ("PT0.5S", 500_000),
        ("PT1,25S", 1_250_000),
    ],
)
def test_exact_durations(text: str, elapsed_us: int) -> None:
    assert parse_duration(text).elapsed_us() == elapsed_us


@pytest.mark.parametrize("text", ["P15", "15D", "P", "PT", "P1.5D", "-P1D", "P1DT", "", "p1d"])
def test_malformed_durations_are_refused(text: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)


@pytest.mark.parametrize("text", ["P3M", "P1Y", "P1Y2M3D"])
def test_calendar_durations_have_no_elapsed_length(text: str) -> None:
    d = parse_duration(text)
    assert d.is_calendar
    with pytest.raises(DurationError, match="no fixed length"):
        d.elapsed_us()


def _local(*args: int) -> int:
    return to_epoch_us(datetime(*args, tzinfo=SHANGHAI))


@pytest.mark.parametrize(
    ("start", "duration", "end"),
    [
        ((2024, 1, 31, 10), "P3M", (2024, 4, 30, 10)),  # the catalogue's example: clamp to month end
        ((2024, 1, 31, 10), "P1M", (2024, 2, 29, 10)),  # leap year
        ((2023, 1, 31, 10), "P1M", (2023, 2, 28, 10)),
        ((2024, 11, 30, 23), "P3M", (2025, 2, 28, 23)),  # across a year end
        ((2024, 6, 8, 23), "P2D", (2024, 6, 10, 23)),
        ((2024, 2, 29, 0), "P1Y", (2025, 2, 28, 0)),
        ((2024, 3, 1, 0), "P1DT1H", (2024, 3, 2, 1)),
    ],
)
def test_calendar_addition_in_rule_timezone(start: tuple, duration: str, end: tuple) -> None:
    assert add_calendar(_local(*start), parse_duration(duration), SHANGHAI) == _local(*end)


def test_calendar_subtraction_mirrors_addition() -> None:
    assert add_calendar(_local(2024, 4, 30, 10), parse_duration("P3M"), SHANGHAI, sign=-1) == _local(
        2024, 1, 30, 10
    )


def test_calendar_days_differ_from_elapsed_days_across_dst() -> None:
    # New York springs forward on 2024-03-10: one calendar day is 23 hours of elapsed time
    ny = zone("America/New_York")
    start = to_epoch_us(datetime(2024, 3, 9, 12, tzinfo=ny))
    calendar_day = add_calendar(start, parse_duration("P1D"), ny)
    assert calendar_day - start == 23 * 3600 * 1_000_000
    assert parse_duration("P1D").elapsed_us() == 24 * 3600 * 1_000_000


def test_format_elapsed() -> None:
    assert format_elapsed(15 * US_PER_DAY + 1_000_000) == "15d 0h 0m 1s"
    assert format_elapsed(-3_600_000_000) == "-0d 1h 0m 0s"
    assert format_elapsed(1_500_000) == "0d 0h 0m 1.500000s"
