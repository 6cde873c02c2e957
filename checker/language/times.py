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
import time
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .durations import US_PER_SECOND, from_epoch_us, to_epoch_us

DEFAULT_TIMEZONE = "Asia/Shanghai"
MILLISECONDS_THRESHOLD = 10**11
MICROSECONDS_THRESHOLD = 10**14

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2})?$")


class TimestampError(ValueError):
    """A value is not a timestamp in any accepted form; ``code`` is the rejection code of a
    record whose timestamp it is (``timestamp-out-of-range`` for an instant outside the years
    1900 to 8999, else ``bad-timestamp``)."""

    code = "bad-timestamp"


#: How far past the run's wall-clock "now" an event may be stamped: clock skew and time zones
#: never make a real record later than this. Anything later cannot have happened yet.
FUTURE_TOLERANCE = 86_400 * US_PER_SECOND  # 1 day


def wall_clock_now() -> int:
    """The wall-clock instant in epoch microseconds: a run's "now" when none is given."""
    return time.time_ns() // 1000


def future_limit(now: int) -> int:
    """The latest event instant a run with this ``now`` accepts (inclusive): ``now`` plus
    :data:`FUTURE_TOLERANCE`."""
    return now + FUTURE_TOLERANCE


def future_error(value: object, instant: int, now: int, tz: ZoneInfo) -> TimestampError:
    """The rejection of a timestamp later than :func:`future_limit` of ``now``: code
    ``future-timestamp``. An epoch number is read by magnitude and never re-read in another
    unit, so a millisecond count below 10^11 (before 1973) lands here as seconds."""
    error = TimestampError(
        f"{value!r} is {format_timestamp(instant, tz)}, more than a day after the run's now "
        f"{format_timestamp(now, tz)}: no event can have happened yet "
        "(an epoch number below 10^11 is read as seconds; a profile's epoch_ms or epoch_us says otherwise)"
    )
    error.code = "future-timestamp"
    return error


def _out_of_range(value: object) -> TimestampError:
    error = TimestampError(f"{value!r} is outside the years 1900 to 8999")
    error.code = "timestamp-out-of-range"
    return error


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
    instant = _fast(value, tz)
    if instant is None:
        instant = _parse(value, tz)
    if not EARLIEST <= instant < LATEST:
        raise _out_of_range(value)
    return instant


# The forms nearly every export uses: an int epoch, and fixed-width RFC 3339 text with
# ASCII digits only ([0-9], not \d, which would let other scripts' digits through to
# int()). Anything else, and anything out of range, goes to _parse, so its errors and
# their messages are unchanged.
_FIXED = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:[.,]([0-9]{1,9}))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))?"
).fullmatch
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# A text is its first 13 characters (date and hour, "2024-03-21T17") and the rest
# (":28:06+08:00"); both parts repeat across an export far more than whole texts do.
# Each table holds only parts the full pattern accepted with valid values, so a hit in
# both is a valid text. Heads map to (seconds of the UTC day-hour, year, month, day,
# hour), tails without a fraction to (seconds past the hour minus the offset, minute,
# second, naive). Both stay small (an hour per date seen; 3,600 per offset form) and
# are emptied if an unusual input ever fills them.
_HEADS: dict[str, tuple[int, int, int, int, int]] = {}
_TAILS: dict[str, tuple[int, int, int, bool]] = {}
_TABLE_LIMIT = 100_000
_INT_LIMIT = 10**18


def _fast(value: object, tz: ZoneInfo) -> int | None:
    """:func:`_parse` for the common forms (an ``int`` epoch, a fixed-width RFC 3339 text),
    or None when ``value`` is anything else or is not valid: then :func:`_parse` decides."""
    cls = value.__class__
    if cls is int:  # not bool, whose class is bool: _parse refuses booleans
        number: int = value  # type: ignore[assignment]  # cls is int; no isinstance on this hot path
        if not -_INT_LIMIT < number < _INT_LIMIT:
            return None  # huge: _parse's own conversion decides (and fails) as before
        if number >= MICROSECONDS_THRESHOLD or number <= -MICROSECONDS_THRESHOLD:
            return number
        if number >= MILLISECONDS_THRESHOLD or number <= -MILLISECONDS_THRESHOLD:
            return number * 1000
        return number * US_PER_SECOND
    if cls is not str:
        return None
    text: str = value  # type: ignore[assignment]  # cls is str, as tested above
    head = _HEADS.get(text[:13])
    if head is not None:
        tail = _TAILS.get(text[13:])
        if tail is not None:
            if not tail[3]:
                return (head[0] + tail[0]) * US_PER_SECOND
            return _naive(head[0], head[1], head[2], head[3], head[4], tail[1], tail[2], 0, tz)
    return _fixed(text, tz)


