"""Lookup kinds on DuckDB: one hooks object per kind, in one table.

A lookup binding's part of a plan (:mod:`.compile`) and of reading its outcomes
back (:mod:`.render`) differs by kind in a few places, each a method of
:class:`SqlLookup`:

* :meth:`~SqlLookup.candidate_columns`: columns the candidate table keeps besides
  the event's (a sum's number in exact decimal form), and when SQL cannot read them exactly;
* :meth:`~SqlLookup.reduce`: the candidates reduced to one row per (key, instant),
  which the decision joins against;
* :meth:`~SqlLookup.join`: the join giving each trigger row the lookup's columns;
* :meth:`~SqlLookup.value` and :meth:`~SqlLookup.result_columns`: the value later
  expressions read, and the columns the decision table keeps for reading it back;
* :attr:`~SqlLookup.reads_window`, :meth:`~SqlLookup.bound_column` and
  :meth:`~SqlLookup.rebuild`: which events an outcome reads back (the one event
  bound, or every event of the window) and the value rebuilt in Python from them.

:func:`strict_bounds` gives every kind the window's ends as strict bounds, whichever
anchor keys (strict or inclusive) the binding used.

:data:`SQL_LOOKUPS` maps each lookup kind of the language
(:data:`checker.language.kinds.LOOKUP_KINDS`) to its hooks. :func:`sql_lookup`
finds them; a kind with none raises :class:`UnsupportedConstruct` naming it, so
``checker validate --engine duckdb`` reports the policy as unsupported rather
than running it as some other kind.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from sqlglot import exp

from ...inputs.events import Event
from ...language.expressions import EventView, Expression
from ...language.policy import Binding
from .jmes import BIG, UnsupportedConstruct
from .sqlbuild import and_, case, col, fn, lit, or_, tmpl
from .sqlbuild import table as sql_table
from .values import EventCols, Val, num_parts

#: an event's columns in the rule's tables, and the suffixes of a bound event's columns
EVENT_PARTS = ("eid", "ts", "action", "platform", "seller_id", "fx")

#: compiles an expression over one candidate event; the text names where it is (``let.x.of``)
CompileEvent = Callable[[Expression, str], Val]


@dataclass
class Lookup:
    """A lookup binding as compiled: its name, kind and candidate table."""

    binding: Binding
    table: str  # candidate events (eid, ts, keys)
    reduced: str  # one row per (key, instant)


class SqlLookup(ABC):
    """How one lookup kind runs on DuckDB and is read back. Every abstract hook must be given:
    a kind's hooks missing one cannot even be built."""

    #: True if the value folds every event of the window, which an outcome then reads back as
    #: evidence (:func:`.render.window_queries`); False if one bound event decides it
    reads_window: ClassVar[bool]

    def candidate_columns(
        self, b: Binding, compile_event: CompileEvent, in_actions: exp.Expression
    ) -> tuple[list[exp.Expr], list[exp.Expression]]:
        """Aliased columns the candidate table keeps besides the event's, and conditions under
        which SQL cannot compute them exactly (the rows are then decided in Python); each condition
        holds only for rows ``in_actions`` (the lookup's actions). None by default."""
        return [], []

    @abstractmethod
    def reduce(self, table: str, keys: Sequence[str]) -> exp.Expression:
        """The query reducing the candidate table ``table`` to what the join reads, one row per
        (correlation key, instant); ``keys`` are the key columns (``k1``, ``k2``)."""

    @abstractmethod
    def join(self, left: exp.Subquery, lk: Lookup, nkeys: int) -> exp.Expression:
        """``left`` (the decision's layer so far, which has the window's columns ``<name>__lo``,
        ``__hi``, ``__def``, ``__lx``, ``__hx``) with the lookup's columns added."""

    @abstractmethod
    def value(self, name: str) -> Val:
        """The lookup's value as the expressions after it read it (from the joined columns)."""

    @abstractmethod
    def result_columns(self, name: str) -> tuple[str, ...]:
        """The decision table's columns of the lookup besides its window's (``__lo``, ``__hi``,
        ``__def``): what :meth:`rebuild` reads."""

    @abstractmethod
    def bound_column(self, name: str) -> str | None:
        """The decision column holding the id of the one event the lookup bound; None for a lookup
        that reads its window."""

    @abstractmethod
    def rebuild(
        self, name: str, row: Mapping[str, Any], read: Sequence[Event], view: Callable[[Event], EventView]
    ) -> Any:
        """The value in Python, as the reference engine computes it, from a decision ``row`` whose
        window is defined and the events the lookup read (the bound event, if any; or the window's)."""


