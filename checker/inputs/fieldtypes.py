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
    reasons = []
    for fmt in conv.formats:
        try:
            return format_timestamp(epoch_of(value, fmt, tz), tz)
        except (TimestampError, ValueError, OverflowError) as exc:
            reasons.append(str(exc))
    if len(reasons) == 1:
        raise ConversionError(reasons[0])
    raise ConversionError(f"{value!r} matches none of the formats {', '.join(conv.formats)}")


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
        dt = datetime.strptime(text, fmt)
    except ValueError as exc:
        raise TimestampError(f"{value!r} does not match the format {fmt!r}") from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return to_epoch_us(dt)


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
