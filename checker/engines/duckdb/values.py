"""JMESPath values as SQL, with JMESPath's semantics.

A compiled expression is a :class:`Val`: SQL for its value plus a static
kind that decides how operators are written:

========  =====================================================================
``json``  a JSON value read from an event (SQL NULL when the key is missing);
          its JSON type is only known per row, so operators test it
``str``   VARCHAR (NULL is JMESPath null)
``int``   an exact integer (instants, elapsed times, counts): HUGEINT/BIGINT
``float`` DOUBLE
``sum``   a ``sum`` binding: an exact integer, or a float when a float was added
``bool``  BOOLEAN
``null``  the literal null
``event`` an event (the trigger or a bound event): its columns
========  =====================================================================

Each value also carries ``hard``: SQL that is true on rows where SQL cannot
reproduce Python exactly (a timestamp outside the strict form, an integer
beyond 64 bits read as a float, ...). Such triggers are decided by the
reference engine; SQL never guesses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from .sqlbuild import and_, case, col, fn, lit, or_, tmpl


@dataclass(frozen=True)
class EventCols:
    """Where an event's parts are in the current row (each a SQL expression)."""

    eid: exp.Expression
    ts: exp.Expression
    action: exp.Expression
    platform: exp.Expression
    seller_id: exp.Expression
    fx: exp.Expression  # LIST of JSON: the rule's extracted paths

    def map(self, f: Callable[[exp.Expression], exp.Expression]) -> EventCols:
        """The same columns, each transformed."""
        return EventCols(
            *(f(getattr(self, n)) for n in ("eid", "ts", "action", "platform", "seller_id", "fx"))
        )

    @staticmethod
    def named(prefix: str) -> EventCols:
        """Columns ``prefix__eid`` ... of a bound event."""
        return EventCols(
            *(col(f"{prefix}__{n}") for n in ("eid", "ts", "action", "platform", "seller_id", "fx"))
        )


@dataclass(frozen=True)
class Val:
    """A compiled JMESPath value."""

    kind: str
    sql: exp.Expression = field(default_factory=exp.Null)
    event: EventCols | None = None
    hard: exp.Expression | None = None
    # for ``sum``: exact integer total, float total, and whether a float was added
    fsql: exp.Expression | None = None
    is_float: exp.Expression | None = None
    # for a field read straight from an event's record: the event and the path, so that an
    # instant read from it can use the one parsed when the rule's events were selected
    # (checker.engines.duckdb.jmes.instant) instead of parsing the text again in each statement
    origin: tuple[EventCols, tuple[str, ...]] | None = None

    def with_hard(self, *extra: exp.Expression | None) -> Val:
        """The value with more rows marked hard."""
        parts = [h for h in (self.hard, *extra) if h is not None]
        return Val(
            self.kind,
            self.sql,
            self.event,
            or_(*parts) if parts else None,
            self.fsql,
            self.is_float,
            self.origin,
        )


def hard_of(*vals: Val) -> exp.Expression | None:
    """The union of the hard flags of ``vals``."""
    parts = [v.hard for v in vals if v.hard is not None]
    return or_(*parts) if parts else None


def json_type(v: Val) -> exp.Expression:
    """JSON type name of a ``json`` value (NULL when missing)."""
    return fn("json_type", v.sql)


def is_null(v: Val) -> exp.Expression:
    """JMESPath null (missing keys included)."""
    if v.kind == "null":
        return exp.true()
    if v.kind == "event":
        assert v.event is not None
        return v.event.eid.is_(exp.null())
    if v.kind == "json":
        return tmpl("coalesce({t} = 'NULL', true)", t=json_type(v))
    return v.sql.is_(exp.null())


def truthy(v: Val) -> exp.Expression:
    """JMESPath truthiness (false, null, empty string/list/object are false; 0 is true);
    never SQL NULL."""
    if v.kind == "null":
        return exp.false()
    if v.kind == "truth":
        return v.sql
    if v.kind == "bool":
        return fn("coalesce", v.sql, exp.false())
    if v.kind == "str":
        return tmpl("coalesce(length({s}) > 0, false)", s=v.sql)
    if v.kind in ("int", "float", "sum"):
        return v.sql.is_(exp.null()).not_()
    if v.kind == "event":
        assert v.event is not None
        return v.event.eid.is_(exp.null()).not_()
    return tmpl(
        "coalesce(CASE WHEN {j} IS NULL THEN false ELSE CASE json_type({j}) WHEN 'NULL' THEN false "
        "WHEN 'BOOLEAN' THEN CAST({j} AS BOOLEAN) "
        "WHEN 'VARCHAR' THEN length({j} ->> '$') > 0 WHEN 'ARRAY' THEN json_array_length({j}) > 0 "
        "WHEN 'OBJECT' THEN CAST({j} AS VARCHAR) <> '{}' ELSE true END END, false)",
        j=v.sql,
    )


