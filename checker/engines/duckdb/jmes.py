"""JMESPath syntax trees (jmespath's dict form) to SQL, for the subset policies use.

Supported: field paths, literals, comparisons, ``&&``, ``||``, ``!``,
parentheses, and the functions ``time``, ``elapsed``, ``duration``, ``plus``,
``minus``, ``add_calendar``, ``sub_calendar``, ``local_date``,
``calendar_days``, ``is_blank`` and ``type``. Anything else — projections,
filters, indexes, pipes, ``@``, the formatting functions outside messages,
``duration()`` of a value only known per event — raises
:class:`UnsupportedConstruct` naming the construct; nothing is compiled
with other semantics than the reference engine's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlglot import exp

from ...language.durations import DurationError, parse_duration
from .sqlbuild import and_, case, fn, lit, or_, tmpl
from .timesql import (
    Zone,
    add_calendar,
    epoch_of_int,
    expansion,
    in_range,
    local_date_text,
    local_day_number,
    parse_text,
)
from .values import EventCols, Val, choose, compare, equals, hard_of, is_null, truthy

#: Python's ``str.isspace`` characters: what ``str.strip()`` removes
PY_WHITESPACE = (
    "[\\t\\n\\x{0B}\\f\\r\\x{1C}-\\x{1F} \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}"
    "\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}]"
)
BIG = 2**62


class UnsupportedConstruct(Exception):
    """A policy construct the SQL compiler cannot reproduce exactly."""

    def __init__(self, construct: str, where: str = "") -> None:
        super().__init__(f"{construct}{f' (in {where})' if where else ''}")
        self.construct = construct
        self.where = where


#: the most column reads one function call may make DuckDB bind once its zone macros are expanded
#: (timesql.expansion). The catalogue's calls cost at most 5; four calendar shifts nested in each
#: other 639 (1.5 s to bind in America/St_Johns, 19 s over 100k events in Asia/Gaza, whose lists
#: hold 6,579 buckets), five 2,559 (12 s in St_Johns), and every further one 4x more.
#: With one CASE branch per change of offset a single shift in a zone with daylight saving time
#: had cost 68,000, and a shift of a shift in Asia/Shanghai 28,561 (256 s over the 700-event sample)
MAX_EXPANSION = 1_000

#: the first key of a *derived* entry of ``fx``: not read from the record but computed from the
#: entry of the path that follows, once, when the rule's events are selected (Plan.base_sql)
DERIVED = "\x00"
#: the derived entry of an instant read from a field: its epoch microseconds, or the JSON text
#: "hard" where the reference engine must decide it (a form SQL does not parse exactly)
INSTANT = DERIVED + "instant"
#: the column that stands for the field's own entry in a derived entry's expression
RAW = "__raw__"


@dataclass
class Paths:
    """The JSON paths a rule reads from events, each given an index in the ``fx`` list.

    Besides the paths read from the record, ``fx`` holds *derived* entries (first key
    :data:`DERIVED`), each an expression over one path's entry (:data:`RAW`) in ``derived``:
    such an entry is computed once per event where the rule's events are selected, so that a
    costly expression (parsing a timestamp: DuckDB binds its macros anew at every call, tenths of
    a second each) is written once per rule rather than in every condition and statement."""

    paths: list[tuple[str, ...]] = field(default_factory=list)
    derived: dict[tuple[str, ...], exp.Expression] = field(default_factory=dict)

    def index(self, path: tuple[str, ...]) -> int:
        """1-based position of ``path`` (added when new)."""
        for key in path:
            if '"' in key or "\\" in key:
                raise UnsupportedConstruct(f"field name {key!r} with a quote or backslash")
        if path not in self.paths:
            self.paths.append(path)
        return self.paths.index(path) + 1

    def derive(self, name: str, path: tuple[str, ...], expression: exp.Expression) -> int:
        """1-based position of the entry ``name`` derived from ``path``'s entry by ``expression``
        (over the column :data:`RAW`; a JSON value), added when new."""
        self.index(path)
        key = (name, *path)
        self.derived.setdefault(key, expression)
        return self.index(key)

    def read(self) -> list[tuple[str, ...]]:
        """The paths read from records (the entries that are not derived)."""
        return [p for p in self.paths if not p[0].startswith(DERIVED)]


@dataclass
class Scope:
    """What root names mean where an expression is evaluated.

    ``names`` resolves a root field to a value (decision context);
    ``event`` is the event whose fields the root reads (event context).
    """

    paths: Paths
    rule_tz: Zone
    input_tz: Zone
    where: str
    names: Mapping[str, Val] | None = None
    event: EventCols | None = None


def event_field(ev: EventCols, path: tuple[str, ...], paths: Paths) -> Val:
    """A field path read from an event's record."""
    if len(path) == 1 and path[0] in ("event_id", "action", "platform", "seller_id"):
        typed = {"event_id": ev.eid, "action": ev.action, "platform": ev.platform, "seller_id": ev.seller_id}[
            path[0]
        ]
        return Val("str", typed)
    return Val("json", fn("list_extract", ev.fx, lit(paths.index(path))), origin=(ev, path))


