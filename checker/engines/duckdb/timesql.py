"""Exact time arithmetic in SQL, provably the same as :mod:`checker.language.times` and
:mod:`checker.language.durations`.

Instants are BIGINT epoch microseconds, as in Python. Timezone conversions
do not use the database's own timezone library: the UTC offsets of a zone and
the instants where they change are read from Python's ``zoneinfo`` (the
reference engine's source of truth) and written into the SQL as a ``CASE``
over those transitions, inside a supported range (1970 to 2100). Outside it
an expression is flagged *hard* and the trigger is decided by the reference
engine instead (see :mod:`checker.engines.duckdb.engine`).

* UTC -> local: the offset after the last transition at or before the instant.
* local -> UTC with ``fold=0`` (what ``datetime.replace(tzinfo=tz)`` gives):
  zoneinfo places transition *i* on the wall clock at ``utc_i +
  max(offset_before, offset_after)``; the offset of a wall time is the one
  after the last transition placed at or before it. Wall times in a gap take
  the offset before the gap, ambiguous ones the earlier instant, as in Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from sqlglot import exp

from ...language.durations import US_PER_SECOND
from ...language.times import EARLIEST, LATEST, zone
from .sqlbuild import and_, case, col, fn, lit, tmpl

RANGE_LO = 0  # 1970-01-01
RANGE_HI = 4_102_444_800 * US_PER_SECOND  # 2100-01-01
_STEP = 7 * 86_400  # probe weekly: no zone has changed its offset twice within a week


@dataclass(frozen=True)
class Zone:
    """A timezone's offsets over the supported range."""

    name: str
    initial: int  # offset (us) before the first transition in range
    transitions: tuple[tuple[int, int, int], ...]  # (utc_us, offset_before_us, offset_after_us)


def zone_ident(z: Zone) -> str:
    """A SQL-safe name for a zone's macros."""
    import hashlib

    return "z" + hashlib.sha1(z.name.encode("utf-8")).hexdigest()[:10]


def _offset(tz_name: str, seconds: int) -> int:
    off = datetime.fromtimestamp(seconds, UTC).astimezone(zone(tz_name)).utcoffset()
    assert off is not None
    return (off.days * 86_400 + off.seconds) * US_PER_SECOND + off.microseconds


@lru_cache(maxsize=32)
def zone_table(tz_name: str) -> Zone:
    """Every offset change of ``tz_name`` between 1970 and 2100, found by probing zoneinfo."""
    lo, hi = RANGE_LO // US_PER_SECOND, RANGE_HI // US_PER_SECOND
    initial = _offset(tz_name, lo)
    found: list[tuple[int, int, int]] = []
    prev, prev_off = lo, initial
    t = lo + _STEP
    while t <= hi:
        off = _offset(tz_name, t)
        if off != prev_off:
            a, b = prev, t  # offset(a) == prev_off, offset(b) == off: find the first second of off
            while b - a > 1:
                mid = (a + b) // 2
                if _offset(tz_name, mid) == prev_off:
                    a = mid
                else:
                    b = mid
            found.append((b * US_PER_SECOND, prev_off, off))
            prev_off = off
        prev = t
        t += _STEP
    return Zone(tz_name, initial, tuple(found))


#: how many copies of its argument each zone macro's body holds (its CASE's branches), by name:
#: DuckDB expands a macro by writing its argument into the body, so macros nested in each other's
#: arguments multiply (see :func:`expansion`)
_COPIES: dict[str, int] = {}


def _zone_macro(kind: str, z: Zone, copies: int) -> str:
    name = f"ck_{kind}_{zone_ident(z)}"
    _COPIES[name] = copies
    return name


def expansion(tree: exp.Expression) -> int:
    """How many times DuckDB's macro expansion writes the innermost argument of ``tree``: the
    product of the copies of the zone macros nested in it. In a zone with daylight saving time a
    macro holds some 250 copies (one CASE branch per change of offset from 1970 to 2100), so one
    calendar shift (an offset of an offset) already writes 60,000 and nesting it exhausts memory."""

    def walk(node: exp.Expression) -> int:
        inner = max((walk(child) for child in node.iter_expressions()), default=1)
        if isinstance(node, exp.Anonymous):
            return inner * _COPIES.get(str(node.this).lower(), 1)
        return inner

    return walk(tree)


def binding_cost(text: str) -> int:
    """How many copies of macro arguments DuckDB writes binding the SQL ``text``: the zone macros'
    calls, each weighed by its copies (:func:`expansion` weighs one nested call). In a zone with
    daylight saving time a timestamp parse holds 783 copies, and DuckDB takes seconds to bind a
    statement with a few of them."""
    lowered = text.lower()
    return sum(lowered.count(name + "(") * copies for name, copies in _COPIES.items())


def utc_offset(ts: exp.Expression, z: Zone) -> exp.Expression:
    """The UTC offset (us) in force at instant ``ts`` (a macro call when installed)."""
    return fn(_zone_macro("uoff", z, len(z.transitions) + 1), ts)