@dataclass(frozen=True)
class NumParts:
    """A value seen as a number: is it one, is it an integer, its exact and float values."""

    isnum: exp.Expression
    isint: exp.Expression
    ival: exp.Expression
    dval: exp.Expression
    hard: exp.Expression | None = None
    static: str | None = None  # "int" or "float" when known at compile time


def num_parts(v: Val) -> NumParts | None:
    """The numeric view of ``v``, or None when ``v`` can never be a number."""
    if v.kind == "int":
        return NumParts(
            v.sql.is_(exp.null()).not_(), exp.true(), v.sql, exp.cast(v.sql, "DOUBLE"), static="int"
        )
    if v.kind == "float":
        return NumParts(v.sql.is_(exp.null()).not_(), exp.false(), exp.null(), v.sql, static="float")
    if v.kind == "sum":
        assert v.fsql is not None and v.is_float is not None
        return NumParts(v.sql.is_(exp.null()).not_(), v.is_float.not_(), v.sql, v.fsql)
    if v.kind == "json":
        t = json_type(v)
        text = exp.cast(v.sql, "VARCHAR")
        return NumParts(
            isnum=tmpl("coalesce({t} IN ('BIGINT', 'UBIGINT', 'DOUBLE'), false)", t=t),
            isint=tmpl("coalesce({t} IN ('BIGINT', 'UBIGINT'), false)", t=t),
            ival=tmpl("try_cast({x} AS HUGEINT)", x=text),
            dval=tmpl("try_cast({x} AS DOUBLE)", x=text),
            # an integer too large for 64 bits reads as DOUBLE here but is an int in Python
            hard=tmpl("coalesce({t} = 'DOUBLE' AND NOT regexp_matches({x}, '[.eE]'), false)", t=t, x=text),
        )
    return None


def str_parts(v: Val) -> tuple[exp.Expression, exp.Expression] | None:
    """(is a string, its text) or None when ``v`` can never be a string."""
    if v.kind == "str":
        return v.sql.is_(exp.null()).not_(), v.sql
    if v.kind == "json":
        return (tmpl("coalesce(json_type({j}) = 'VARCHAR', false)", j=v.sql), tmpl("{j} ->> '$'", j=v.sql))
    return None


def _sign_int_float(i: exp.Expression, d: exp.Expression) -> exp.Expression:
    """sign(i - d) exactly, for an integer i and a finite or infinite double d."""
    return tmpl(
        "CASE WHEN CAST({i} AS DOUBLE) < {d} THEN -1 WHEN CAST({i} AS DOUBLE) > {d} THEN 1 "
        "ELSE sign({i} - CAST({d} AS HUGEINT)) END",
        i=i,
        d=d,
    )


_OPS = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "eq": "=", "ne": "<>"}


_OP_NODES: dict[str, type[exp.Expression]] = {
    "lt": exp.LT,
    "lte": exp.LTE,
    "gt": exp.GT,
    "gte": exp.GTE,
    "eq": exp.EQ,
    "ne": exp.NEQ,
}


def _op(a: exp.Expression, op: str, b: exp.Expression) -> exp.Expression:
    return _OP_NODES[op](this=exp.paren(a, copy=False), expression=exp.paren(b, copy=False))


def numeric_compare(a: NumParts, op: str, b: NumParts) -> exp.Expression:
    """``a op b`` for two numbers, exact across integers and floats (as Python compares)."""
    if a.static == "int" and b.static == "int":
        return _op(a.ival, op, b.ival)
    if a.static == "float" and b.static == "float":
        return _op(a.dval, op, b.dval)
    return case(
        (and_(a.isint, b.isint), _op(a.ival, op, b.ival)),
        (and_(a.isint.not_(), b.isint.not_()), _op(a.dval, op, b.dval)),
        (a.isint, _op(_sign_int_float(a.ival, b.dval), op, lit(0))),
        default=_op(lit(0), op, _sign_int_float(b.ival, a.dval)),
    )


def compare(a: Val, op: str, b: Val) -> Val:
    """JMESPath ordering comparison: numbers with numbers, strings with strings, else null."""
    hard = hard_of(a, b)
    na, nb = num_parts(a), num_parts(b)
    sa, sb = str_parts(a), str_parts(b)
    whens = []
    if na and nb:
        whens.append((and_(na.isnum, nb.isnum), numeric_compare(na, op, nb)))
        hard = or_(*(h for h in (hard, na.hard, nb.hard) if h is not None)) if (na.hard or nb.hard) else hard
    if sa and sb:
        whens.append((and_(sa[0], sb[0]), _op(sa[1], op, sb[1])))
    # a string against a number raises TypeError in Python: let Python decide (and fail) there
    mixed = []
    if na and sb:
        mixed.append(and_(na.isnum, sb[0]))
    if sa and nb:
        mixed.append(and_(sa[0], nb.isnum))
    if mixed:
        hard = or_(*(h for h in (hard, *mixed) if h is not None))
    if not whens:
        return Val("bool", exp.null(), hard=hard)
    return Val("bool", case(*whens), hard=hard)