def json_field(v: Val, path: tuple[str, ...]) -> Val:
    """A field path below a JSON value (null unless it is an object)."""
    from .intake import json_path

    for key in path:
        if '"' in key or "\\" in key:
            raise UnsupportedConstruct(f"field name {key!r} with a quote or backslash")
    return Val(
        "json",
        tmpl(
            "CASE WHEN json_type({j}) = 'OBJECT' THEN json_extract({j}, {p}) END",
            j=v.sql,
            p=lit(json_path(path)),
        ),
        hard=v.hard,
    )


def _chain(ast: dict[str, Any]) -> list[str] | None:
    if ast["type"] == "field":
        return [ast["value"]]
    if ast["type"] == "subexpression":
        names: list[str] = []
        for child in ast["children"]:
            part = _chain(child)
            if part is None:
                return None
            names.extend(part)
        return names
    return None


def instant(v: Val, scope: Scope) -> Val:
    """``_TimeFunctions.instant``: an event's time, a timestamp text, an epoch number; else null."""
    if v.kind == "event":
        assert v.event is not None
        return Val("int", v.event.ts, hard=v.hard)
    if v.kind == "int":
        return Val("int", epoch_of_int(v.sql), hard=v.hard)
    if v.kind in ("null", "bool"):
        return Val("int", exp.null(), hard=v.hard)
    if v.kind == "str":
        p = parse_text(v.sql, scope.input_tz)
        return Val(
            "int",
            p.epoch,
            hard=hard_of(v, Val("int", hard=and_(v.sql.is_(exp.null()).not_(), p.fast.not_()))),
        )
    if v.kind in ("float", "sum"):
        # a float epoch goes through Decimal(str(x)) in Python: leave it there
        return Val("int", exp.null(), hard=or_(*(h for h in (v.hard, v.sql.is_(exp.null()).not_()) if h)))
    if v.origin is not None:
        # parsed once per event where the rule's events are selected (Paths.derive), read here: one
        # entry holds the instant, or the JSON text "hard" where Python must decide (one parse
        # serves both; two entries parsed the text twice, the costliest part of four base tables)
        ev, path = v.origin
        entry = tmpl(
            "list_extract({fx}, {i})",
            fx=ev.fx,
            i=lit(scope.paths.derive(INSTANT, path, _instant_entry(scope))),
        )
        value = tmpl("try_cast({e} AS BIGINT)", e=entry)
        hard = tmpl("coalesce(CAST({e} AS VARCHAR) = {h}, false)", e=entry, h=lit('"hard"'))
        return Val("int", value, hard=hard_of(v, Val("int", hard=hard)))
    return _json_instant(v, scope)


