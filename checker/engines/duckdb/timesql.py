"""Exact time arithmetic in SQL, provably the same as :mod:`checker.language.times` and
:mod:`checker.language.durations`.

Instants are BIGINT epoch microseconds, as in Python. Timezone conversions
do not use the database's own timezone library: the UTC offsets of a zone and
the instants where they change are read from Python's ``zoneinfo`` (the
reference engine's source of truth) and written into the SQL as list constants
read by bucket (:func:`steps`), inside a supported range (1970 to 2100). Outside it
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

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from itertools import pairwise

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


#: how many copies of its argument each zone macro's body holds, by name: DuckDB expands a macro by
#: writing its argument into the body, so macros nested in each other's arguments multiply (see
#: :func:`expansion`)
_COPIES: dict[str, int] = {}


def _zone_macro(kind: str, z: Zone, copies: int) -> str:
    name = f"ck_{kind}_{zone_ident(z)}"
    _COPIES[name] = copies
    return name


def expansion(tree: exp.Expression) -> int:
    """How many column reads DuckDB binds for the zone macros' arguments in ``tree`` once the macros
    are expanded: each column inside a zone macro's argument, weighed by the copies of the zone
    macros around it (a column outside every zone macro counts nothing: no macro copies it).
    Nested calendar arithmetic grows fast: each shift writes its argument 4 times into the SQL
    itself (the offset of a wall clock of an instant's offset), and a zone macro reading its
    argument several times multiplies that (with one CASE branch per change of offset, some 250
    in a zone with daylight saving time, one shift had written 60,000)."""
    return _column_reads(tree)


def _column_reads(tree: exp.Expression, param: str | None = None) -> int:
    """:func:`expansion`, or with ``param`` the copies of a macro's argument its body ``tree``
    writes: each use of the parameter ``param``, weighed by the zone macros around it."""

    def walk(node: exp.Expression, weight: int) -> int:
        if isinstance(node, exp.Column):
            return weight if param is None or node.name == param else 0
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in _COPIES:
            weight = max(weight, 1) * _COPIES[str(node.this).lower()]
        return sum(walk(child, weight) for child in node.iter_expressions())

    return walk(tree, 0 if param is None else 1)


def binding_cost(text: str) -> int:
    """How many copies of macro arguments DuckDB writes binding the SQL ``text``: the zone macros'
    calls, each weighed by its copies (:func:`expansion` weighs one nested call). With one CASE
    branch per change of offset a timestamp parse in a zone with daylight saving time held 783
    copies, and DuckDB took seconds to bind a statement with a few of them."""
    lowered = text.lower()
    return sum(lowered.count(name + "(") * copies for name, copies in _COPIES.items())


def utc_offset(ts: exp.Expression, z: Zone) -> exp.Expression:
    """The UTC offset (us) in force at instant ``ts`` (a macro call when installed)."""
    return _offset_call("uoff", ts, z)


def wall_offset(wall: exp.Expression, z: Zone) -> exp.Expression:
    """The UTC offset (us) of a wall-clock time read with ``fold=0`` (a macro call)."""
    return _offset_call("woff", wall, z)


def _offset_call(kind: str, arg: exp.Expression, z: Zone) -> exp.Expression:
    # DuckDB expands a macro by writing its argument into the body, :data:`_LOOKUP_COPIES` times
    # here, so offsets of offsets (calendar shifts of shifts) multiply: three nested shifts took
    # 15 s to bind in Asia/Shanghai, 44 s in America/St_Johns. A column or a constant is cheap to
    # copy; any other argument goes to the macro's one-copy form, bound once as a lambda's
    # argument (then three shifts bind in 0.1 to 0.6 s)
    if not z.transitions:
        return fn(_zone_macro(kind, z, 1), arg)
    if _cheap(arg):
        return fn(_zone_macro(kind, z, _LOOKUP_COPIES), arg)
    return fn(_zone_macro(kind + "1", z, 1), arg)


def _cheap(arg: exp.Expression) -> bool:
    """Whether a macro's argument costs nothing to copy into its body (else: its once-form)."""
    return isinstance(arg, (exp.Column, exp.Literal))


@dataclass(frozen=True)
class Steps:
    """A step function of time (offsets by instant or by wall clock) as equal buckets, each holding
    at most one change: in bucket ``k`` (from 1) the value is ``before[k]`` below ``at[k]`` and
    ``after[k]`` from it (``at[k]`` is :data:`_NO_CHANGE` where nothing changes). An instant below
    the first bucket reads the first, one above the last the last."""

    base: int
    step: int
    at: tuple[int, ...]
    before: tuple[int, ...]
    after: tuple[int, ...]


_NO_CHANGE = -(2**62)  # below every instant: the bucket's ``after`` holds throughout
#: copies of its argument a lookup body holds: the comparison and three bucket numbers
_LOOKUP_COPIES = 4
_MIN_STEP = 3_600 * US_PER_SECOND


def steps(initial: int, changes: tuple[tuple[int, int], ...]) -> Steps:
    """Buckets for the value that, at ``x``, is the ``value`` of the last of ``changes`` (``(at,
    value)`` pairs, in order) whose ``at`` is at or before ``x``, else ``initial`` -- the meaning of
    the ``CASE`` over every change this replaces (which DuckDB binds once per branch and per copy of
    its argument: seconds a statement in a zone with daylight saving time)."""
    places = sorted(at for at, _ in changes)
    # no two changes are closer than a bucket's width, so none holds two: as wide as the closest
    # pair allows (New York: 70 days, 677 buckets from 1970 to 2100)
    # (Asia/Gaza's closest are 6.96 days apart: 6,579 buckets, 1.2 MB of SQL, 1.8 s to install
    # its macros; no zone has changes closer than an hour, which the weekly probe could miss)
    step = min((b - a for a, b in pairwise(places)), default=_STEP * US_PER_SECOND)
    if step < _MIN_STEP:
        raise ValueError(f"offset changes closer than {_MIN_STEP} us")
    base = places[0] - step  # bucket 1 holds no change: everything below it reads ``initial``
    n = (places[-1] - base) // step + 1
    # the value at x: the change with the highest index placed at or before x (a sweep in x)
    order = sorted(range(len(changes)), key=lambda i: changes[i][0])
    at, before, after = [], [], []
    done, best = 0, -1

    def value_at(x: int) -> int:
        nonlocal done, best
        while done < len(order) and changes[order[done]][0] <= x:
            best = max(best, order[done])
            done += 1
        return changes[best][1] if best >= 0 else initial

    for k in range(n):
        start = base + k * step
        inside = places[bisect_left(places, start) : bisect_left(places, start + step)]
        before.append(value_at(start))
        if inside:
            at.append(inside[0])
            after.append(value_at(inside[0]))
        else:
            at.append(_NO_CHANGE)
            after.append(before[-1])
    return Steps(base, step, tuple(at), tuple(before), tuple(after))


def _lookup(x: exp.Expression, s: Steps) -> exp.Expression:
    """The value of ``s`` at ``x``: one bucket read from three list constants, so the body holds
    :data:`_LOOKUP_COPIES` copies of ``x`` whatever the number of changes. ``x`` is computed in
    HUGEINT (an instant of any integer type binds, and no BIGINT overflows); a NULL ``x`` reads the
    last bucket (``least`` and ``greatest`` skip NULL), which only ever meets ``x`` itself in ``x +
    offset`` or ``x - offset`` (:func:`to_local`, :func:`from_wall`): NULL either way."""

    def bucket() -> exp.Expression:
        return tmpl(
            "CAST(greatest(1, least({n}, (CAST({x} AS HUGEINT) - {base}) // {step} + 1)) AS BIGINT)",
            x=x,
            base=lit(s.base),
            step=lit(s.step),
            n=lit(len(s.at)),
        )

    def read(values: tuple[int, ...]) -> exp.Expression:
        return fn("list_extract", exp.Array(expressions=[lit(v) for v in values]), bucket())

    return case((tmpl("{x} >= {at}", x=x, at=read(s.at)), read(s.after)), default=read(s.before))


def _utc_offset_body(ts: exp.Expression, z: Zone) -> exp.Expression:
    if not z.transitions:
        return lit(z.initial)
    return _lookup(ts, steps(z.initial, tuple((u, after) for u, _, after in z.transitions)))


def _wall_offset_body(wall: exp.Expression, z: Zone) -> exp.Expression:
    if not z.transitions:
        return lit(z.initial)
    placed = tuple((u + max(before, after), after) for u, before, after in z.transitions)
    return _lookup(wall, steps(z.initial, placed))


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
    if _cheap(s):
        epoch_copies, valid_copies = _parse_copies(z)
        return Parsed(
            epoch=fn(_zone_macro("tse", z, epoch_copies), s),
            fast=fn(_zone_macro("tsf", z, valid_copies), s),
        )
    # any other text (a field read from event data: its JSON parsed again at each copy) is bound once
    return Parsed(epoch=fn(_zone_macro("tse1", z, 1), s), fast=fn(_zone_macro("tsf1", z, 1), s))


def _parse_bodies(z: Zone) -> tuple[exp.Expression, exp.Expression]:
    """The bodies of the timestamp macros (parameter ``s``): whether SQL reads the text, its instant."""
    r = _read(exp.column("s"))
    epoch = _instant(r, z)
    valid = _valid(r, epoch)
    return valid, case((valid, epoch))


def _parse_once_bodies(z: Zone) -> tuple[exp.Expression, exp.Expression]:
    """:func:`_parse_bodies` reading the parameter ``s`` once, and each part of the text's reading
    once (``rx``, ``x``, ``naive``, then the instant), as arguments of nested lambdas: the bodies of
    :func:`_parse_bodies` write ``s`` some 60 times, and DuckDB computes each copy."""
    parts = _read(exp.column("ck_p"))
    # struct_extract, not ck_r.x: a table of the query named ck_r with a column x would win over
    # the lambda's field (as a table r did, in review)
    r = {k: fn("struct_extract", exp.column("ck_r"), lit(k)) for k in parts}
    e = exp.column("ck_e")
    struct = exp.Struct(
        expressions=[exp.PropertyEQ(this=exp.to_identifier(k), expression=v) for k, v in parts.items()]
    )

    def nest(body: exp.Expression) -> exp.Expression:
        return tmpl(
            "list_transform([s], lambda ck_p: list_transform([{r}], lambda ck_r: "
            "list_transform([{i}], lambda ck_e: {b})[1])[1])[1]",
            r=struct,
            i=_instant(r, z),
            b=body,
        )

    return nest(_valid(r, e)), nest(case((_valid(r, e), e)))


@lru_cache(maxsize=32)
def _parse_copies(z: Zone) -> tuple[int, int]:
    """How many copies of their argument the timestamp macros of ``z`` (instant, then whether SQL
    reads the text) write: worked out once a zone, not at each parse compiled."""
    valid, epoch = _parse_bodies(z)
    return _column_reads(epoch, "s"), _column_reads(valid, "s")


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


def _once(body: exp.Expression) -> exp.Expression:
    """``body`` (of ``ck_x``) as a lambda applied to a one-item list holding the macro's parameter
    ``v``: DuckDB writes the macro's argument once, not once per use of ``ck_x``. (A lambda's
    parameter is never taken for a column of the query, but a qualified name ``t.f`` may be:
    the once-forms read no field of a parameter by a dot.)"""
    return tmpl("list_transform([v], lambda ck_x: {b})[1]", b=body)


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
        for kind, body in (("uoff", _utc_offset_body), ("woff", _wall_offset_body)):
            out.append(_macro(f"ck_{kind}_{ident}", "v", body(exp.column("v"), z)))
            out.append(_macro(f"ck_{kind}1_{ident}", "v", _once(body(exp.column("ck_x"), z))))
        valid, epoch = _parse_bodies(z)
        out.append(_macro(f"ck_tsf_{ident}", "s", valid))
        out.append(_macro(f"ck_tse_{ident}", "s", epoch))
        valid, epoch = _parse_once_bodies(z)
        out.append(_macro(f"ck_tsf1_{ident}", "s", valid))
        out.append(_macro(f"ck_tse1_{ident}", "s", epoch))
    return out
