"""Timestamps: parsing every form an export uses into exact epoch microseconds.

Inside the checker a point in time is an ``int`` of microseconds since the
epoch: exact (no float rounding at boundaries), totally ordered, and a
number, so JMESPath conditions can compare it.

Accepted forms (``events.md``):

* an RFC 3339 / ISO 8601 string with an offset (``2024-03-01T10:00:00+08:00``,
  ``...Z``), also with a space for ``T``;
* the same without an offset: local time of the input's declared timezone;
* a number: epoch seconds, milliseconds or microseconds, told apart by
  magnitude: below 10^11 seconds (10^11 s is the year 5138), below 10^14
  milliseconds, else microseconds (10^14 us is 1973, so any modern
  microsecond instant is read as one).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .durations import US_PER_SECOND, from_epoch_us, to_epoch_us

DEFAULT_TIMEZONE = "Asia/Shanghai"
MILLISECONDS_THRESHOLD = 10**11
MICROSECONDS_THRESHOLD = 10**14

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2})?$"
)


class TimestampError(ValueError):
    """A value is not a timestamp in any accepted form."""


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The IANA timezone ``name``; raises :class:`TimestampError` if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TimestampError(f"unknown timezone {name!r} (use an IANA name such as Asia/Shanghai)") from exc


# Instants the checker accepts: wide enough for any export, narrow enough that
# every calendar computation (local dates, +3 months) stays inside datetime's range.
EARLIEST = -2_208_988_800 * US_PER_SECOND  # 1900-01-01T00:00:00Z
LATEST = 221_845_392_000 * US_PER_SECOND  # 9000-01-01T00:00:00Z


def parse_timestamp(value: object, tz: ZoneInfo) -> int:
    """Epoch microseconds of ``value``; naive strings are local time in ``tz``.

    Instants before 1900 or from the year 9000 on are refused: no export holds
    them, and they would break calendar arithmetic later.
    """
    instant = _parse(value, tz)
    if not EARLIEST <= instant < LATEST:
        raise TimestampError(f"{value!r} is outside the years 1900 to 8999")
    return instant


def _parse(value: object, tz: ZoneInfo) -> int:
    if isinstance(value, bool):
        raise TimestampError(f"{value!r} is a boolean, not a timestamp")
    if isinstance(value, int | float | Decimal):
        return _from_number(value)
    if not isinstance(value, str):
        raise TimestampError(f"{type(value).__name__} {value!r} is not a timestamp")
    text = value.strip()
    if not _ISO.match(text):
        raise TimestampError(
            f"{value!r} is not an RFC 3339 timestamp (like 2024-03-01T10:00:00+08:00) "
            "or epoch seconds/milliseconds"
        )
    text = text.replace(",", ".").replace("z", "Z").replace("t", "T")
    # fromisoformat takes at most 6 fractional digits; nanoseconds are truncated
    m = re.search(r"\.(\d+)", text)
    if m and len(m.group(1)) > 6:
        text = text[: m.start(1) + 6] + text[m.end(1):]
    try:
        dt = datetime.fromisoformat(text)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=tz)
        return to_epoch_us(dt)
    except (ValueError, OverflowError) as exc:
        raise TimestampError(f"{value!r} is not a valid date and time: {exc}") from exc


def _from_number(value: int | float | Decimal) -> int:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:  # nan, inf
        raise TimestampError(f"{value!r} is not a finite epoch time") from exc
    if not number.is_finite():
        raise TimestampError(f"{value!r} is not a finite epoch time")
    if abs(number) >= MICROSECONDS_THRESHOLD:
        return int(number)
    if abs(number) >= MILLISECONDS_THRESHOLD:
        return int(number * 1000)
    return int(number * US_PER_SECOND)


def parse_instant(value: str, tz: ZoneInfo, *, end_of_day: bool = False) -> int:
    """Parse a user-given instant (``--as-of``, effective dates).

    A bare date means local midnight in ``tz`` (with ``end_of_day``, the
    midnight that ends it).
    """
    if isinstance(value, str) and _DATE_ONLY.match(value.strip()):
        try:
            d = date.fromisoformat(value.strip())
        except ValueError as exc:
            raise TimestampError(f"{value!r} is not a valid date: {exc}") from exc
        start = to_epoch_us(datetime(d.year, d.month, d.day, tzinfo=tz))
        return start + 86_400 * US_PER_SECOND if end_of_day else start
    return parse_timestamp(value, tz)


def format_timestamp(epoch_us: int, tz: ZoneInfo) -> str:
    """RFC 3339 text of an instant in ``tz``, with seconds always and micros when present."""
    dt = from_epoch_us(epoch_us).astimezone(tz)
    spec = "microseconds" if dt.microsecond else "seconds"
    return dt.isoformat(timespec=spec)


def local_date(epoch_us: int, tz: ZoneInfo) -> date:
    """The calendar date of an instant in ``tz``."""
    return from_epoch_us(epoch_us).astimezone(tz).date()
