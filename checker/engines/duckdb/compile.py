"""A policy version compiled to SQL: the tables and the decision query it runs on DuckDB.

For one policy version the plan is

1. ``base``: the events of its platform and actions up to the as-of time,
   with the JSON paths the rule reads (``fx``), the correlation key
   (``k1..kn``, canonical strings: Python's key equality), whether the event
   triggers this version, and ``hard`` (SQL cannot read it exactly).
2. for each lookup binding, a candidate table (its actions, its ``where``)
   reduced to one row per (key, instant): the latest or earliest event by
   ``event_id`` there, or running counts and sums. "Strictly before/after"
   become ASOF joins on the instant, so a lookup costs O(log n). What differs
   by lookup kind is in that kind's hooks (:mod:`.lookups`).
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
from ...language.kinds import VALUE_KIND
from ...language.policy import Binding, Policy
from .jmes import BIG, RAW, Paths, Scope, UnsupportedConstruct, compile_ast, compile_condition, params_val
from .lookups import EVENT_PARTS, Lookup, sql_lookup, strict_bounds
from .sqlbuild import and_, case, col, fn, lit, or_, sql, tmpl
from .timesql import Zone, zone_table
from .values import EventCols, Val, hard_of, truthy

#: the run's as-of instant, set on the connection (``SET VARIABLE ck_as_of``)
AS_OF = fn("getvariable", lit("ck_as_of"))
KINDS = ("inconclusive", "pending", "violation", "pass")


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

    def _pick(self, path: tuple[str, ...], paths: list[tuple[str, ...]]) -> exp.Expression:
        """The entry of ``fx`` for ``path``: read from ``ev.fx`` (the paths extracted at intake, in
        the order of ``paths``), or derived from such an entry (Paths.derive)."""
        expression = self.paths.derived.get(path)
        if expression is None:
            return fn("list_extract", col("fx"), lit(paths.index(path) + 1))
        raw = self._pick(path[1:], paths)

        def put(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Column) and not node.table and node.name == RAW:
                return raw.copy()
            return node

        return expression.copy().transform(put)

    def base_query(self, paths: list[tuple[str, ...]]) -> exp.Expression:
        """The query of the rule's event table, given the paths extracted at intake (``ev.fx``, in
        the order of ``paths``)."""
        picks = [self._pick(x, paths) for x in self.paths.paths]
        source = fn("list_value", *picks) if picks else exp.cast(fn("list_value"), "JSON[]")

        def put(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Column) and node.name == "__fx_source__":
                return source.copy()
            return node

        return self.base.transform(put)

    def base_sql(self, paths: list[tuple[str, ...]]) -> str:
        """The statement creating the rule's event table (see :meth:`base_query`)."""
        return sql(create_table(self.base_table, self.base_query(paths)))

    def queries(self, paths: list[tuple[str, ...]]) -> list[tuple[str, exp.Expression]]:
        """Every table the plan creates, in the order it runs them (base, candidate and reduced
        tables, hard keys, decision), with its query."""
        assert self.decision is not None
        return [(self.base_table, self.base_query(paths)), *self.tables, (f"dec_{self.tag}", self.decision)]

    @cached_property
    def statements(self) -> dict[str, str]:
        """The SQL text of the tables the plan creates after its base: candidates, decision."""
        out = {}
        for name, query in self.tables:
            out[name] = sql(create_table(name, query))
        assert self.decision is not None
        out[f"dec_{self.tag}"] = sql(create_table(f"dec_{self.tag}", self.decision))
        return out

    def scratch_tables(self) -> list[str]:
        """The tables only deciding reads: all the plan makes but its decision table and the
        candidate tables whose windows the findings read back (counts, sums). Dropped once the
        rule is decided, they no longer hold DuckDB memory (nor temporary files) while the
        findings are built."""
        windows = {lk.table for lk in self.lookups if sql_lookup(lk.binding.kind).reads_window}
        kept = {f"dec_{self.tag}"} | windows
        return [self.base_table, *(name for name, _ in self.tables if name not in kept)]