def wall_offset(wall: exp.Expression, z: Zone) -> exp.Expression:
    """The UTC offset (us) of a wall-clock time read with ``fold=0`` (a macro call)."""
    return fn(_zone_macro("woff", z, len(z.transitions) + 1), wall)


def _utc_offset_body(ts: exp.Expression, z: Zone) -> exp.Expression:
    if not z.transitions:
        return lit(z.initial)
    whens = [(tmpl("{t} >= {u}", t=ts, u=lit(u)), lit(after)) for u, _, after in reversed(z.transitions)]
    return case(*whens, default=lit(z.initial))


def _wall_offset_body(wall: exp.Expression, z: Zone) -> exp.Expression:
    if not z.transitions:
        return lit(z.initial)
    whens = [
        (tmpl("{w} >= {u}", w=wall, u=lit(u + max(before, after))), lit(after))
        for u, before, after in reversed(z.transitions)
    ]
    return case(*whens, default=lit(z.initial))


def in_range(ts: exp.Expression) -> exp.Expression:
    """Whether an instant (or wall time) lies in the range the zone tables cover."""
    return fn("ck_inr", ts)


def _in_range_body(ts: exp.Expression) -> exp.Expression:
    return tmpl(
        "{t} BETWEEN {lo} AND {hi}",
        t=ts,
        lo=lit(RANGE_LO + 2 * 86_400 * US_PER_SECOND),
        hi=lit(RANGE_HI - 2 * 86_400 * US_PER_SECOND),
    )


def to_local(ts: exp.Expression, z: Zone) -> exp.Expression:
    """Wall-clock microseconds (local time read as if UTC) of instant ``ts`` in zone ``z``."""
    return tmpl("{t} + {o}", t=ts, o=utc_offset(ts, z))


def from_wall(wall: exp.Expression, z: Zone) -> exp.Expression:
    """The instant of a wall-clock time in ``z`` (``fold=0``)."""
    return tmpl("{w} - {o}", w=wall, o=wall_offset(wall, z))


def day_number(wall: exp.Expression) -> exp.Expression:
    """Days since the epoch of a wall-clock microsecond count (floor)."""
    return tmpl("CAST(floor({w} / 86400000000.0) AS BIGINT)", w=wall)


def local_day_number(ts: exp.Expression, z: Zone) -> exp.Expression:
    """Days since 1970-01-01 of the local calendar date of instant ``ts``."""
    return day_number(to_local(ts, z))


def local_date_text(ts: exp.Expression, z: Zone) -> exp.Expression:
    """``YYYY-MM-DD`` of the local date of ``ts``."""
    return tmpl("strftime(DATE '1970-01-01' + CAST({d} AS INTEGER), '%Y-%m-%d')", d=local_day_number(ts, z))


def add_calendar(ts: exp.Expression, months: int, days: int, exact_us: int, z: Zone) -> exp.Expression:
    """:func:`checker.language.durations.add_calendar` in SQL: months (clamped), then calendar days on
    the local wall clock, back to an instant with ``fold=0``, then the exact part."""
    wall = tmpl("make_timestamp({w})", w=to_local(ts, z))
    if months:
        wall = tmpl("{w} + to_months(CAST({m} AS INTEGER))", w=wall, m=lit(months))
    if days:
        wall = tmpl("{w} + to_days(CAST({d} AS INTEGER))", w=wall, d=lit(days))
    moved = from_wall(tmpl("epoch_us({w})", w=wall), z)
    return tmpl("{m} + {e}", m=moved, e=lit(exact_us)) if exact_us else moved


# --- timestamp text -> instant ------------------------------------------------------

#: The strict form parsed in SQL; anything else is left to Python (flagged hard). Hours are below
#: 24, minutes and seconds below 60, in the clock and the offset: a text it matches is one DuckDB's
#: own cast reads as Python does, but for the calendar date, which the cast checks itself (NULL for
#: February 30)
STRICT_TIMESTAMP = (
    r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$"
)


@dataclass(frozen=True)
class Parsed:
    """SQL for a parsed timestamp string: the instant, and whether SQL could read it.

    ``fast`` false means the text is outside the strict form (or its wall time
    outside the zone tables' range): Python must decide, never SQL. ``stages``
    are the same computation as successive select lists (name, expression),
    each reading the columns of the one before, for large scans.
    """

    epoch: exp.Expression
    fast: exp.Expression
    stages: tuple[tuple[tuple[str, exp.Expression], ...], ...] = ()


def _read(s: exp.Expression) -> dict[str, exp.Expression]:
    # one regular expression decides the form, DuckDB's own casts read it: the wall clock of a text
    # without an offset (TIMESTAMP: no session zone involved), the instant of one with an offset (Z
    # or +HH:MM). The string operations this replaced cost 2.8 s a million texts, this 0.7 s
    naive = tmpl("NOT (suffix({s}, 'Z') OR substr({s}, length({s}) - 5, 1) IN ('+', '-'))", s=s)
    return {
        "rx": fn("regexp_full_match", s, lit(STRICT_TIMESTAMP)),
        "x": case(
            (naive, tmpl("epoch_us(try_cast({s} AS TIMESTAMP))", s=s)),
            default=tmpl("epoch_us(try_cast({s} AS TIMESTAMPTZ))", s=s),
        ),
        "naive": naive,
    }