def _fixed(text: str, tz: ZoneInfo) -> int | None:
    """:func:`_fast` for a text not in the tables: match it in full, and table its parts."""
    m = _FIXED(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, utc, sign, off_h, off_m = m.groups()
    y, mo, d, h, mi, s = int(year), int(month), int(day), int(hour), int(minute), int(second)
    if h > 23 or mi > 59 or s > 59:
        return None
    try:
        days = date(y, mo, d).toordinal() - _EPOCH_ORDINAL
    except ValueError:  # year 0, month 13, 30 February...
        return None
    offset = 0
    if sign is not None:
        oh, om = int(off_h), int(off_m)
        if oh > 23 or om > 59:
            return None
        offset = -(oh * 3600 + om * 60) if sign == "-" else oh * 3600 + om * 60
    naive = utc is None and sign is None
    if len(_HEADS) >= _TABLE_LIMIT or len(_TAILS) >= _TABLE_LIMIT:
        _HEADS.clear()
        _TAILS.clear()
    _HEADS[text[:13]] = ((days * 24 + h) * 3600, y, mo, d, h)
    # fromisoformat keeps 6 fractional digits; _parse truncates longer ones first
    micro = int((fraction + "00000")[:6]) if fraction else 0
    if fraction is None:
        _TAILS[text[13:]] = (mi * 60 + s - offset, mi, s, naive)
    if naive:
        return _naive((days * 24 + h) * 3600, y, mo, d, h, mi, s, micro, tz)
    return ((days * 24 + h) * 3600 + mi * 60 + s - offset) * US_PER_SECOND + micro


def _naive(
    base: int, y: int, mo: int, d: int, h: int, mi: int, s: int, micro: int, tz: ZoneInfo
) -> int | None:
    """A local time in ``tz`` as ``fromisoformat(...).replace(tzinfo=tz)`` reads it (fold=0
    for ambiguous and skipped times). The zone is asked for every call, not memoised per
    hour: a transition may fall at any second (local mean time offsets such as +08:05:43),
    and asking is exact for all of them, and cheap (zoneinfo caches its own lookups)."""
    try:
        local = datetime(y, mo, d, h, mi, s, micro)
        offset = tz.utcoffset(local)
    except (ValueError, OverflowError):
        return None
    if offset is None:  # not a zoneinfo zone: let _parse do what it does
        return None
    us = _OFFSET_US.get(offset)
    if us is None:
        whole = offset.days * 86_400 + offset.seconds
        us = _OFFSET_US[offset] = whole * US_PER_SECOND + offset.microseconds
    # base: the local date and hour as seconds since the epoch, as if the zone were UTC
    return (base + mi * 60 + s) * US_PER_SECOND + micro - us


_OFFSET_US: dict[timedelta, int] = {}


def _parse(value: object, tz: ZoneInfo) -> int:
    """The general reader: every accepted form, and the error for every other value."""
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
        text = text[: m.start(1) + 6] + text[m.end(1) :]
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


#: what :func:`parse_instant` accepts, as its error message says
INSTANT_FORMS = (
    "an RFC 3339 instant (2024-07-01T00:00:00+08:00, ...Z; without an offset: local time), "
    "a date (2024-07-01: local midnight), or an integer epoch time "
    "(seconds below 10^11, milliseconds below 10^14, else microseconds: 1719763200 is seconds, "
    "1719763200000 milliseconds)"
)
_EPOCH_DIGITS = re.compile(r"-?[0-9]{1,18}")


def parse_instant(value: str, tz: ZoneInfo, *, end_of_day: bool = False) -> int:
    """Parse a user-given instant (``--as-of``, effective dates): :data:`INSTANT_FORMS`.

    A bare date means local midnight in ``tz`` (with ``end_of_day``, the
    midnight that ends it). A string of ASCII digits is an epoch time, told
    apart by magnitude exactly as numeric timestamps in exports are: below
    10^11 seconds, below 10^14 milliseconds, else microseconds (so
    ``1719763200`` is 2024-06-30T16:00:00Z, and so is ``1719763200000``).
    """
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and _DATE_ONLY.match(text):
        try:
            d = date.fromisoformat(text)
        except ValueError as exc:
            raise TimestampError(f"{value!r} is not a valid date: {exc}") from exc
        start = to_epoch_us(datetime(d.year, d.month, d.day, tzinfo=tz))
        return start + 86_400 * US_PER_SECOND if end_of_day else start
    if isinstance(text, str) and _EPOCH_DIGITS.fullmatch(text):
        return parse_timestamp(int(text), tz)
    if isinstance(text, str) and not _ISO.match(text):
        raise TimestampError(f"{value!r} is not an instant: use {INSTANT_FORMS}")
    return parse_timestamp(value, tz)


def format_timestamp(epoch_us: int, tz: ZoneInfo) -> str:
    """RFC 3339 text of an instant in ``tz``, with seconds always and micros when present."""
    dt = from_epoch_us(epoch_us).astimezone(tz)
    spec = "microseconds" if dt.microsecond else "seconds"
    return dt.isoformat(timespec=spec)


def local_date(epoch_us: int, tz: ZoneInfo) -> date:
    """The calendar date of an instant in ``tz``."""
    return from_epoch_us(epoch_us).astimezone(tz).date()
