"""A policy version compiled to SQL: the tables and the decision query it runs on DuckDB.

For one policy version the plan is

1. ``base``: the events of its platform and actions up to the as-of time,
   with the JSON paths the rule reads (``fx``), the correlation key
   (``k1..kn``, canonical strings: Python's key equality), whether the event
   triggers this version, and ``hard`` (SQL cannot read it exactly).
2. for each lookup binding, a candidate table (its actions, its ``where``)
   reduced to one row per (key, instant): the latest or earliest event by
   ``event_id`` there, or running counts and sums. "Strictly before/after"
   become ASOF joins on the instant, so a lookup costs O(log n).
3. the decision: the triggers, one layer per binding (value bindings are
   columns; lookups ASOF joins), then the outcome in the order
   inconclusive -> pending -> violation -> pass, and the reason's index.

Rows whose ``hard`` is true are decided again by the reference engine, so
the plan never has to approximate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlglot import exp

from ...language.expressions import Expression
from ...language.policy import Binding, Policy
from .jmes import BIG, Paths, Scope, UnsupportedConstruct, compile_ast, params_val
from .sqlbuild import and_, case, col, fn, lit, or_, sql, tmpl
from .timesql import Zone, zone_table
from .values import EventCols, Val, hard_of, num_parts, truthy

EVENT_PARTS = ("eid", "ts", "action", "platform", "seller_id", "fx")
#: the run's as-of instant, set on the connection (``SET VARIABLE ck_as_of``)
AS_OF = fn("getvariable", lit("ck_as_of"))
KINDS = ("inconclusive", "pending", "violation", "pass")


@dataclass
class Lookup:
    """A lookup binding as compiled: its name, kind and candidate table."""

    binding: Binding
    table: str  # candidate events (eid, ts, keys)
    reduced: str  # one row per (key, instant)


@dataclass
class Plan:
    """Everything needed to run one policy version on DuckDB."""

    policy: Policy
    tag: str
    keys: int
    base: exp.Expression  # CREATE TABLE base AS ...
    tables: list[tuple[str, exp.Expression]] = field(default_factory=list)  # candidate tables, in order
    decision: exp.Expression | None = None  # SELECT eid, ts, kind, ridx, hard, ...
    lookups: list[Lookup] = field(default_factory=list)
    paths: Paths = field(default_factory=Paths)
    zones: tuple[Zone, ...] = ()

    @property
    def base_table(self) -> str:
        """Name of the rule's event table."""
        return f"base_{self.tag}"

    def base_sql(self, paths: list[tuple[str, ...]]) -> str:
        """The statement creating the rule's event table, given the paths extracted at intake
        (``ev.fx``, in the order of ``paths``)."""
        picks = [fn("list_extract", col("fx"), lit(paths.index(x) + 1)) for x in self.paths.paths]
        source = fn("list_value", *picks) if picks else exp.cast(fn("list_value"), "JSON[]")

        def put(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Column) and node.name == "__fx_source__":
                return source.copy()
            return node

        return sql(create_temp(self.base_table, self.base.transform(put)))

    @cached_property
    def statements(self) -> dict[str, str]:
        """The SQL text of the tables the plan creates after its base: candidates, decision."""
        out = {}
        for name, query in self.tables:
            out[name] = sql(create_temp(name, query))
        assert self.decision is not None
        out[f"dec_{self.tag}"] = sql(create_temp(f"dec_{self.tag}", self.decision))
        return out


def create_temp(name: str, query: exp.Expression) -> exp.Expression:
    """``CREATE OR REPLACE TEMPORARY TABLE name AS query``."""
    return exp.Create(
        this=exp.to_table(name),
        kind="TABLE",
        replace=True,
        expression=query,
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
    )


def _where(policy: Policy, what: str) -> str:
    return f"{policy.file or policy.id}: {what}"


def _compile(expr: Expression, scope: Scope) -> Val:
    return compile_ast(expr.ast, scope)


