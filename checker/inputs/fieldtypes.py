"""The value types a field-mapping profile can declare, and how text becomes each.

A CSV cell is text; a canonical event wants numbers, booleans and
timestamps. Each converter takes the value as read (text from CSV and TSV,
any JSON value from JSON and Parquet) and returns the typed value, or raises
:class:`ConversionError` saying why not. Converters are registered by type
name in :data:`CONVERTERS`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from ..language.durations import to_epoch_us
from ..language.times import DEFAULT_TIMEZONE, TimestampError, format_timestamp, parse_timestamp, zone
from .readers import MAX_DEPTH, NonFiniteNumber, json_depth, parse_strict

TRUE_TEXTS = ("true", "yes", "y", "1", "t", "是")
FALSE_TEXTS = ("false", "no", "n", "0", "f", "否")
NAMED_FORMATS = ("auto", "rfc3339", "epoch_s", "epoch_ms", "epoch_us")
_EPOCH_SCALE = {"epoch_s": 1_000_000, "epoch_ms": 1_000, "epoch_us": 1}
_INTEGER = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)$")
_NUMBER = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)?(?:\.\d+)?(?:[eE][+-]?\d+)?$")


class ConversionError(ValueError):
    """A value is not of the declared type; the message says why."""


@dataclass(frozen=True)
class Conversion:
    """What a converter may need besides the value: timestamp formats and zone, boolean texts.

    ``tz`` is the zone of naive timestamps; None until bound to a run's timezone.
    """

    formats: tuple[str, ...] = ("auto",)
    tz: ZoneInfo | None = None
    truths: frozenset[str] = frozenset(TRUE_TEXTS)
    falsehoods: frozenset[str] = frozenset(FALSE_TEXTS)


Converter = Callable[[Any, Conversion], Any]
CONVERTERS: dict[str, Converter] = {}


def converter(name: str) -> Callable[[Converter], Converter]:
    """Register the converter of a profile value type."""

    def register(func: Converter) -> Converter:
        CONVERTERS[name] = func
        return func

    return register


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


@converter("any")
def to_any(value: Any, conv: Conversion) -> Any:
    """The value as read (text stays text)."""
    return value


@converter("string")
def to_string(value: Any, conv: Conversion) -> str:
    """Text; whole numbers (ids in JSON exports) become their digits."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or not _is_number(value):
        raise ConversionError(f"{value!r} is not text")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@converter("integer")
def to_integer(value: Any, conv: Conversion) -> int:
    """A whole number; text may group thousands with commas (``1,234``)."""
    if _is_number(value):
        if value != int(value):
            raise ConversionError(f"{value!r} is not a whole number")
        return int(value)
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        return int(value.strip().replace(",", ""))
    raise ConversionError(f"{value!r} is not a whole number")


@converter("number")
def to_number(value: Any, conv: Conversion) -> int | float:
    """A number: an int when the text has no fraction, else a float."""
    if _is_number(value):
        return value if isinstance(value, int | float) else float(value)
    text = value.strip() if isinstance(value, str) else None
    if text and text not in "+-." and _NUMBER.match(text):
        plain = text.replace(",", "")
        try:
            return int(plain) if re.fullmatch(r"[+-]?\d+", plain) else float(Decimal(plain))
        except (InvalidOperation, ValueError):
            pass
    raise ConversionError(f"{value!r} is not a number")


@converter("boolean")
def to_boolean(value: Any, conv: Conversion) -> bool:
    """True or false; text from the profile's ``true`` and ``false`` lists (case-insensitive)."""
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in conv.truths:
            return True
        if text in conv.falsehoods:
            return False
    raise ConversionError(
        f"{value!r} is not one of the texts read as true "
        f"({', '.join(sorted(conv.truths))}) or false "
        f"({', '.join(sorted(conv.falsehoods))})"
    )


@converter("json")
def to_json(value: Any, conv: Conversion) -> Any:
    """A JSON value given as text (a cell holding ``{"a": 1}``)."""
    if not isinstance(value, str):
        return value
    if json_depth(value) > MAX_DEPTH:
        raise ConversionError(f"JSON nested more than {MAX_DEPTH} levels deep (the limit for a record)")
    try:
        return parse_strict(value)
    except NonFiniteNumber as exc:
        raise ConversionError(str(exc)) from exc
    except json.JSONDecodeError as exc:
        raise ConversionError(f"{value!r} is not JSON: {exc.msg}") from exc


@converter("timestamp")
def to_timestamp(value: Any, conv: Conversion) -> str:
    """RFC 3339 text with an offset, in the declared zone; the formats are tried in order."""
    tz = conv.tz or zone(DEFAULT_TIMEZONE)  # a profile not bound to a run's timezone
    if conv.formats and isinstance(value, str):
        text = wall_text(value, conv.formats[0], tz)
        if text is not None:
            return text
    return _to_timestamp(value, conv.formats, tz)