def strict_bounds(
    b: Binding, after: exp.Expression | None, before: exp.Expression | None
) -> tuple[exp.Expression, exp.Expression]:
    """The window's ends as the strict bounds every hook reads (``<name>__lo``, ``__hi``; a NULL
    for an end without an anchor), from its anchors' instants ``after`` and ``before``. An inclusive
    anchor (``at_or_after``, ``at_or_before``) is the strict bound one microsecond beyond it,
    exactly, since instants are whole microseconds; a NULL anchor stays NULL (the window undefined)."""
    null = exp.cast(exp.null(), "BIGINT")
    lo = null if after is None else (tmpl("{a} - 1", a=after) if b.after_inclusive else after)
    hi = null if before is None else (tmpl("{a} + 1", a=before) if b.before_inclusive else before)
    return lo, hi


def _keys_equal(left: str, right: str, nkeys: int) -> list[exp.Expression]:
    """``left.k1 = right.k1 AND ...``: same correlation key."""
    return [tmpl("{a} = {b}", a=col(f"k{j + 1}", left), b=col(f"k{j + 1}", right)) for j in range(nkeys)]


# --- decided by one event -----------------------------------------------------------------


class _OneEvent(SqlLookup):
    """A lookup decided by one event: the latest (``latest``) or the earliest matching event of
    the window. The reduced table keeps one event per (key, instant), the greatest or least id
    there, as the reference engine breaks ties; an ASOF join finds the nearest instant below the
    window's upper end (latest) or above its lower end (earliest)."""

    reads_window = False

    def __init__(self, latest: bool) -> None:
        self.latest = latest

    def reduce(self, table: str, keys: Sequence[str]) -> exp.Expression:
        pick, pick_by = ("max", "arg_max") if self.latest else ("min", "arg_min")
        grouping = [col(k) for k in (*keys, "ts")]
        return (
            exp.select(
                *grouping,
                exp.alias_(fn(pick, col("eid")), "eid"),
                *(
                    exp.alias_(fn(pick_by, col(c), col("eid")), c)
                    for c in ("action", "platform", "seller_id", "fx")
                ),
            )
            .from_(sql_table(table))
            .group_by(*(g.copy() for g in grouping))
        )

    def join(self, left: exp.Subquery, lk: Lookup, nkeys: int) -> exp.Expression:
        name = lk.binding.name
        la = left.alias
        df = col(f"{name}__def", la)
        if self.latest:  # the nearest instant below the upper end, if above the lower end
            on = and_(*_keys_equal(la, "r", nkeys), tmpl("{x} > r.ts", x=col(f"{name}__hx", la)))
            inside = tmpl("r.ts > coalesce({lo}, {m})", lo=col(f"{name}__lo", la), m=lit(-BIG))
        else:  # the nearest instant above the lower end, if below the upper end
            on = and_(*_keys_equal(la, "r", nkeys), tmpl("{x} < r.ts", x=col(f"{name}__lx", la)))
            inside = tmpl("r.ts < coalesce({hi}, {m})", hi=col(f"{name}__hi", la), m=lit(BIG))
        found = and_(df, col("ts", "r").is_(exp.null()).not_(), inside)
        cols: list[exp.Expr] = [
            exp.alias_(case((found, col(part, "r"))), f"{name}__{part}", quoted=True) for part in EVENT_PARTS
        ]
        cols += self.found_columns(name, df, found)
        return (
            exp.select(f"{la}.*", *cols)
            .from_(left, copy=False)  # the layers so far: copying them at each layer is quadratic
            .join(exp.to_table(lk.reduced).as_("r"), on=on, join_type="ASOF LEFT", copy=False)
        )

    def found_columns(self, name: str, defined: exp.Expression, found: exp.Expression) -> list[exp.Expr]:
        """Columns added besides the bound event's, given whether the window is ``defined`` and
        whether an event was ``found`` in it. None by default."""
        return []

    def result_columns(self, name: str) -> tuple[str, ...]:
        return (f"{name}__eid",)

    def bound_column(self, name: str) -> str | None:
        return f"{name}__eid"


class _Event(_OneEvent):
    """``last`` and ``first``: the event itself."""

    def value(self, name: str) -> Val:
        return Val("event", event=EventCols.named(name))

    def rebuild(
        self, name: str, row: Mapping[str, Any], read: Sequence[Event], view: Callable[[Event], EventView]
    ) -> Any:
        return view(read[0]) if read else None