def _canonical_key(v: Val) -> tuple[exp.Expression, exp.Expression | None]:
    """A correlation-key component as text equal exactly when Python's keys are equal
    (1 == 1.0 == true; null with null), and when SQL cannot tell."""
    if v.kind == "str":
        return fn("coalesce", tmpl("'s' || {s}", s=v.sql), lit("z")), v.hard
    if v.kind == "json":
        t = fn("json_type", v.sql)
        text = exp.cast(v.sql, "VARCHAR")
        key = tmpl(
            "CASE WHEN {j} IS NULL OR {t} = 'NULL' THEN 'z' WHEN {t} = 'VARCHAR' THEN 's' || ({j} ->> '$') "
            "WHEN {t} IN ('BIGINT', 'UBIGINT') THEN 'n' || {x} "
            "WHEN {t} = 'BOOLEAN' THEN CASE WHEN {x} = 'true' THEN 'n1' ELSE 'n0' END "
            "WHEN {t} = 'DOUBLE' AND isfinite(try_cast({x} AS DOUBLE)) "
            "AND try_cast({x} AS DOUBLE) = floor(try_cast({x} AS DOUBLE)) "
            "AND abs(try_cast({x} AS DOUBLE)) < 1e15 "
            "THEN 'n' || CAST(CAST(try_cast({x} AS DOUBLE) AS BIGINT) AS VARCHAR) "
            "ELSE 'x' || {x} END",
            j=v.sql,
            t=t,
            x=text,
        )
        hard = tmpl(
            "coalesce({t} IN ('OBJECT', 'ARRAY') OR ({t} = 'DOUBLE' AND NOT ("
            "isfinite(try_cast({x} AS DOUBLE)) "
            "AND try_cast({x} AS DOUBLE) = floor(try_cast({x} AS DOUBLE)) "
            "AND abs(try_cast({x} AS DOUBLE)) < 1e15)), false)",
            t=t,
            x=text,
        )
        return key, or_(*(h for h in (v.hard, hard) if h is not None))
    if v.kind == "int":
        return fn("coalesce", tmpl("'n' || CAST({s} AS VARCHAR)", s=v.sql), lit("z")), v.hard
    if v.kind == "bool":
        return tmpl("CASE WHEN {s} IS NULL THEN 'z' WHEN {s} THEN 'n1' ELSE 'n0' END", s=v.sql), v.hard
    if v.kind == "null":
        return lit("z"), v.hard
    raise UnsupportedConstruct(f"a correlation key of kind {v.kind}")