def _number_hard(t: exp.Expression, as_int: exp.Expression) -> list[exp.Expression]:
    """When a JSON number (type ``t``, read as BIGINT ``as_int``) names an instant Python must
    decide: a double (Decimal arithmetic), an unsigned integer past BIGINT, or a magnitude the
    epoch units leave to Python. A range, not abs(): abs() of the least BIGINT overflows."""
    return [
        tmpl("{t} = 'DOUBLE'", t=t),
        tmpl("{t} = 'UBIGINT' AND {i} IS NULL", t=t, i=as_int),
        tmpl(
            "{t} IN ('BIGINT', 'UBIGINT') AND ({i} >= 9000000000000000 OR {i} <= -9000000000000000)",
            t=t,
            i=as_int,
        ),
    ]


def _instant_entry(scope: Scope) -> exp.Expression:
    """The derived entry of an instant read from the JSON value :data:`RAW`: as
    :func:`_json_instant` reads it, the epoch as JSON, or the JSON text ``"hard"`` where it is
    hard (for a text: exactly where the parse gives no instant), NULL where there is none."""
    raw = exp.column(RAW)
    t = fn("json_type", raw)
    as_int = tmpl("try_cast(CAST({j} AS VARCHAR) AS BIGINT)", j=raw)
    hard = fn("to_json", lit("hard"))
    epoch = parse_text(tmpl("{j} ->> '$'", j=raw), scope.input_tz).epoch
    return case(
        (tmpl("{t} = 'VARCHAR'", t=t), fn("coalesce", fn("to_json", epoch), hard)),
        *((when, hard) for when in _number_hard(t, as_int)),
        (tmpl("{t} IN ('BIGINT', 'UBIGINT')", t=t), fn("to_json", epoch_of_int(as_int))),
    )


def _json_instant(v: Val, scope: Scope) -> Val:
    """The instant a JSON value names: a timestamp text or an epoch integer, per row; else null."""
    t = fn("json_type", v.sql)
    text = tmpl("{j} ->> '$'", j=v.sql)
    p = parse_text(text, scope.input_tz)
    as_int = tmpl("try_cast(CAST({j} AS VARCHAR) AS BIGINT)", j=v.sql)
    value = case(
        (tmpl("{t} = 'VARCHAR'", t=t), p.epoch),
        (tmpl("{t} IN ('BIGINT', 'UBIGINT')", t=t), epoch_of_int(as_int)),
    )
    text_hard = tmpl("{t} = 'VARCHAR' AND NOT {f}", t=t, f=p.fast)
    hard = fn("coalesce", or_(text_hard, *_number_hard(t, as_int)), exp.false())
    return Val("int", value, hard=hard_of(v, Val("int", hard=hard)))


def _const_duration(arg: Val, ast: dict[str, Any], scope: Scope, func: str) -> Any:
    """The duration text of a call's last argument: a literal or a parameter, known now."""
    value = getattr(arg, "const", _MISSING)
    if value is _MISSING:
        raise UnsupportedConstruct(
            f"{func}() with a duration that is not a literal or a parameter", scope.where
        )
    if value is None:
        return None
    try:
        return parse_duration(value)
    except DurationError as exc:
        raise UnsupportedConstruct(f"{func}() of {value!r}: {exc}", scope.where) from exc


_MISSING = object()


def constant(value: Any) -> Val:
    """A compile-time constant as a value."""
    if value is None:
        v: Val = Val("null", exp.null())
    elif isinstance(value, bool):
        v = Val("bool", lit(value))
    elif isinstance(value, int):
        v = Val("int", lit(value))
    elif isinstance(value, float):
        v = Val("float", lit(value))
    elif isinstance(value, str):
        v = Val("str", lit(value))
    else:
        raise UnsupportedConstruct(f"literal {value!r} (only null, booleans, numbers and strings)")
    object.__setattr__(v, "const", value)  # frozen dataclass: annotate the constant
    return v