def _instant(r: Mapping[str, exp.Expression], z: Zone) -> exp.Expression:
    """The instant: the text's own, or its wall clock's in ``z``."""
    return case((r["naive"], from_wall(r["x"], z)), default=r["x"])


def _valid(r: Mapping[str, exp.Expression], epoch: exp.Expression) -> exp.Expression:
    # an instant outside the years parse_timestamp accepts (1900 to 8999: "9999-12-31T23:59:59Z"
    # is strict RFC 3339 with an offset, so no zone table stops it) is not SQL's to read; a wall
    # clock outside the zone tables' range neither
    return fn(
        "coalesce",
        and_(
            r["rx"],
            tmpl("{x} IS NOT NULL", x=r["x"]),
            tmpl("NOT {n} OR {r}", n=r["naive"], r=in_range(r["x"])),
            tmpl("{e} >= {lo} AND {e} < {hi}", e=epoch, lo=lit(EARLIEST), hi=lit(LATEST)),
        ),
        exp.false(),
    )


def parse_text(s: exp.Expression, z: Zone) -> Parsed:
    """Parse an RFC 3339 text the way :func:`checker.language.times.parse_timestamp` does, for the
    strict form: ``YYYY-MM-DD[T ]HH:MM:SS[.ffffff][Z|+HH:MM]``, naive = wall time in ``z``.
    Both parts are calls of the zone's macros (see :func:`macros`)."""
    # their bodies read the wall offset three times
    copies = 3 * (len(z.transitions) + 1)
    return Parsed(epoch=fn(_zone_macro("tse", z, copies), s), fast=fn(_zone_macro("tsf", z, copies), s))


def parse_stages(s: exp.Expression, z: Zone, prefix: str) -> Parsed:
    """:func:`parse_text` spelled out as stages (each adds columns named ``prefix + key``
    to those before it), so a scan of millions of lines computes each part once."""
    r = _read(s)
    rc = {k: col(prefix + k) for k in r}
    epoch0 = col(prefix + "epoch0")
    stages = (
        tuple((prefix + k, v) for k, v in r.items()),
        ((prefix + "epoch0", _instant(rc, z)),),
        ((prefix + "fast", _valid(rc, epoch0)),),
        ((prefix + "epoch", case((col(prefix + "fast"), epoch0))),),
    )
    return Parsed(epoch=col(prefix + "epoch"), fast=col(prefix + "fast"), stages=stages)


def epoch_of_int(n: exp.Expression) -> exp.Expression:
    """:func:`checker.language.times._from_number` for an integer: seconds, milliseconds or microseconds
    by magnitude (a macro call)."""
    return fn("ck_eint", n)


def _epoch_of_int_body(n: exp.Expression) -> exp.Expression:
    # null outside the years parse_timestamp accepts (1900 to 8999), where Python's time() is
    # null too: -62135596800000 (year 1 in milliseconds) is no instant on either engine
    us = tmpl(
        "CASE WHEN {n} >= 100000000000000 OR {n} <= -100000000000000 THEN {n} "
        "WHEN {n} >= 100000000000 OR {n} <= -100000000000 THEN {n} * 1000 ELSE {n} * 1000000 END",
        n=n,
    )
    return tmpl("CASE WHEN {u} >= {lo} AND {u} < {hi} THEN {u} END", u=us, lo=lit(EARLIEST), hi=lit(LATEST))


def _macro(name: str, param: str, body: exp.Expression) -> exp.Expression:
    return tmpl(
        "CREATE OR REPLACE TEMP MACRO {name}({p}) AS {body}",
        name=exp.column(name),
        p=exp.column(param),
        body=body,
    )


def macros(zones: list[Zone]) -> list[exp.Expression]:
    """``CREATE MACRO`` statements for the time functions, for each zone in ``zones``."""
    out = [
        _macro("ck_inr", "t", _in_range_body(exp.column("t"))),
        _macro("ck_eint", "n", _epoch_of_int_body(exp.column("n"))),
    ]
    for z in dict.fromkeys(zones):
        ident = zone_ident(z)
        out.append(_macro(f"ck_uoff_{ident}", "t", _utc_offset_body(exp.column("t"), z)))
        out.append(_macro(f"ck_woff_{ident}", "w", _wall_offset_body(exp.column("w"), z)))
        r = _read(exp.column("s"))
        epoch = _instant(r, z)
        valid = _valid(r, epoch)
        out.append(_macro(f"ck_tsf_{ident}", "s", valid))
        out.append(_macro(f"ck_tse_{ident}", "s", case((valid, epoch))))
    return out
