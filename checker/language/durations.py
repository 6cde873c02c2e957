"""ISO 8601 durations, with elapsed time and calendar arithmetic kept apart.

A rule says either "15 days" (15 x 24 hours of elapsed time, whatever the
calendar does) or "3 calendar months" (a date on the calendar of the rule's
timezone). Both are written as ISO 8601 durations (``P15D``, ``P3M``); what
differs is the function that consumes them:

* :func:`Duration.elapsed_us` turns a duration into an exact number of
  microseconds. Years and months have no fixed length, so they are refused
  there: a rule that needs them must use calendar arithmetic.
* :func:`add_calendar` moves a wall-clock time on the calendar of a timezone:
  months and years first (clamping the day to the month's last day, so
  31 January + 1 month is 29 February in 2024), then days as calendar days,
  then the time part as elapsed time.

The grammar (:data:`_DURATION`) takes whole years, months, weeks, days, hours
and minutes, and seconds with up to six decimals after ``.`` or ``,``
(``PT0.5S``, ``PT0.000001S``): a microsecond is the finest instant, so a
seventh decimal would be a length no instant can hold. Fractions of the other
units (``PT1.5H``) and negative durations are refused. ``docs/policy-language.md``
("Durations") is the user's account of all this; keep the two in step.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:[.,]\d{1,6})?)S)?)?$"
)


#: the longest duration a rule may use: 100 years, counted as 366-day years and 30.5-day months.
#: Longer ones (``P99999999999999D``) are refused where they are written (a policy, ``--param``):
#: added to an instant of the years 1900 to 8999 they would leave every calendar both engines hold.
MAX_DURATION_DAYS = 100 * 366


class DurationError(ValueError):
    """A string is not an ISO 8601 duration this checker understands."""


@dataclass(frozen=True, slots=True)
class Duration:
    """A parsed ISO 8601 duration (no negative or fractional-unit forms but seconds)."""

    text: str
    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    microseconds: int = 0  # the seconds part, in microseconds

    @property
    def is_calendar(self) -> bool:
        """True when the duration has years or months, which have no fixed length."""
        return bool(self.years or self.months)

    def elapsed_us(self) -> int:
        """Exact elapsed length in microseconds; a day is 24 hours here."""
        if self.is_calendar:
            raise DurationError(
                f"{self.text!r} has years or months, which have no fixed length: "
                "compare with add_calendar() instead of as elapsed time"
            )
        days = self.weeks * 7 + self.days
        seconds = ((days * 24 + self.hours) * 60 + self.minutes) * 60
        return seconds * US_PER_SECOND + self.microseconds

    def __str__(self) -> str:
        return self.text


@lru_cache(maxsize=1024)
def parse_duration(text: object) -> Duration:
    """Parse an ISO 8601 duration such as ``P15D``, ``PT72H`` or ``P3M``."""
    if not isinstance(text, str):
        raise DurationError(f"expected an ISO 8601 duration string, got {text!r}")
    m = _DURATION.match(text)
    if m is None:
        raise DurationError(f"{text!r} is not an ISO 8601 duration (examples: P15D, PT72H, P3M, P1DT12H)")
    parts = {k: v for k, v in m.groupdict().items() if v is not None}
    secs = Decimal(parts.pop("seconds", "0").replace(",", "."))
    if any(len(v) > 12 for v in parts.values()) or len(str(int(secs))) > 12:
        raise DurationError(
            f"{_shown(text)} is longer than {MAX_DURATION_DAYS // 366} years (the longest a rule may use)"
        )
    units = {k: int(v) for k, v in parts.items()}
    days = (
        units.get("years", 0) * 366
        + units.get("months", 0) * Decimal("30.5")
        + units.get("weeks", 0) * 7
        + units.get("days", 0)
        + (units.get("hours", 0) * 3600 + units.get("minutes", 0) * 60 + secs) / 86_400
    )
    if days > MAX_DURATION_DAYS:
        raise DurationError(
            f"{_shown(text)} is longer than {MAX_DURATION_DAYS // 366} years (the longest a rule may use)"
        )
    return Duration(text=text, microseconds=int(secs * US_PER_SECOND), **units)


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:40] + "...")


def add_months(dt: datetime, months: int) -> datetime:
    """Move a wall-clock datetime by whole months, clamping to the month's last day."""
    index = dt.year * 12 + (dt.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.replace(year=year, month=month + 1, day=min(dt.day, last))


def add_calendar(epoch_us: int, duration: Duration, tz: ZoneInfo, sign: int = 1) -> int:
    """Add (or with ``sign=-1`` subtract) a duration on the calendar of ``tz``.

    Years, months, weeks and days move the local date and keep the local time
    of day; hours, minutes and seconds are then added as elapsed time.
    """
    local = from_epoch_us(epoch_us).astimezone(tz).replace(tzinfo=None)
    local = add_months(local, sign * (duration.years * 12 + duration.months))
    local += timedelta(days=sign * (duration.weeks * 7 + duration.days))
    # fold=0 picks the first of two ambiguous wall-clock times, deterministically
    moved = to_epoch_us(local.replace(tzinfo=tz))
    exact = ((duration.hours * 60 + duration.minutes) * 60) * US_PER_SECOND + duration.microseconds
    return moved + sign * exact


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_epoch_us(dt: datetime) -> int:
    """Exact microseconds since the epoch of an aware datetime."""
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * US_PER_SECOND + delta.microseconds


def from_epoch_us(epoch_us: int) -> datetime:
    """The UTC datetime of an epoch in microseconds."""
    return _EPOCH + timedelta(microseconds=epoch_us)


def format_elapsed(us: int) -> str:
    """A human reading of an elapsed time: ``15d 0h 0m 1s`` (sign kept)."""
    sign = "-" if us < 0 else ""
    us = abs(us)
    seconds, frac = divmod(us, US_PER_SECOND)
    days, rem = divmod(seconds, 86_400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    text = f"{days}d {hours}h {minutes}m {secs}s"
    if frac:
        text = f"{days}d {hours}h {minutes}m {secs}.{frac:06d}s"
    return sign + text