class _Exists(_OneEvent):
    """``exists``: whether there is an event, the earliest being its evidence."""

    def __init__(self) -> None:
        super().__init__(latest=False)

    def found_columns(self, name: str, defined: exp.Expression, found: exp.Expression) -> list[exp.Expr]:
        exists = case((defined, fn("coalesce", found, exp.false())))
        return [exp.alias_(exists, f"{name}__v", quoted=True)]

    def value(self, name: str) -> Val:
        return Val("bool", col(f"{name}__v"))

    def rebuild(
        self, name: str, row: Mapping[str, Any], read: Sequence[Event], view: Callable[[Event], EventView]
    ) -> Any:
        return len(read) > 0


# --- folding the window -------------------------------------------------------------------


class _Window(SqlLookup):
    """A lookup folding every matching event of the window; those events are the evidence."""

    reads_window = True

    def bound_column(self, name: str) -> str | None:
        return None


class _Count(_Window):
    """``count``: the reduced table holds a running count per key at each instant, and two ASOF
    joins read it at the window's two ends."""

    def reduce(self, table: str, keys: Sequence[str]) -> exp.Expression:
        running = exp.Window(
            this=fn("sum", fn("count", exp.Star())),
            partition_by=[col(k) for k in keys],
            order=exp.Order(expressions=[exp.Ordered(this=col("ts"))]),
        )
        return (
            exp.select(*(col(k) for k in keys), col("ts"), exp.alias_(running, "cum"))
            .from_(sql_table(table))
            .group_by(*(col(k) for k in (*keys, "ts")))
        )

    def join(self, left: exp.Subquery, lk: Lookup, nkeys: int) -> exp.Expression:
        name = lk.binding.name
        la = left.alias
        on_hi = and_(*_keys_equal(la, "rh", nkeys), tmpl("{x} > rh.ts", x=col(f"{name}__hx", la)))
        on_lo = and_(*_keys_equal(la, "rl", nkeys), tmpl("{x} >= rl.ts", x=col(f"{name}__lx", la)))
        n = tmpl("greatest(coalesce(rh.cum, 0) - coalesce(rl.cum, 0), 0)")
        cols = [exp.alias_(case((col(f"{name}__def", la), n)), f"{name}__v", quoted=True)]
        return (
            exp.select(f"{la}.*", *cols)
            .from_(left, copy=False)
            .join(exp.to_table(lk.reduced).as_("rh"), on=on_hi, join_type="ASOF LEFT", copy=False)
            .join(exp.to_table(lk.reduced).as_("rl"), on=on_lo, join_type="ASOF LEFT", copy=False)
        )

    def value(self, name: str) -> Val:
        return Val("int", col(f"{name}__v"))

    def result_columns(self, name: str) -> tuple[str, ...]:
        return (f"{name}__v",)

    def rebuild(
        self, name: str, row: Mapping[str, Any], read: Sequence[Event], view: Callable[[Event], EventView]
    ) -> Any:
        return len(read)