def equals(a: Val, b: Val) -> Val:
    """JMESPath ``==`` (true never equals 1; null equals only null); never SQL NULL."""
    hard = hard_of(a, b)
    both_null = and_(is_null(a), is_null(b))
    if a.kind == "null" or b.kind == "null":
        return Val("bool", is_null(b if a.kind == "null" else a), hard=hard)
    if a.kind == "event" or b.kind == "event":
        if a.kind == b.kind == "event":
            assert a.event is not None and b.event is not None
            return Val("bool", exp.NullSafeEQ(this=a.event.eid, expression=b.event.eid), hard=hard)
        return Val("bool", both_null, hard=hard)
    if a.kind == b.kind and a.kind in ("str", "bool"):
        return Val("bool", exp.NullSafeEQ(this=a.sql, expression=b.sql), hard=hard)
    parts = [both_null]
    na, nb = num_parts(a), num_parts(b)
    if na and nb:
        parts.append(and_(na.isnum, nb.isnum, fn("coalesce", numeric_compare(na, "eq", nb), exp.false())))
        extra = [h for h in (na.hard, nb.hard) if h is not None]
        if extra:
            hard = or_(*(h for h in (hard, *extra) if h is not None))
    sa, sb = str_parts(a), str_parts(b)
    if sa and sb:
        parts.append(and_(sa[0], sb[0], tmpl("coalesce({x} = {y}, false)", x=sa[1], y=sb[1])))
    ba, bb = bool_parts(a), bool_parts(b)
    if ba and bb:
        parts.append(and_(ba[0], bb[0], tmpl("coalesce({x} = {y}, false)", x=ba[1], y=bb[1])))
    if a.kind == "json" and b.kind == "json":
        # objects and arrays: deep equality is left to Python
        container = tmpl(
            "coalesce(json_type({x}) IN ('OBJECT', 'ARRAY') AND json_type({y}) IN "
            "('OBJECT', 'ARRAY'), false)",
            x=a.sql,
            y=b.sql,
        )
        hard = or_(*(h for h in (hard, container) if h is not None))
    return Val("bool", fn("coalesce", or_(*parts), exp.false()), hard=hard)


def bool_parts(v: Val) -> tuple[exp.Expression, exp.Expression] | None:
    """(is a boolean, its value) or None when ``v`` can never be a boolean."""
    if v.kind == "bool":
        return v.sql.is_(exp.null()).not_(), v.sql
    if v.kind == "json":
        return (
            tmpl("coalesce(json_type({j}) = 'BOOLEAN', false)", j=v.sql),
            tmpl("try_cast(CAST({j} AS VARCHAR) AS BOOLEAN)", j=v.sql),
        )
    return None


def to_json(v: Val) -> Val:
    """Any non-event value as a ``json`` value (for ``||``/``&&`` over mixed kinds)."""
    if v.kind == "json":
        return v
    if v.kind == "null":
        return Val("json", exp.cast(exp.null(), "JSON"), hard=v.hard)
    if v.kind == "sum":
        assert v.fsql is not None and v.is_float is not None
        return Val(
            "json", case((v.is_float, fn("to_json", v.fsql)), default=fn("to_json", v.sql)), hard=v.hard
        )
    if v.kind == "event":
        raise TypeError("event")
    return Val("json", fn("to_json", v.sql), hard=v.hard)


def choose(cond: exp.Expression, a: Val, b: Val) -> Val:
    """``CASE WHEN cond THEN a ELSE b``, at a kind both fit."""
    hard = hard_of(a, b)
    if a.kind == b.kind == "event":
        assert a.event is not None and b.event is not None
        ea, eb = a.event, b.event
        cols = [
            case((cond, getattr(ea, n)), default=getattr(eb, n))
            for n in ("eid", "ts", "action", "platform", "seller_id", "fx")
        ]
        return Val("event", exp.null(), EventCols(*cols), hard=hard)
    if a.kind == b.kind and a.kind != "sum":
        return Val(a.kind, case((cond, a.sql), default=b.sql), hard=hard)
    if a.kind == "null" and b.kind not in ("event", "sum"):
        return Val(b.kind, case((cond, exp.null()), default=b.sql), hard=hard)
    if b.kind == "null" and a.kind not in ("event", "sum"):
        return Val(a.kind, case((cond, a.sql), default=exp.null()), hard=hard)
    ja, jb = to_json(a), to_json(b)
    return Val("json", case((cond, ja.sql), default=jb.sql), hard=hard)