def compile_ast(ast: dict[str, Any], scope: Scope) -> Val:
    """Compile one JMESPath syntax tree in ``scope``."""
    kind = ast["type"]
    if kind in ("field", "subexpression"):
        chain = _chain(ast)
        if chain is None:
            raise UnsupportedConstruct(f"JMESPath {kind} other than a field path", scope.where)
        return _path(chain, scope)
    if kind == "literal":
        return constant(ast["value"])
    if kind == "comparator":
        a, b = (compile_ast(c, scope) for c in ast["children"])
        if "truth" in (a.kind, b.kind):
            raise UnsupportedConstruct(
                "comparing the result of && or || between an event and another kind", scope.where
            )
        op = ast["value"]
        if op == "eq":
            return equals(a, b)
        if op == "ne":
            eq = equals(a, b)
            return Val("bool", eq.sql.not_(), hard=eq.hard)
        return compare(a, op, b)
    if kind == "not_expression":
        v = compile_ast(ast["children"][0], scope)
        return Val("bool", truthy(v).not_(), hard=v.hard)
    if kind in ("and_expression", "or_expression"):
        a, b = (compile_ast(c, scope) for c in ast["children"])
        ta = truthy(a)
        cond = ta if kind == "or_expression" else ta.not_()
        if kind == "or_expression" and a.kind == b.kind == "bool":
            # ``a || b`` of booleans is ``b`` unless ``a`` is true: exactly SQL's ``coalesce(a,
            # false) OR b`` (null when ``a`` is not true and ``b`` is null), with each side written
            # once. ``choose`` writes ``a`` twice, so chains of ``||`` (a trigger's declared reads
            # add two to its ``where``, checker.language.reads) grew exponentially and DuckDB spent
            # seconds binding each statement
            return Val("bool", or_(ta, b.sql), hard=hard_of(a, b))
        try:
            if "truth" in (a.kind, b.kind):
                raise TypeError("truth")
            return choose(cond, a, b)
        except TypeError:
            # an event with another kind: only its truthiness is known
            both = or_(ta, truthy(b)) if kind == "or_expression" else and_(ta, truthy(b))
            return Val("truth", both, hard=hard_of(a, b))
    if kind == "function_expression":
        v = _function(ast["value"], ast["children"], scope)
        if expansion(v.sql) > MAX_EXPANSION:
            # refused by name (auto runs such a policy on the reference engine) rather than
            # handing DuckDB an expression whose macro expansion exhausts the machine
            raise UnsupportedConstruct(
                f"{ast['value']}() nesting timezone offsets in offsets (DuckDB would bind "
                f"{expansion(v.sql):,} column reads in its zone macros' arguments; at most "
                f"{MAX_EXPANSION:,})",
                scope.where,
            )
        return v
    if kind == "pipe":
        left, inner = _pipe_scope(ast, scope)
        return compile_ast(ast["children"][1], inner).with_hard(left.hard)
    raise UnsupportedConstruct(f"JMESPath {kind.replace('_', ' ')}", scope.where)


def compile_condition(ast: dict[str, Any], scope: Scope) -> Val:
    """Compile a JMESPath expression whose value only matters as true or false (a ``where``, a
    ``when``, ``violation_if``): a ``truth`` value.

    There ``a || b``, ``a && b`` and ``!a`` are exactly SQL's OR, AND and NOT of their operands'
    truthiness, each operand written once. As values (:func:`compile_ast`) they are CASE
    expressions that write their left operand twice, so a chain of them grows exponentially;
    DuckDB spends seconds binding such statements (a trigger's declared reads add two clauses to
    its ``where``, checker.language.reads)."""
    kind = ast["type"]
    if kind in ("and_expression", "or_expression"):
        a, b = (compile_condition(c, scope) for c in ast["children"])
        joined = or_(a.sql, b.sql) if kind == "or_expression" else and_(a.sql, b.sql)
        return Val("truth", joined, hard=hard_of(a, b))
    if kind == "not_expression":
        v = compile_condition(ast["children"][0], scope)
        return Val("truth", v.sql.not_(), hard=v.hard)
    if kind == "pipe":
        left, inner = _pipe_scope(ast, scope)
        return compile_condition(ast["children"][1], inner).with_hard(left.hard)
    v = compile_ast(ast, scope)
    return Val("truth", truthy(v), hard=v.hard)