class _Sum(_Window):
    """``sum``: the window's numbers added as the reference engine adds them (see :meth:`join`);
    the candidate table keeps each number's exact decimal form."""

    def candidate_columns(
        self, b: Binding, compile_event: CompileEvent, in_actions: exp.Expression
    ) -> tuple[list[exp.Expr], list[exp.Expression]]:
        assert b.of is not None
        v = compile_event(b.of, f"let.{b.name}.of")
        parts = num_parts(v)
        if parts is None:
            return [exp.alias_(exp.false(), "isnum", quoted=True)], []
        # the engine adds Decimal(repr(x)): DuckDB prints a double as Python's repr does,
        # and DECIMAL(38,10) holds such a repr exactly when it has at most 10 decimals
        text = exp.cast(parts.dval, "VARCHAR")
        exact = tmpl(
            "CASE WHEN {i} THEN abs({iv}) < 100000000000000000 "
            "ELSE regexp_full_match({t}, '-?[0-9]{1,17}(\\.[0-9]{1,10})?') END",
            i=parts.isint,
            iv=parts.ival,
            t=text,
        )
        extra = [
            exp.alias_(fn("coalesce", parts.isnum, exp.false()), "isnum", quoted=True),
            exp.alias_(
                fn("coalesce", and_(parts.isnum, parts.isint.not_()), exp.false()), "isf", quoted=True
            ),
            exp.alias_(
                case(
                    (parts.isint, exp.cast(parts.ival, "DECIMAL(38, 10)")),
                    default=tmpl("try_cast({t} AS DECIMAL(38, 10))", t=text),
                ),
                "dec",
                quoted=True,
            ),
        ]
        hs = [h for h in (v.hard, parts.hard, and_(parts.isnum, exact.not_())) if h is not None]
        return extra, [and_(in_actions, or_(*hs))]

    def reduce(self, table: str, keys: Sequence[str]) -> exp.Expression:
        # a sum is folded in order over its window (see join): nothing to reduce
        return exp.select("*").from_(exp.to_table(table)).where(exp.false())

    def join(self, left: exp.Subquery, lk: Lookup, nkeys: int) -> exp.Expression:
        """A sum as the engine adds it: the decimal forms of the window's numbers, exactly; a float
        among them makes a float total (correctly rounded); anything not a number makes it null."""
        name = lk.binding.name
        la = left.alias
        inner = left.copy()
        inner.set("alias", exp.TableAlias(this=exp.to_identifier("t2")))
        keys_on = [tmpl("{a} = {b}", a=col(f"k{j + 1}", "t2"), b=col(f"k{j + 1}", "c")) for j in range(nkeys)]
        on = and_(
            *keys_on,
            tmpl("c.ts > coalesce({lo}, {m})", lo=col(f"{name}__lo", "t2"), m=lit(-BIG)),
            tmpl("c.ts < coalesce({hi}, {m})", hi=col(f"{name}__hi", "t2"), m=lit(BIG)),
        )
        sums = (
            exp.select(
                exp.alias_(col("eid", "t2"), "teid", quoted=True),
                exp.alias_(tmpl("sum(c.dec)"), "total", quoted=True),
                exp.alias_(tmpl("count(*) FILTER (WHERE NOT c.isnum)"), "bad", quoted=True),
                exp.alias_(tmpl("bool_or(c.isf)"), "isf", quoted=True),
            )
            .from_(inner, copy=False)
            .join(exp.to_table(lk.table).as_("c"), on=on, join_type="INNER", copy=False)
            .where(col(f"{name}__def", "t2"), copy=False)
            .group_by(col("eid", "t2"), copy=False)
        )
        df = col(f"{name}__def", la)
        total = fn("coalesce", col("total", "s"), exp.cast(lit(0), "DECIMAL(38, 10)"))
        isf = fn("coalesce", col("isf", "s"), exp.false())
        known = and_(df, tmpl("coalesce(s.bad, 0) = 0"))
        cols = [
            exp.alias_(
                case((known, case((isf, exp.cast(lit(0), "HUGEINT")), default=exp.cast(total, "HUGEINT")))),
                f"{name}__v",
                quoted=True,
            ),
            exp.alias_(
                case((known, tmpl("CAST(CAST({t} AS VARCHAR) AS DOUBLE)", t=total))),
                f"{name}__f",
                quoted=True,
            ),
            exp.alias_(case((known, isf)), f"{name}__isf", quoted=True),
        ]
        return (
            exp.select(f"{la}.*", *cols)
            .from_(left, copy=False)
            .join(
                exp.Subquery(this=sums, alias=exp.TableAlias(this=exp.to_identifier("s"))),
                on=tmpl("s.teid = {e}", e=col("eid", la)),
                join_type="LEFT",
                copy=False,
            )
        )

    def value(self, name: str) -> Val:
        return Val("sum", col(f"{name}__v"), fsql=col(f"{name}__f"), is_float=col(f"{name}__isf"))

    def result_columns(self, name: str) -> tuple[str, ...]:
        return (f"{name}__v", f"{name}__f", f"{name}__isf")

    def rebuild(
        self, name: str, row: Mapping[str, Any], read: Sequence[Event], view: Callable[[Event], EventView]
    ) -> Any:
        if row[f"{name}__v"] is None:
            return None  # a missing or non-numeric amount in the window: the sum is unknown
        return float(row[f"{name}__f"]) if row[f"{name}__isf"] else int(row[f"{name}__v"])


#: the hooks of each lookup kind, by kind name (read-only)
SQL_LOOKUPS: Mapping[str, SqlLookup] = MappingProxyType(
    {
        "last": _Event(latest=True),
        "first": _Event(latest=False),
        "count": _Count(),
        "exists": _Exists(),
        "sum": _Sum(),
    }
)


def sql_lookup(kind: str, where: str = "") -> SqlLookup:
    """The hooks of lookup kind ``kind``; :class:`UnsupportedConstruct` naming the kind (and
    ``where`` it is used) if this engine has none."""
    try:
        return SQL_LOOKUPS[kind]
    except KeyError:
        raise UnsupportedConstruct(f"lookup kind {kind!r}", where) from None


__all__ = ["EVENT_PARTS", "SQL_LOOKUPS", "Lookup", "SqlLookup", "sql_lookup", "strict_bounds"]
