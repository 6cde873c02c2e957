"""Time arithmetic in SQL against Python's, at boundaries and over many random instants."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from sqlglot import exp

from checker.engines.duckdb.engine import macro_texts
from checker.engines.duckdb.sqlbuild import col, sql, tmpl
from checker.engines.duckdb.timesql import (
    RANGE_HI,
    RANGE_LO,
    local_day_number,
    parse_text,
    utc_offset,
    wall_offset,
    zone_table,
)
from checker.engines.duckdb.timesql import add_calendar as sql_add_calendar
from checker.language.durations import add_calendar, parse_duration
from checker.language.times import local_date, parse_timestamp, zone

ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe", "UTC"]


def _con(name: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for text in macro_texts((zone_table(name),)):
        con.execute(text)
    return con


def _texts(seed: int) -> list[str]:
    rnd = random.Random(seed)
    out = [
        "2024-03-10T02:30:00",
        "2024-11-03T01:30:00",
        "2024-02-29T23:59:59.999999+08:00",
        "2024-02-30T10:00:00Z",
        "2024-03-01T24:00:00",
        "2024-03-01T10:00:00+24:00",
        "1988-04-17T02:30:00",
        "2024-10-06T02:15:00",
        "2024-04-07T01:45:00",
    ]
    for _ in range(2000):
        y, mo, d = rnd.randrange(1971, 2099), rnd.randrange(1, 13), rnd.randrange(1, 32)
        h, mi, s = rnd.randrange(0, 25), rnd.randrange(0, 60), rnd.randrange(0, 61)
        frac = rnd.choice(["", ".5", ".123", ".123456", ".1234567"])
        tail = rnd.choice(["", "", "Z", "+08:00", "-05:30", "+23:59", "+24:00"])
        out.append(f"{y:04d}-{mo:02d}-{d:02d}{rnd.choice('T ')}{h:02d}:{mi:02d}:{s:02d}{frac}{tail}")
    return out


def _python(text: str, name: str) -> int | None:
    try:
        return parse_timestamp(text, zone(name))
    except ValueError:
        return None


#: the strict form SQL reads itself: every such text Python reads (years inside the zone tables)
STRICT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})?"
)


@pytest.mark.parametrize("name", ZONES)
# the session's own zone plays no part: DuckDB's casts read the text, the zone tables the offsets
@pytest.mark.parametrize("session", ["UTC", "Asia/Kolkata"])
# a column is written into the macros' bodies, any other text bound once (the lambda forms)
@pytest.mark.parametrize("once", [False, True])
def test_parse_text_is_python_or_says_it_cannot(name: str, session: str, once: bool) -> None:
    z = zone_table(name)
    p = parse_text(tmpl("{s} || ''", s=col("s")) if once else col("s"), z)
    assert ("1_" in sql(p.epoch)) == once
    query = sql(tmpl("SELECT s, {e}, {f} FROM (SELECT unnest(?) AS s)", e=p.epoch, f=p.fast))
    con = _con(name)
    con.execute("SET TimeZone = ?", [session])
    rows = con.execute(query, [_texts(len(name))]).fetchall()
    fast = 0
    for text, epoch, ok in rows:
        expected = _python(text, name)
        if STRICT.fullmatch(text) and expected is not None and text[:4] != "2099":
            assert ok, text  # SQL leaves to Python only what it cannot read
        if not ok:
            continue  # left to Python
        fast += 1
        assert epoch == expected, text
    assert fast > 1000


# zones with daylight saving time took 5 to 8 s each while the zone macros held a CASE branch per
# change of offset (and ran in the full tier only); with bucketed lists all take under a second
@pytest.mark.parametrize(
    ("duration", "name"),
    [
        (duration, name)
        for name in ["Asia/Shanghai", "America/New_York", "Australia/Lord_Howe"]
        for duration in ["P3M", "P1Y", "P1M1DT2H"]
    ],
)
def test_add_calendar_and_local_days(name: str, duration: str) -> None:
    d = parse_duration(duration)
    rnd = random.Random(duration + name)
    base = [
        int(datetime(2024, m, day, h, tzinfo=UTC).timestamp() * 1_000_000)
        for m, day, h in [(1, 31, 2), (1, 30, 16), (2, 29, 15), (3, 10, 7), (11, 3, 5), (12, 31, 23)]
    ]
    # the zone tables cover 1970-2100; outside, the compiler marks rows for Python (see jmes._shift)
    instants = base + [
        rnd.randrange(70_000_000, 4_000_000_000) * 1_000_000 + rnd.randrange(1_000_000) for _ in range(300)
    ]
    z = zone_table(name)
    forward = sql_add_calendar(
        col("t"),
        d.years * 12 + d.months,
        d.weeks * 7 + d.days,
        ((d.hours * 60 + d.minutes) * 60) * 1_000_000 + d.microseconds,
        z,
    )
    back = sql_add_calendar(
        col("t"),
        -(d.years * 12 + d.months),
        -(d.weeks * 7 + d.days),
        -(((d.hours * 60 + d.minutes) * 60) * 1_000_000 + d.microseconds),
        z,
    )
    query = sql(
        tmpl(
            "SELECT t, {f}, {b}, {day} FROM (SELECT unnest(?) AS t)",
            f=forward,
            b=back,
            day=local_day_number(col("t"), z),
        )
    )
    tz = zone(name)
    for t, f, b, day in _con(name).execute(query, [instants]).fetchall():
        assert f == add_calendar(t, d, tz), (t, duration)
        assert b == add_calendar(t, d, tz, sign=-1), (t, duration)
        assert day == (local_date(t, tz) - datetime(1970, 1, 1).date()).days


def test_month_end_clamping_example() -> None:
    """2024-01-31 10:00 Beijing + 3 calendar months ends 2024-04-30 10:00 (the catalogue's example)."""
    paid = parse_timestamp("2024-01-31T10:00:00+08:00", zone("Asia/Shanghai"))
    z = zone_table("Asia/Shanghai")
    end = (
        _con("Asia/Shanghai")
        .execute(
            sql(tmpl("SELECT {e}", e=sql_add_calendar(col("t"), 3, 0, 0, z)).from_("(SELECT ? AS t)")), [paid]
        )
        .fetchone()
    )
    assert end is not None
    assert end[0] == parse_timestamp("2024-04-30T10:00:00+08:00", zone("Asia/Shanghai"))


def test_unparseable_text_is_never_fast() -> None:
    z = zone_table("Asia/Shanghai")
    p = parse_text(col("s"), z)
    texts = ["soon", "2024-03-01", "2024-03-01T10:00", "2024-3-1T10:00:00", " 2024-03-01T10:00:00Z"]
    rows = (
        _con("Asia/Shanghai")
        .execute(sql(tmpl("SELECT s, {f} FROM (SELECT unnest(?) AS s)", f=p.fast)), [texts])
        .fetchall()
    )
    for text, ok in rows:
        assert not ok, text


_EPOCH = datetime(1970, 1, 1)
# inside the zone tables' range, a day from either end (wall clocks reach a day beyond instants)
_EPOCH_LO, _EPOCH_HI = RANGE_LO + 86_400_000_000, RANGE_HI - 86_400_000_000


def _python_offsets(name: str, t: int) -> tuple[int, int]:
    """Python's UTC offset (us) at instant ``t``, and of ``t`` read as a wall clock with fold=0."""
    tz = zone(name)
    moment = _EPOCH + timedelta(microseconds=t)
    by_instant = moment.replace(tzinfo=UTC).astimezone(tz).utcoffset()
    by_wall = moment.replace(tzinfo=tz).utcoffset()
    assert by_instant is not None and by_wall is not None
    return by_instant // timedelta(microseconds=1), by_wall // timedelta(microseconds=1)


# zones whose offsets change twice a year, by half an hour, around a Ramadan, across the date line
@pytest.mark.parametrize(
    "name", [*ZONES, "Africa/Casablanca", "Pacific/Apia", "America/Sao_Paulo", "Europe/Dublin"]
)
def test_offsets_at_every_change_are_pythons(name: str) -> None:
    """The zone macros' bucketed lists give Python's offsets on either side of every change, by
    instant and by wall clock (where a bucket starts, a change falls, and one microsecond off)."""
    z = zone_table(name)
    points = {_EPOCH_LO + 1, _EPOCH_HI - 1}
    for u, before, after in z.transitions:
        for at in (u, u + max(before, after), u + min(before, after)):
            points.update((at - 1, at, at + 1))
    rnd = random.Random(name)
    points.update(rnd.randrange(_EPOCH_LO, _EPOCH_HI) for _ in range(500))
    instants = sorted(p for p in points if _EPOCH_LO < p < _EPOCH_HI)
    query = sql(
        tmpl(
            "SELECT t, {u}, {w} FROM (SELECT unnest(?) AS t)",
            u=utc_offset(col("t"), z),
            w=wall_offset(col("t"), z),
        )
    )
    rows = _con(name).execute(query, [instants]).fetchall()
    assert len(rows) == len(instants)
    for t, by_instant, by_wall in rows:
        assert (by_instant, by_wall) == _python_offsets(name, t), t


@pytest.mark.parametrize("table", ["r", "ck_r", "p", "x"])
def test_once_forms_read_their_own_parts_whatever_the_query_names(table: str) -> None:
    """A table of the query named like a lambda's parameter, with columns named like the parts the
    once-forms read, changes nothing (a qualified ``r.x`` in the body had read the table's column)."""
    name = "America/New_York"
    z = zone_table(name)
    once, direct = parse_text(tmpl("{s} || ''", s=col("s")), z), parse_text(col("s"), z)
    offsets = (wall_offset(tmpl("{t} + 0", t=col("t")), z), wall_offset(col("t"), z))
    query = sql(
        tmpl(
            "SELECT {a}, {b}, {c}, {d}, {u}, {w} FROM (SELECT unnest(?) AS s, 1719849600000000 AS t, "
            "5::BIGINT AS x, false AS naive, false AS rx, 7::BIGINT AS ck_x, 9::BIGINT AS e) AS {tb}",
            a=once.epoch,
            b=direct.epoch,
            c=once.fast,
            d=direct.fast,
            u=offsets[0],
            w=offsets[1],
            tb=exp.to_identifier(table),
        )
    )
    rows = _con(name).execute(query, [["2024-07-01T12:00:00", "2024-03-10T02:30:00", "2024-07-01T12:00:00Z"]])
    for a, b, c, d, u, w in rows.fetchall():
        assert (a, c, u) == (b, d, w)
        assert c is True and a is not None


def test_offsets_of_an_instant_of_any_integer_type() -> None:
    """The bucket of a HUGEINT instant binds (a list index must be a BIGINT) and reads the right offset."""
    z = zone_table("America/New_York")
    query = sql(
        tmpl(
            "SELECT {u}, {v} FROM (SELECT CAST(1719849600000000 AS HUGEINT) AS t)",
            u=utc_offset(col("t"), z),
            v=utc_offset(tmpl("{t} + 0", t=col("t")), z),
        )
    )
    assert _con("America/New_York").execute(query).fetchall() == [(-4 * 3_600_000_000, -4 * 3_600_000_000)]