class _Builder:
    def __init__(self, policy: Policy, tag: str, params: Mapping[str, Any], input_tz: str) -> None:
        self.p = policy
        self.tag = tag
        self.paths = Paths()
        self.rule_tz = zone_table(policy.timezone)
        self.input_tz = zone_table(input_tz)
        self.params = params
        self.event = EventCols(*(col(n) for n in EVENT_PARTS))

    def event_scope(self, what: str, event: EventCols | None = None) -> Scope:
        return Scope(self.paths, self.rule_tz, self.input_tz, _where(self.p, what), event=event or self.event)

    def names_scope(self, names: Mapping[str, Val], what: str) -> Scope:
        return Scope(self.paths, self.rule_tz, self.input_tz, _where(self.p, what), names=names)

    # --- step 1: base ---------------------------------------------------------

    def base(self) -> tuple[exp.Expression, int]:
        p = self.p
        keys, key_hard = [], []
        for i, expr in enumerate(p.correlate_by):
            k, h = _canonical_key(_compile(expr, self.event_scope(f"correlate_by[{i}]")))
            keys.append(k)
            if h is not None:
                key_hard.append(h)
        trig_parts = [tmpl("action IN {a}", a=exp.Tuple(expressions=[lit(a) for a in p.trigger.actions]))]
        trig_hard: list[exp.Expression] = []
        if p.trigger.where is not None:
            w = _compile(p.trigger.where, self.event_scope("on.where"))
            trig_parts.append(truthy(w))
            if w.hard is not None:
                trig_hard.append(and_(trig_parts[0], w.hard))
        self.key_sql, self.key_hard = keys, key_hard
        self.trig_sql, self.trig_hard = and_(*trig_parts), trig_hard
        return exp.null(), len(keys)

    def base_query(self, lookup_hard: list[exp.Expression]) -> exp.Expression:
        """The rule's events with paths, key, trigger flags and hard flags:
        ``tw`` triggers by action and ``on.where``; ``eff`` in the effective window;
        ``trig`` judged by this version; ``th`` whether it triggers is for Python to say;
        ``ch`` a lookup cannot read it exactly; ``kh`` its key cannot be computed exactly."""
        p = self.p
        # the paths this rule reads, picked from the event table's ``fx`` (every rule's paths,
        # extracted once at intake): see Plan.base_sql
        inner = tmpl(
            "SELECT eid, ts, action, platform, seller_id, __fx_source__ AS fx FROM ev "
            "WHERE platform = {pf} AND action IN {acts} AND ts <= {asof}",
            pf=lit(p.platform),
            acts=exp.Tuple(expressions=[lit(a) for a in sorted(p.actions)]),
            asof=AS_OF,
        )
        eff = []
        if p.effective_from is not None:
            eff.append(tmpl("ts >= {t}", t=lit(p.effective_from)))
        if p.effective_until is not None:
            eff.append(tmpl("ts < {t}", t=lit(p.effective_until)))

        def flag(parts: list[exp.Expression]) -> exp.Expression:
            return fn("coalesce", or_(*parts), exp.false()) if parts else exp.false()

        tw = fn("coalesce", self.trig_sql, exp.false())
        select = exp.select(
            "eid",
            "ts",
            "action",
            "platform",
            "seller_id",
            "fx",
            *[exp.alias_(k, f"k{i + 1}", quoted=True) for i, k in enumerate(self.key_sql)],
            exp.alias_(tw, "tw", quoted=True),
            exp.alias_(and_(*eff) if eff else exp.true(), "eff", quoted=True),
            exp.alias_(and_(tw, *eff), "trig", quoted=True),
            exp.alias_(flag(self.trig_hard), "th", quoted=True),
            exp.alias_(flag(lookup_hard), "ch", quoted=True),
            exp.alias_(flag(self.key_hard), "kh", quoted=True),
        ).from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("e"))))
        return select

    # --- step 2: candidates -------------------------------------------------------

    def candidates(
        self, b: Binding, i: int
    ) -> tuple[Lookup, list[tuple[str, exp.Expression]], list[exp.Expression]]:
        table = f"cand_{self.tag}_{i}"
        reduced = f"red_{self.tag}_{i}"
        conds = [tmpl("action IN {a}", a=exp.Tuple(expressions=[lit(a) for a in b.actions]))]
        hard: list[exp.Expression] = []
        extra: list[exp.Expression] = []
        if b.where is not None:
            w = _compile(b.where, self.event_scope(f"let.{b.name}.where"))
            if w.hard is not None:
                hard.append(and_(conds[0], w.hard))
            conds.append(truthy(w))
        keys = [col(f"k{j + 1}") for j in range(len(self.key_sql))]
        if b.kind == "sum":
            assert b.of is not None
            v = _compile(b.of, self.event_scope(f"let.{b.name}.of"))
            parts = num_parts(v)
            if parts is None:
                extra = [exp.alias_(exp.false(), "isnum", quoted=True)]
            else:
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
                hard.append(and_(conds[0], or_(*hs)))
        cand = (
            exp.select(*keys, "eid", "ts", "action", "platform", "seller_id", "fx", *extra)
            .from_(self.p_base())
            .where(and_(*[fn("coalesce", c, exp.false()) for c in conds]))
        )
        group = ", ".join(f"k{j + 1}" for j in range(len(keys)))
        tables = [(table, cand)]
        if b.kind in ("last", "first", "exists"):
            pick = "max" if b.kind == "last" else "min"
            pick_by = "arg_max" if b.kind == "last" else "arg_min"
            reduced_q = tmpl(
                f"SELECT {group}, ts, {pick}(eid) AS eid, {pick_by}(action, eid) AS action, "
                f"{pick_by}(platform, eid) AS platform, {pick_by}(seller_id, eid) AS seller_id, "
                f"{pick_by}(fx, eid) AS fx FROM {{t}} GROUP BY {group}, ts",
                t=exp.to_table(table),
            )
        elif b.kind == "count":
            reduced_q = tmpl(
                f"SELECT {group}, ts, sum(count(*)) OVER (PARTITION BY {group} ORDER BY ts) AS cum "
                f"FROM {{t}} GROUP BY {group}, ts",
                t=exp.to_table(table),
            )
        else:  # a sum is folded in order over its window (see _sum_join): no reduction
            reduced_q = exp.select("*").from_(exp.to_table(table)).where(exp.false())
        tables.append((reduced, reduced_q))
        return Lookup(b, table, reduced), tables, hard

    def p_base(self) -> exp.Expression:
        return exp.to_table(f"base_{self.tag}")

    # --- step 3: decision ---------------------------------------------------------

    def decision(self, lookups: dict[str, Lookup]) -> exp.Expression:
        p = self.p
        nkeys = len(self.key_sql)
        keys_on = (
            and_(
                *[tmpl("{a} = {b}", a=col(f"k{j + 1}", "b"), b=col(f"k{j + 1}", "hk")) for j in range(nkeys)]
            )
            if nkeys
            else exp.true()
        )
        layer: exp.Expression = (
            exp.select("b.*", exp.alias_(tmpl("b.th OR hk.k IS NOT NULL"), "hard0", quoted=True))
            .from_(self.p_base().as_("b"))
            .join(exp.to_table(f"hk_{self.tag}").as_("hk"), on=keys_on, join_type="LEFT")
            .where(tmpl("b.trig OR b.th"))
        )
        names: dict[str, Val] = {
            "trigger": Val("event", event=self.event),
            "params": params_val(self.params),
            "as_of": Val("int", AS_OF.copy()),
        }
        n = 0

        def wrap(q: exp.Expression) -> exp.Expression:
            nonlocal n
            n += 1
            return exp.Subquery(this=q, alias=exp.TableAlias(this=exp.to_identifier(f"l{n}")))

        def add(columns: list[tuple[str, exp.Expression]]) -> None:
            nonlocal layer
            aliased = [exp.alias_(e, c, quoted=True) for c, e in columns]
            layer = exp.select(exp.Star(), *aliased).from_(wrap(layer))

        hards: list[exp.Expression] = [col("hard0")]
        for b in p.bindings:
            scope = self.names_scope(names, f"let.{b.name}")
            if b.kind == "value":
                assert b.value is not None
                v = _compile(b.value, scope)
                names[b.name] = self._store(b.name, v, add)
                if v.hard is not None:
                    hards.append(col(f"{b.name}__h"))
                continue
            lk = lookups[b.name]
            after = _anchor(b.after, scope) if b.after is not None else None
            before = _anchor(b.before, scope) if b.before is not None else None
            defined = and_(*[x.sql.is_(exp.null()).not_() for x in (after, before) if x is not None])
            cols = [
                (f"{b.name}__lo", after.sql if after else exp.cast(exp.null(), "BIGINT")),
                (f"{b.name}__hi", before.sql if before else exp.cast(exp.null(), "BIGINT")),
                (f"{b.name}__def", defined),
            ]
            h = hard_of(*(x for x in (after, before) if x is not None))
            if h is not None:
                cols.append((f"{b.name}__ah", fn("coalesce", h, exp.false())))
                hards.append(col(f"{b.name}__ah"))
            add(cols)
            lo, hi, df = col(f"{b.name}__lo"), col(f"{b.name}__hi"), col(f"{b.name}__def")
            add(
                [
                    (
                        f"{b.name}__hx",
                        case((df, fn("coalesce", hi, lit(BIG)))),
                    ),
                    (
                        f"{b.name}__lx",
                        case((df, fn("coalesce", lo, lit(-BIG)))),
                    ),
                ]
            )
            layer = self._join(layer, wrap, lk, nkeys)
            names[b.name] = self._lookup_value(b, hards)
        ctx = names
        inc = [
            truthy(self._cond(c.when, ctx, f"inconclusive_if[{i}]", hards))
            for i, c in enumerate(p.inconclusive_if)
        ]
        pen = [truthy(self._cond(c.when, ctx, f"pending_if[{i}]", hards)) for i, c in enumerate(p.pending_if)]
        vio = truthy(self._cond(p.violation_if, ctx, "violation_if", hards))
        whens = [(c, exp.Tuple(expressions=[lit("inconclusive"), lit(i)])) for i, c in enumerate(inc)]
        whens += [(c, exp.Tuple(expressions=[lit("pending"), lit(i)])) for i, c in enumerate(pen)]
        whens.append((vio, exp.Tuple(expressions=[lit("violation"), lit(0)])))
        kind_idx = case(*[(c, v.expressions[0]) for c, v in whens], default=lit("pass"))
        ridx = case(*[(c, v.expressions[1]) for c, v in whens], default=lit(0))
        out = [
            col("eid"),
            col("ts"),
            exp.alias_(kind_idx, "kind", quoted=True),
            exp.alias_(ridx, "ridx", quoted=True),
            exp.alias_(fn("coalesce", or_(*hards), exp.false()), "hard", quoted=True),
            *[col(f"k{j + 1}") for j in range(nkeys)],
        ]
        for b in p.bindings:
            if b.kind == "value":
                continue
            out += [col(f"{b.name}__lo"), col(f"{b.name}__hi"), col(f"{b.name}__def")]
            if b.kind in ("last", "first", "exists"):
                out.append(col(f"{b.name}__eid"))
            else:
                out.append(col(f"{b.name}__v"))
            if b.kind == "sum":
                out += [col(f"{b.name}__f"), col(f"{b.name}__isf")]
        return exp.select(*out).from_(wrap(layer))

    def _cond(
        self, expr: Expression, names: Mapping[str, Val], what: str, hards: list[exp.Expression]
    ) -> Val:
        v = _compile(expr, self.names_scope(names, what))
        if v.hard is not None:
            hards.append(v.hard)
        return v

    def _store(self, name: str, v: Val, add: Any) -> Val:
        """Materialise a value binding as columns; return the value reading them."""
        cols: list[tuple[str, exp.Expression]] = []
        if v.hard is not None:
            cols.append((f"{name}__h", fn("coalesce", v.hard, exp.false())))
        if v.kind == "event":
            assert v.event is not None
            cols += [(f"{name}__{part}", getattr(v.event, part)) for part in EVENT_PARTS]
            add(cols)
            return Val("event", event=EventCols.named(name))
        if v.kind == "sum":
            assert v.fsql is not None and v.is_float is not None
            cols += [(f"{name}__v", v.sql), (f"{name}__f", v.fsql), (f"{name}__isf", v.is_float)]
            add(cols)
            return Val("sum", col(f"{name}__v"), fsql=col(f"{name}__f"), is_float=col(f"{name}__isf"))
        cols.append((f"{name}__v", v.sql if v.kind != "null" else exp.null()))
        add(cols)
        return Val(v.kind, col(f"{name}__v"))

    def _join(self, layer: exp.Expression, wrap: Any, lk: Lookup, nkeys: int) -> exp.Expression:
        b = lk.binding
        name = b.name
        left = wrap(layer)
        lalias = left.alias
        keys_eq = _keys_equal(lalias, "r", nkeys)
        red = exp.to_table(lk.reduced)
        lo = col(f"{name}__lo", lalias)
        hi = col(f"{name}__hi", lalias)
        df = col(f"{name}__def", lalias)
        if b.kind == "last":
            on = and_(*keys_eq, tmpl("{x} > r.ts", x=col(f"{name}__hx", lalias)))
            found = and_(
                df,
                col("ts", "r").is_(exp.null()).not_(),
                tmpl("r.ts > coalesce({lo}, {m})", lo=lo, m=lit(-BIG)),
            )
            cols = [
                exp.alias_(case((found, col(part, "r"))), f"{name}__{part}", quoted=True)
                for part in EVENT_PARTS
            ]
            return (
                exp.select(f"{lalias}.*", *cols).from_(left).join(red.as_("r"), on=on, join_type="ASOF LEFT")
            )
        if b.kind in ("first", "exists"):
            on = and_(*keys_eq, tmpl("{x} < r.ts", x=col(f"{name}__lx", lalias)))
            found = and_(
                df,
                col("ts", "r").is_(exp.null()).not_(),
                tmpl("r.ts < coalesce({hi}, {m})", hi=hi, m=lit(BIG)),
            )
            cols = [
                exp.alias_(case((found, col(part, "r"))), f"{name}__{part}", quoted=True)
                for part in EVENT_PARTS
            ]
            if b.kind == "exists":
                exists = case((df, fn("coalesce", found, exp.false())))
                cols.append(exp.alias_(exists, f"{name}__v", quoted=True))
            return (
                exp.select(f"{lalias}.*", *cols).from_(left).join(red.as_("r"), on=on, join_type="ASOF LEFT")
            )
        # count / sum: running totals at the two ends of the window
        on_hi = and_(*_keys_equal(lalias, "rh", nkeys), tmpl("{x} > rh.ts", x=col(f"{name}__hx", lalias)))
        on_lo = and_(*_keys_equal(lalias, "rl", nkeys), tmpl("{x} >= rl.ts", x=col(f"{name}__lx", lalias)))
        if b.kind == "sum":
            return self._sum_join(left, lk, nkeys)
        n = tmpl("greatest(coalesce(rh.cum, 0) - coalesce(rl.cum, 0), 0)")
        cols = [exp.alias_(case((df, n)), f"{name}__v", quoted=True)]
        return (
            exp.select(f"{lalias}.*", *cols)
            .from_(left)
            .join(exp.to_table(lk.reduced).as_("rh"), on=on_hi, join_type="ASOF LEFT")
            .join(exp.to_table(lk.reduced).as_("rl"), on=on_lo, join_type="ASOF LEFT")
        )

    def _sum_join(self, left: exp.Subquery, lk: Lookup, nkeys: int) -> exp.Expression:
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
            .from_(inner)
            .join(exp.to_table(lk.table).as_("c"), on=on, join_type="INNER")
            .where(col(f"{name}__def", "t2"))
            .group_by(col("eid", "t2"))
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
            .from_(left)
            .join(
                exp.Subquery(this=sums, alias=exp.TableAlias(this=exp.to_identifier("s"))),
                on=tmpl("s.teid = {e}", e=col("eid", la)),
                join_type="LEFT",
            )
        )

    def _lookup_value(self, b: Binding, hards: list[exp.Expression]) -> Val:
        name = b.name
        if b.kind in ("last", "first"):
            return Val("event", event=EventCols.named(name))
        if b.kind == "exists":
            return Val("bool", col(f"{name}__v"))
        if b.kind == "count":
            return Val("int", col(f"{name}__v"))
        return Val("sum", col(f"{name}__v"), fsql=col(f"{name}__f"), is_float=col(f"{name}__isf"))