def _to_timestamp(value: Any, formats: tuple[str, ...], tz: ZoneInfo) -> str:
    """:func:`to_timestamp` through the instant: each format in turn read into epoch
    microseconds, then written in ``tz``."""
    reasons = []
    for fmt in formats:
        try:
            return format_timestamp(epoch_of(value, fmt, tz), tz)
        except (TimestampError, ValueError, OverflowError) as exc:
            reasons.append(str(exc))
    if len(reasons) == 1:
        raise ConversionError(reasons[0])
    raise ConversionError(f"{value!r} matches none of the formats {', '.join(formats)}")


def epoch_of(value: Any, fmt: str, tz: ZoneInfo) -> int:
    """Epoch microseconds of ``value`` read with one format (see ``NAMED_FORMATS``)."""
    text = value.strip() if isinstance(value, str) else value
    if fmt == "auto":
        if isinstance(text, str) and re.fullmatch(r"[+-]?\d+(?:\.\d+)?", text):
            return parse_timestamp(Decimal(text), tz)
        return parse_timestamp(text, tz)
    if fmt == "rfc3339":
        if not isinstance(text, str):
            raise TimestampError(f"{value!r} is not RFC 3339 text")
        return parse_timestamp(text, tz)
    if fmt in _EPOCH_SCALE:
        try:
            number = Decimal(str(text)) if not isinstance(text, bool) else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise TimestampError(f"{value!r} is not an epoch number ({fmt})")
        return int(number * _EPOCH_SCALE[fmt])
    if not isinstance(text, str):
        raise TimestampError(f"{value!r} is not text in the format {fmt!r}")
    try:
        dt = strptime(text, fmt)
    except ValueError as exc:
        raise TimestampError(f"{value!r} does not match the format {fmt!r}") from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return to_epoch_us(dt)


# --- strptime, faster for the usual formats --------------------------------------------------
#
# datetime.strptime builds its answer in Python (``_strptime``), a fair part of reading a CSV
# export through a profile. The usual formats are made of numeric fields and separators
# (``%Y-%m-%d %H:%M:%S``, ``%Y/%m/%d %H:%M:%S.%f``); for those, a text that writes every field
# with all its ASCII digits, within the field's range, is matched by a stricter pattern than
# strptime's and read here with the very same result. Any other text (one-digit fields,
# several spaces, a lower-case ``t``, other digits, out-of-range values) and any other format
# go to strptime itself, so what it accepts and refuses stays exactly what it was.

#: each directive read here: the datetime argument and the text it matches here. strptime tries
#: the two-digit reading of a field first, so where these match, so does its reading, the same
#: way; 60 and 61 seconds (which strptime matches, then refuses) are left to it
_FAST_FIELDS = {
    "Y": ("year", "[0-9]{4}"),
    "m": ("month", "0[1-9]|1[0-2]"),
    "d": ("day", "0[1-9]|[12][0-9]|3[01]"),
    "H": ("hour", "[01][0-9]|2[0-3]"),
    "M": ("minute", "[0-5][0-9]"),
    "S": ("second", "[0-5][0-9]"),
    "f": ("microsecond", "[0-9]{1,6}"),
}
#: separators read here, each as itself (strptime reads a space as any run of white space, and
#: letters in either case: the exact character is a stricter match)
_FAST_LITERALS = frozenset("-/:.T ")


@lru_cache(maxsize=256)
def fast_pattern(fmt: str) -> re.Pattern[str] | None:
    """The strict pattern of ``fmt`` (:func:`strptime`), or None when it is not read here: a
    format must give the year, month and day (strptime's defaults for missing ones have their
    own rules), each directive once, only the directives of :data:`_FAST_FIELDS` and the
    separators of :data:`_FAST_LITERALS`, and ``%f`` (one to six digits) must not run into
    another field."""
    parts: list[str] = []
    seen: list[str] = []
    last = ""  # the directive just read, "" after a separator
    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char == "%":
            directive = fmt[i + 1 : i + 2]
            if directive not in _FAST_FIELDS or directive in seen:
                return None
            if last == "f":
                return None  # %f straight before another field: strptime splits the digits its way
            seen.append(directive)
            last = directive
            name, digits = _FAST_FIELDS[directive]
            parts.append(f"(?P<{name}>{digits})")
            i += 2
        elif char in _FAST_LITERALS:
            parts.append(re.escape(char))
            last = ""
            i += 1
        else:
            return None
    if not {"Y", "m", "d"} <= set(seen):
        return None
    return re.compile("".join(parts))