def create_table(name: str, query: exp.Expression) -> exp.Expression:
    """``CREATE OR REPLACE TABLE name AS query``: not a temporary table, which only the connection
    that made it sees: the rules run on several connections at once, and the run reads their
    decision tables on its own (:class:`checker.engines.duckdb.engine.DuckdbRun`)."""
    return exp.Create(this=exp.to_table(name), kind="TABLE", replace=True, expression=query)


def _where(policy: Policy, what: str) -> str:
    return f"{policy.file or policy.id}: {what}"


def _compile(expr: Expression, scope: Scope) -> Val:
    return compile_ast(expr.ast, scope)


def _condition(expr: Expression, scope: Scope) -> Val:
    """An expression used only for its truth (see :func:`~checker.engines.duckdb.jmes.compile_condition`)."""
    return compile_condition(expr.ast, scope)


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
            w = _condition(p.trigger.where, self.event_scope("on.where"))
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
        hooks = sql_lookup(b.kind, _where(self.p, f"let.{b.name}"))  # unsupported: named here
        conds = [tmpl("action IN {a}", a=exp.Tuple(expressions=[lit(a) for a in b.actions]))]
        hard: list[exp.Expression] = []
        if b.where is not None:
            w = _condition(b.where, self.event_scope(f"let.{b.name}.where"))
            if w.hard is not None:
                hard.append(and_(conds[0], w.hard))
            conds.append(truthy(w))
        keys = [col(f"k{j + 1}") for j in range(len(self.key_sql))]

        def compile_event(expr: Expression, what: str) -> Val:
            return _compile(expr, self.event_scope(what))

        extra, extra_hard = hooks.candidate_columns(b, compile_event, conds[0])
        hard.extend(extra_hard)
        cand = (
            exp.select(*keys, "eid", "ts", "action", "platform", "seller_id", "fx", *extra)
            .from_(self.p_base())
            .where(and_(*[fn("coalesce", c, exp.false()) for c in conds]))
        )
        tables = [(table, cand), (reduced, hooks.reduce(table, [f"k{j + 1}" for j in range(len(keys))]))]
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
            .from_(self.p_base().as_("b"), copy=False)
            .join(exp.to_table(f"hk_{self.tag}").as_("hk"), on=keys_on, join_type="LEFT", copy=False)
            .where(tmpl("b.trig OR b.th"), copy=False)
        )
        names: dict[str, Val] = {
            "trigger": Val("event", event=self.event),
            "params": params_val(self.params),
            "as_of": Val("int", AS_OF.copy()),
        }
        n = 0

        def wrap(q: exp.Expression) -> exp.Subquery:
            nonlocal n
            n += 1
            return exp.Subquery(this=q, alias=exp.TableAlias(this=exp.to_identifier(f"l{n}")))

        def add(columns: list[tuple[str, exp.Expression]]) -> None:
            nonlocal layer
            aliased = [exp.alias_(e, c, quoted=True) for c, e in columns]
            # the layers so far become this one's source as they are: copying them at each layer
            # made compiling quadratic in the layers
            layer = exp.select(exp.Star(), *aliased).from_(wrap(layer), copy=False)

        hards: list[exp.Expression] = [col("hard0")]
        for b in p.bindings:
            scope = self.names_scope(names, f"let.{b.name}")
            if b.kind == VALUE_KIND:
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
            lo, hi = strict_bounds(b, after.sql if after else None, before.sql if before else None)
            cols = [(f"{b.name}__lo", lo), (f"{b.name}__hi", hi), (f"{b.name}__def", defined)]
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
            hooks = sql_lookup(b.kind)
            layer = hooks.join(wrap(layer), lk, nkeys)
            names[b.name] = hooks.value(b.name)
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
            if b.kind == VALUE_KIND:
                continue
            out += [col(f"{b.name}__lo"), col(f"{b.name}__hi"), col(f"{b.name}__def")]
            out += [col(c) for c in sql_lookup(b.kind).result_columns(b.name)]
        return exp.select(*out).from_(wrap(layer), copy=False)

    def _cond(
        self, expr: Expression, names: Mapping[str, Val], what: str, hards: list[exp.Expression]
    ) -> Val:
        v = _condition(expr, self.names_scope(names, what))
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
        if binding.kind == VALUE_KIND:
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