def _keys_equal(left: str, right: str, nkeys: int) -> list[exp.Expression]:
    """``left.k1 = right.k1 AND ...``: same correlation key."""
    return [tmpl("{a} = {b}", a=col(f"k{j + 1}", left), b=col(f"k{j + 1}", right)) for j in range(nkeys)]


def _anchor(expr: Expression, scope: Scope) -> Val:
    from .jmes import instant

    return instant(_compile(expr, scope), scope)


_CACHE: dict[tuple[Any, ...], Plan] = {}


def compile_policy(policy: Policy, tag: str, *, params: Mapping[str, Any], input_tz: str) -> Plan:
    """Compile one policy version; raises :class:`UnsupportedConstruct` for what SQL cannot run.

    The plan reads the as-of instant from the connection variable ``ck_as_of``. Plans are
    cached per (policy, tag, parameters, input timezone): policies are immutable."""
    key = (
        id(policy),
        policy.id,
        policy.version,
        policy.sha256,
        tag,
        json.dumps(dict(params), sort_keys=True, default=str),
        input_tz,
    )
    cached = _CACHE.get(key)
    if cached is not None and cached.policy is policy:
        return cached
    plan = _compile_policy(policy, tag, params=params, input_tz=input_tz)
    if len(_CACHE) > 512:
        _CACHE.clear()
    _CACHE[key] = plan
    return plan