def _pipe_scope(ast: dict[str, Any], scope: Scope) -> tuple[Val, Scope]:
    """A pipe's left side and the scope its right side reads: ``trigger | (data.x != 'y')`` is an
    event expression read on one event of the context (how a trigger's declared read is guarded
    by its ``when``, checker.language.reads)."""
    left = compile_ast(ast["children"][0], scope)
    if left.kind != "event" or left.event is None:
        raise UnsupportedConstruct("JMESPath pipe whose left side is not an event", scope.where)
    return left, replace(scope, names=None, event=left.event)


def _path(chain: list[str], scope: Scope) -> Val:
    if scope.event is not None:
        return event_field(scope.event, tuple(chain), scope.paths)
    assert scope.names is not None
    root, rest = chain[0], tuple(chain[1:])
    if root not in scope.names:
        raise UnsupportedConstruct(f"name {root!r}", scope.where)
    v = scope.names[root]
    if not rest and root != "params":
        return v
    if root == "params":
        params = getattr(v, "const", {})
        if not rest:
            raise UnsupportedConstruct("params as a whole (name one parameter)", scope.where)
        value: Any = params
        for key in rest:
            value = value.get(key) if isinstance(value, dict) else None
        return constant(value)
    if v.kind == "event":
        assert v.event is not None
        return event_field(v.event, rest, scope.paths).with_hard(v.hard)
    if v.kind == "json":
        return json_field(v, rest)
    return constant(None).with_hard(v.hard)  # a field of a string, number... is null


def _function(name: str, args_ast: list[dict[str, Any]], scope: Scope) -> Val:
    handler = FUNCTIONS.get(name)
    if handler is None:
        raise UnsupportedConstruct(f"function {name}()", scope.where)
    args = [compile_ast(a, scope) for a in args_ast]
    return handler(args, args_ast, scope)


Handler = Callable[[list[Val], list[dict[str, Any]], Scope], Val]
FUNCTIONS: dict[str, Handler] = {}


def function(name: str) -> Callable[[Handler], Handler]:
    """Register the SQL form of a JMESPath function."""

    def register(f: Handler) -> Handler:
        FUNCTIONS[name] = f
        return f

    return register


@function("time")
def _time(args: list[Val], asts: list[dict[str, Any]], scope: Scope) -> Val:
    return instant(args[0], scope)


@function("elapsed")
def _elapsed(args: list[Val], asts: list[dict[str, Any]], scope: Scope) -> Val:
    a, b = instant(args[0], scope), instant(args[1], scope)
    return Val("int", tmpl("{b} - {a}", a=a.sql, b=b.sql), hard=hard_of(a, b))


@function("duration")
def _duration(args: list[Val], asts: list[dict[str, Any]], scope: Scope) -> Val:
    d = _const_duration(args[0], asts[0], scope, "duration")
    if d is None:
        return constant(None)
    if d.is_calendar:
        raise UnsupportedConstruct(
            f"duration({d.text!r}): years and months have no fixed length", scope.where
        )
    return constant(d.elapsed_us())


def _shift(sign: int, calendar: bool) -> Handler:
    def handler(args: list[Val], asts: list[dict[str, Any]], scope: Scope) -> Val:
        t = instant(args[0], scope)
        d = _const_duration(args[1], asts[1], scope, "plus" if not calendar else "add_calendar")
        if d is None:
            return Val("int", exp.null(), hard=t.hard)
        if not calendar:
            if d.is_calendar:
                raise UnsupportedConstruct(
                    f"plus/minus of {d.text!r}: years and months have no fixed length", scope.where
                )
            return Val("int", tmpl("{t} + {d}", t=t.sql, d=lit(sign * d.elapsed_us())), hard=t.hard)
        moved = add_calendar(
            t.sql,
            sign * (d.years * 12 + d.months),
            sign * (d.weeks * 7 + d.days),
            sign * (((d.hours * 60 + d.minutes) * 60) * 1_000_000 + d.microseconds),
            scope.rule_tz,
        )
        out_of_range = and_(t.sql.is_(exp.null()).not_(), or_(in_range(t.sql).not_(), in_range(moved).not_()))
        return Val("int", moved, hard=hard_of(t, Val("int", hard=fn("coalesce", out_of_range, exp.true()))))

    return handler