def strptime(text: str, fmt: str) -> datetime:
    """``datetime.strptime(text, fmt)``: the same datetime, or a ``ValueError`` where it
    raises one; usual texts in usual formats are read without it (:func:`fast_pattern`)."""
    fields = _fast_fields(text, fmt)
    if fields is None:
        return datetime.strptime(text, fmt)
    return datetime(  # a ValueError for a day the month does not have, as strptime's
        int(fields["year"]),
        int(fields["month"]),
        int(fields["day"]),
        int(fields.get("hour", 0)),
        int(fields.get("minute", 0)),
        int(fields.get("second", 0)),
        int(fields.get("microsecond", "0").ljust(6, "0")),  # strptime: ".5" is 500000 microseconds
    )


# --- a local time written again, without the instant -----------------------------------------
#
# A naive time in an export (``2024-03-21 17:28:06``) becomes RFC 3339 text in the profile's zone
# (``2024-03-21T17:28:06+08:00``) through its instant: datetime arithmetic, a zone lookup and
# isoformat, a sixth of reading a row. On a day when the zone keeps one offset, the round trip
# gives back the same wall time, so the text is the fields written again with the day's offset.


def wall_text(value: str, fmt: str, tz: ZoneInfo) -> str | None:
    """What ``format_timestamp(epoch_of(value, fmt, tz), tz)`` returns, written from the fields
    of ``value`` and the offset ``tz`` keeps all that day (:func:`day_offset`); None when
    ``fmt`` or ``value`` is not read by :func:`strptime`'s fast pattern, or on a day the zone
    changes its offset, or near the ends of the datetime range (then the caller goes through the
    instant, and raises what it raises)."""
    fields = _fast_fields(value.strip(), fmt)
    if fields is None:
        return None
    offset = day_offset(tz, fields["year"], fields["month"], fields["day"])
    if offset is None:
        return None
    micro = (fields.get("microsecond") or "").ljust(6, "0")
    return "".join(
        (
            fields["year"],
            "-",
            fields["month"],
            "-",
            fields["day"],
            "T",
            fields.get("hour") or "00",
            ":",
            fields.get("minute") or "00",
            ":",
            fields.get("second") or "00",
            "" if micro == "000000" else "." + micro,  # isoformat: micros only when present
            offset,
        )
    )


@lru_cache(maxsize=1 << 14)
def day_offset(tz: ZoneInfo, year: str, month: str, day: str) -> str | None:
    """The offset text (``+08:00``) of every time of that day in ``tz``, when the zone keeps one
    offset all day and the round trip through the instant gives back each wall time; else None.

    The offset is looked up at every hour and at the day's last microsecond, each with both
    ``fold`` values: a change of offset during the day, a gap or a repeated hour shows as two
    offsets. (A zone that would change its offset and change it back within one hour would not
    show; no zone in the tz database does.)"""
    try:
        start = datetime(int(year), int(month), int(day), tzinfo=tz)
    except ValueError:  # no such day: strptime says so
        return None
    end = start.replace(hour=23, minute=59, second=59, microsecond=999_999)
    probes = [start.replace(hour=h) for h in range(24)] + [end]
    if len({p.replace(fold=f).utcoffset() for p in probes for f in (0, 1)}) != 1:
        return None
    offsets = set()
    for probe in (start, end):
        try:
            back = format_timestamp(to_epoch_us(probe), tz)
        except (OverflowError, ValueError):  # the instant is outside datetime's range
            return None
        spec = "microseconds" if probe.microsecond else "seconds"
        wall = probe.replace(tzinfo=None).isoformat(timespec=spec)
        if not back.startswith(wall):
            return None
        offsets.add(back[len(wall) :])
    return offsets.pop() if len(offsets) == 1 else None


def _fast_fields(text: str, fmt: str) -> dict[str, str] | None:
    """The fields of ``text`` by name as :func:`fast_pattern` reads them (the year, month and day
    always; the time's fields when ``fmt`` has them), or None when it does not read ``text``."""
    pattern = fast_pattern(fmt)
    match = pattern.fullmatch(text) if pattern is not None else None
    return match.groupdict() if match is not None else None


def format_problem(fmt: str) -> str | None:
    """Why ``fmt`` is not a usable timestamp format, or None."""
    if fmt in NAMED_FORMATS:
        return None
    if "%" not in fmt:
        return (
            f"{fmt!r} is neither a strptime pattern (like '%Y/%m/%d %H:%M:%S') nor one of "
            f"{', '.join(NAMED_FORMATS)}"
        )
    sample = datetime(2024, 3, 1, 10, 20, 30)
    try:
        datetime.strptime(sample.strftime(fmt), fmt)
    except ValueError as exc:
        return f"{fmt!r} is not a usable strptime pattern: {exc}"
    return None