def _compile_policy(policy: Policy, tag: str, *, params: Mapping[str, Any], input_tz: str) -> Plan:
    for binding in policy.bindings:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", binding.name):
            raise UnsupportedConstruct(f"binding name {binding.name!r}", _where(policy, "let"))
    b = _Builder(policy, tag, params, input_tz)
    _, nkeys = b.base()
    lookups: dict[str, Lookup] = {}
    tables: list[tuple[str, exp.Expression]] = []
    lookup_hard: list[exp.Expression] = []
    for i, binding in enumerate(policy.bindings):
        if binding.kind == "value":
            continue
        lk, tbls, hard = b.candidates(binding, i)
        lookups[binding.name] = lk
        tables.extend(tbls)
        lookup_hard.extend(hard)
    decision = b.decision(lookups)
    base = b.base_query(lookup_hard)  # last: every path the expressions read is known now
    group = [col(f"k{j + 1}") for j in range(nkeys)]
    hard_keys = (
        exp.select(*group, exp.alias_(lit(1), "k", quoted=True))
        .from_(exp.to_table(f"base_{tag}"))
        .where(col("ch"))
        .group_by(*group)
        if nkeys
        else exp.select(exp.alias_(lit(1), "k", quoted=True))
        .from_(exp.to_table(f"base_{tag}"))
        .where(col("ch"))
        .limit(1)
    )
    tables.append((f"hk_{tag}", hard_keys))
    return Plan(
        policy, tag, nkeys, base, tables, decision, list(lookups.values()), b.paths, (b.rule_tz, b.input_tz)
    )


__all__ = ["KINDS", "Lookup", "Plan", "UnsupportedConstruct", "compile_policy"]