FUNCTIONS["plus"] = _shift(1, False)
FUNCTIONS["minus"] = _shift(-1, False)
FUNCTIONS["add_calendar"] = _shift(1, True)
FUNCTIONS["sub_calendar"] = _shift(-1, True)


def _tz_guard(*ts: Val) -> exp.Expression:
    parts = [and_(t.sql.is_(exp.null()).not_(), in_range(t.sql).not_()) for t in ts]
    return fn("coalesce", or_(*parts), exp.false())


@function("local_date")
def _local_date(args: list[Val], asts: list[dict[str, Any]], scope: Scope) -> Val:
    t = instant(args[0], scope)
    return Val("str", local_date_text(t.sql, scope.rule_tz), hard=hard_of(t, Val("int", hard=_tz_guard(t))))


@function("calendar_days")
def _calendar_days(args: list[Val], asts: list[dict[str, Any]], scope: Scope) -> Val:
    a, b = instant(args[0], scope), instant(args[1], scope)
    days = tmpl(
        "{b} - {a}", a=local_day_number(a.sql, scope.rule_tz), b=local_day_number(b.sql, scope.rule_tz)
    )
    return Val("int", days, hard=hard_of(a, b, Val("int", hard=_tz_guard(a, b))))


@function("is_blank")
def _is_blank(args: list[Val], asts: list[dict[str, Any]], scope: Scope) -> Val:
    v = args[0]
    blank = lit(f"{PY_WHITESPACE}*")
    if v.kind == "str":
        return Val("bool", tmpl("{s} IS NULL OR regexp_full_match({s}, {w})", s=v.sql, w=blank), hard=v.hard)
    if v.kind == "json":
        return Val(
            "bool",
            tmpl(
                "CASE WHEN {j} IS NULL THEN true ELSE coalesce(CASE json_type({j}) WHEN 'NULL' THEN true "
                "WHEN 'VARCHAR' THEN regexp_full_match({j} ->> '$', {w}) ELSE false END, false) END",
                j=v.sql,
                w=blank,
            ),
            hard=v.hard,
        )
    return Val("bool", is_null(v), hard=v.hard)


@function("type")
def _type(args: list[Val], asts: list[dict[str, Any]], scope: Scope) -> Val:
    v = args[0]
    if v.kind == "json":
        return Val(
            "str",
            tmpl(
                "CASE WHEN {j} IS NULL THEN 'null' ELSE CASE json_type({j}) WHEN 'NULL' THEN 'null' "
                "WHEN 'BOOLEAN' THEN 'boolean' WHEN 'VARCHAR' THEN 'string' WHEN 'ARRAY' THEN 'array' "
                "WHEN 'OBJECT' THEN 'object' ELSE 'number' END END",
                j=v.sql,
            ),
            hard=v.hard,
        )
    names = {
        "str": "string",
        "int": "number",
        "float": "number",
        "sum": "number",
        "bool": "boolean",
        "event": "object",
    }
    if v.kind not in names:
        raise UnsupportedConstruct("type() of a null literal or a truth value", scope.where)
    return Val("str", case((is_null(v), lit("null")), default=lit(names[v.kind])), hard=v.hard)


def params_val(params: Mapping[str, Any]) -> Val:
    """The ``params`` root: only its fields (constants) can be read."""
    v = Val("null", exp.null())
    object.__setattr__(v, "const", dict(params))
    return v
