"""A plan's statements in the constructs other SQL engines have: the form Spark runs.

The DuckDB engine runs its plans (:mod:`.compile`) with three constructs only DuckDB has, each
chosen for speed or brevity there:

* ``ASOF LEFT JOIN``: a lookup finds the nearest event of its key below (or above) an instant in
  O(log n);
* the as-of instant as a connection variable (``getvariable('ck_as_of')``);
* the time functions as macros (``ck_*``, :func:`~checker.engines.duckdb.timesql.macros`).

:func:`portable` rewrites a statement without them, keeping its meaning:

* every ``ck_*`` call becomes the macro's body, its argument put in place of the parameter;
* the variable becomes the run's as-of instant, a literal;
* ``l ASOF LEFT JOIN r ON keys AND l.x OP r.ts`` becomes a ``LEFT JOIN`` on the probe's ``eid``
  to a window over the probes and ``r``'s rows together, partitioned by the keys and ordered by
  the integer instant, whose frame holds exactly the rows ``OP`` admits (``>``: ``RANGE BETWEEN
  UNBOUNDED PRECEDING AND 1 PRECEDING``...), taking the greatest (or least) ``struct(ts, ...)``
  of ``r`` in it. This is exact because every table an ASOF join reads has one row per (key,
  instant) (the lookups' reduced tables group by both; with two rows there, the struct's later
  fields would choose, not DuckDB), and every left row has its own ``eid``; rows with a NULL key
  or instant take no part, as in an ASOF join. The left side, read twice, becomes a common table
  expression.

The result is still DuckDB SQL: the tests run whole checks on DuckDB with it and compare them
with the reference engine (every policy-test case in ``tests/engines/duckdb/test_policy_cases.py``,
more in ``test_portable_plan.py``), so the rewrite is proven where it can fail, on the same cases
as the plan itself.

:func:`spark_sql` then spells what is left in Spark SQL: functions and types that Spark names
otherwise or lacks (the registry :data:`SPARK_FORMS`, by DuckDB name; :data:`SPARK_NODES`, by
sqlglot node), the rest left to sqlglot's Spark generator. Each form was compared with DuckDB by
the Spark probe (``bench/spark_probe``), whose replay of every catalogue rule's statements on
Spark 4.3 decides the same rows as DuckDB. Differences it found and that the plan does not meet
today are listed in that probe's README (``element_at`` out of range raises under ANSI mode
where ``list_extract`` gives NULL; ``CAST(double AS STRING)`` spells 10^7 and up as ``1.0E7``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import sqlglot
from sqlglot import exp

from .compile import Plan
from .sqlbuild import DIALECT, col, lit, node, tmpl, tmpl_in
from .timesql import Zone, macros

#: the inequality of an ASOF join, as ``probe OP r.ts``: the window frame over the instants of the
#: probes and candidates that holds the candidates it admits, and the aggregate picking the
#: nearest of them (the struct's first field is the instant)
_FRAMES: dict[type[exp.Expression], str] = {
    exp.GT: "max(CASE WHEN NOT ck_probe THEN {s} END) OVER ("  # r.ts < x
    "ORDER BY ck_t RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)",
    exp.GTE: "max(CASE WHEN NOT ck_probe THEN {s} END) OVER ("  # r.ts <= x
    "ORDER BY ck_t RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
    exp.LT: "min(CASE WHEN NOT ck_probe THEN {s} END) OVER ("  # r.ts > x
    "ORDER BY ck_t RANGE BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)",
    exp.LTE: "min(CASE WHEN NOT ck_probe THEN {s} END) OVER ("  # r.ts >= x
    "ORDER BY ck_t RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)",
}
#: the mirrored inequality, for ``r.ts OP probe``
_MIRROR: dict[type[exp.Expression], type[exp.Expression]] = {
    exp.GT: exp.LT,
    exp.GTE: exp.LTE,
    exp.LT: exp.GT,
    exp.LTE: exp.GTE,
}
# column names the rewrite adds (the templates above name two); no plan column starts with "ck_"
_PROBE, _PID, _T, _M = "ck_probe", "ck_pid", "ck_t", "ck_m"


@dataclass(frozen=True)
class Statement:
    """One table a plan creates: its name and the query that fills it."""

    table: str
    query: exp.Expression


def plan_statements(plan: Plan, paths: Sequence[tuple[str, ...]]) -> list[Statement]:
    """Every table ``plan`` creates, in order (base, candidate and reduced tables, hard keys,
    decision), with its query as the DuckDB engine runs it; ``paths``: those the intake
    extracted (``ev.fx``)."""
    return [Statement(name, query) for name, query in plan.queries(list(paths))]


class Macros:
    """The time macros of some zones, by name: what :func:`portable` puts in their calls' place."""

    def __init__(self, zones: Iterable[Zone]) -> None:
        self.bodies: dict[str, tuple[str, exp.Expression]] = {}
        for statement in macros(list(dict.fromkeys(zones))):
            udf = statement.this
            self.bodies[udf.this.name.lower()] = (udf.expressions[0].name, statement.expression)

    def inline(self, tree: exp.Expression) -> exp.Expression:
        """``tree``, changed in place, with every macro call replaced by the macro's body (a body may call
        another macro), the argument in parentheses in place of the parameter."""

        def put(n: exp.Expression) -> exp.Expression:
            found = self.bodies.get(n.name.lower()) if isinstance(n, exp.Anonymous) else None
            if found is None:
                return n
            param, body = found
            (arg,) = n.expressions

            def sub(m: exp.Expression) -> exp.Expression:
                if isinstance(m, exp.Column) and not m.table and m.name == param:
                    return exp.Paren(this=arg.copy())
                return m

            return self.inline(body.copy().transform(sub, copy=False))

        # in place: the callers' trees are their own (parsed from text, or a body's copy)
        return node(tree.transform(put, copy=False))


def portable(
    statement: Statement, *, as_of: int, macros: Macros, columns: Mapping[str, Sequence[str]]
) -> Statement:
    """``statement`` without DuckDB's ASOF joins, variables and macros (see the module's text);
    ``columns``: the columns of each table an ASOF join may read, by name."""

    def variable(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Anonymous) and n.name.lower() == "getvariable":
            (name,) = n.expressions
            if name.name != "ck_as_of":
                raise ValueError(f"no value for the variable {name.name!r}")
            return lit(int(as_of))
        return n

    tree = node(macros.inline(statement.query.copy()).transform(variable, copy=False))
    for call in tree.find_all(exp.Anonymous):
        if call.name.lower().startswith("ck_"):  # a macro of a zone not given: no body to put
            raise ValueError(f"no body for the macro {call.name.lower()}: its zone is not among the macros'")
    # then the same tree as a parse of its text: builders and the parser make different nodes for
    # some constructs, and the ASOF rewrite (and Spark's spelling) match the parser's
    tree = node(sqlglot.parse_one(tree.sql(dialect=DIALECT), read=DIALECT))
    return Statement(statement.table, _types_once(_without_asof(tree, columns)))


def _types_once(tree: exp.Expression) -> exp.Expression:
    """``tree`` with the JSON type of each path a select reads from the subquery under it
    (``json_type(fx[k])``) computed once per row, in a select between the two, not at each use.

    A rule's event table tests a path's type at every comparison of the path (some 120 times in
    one rule); Spark, which has no ``json_type`` and spells it as a ten-branch ``CASE``, then
    parsed, planned and compiled 60 KB of SQL for one statement (at 100k events, 18 s of Spark's
    parsing). The type is a function of the text, so reading it once changes no value."""
    for select in list(tree.find_all(exp.Select)):
        source = select.args.get("from_")
        if source is None or not isinstance(source.this, exp.Subquery) or select.args.get("joins"):
            continue
        uses = [
            (n, k)
            for n in select.find_all(exp.JSONType)
            if n.find_ancestor(exp.Select) is select and (k := fx_entry(n.this)) is not None
        ]
        if not uses:
            continue
        subquery = source.this
        entries = sorted({k for _, k in uses})
        types = [exp.alias_(exp.JSONType(this=_fx(k)), f"ck_jt{k}", quoted=True) for k in entries]
        inner = exp.Subquery(this=subquery.this, alias=exp.TableAlias(this=exp.to_identifier(_FX_TYPES)))
        middle = exp.select(exp.Star(), *types).from_(inner)
        for n, k in uses:
            n.replace(col(f"ck_jt{k}"))
        subquery.set("this", middle)
    return tree


#: the alias of the subquery under the select that reads the types (no plan table starts "ck_")
_FX_TYPES = "ck_t"


def _fx(k: int) -> exp.Expression:
    """``fx[k]``, as the parser makes it."""
    return exp.Anonymous(this="LIST_EXTRACT", expressions=[col("fx"), lit(k)])


def fx_entry(n: exp.Expression) -> int | None:
    """``k`` if ``n`` is ``fx[k]`` (an entry of the paths of the row, a literal index), else None."""
    if not (isinstance(n, exp.Anonymous) and n.name.lower() == "list_extract" and len(n.expressions) == 2):
        return None
    column, index = n.expressions
    if not (isinstance(column, exp.Column) and column.name == "fx" and not column.table):
        return None
    if not (isinstance(index, exp.Literal) and not index.is_string):
        return None
    return int(index.this)


def _without_asof(tree: exp.Expression, columns: Mapping[str, Sequence[str]]) -> exp.Expression:
    # by the left side's alias: a lookup may copy the layers so far (a sum joins them again), so
    # the same layer can be met twice, and is then one table expression read by both
    ctes: dict[str, exp.CTE] = {}
    # innermost first: the left side of a join may itself hold ASOF joins
    for select in reversed(list(tree.find_all(exp.Select))):
        joins = [j for j in select.args.get("joins") or [] if j.args.get("method") == "ASOF"]
        if not joins:
            continue
        source = select.args["from_"].this
        if isinstance(source, exp.Subquery):  # read twice: once probed, once joined
            name = source.alias
            met = ctes.get(name)
            if met is None:
                ctes[name] = exp.CTE(this=source.this, alias=exp.TableAlias(this=exp.to_identifier(name)))
            elif met.this.sql(dialect=DIALECT) != source.this.sql(dialect=DIALECT):
                raise ValueError(f"two different layers named {name}")
            source = exp.Table(this=exp.to_identifier(name))
            select.set("from_", exp.From(this=source))
        if not isinstance(source, exp.Table):
            raise ValueError(f"an ASOF join's left side is no table: {source.sql(dialect=DIALECT)}")
        for join in joins:
            _window_join(join, source, columns)
    if not ctes:
        return tree
    if not isinstance(tree, exp.Select) or tree.args.get("with_"):
        raise ValueError("ASOF joins below a query that is no plain SELECT")
    tree.set("with_", exp.With(expressions=list(ctes.values())))
    return tree


def _window_join(join: exp.Join, left: exp.Table, columns: Mapping[str, Sequence[str]]) -> None:
    """Turn one ``ASOF LEFT JOIN`` into the ``LEFT JOIN`` of :func:`portable`, in place."""
    right = join.this
    if join.args.get("side") != "LEFT" or not isinstance(right, exp.Table):
        raise ValueError(f"only an ASOF left join of a table is rewritten: {join.sql(dialect=DIALECT)}")
    la, ra = left.alias_or_name, right.alias_or_name
    keys: list[tuple[exp.Column, exp.Column]] = []
    inequality: tuple[type[exp.Expression], exp.Expression] | None = None
    on = join.args["on"]
    for part in on.flatten() if isinstance(on, exp.And) else [on]:
        cond = node(part.unnest())
        a, b = cond.this, cond.expression
        a_right = isinstance(a, exp.Column) and a.table == ra
        b_right = isinstance(b, exp.Column) and b.table == ra
        kind = type(cond)
        if (
            isinstance(cond, exp.EQ)
            and isinstance(a, exp.Column)
            and isinstance(b, exp.Column)
            and a_right != b_right
        ):
            keys.append((a, b) if b_right else (b, a))
        elif kind in _FRAMES and b_right and not a_right and b.name == "ts":
            inequality = (kind, a)
        elif kind in _FRAMES and a_right and not b_right and a.name == "ts":
            inequality = (_MIRROR[kind], b)
        else:
            raise ValueError(f"an ASOF condition the rewrite does not know: {cond.sql(dialect=DIALECT)}")
    if inequality is None:
        raise ValueError(f"an ASOF join without an inequality on ts: {join.sql(dialect=DIALECT)}")
    op, probe = inequality
    table = right.name
    # the right side's columns travel in one struct, the instant first (the aggregate compares it
    # first, and it is unique per key); in the union they are numbered, apart from the keys
    carried = ["ts", *(c for c in columns[table] if c != "ts")]
    slots = [f"ck_{i}" for i in range(len(carried))]
    parts = [f"ck_k{i}" for i in range(len(keys))]
    probes = exp.select(
        exp.alias_(exp.true(), _PROBE),
        exp.alias_(col("eid", la), _PID),
        *(exp.alias_(lk.copy(), p) for (lk, _), p in zip(keys, parts, strict=True)),
        exp.alias_(exp.cast(probe.copy(), "BIGINT"), _T),
        *(exp.alias_(exp.null(), s) for s in slots),
    ).from_(exp.Table(this=exp.to_identifier(left.name), alias=exp.TableAlias(this=exp.to_identifier(la))))
    # ASOF's equality never matches a NULL key, where a window's partition groups NULLs together;
    # and a candidate without an instant is no match (windows sort NULLs to one end)
    probes = probes.where(_none_null([probe, *(lk for lk, _ in keys)]))
    candidates = exp.select(
        exp.alias_(exp.false(), _PROBE),
        exp.alias_(exp.cast(exp.null(), "VARCHAR"), _PID),
        *(exp.alias_(col(r.name), p) for (_, r), p in zip(keys, parts, strict=True)),
        exp.alias_(col("ts"), _T),
        *(exp.alias_(col(c), s) for c, s in zip(carried, slots, strict=True)),
    ).from_(exp.Table(this=exp.to_identifier(table)))
    candidates = candidates.where(_none_null([col("ts"), *(col(r.name) for _, r in keys)]))
    struct = exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier(c), expression=col(s))
            for c, s in zip(carried, slots, strict=True)
        ]
    )
    nearest = tmpl(_FRAMES[op], s=struct)
    window = nearest.find(exp.Window)
    assert window is not None
    window.set("partition_by", [col(p) for p in parts])
    marked = exp.select(col(_PROBE), col(_PID), exp.alias_(nearest, _M)).from_(
        exp.union(probes, candidates, distinct=False).subquery("ck_u")
    )
    matched = (
        exp.select(
            col(_PID),
            *(
                exp.alias_(exp.Dot(this=col(_M), expression=exp.to_identifier(c)), c, quoted=True)
                for c in carried
            ),
        )
        .from_(marked.subquery("ck_w"))
        .where(col(_PROBE))
    )
    join.set("method", None)
    join.set("this", matched.subquery(ra))
    join.set("on", exp.EQ(this=col(_PID, ra), expression=col("eid", la)))


def _none_null(values: Sequence[exp.Expression]) -> exp.Expression:
    """``v1 IS NOT NULL AND ...``."""
    tests = [exp.Not(this=exp.Is(this=v.copy(), expression=exp.null())) for v in values]
    return node(exp.and_(*tests, copy=False))


def portable_plan(
    plan: Plan, paths: Sequence[tuple[str, ...]], *, as_of: int, macros: Macros
) -> list[Statement]:
    """:func:`portable` of every statement of ``plan`` (see :func:`plan_statements`)."""
    statements = plan_statements(plan, paths)
    columns = {s.table: list(s.query.named_selects) for s in statements if isinstance(s.query, exp.Query)}
    return [portable(s, as_of=as_of, macros=macros, columns=columns) for s in statements]


# --- Spark's spelling ------------------------------------------------------------------------

#: DuckDB's ``json_type`` of a JSON text as DuckDB writes it (no surrounding space), exactly:
#: non-negative integers up to 2^64-1 are UBIGINT, negative ones down to -2^63 BIGINT, other numbers
#: DOUBLE (``schema_of_variant`` is no substitute: it names 32.84 a DECIMAL). A brace is
#: ``chr(123)``: in a fragment it would read as a hole.
_JSON_TYPE = (
    "CASE WHEN {j} IS NULL THEN NULL "
    "WHEN left({j}, 1) = '\"' THEN 'VARCHAR' WHEN left({j}, 1) = chr(123) THEN 'OBJECT' "
    "WHEN left({j}, 1) = '[' THEN 'ARRAY' WHEN {j} IN ('true', 'false') THEN 'BOOLEAN' "
    "WHEN {j} = 'null' THEN 'NULL' "
    "WHEN {j} RLIKE '^-[0-9]+$' AND try_cast({j} AS BIGINT) IS NOT NULL THEN 'BIGINT' "
    "WHEN {j} RLIKE '^[0-9]+$' AND try_cast({j} AS DECIMAL(38, 0)) <= 18446744073709551615 THEN 'UBIGINT' "
    "ELSE 'DOUBLE' END"
)
#: DuckDB's ``to_json`` of a scalar: ``to_json(named_struct('v', x))`` is ``{"v":<json>}``
_TO_JSON = (
    "CASE WHEN {x} IS NULL THEN NULL ELSE substr(to_json(named_struct('v', {x})), 6, "
    "length(to_json(named_struct('v', {x}))) - 6) END"
)


def _spark(text: str, **subs: exp.Expression) -> exp.Expression:
    return tmpl_in("spark", text, **subs)


def _element_at(args: list[exp.Expression]) -> exp.Expression:
    array, index = args
    if not isinstance(index, exp.Literal):  # Spark's element_at takes an INT index
        index = exp.cast(index, "INT")
    return exp.Anonymous(this="element_at", expressions=[array, index])


#: functions DuckDB names otherwise than Spark, or Spark lacks: the Spark form of a call, by the
#: DuckDB name, from the call's arguments
SPARK_FORMS: dict[str, Callable[[list[exp.Expression]], exp.Expression]] = {
    "list_extract": _element_at,
    "isfinite": lambda a: _spark("abs({x}) < double('Infinity')", x=a[0]),
    "to_json": lambda a: _spark(_TO_JSON, x=a[0]),
    "to_months": lambda a: exp.Anonymous(this="make_ym_interval", expressions=[lit(0), a[0]]),
    "suffix": lambda a: exp.Anonymous(this="endswith", expressions=a),
    "epoch_us": lambda a: _spark("unix_micros(CAST({x} AS TIMESTAMP))", x=a[0]),
}


def _text_of_json(j: exp.Expression) -> exp.Expression:
    # DuckDB ``j ->> '$'``: a JSON string's text, unescaped; NULL for JSON null. Anonymous calls:
    # sqlglot's Spark generator drops a parse_json node, taking it for a no-op
    parsed = exp.Anonymous(this="parse_json", expressions=[j])
    return exp.Anonymous(this="variant_get", expressions=[parsed, lit("$"), lit("string")])


def _regexp_full_match(n: exp.RegexpFullMatch) -> exp.Expression:
    # Java's $ also matches before a final line terminator, where RE2's full match does not (a
    # timestamp text ending in a newline would pass): \z is the end of the input itself
    pattern = n.expression
    if not isinstance(pattern, exp.Literal):
        raise ValueError(f"a pattern that is no literal: {n.sql(dialect=DIALECT)}")
    return exp.RegexpLike(this=n.this, expression=lit(f"^(?:{pattern.this})\\z"))


def _data_type(n: exp.DataType) -> exp.Expression:
    if n.this == exp.DataType.Type.INT128:  # HUGEINT: narrower (10^38-1), enough for the plans' sums
        return exp.DataType.build("DECIMAL(38, 0)")
    if n.this == exp.DataType.Type.JSON:  # the intake's fx values travel as their JSON texts
        return exp.DataType.build("STRING")
    if (
        n.this == exp.DataType.Type.ARRAY
        and n.expressions
        and n.expressions[0].this == exp.DataType.Type.JSON
    ):
        return exp.DataType.build("ARRAY<STRING>", dialect="spark")
    return n


def _json_scalar(n: exp.JSONExtractScalar) -> exp.Expression:
    if n.expression.sql(dialect=DIALECT) != "'$'":
        raise ValueError(f"a JSON path other than '$': {n.sql(dialect=DIALECT)}")
    return _text_of_json(n.this)


#: sqlglot nodes whose Spark text is not Spark's meaning, by node type
SPARK_NODES: dict[type[exp.Expression], Callable[[exp.Expression], exp.Expression]] = {
    exp.JSONType: lambda n: _spark(_JSON_TYPE, j=n.this),
    exp.JSONExtractScalar: lambda n: _json_scalar(cast(exp.JSONExtractScalar, n)),
    exp.RegexpFullMatch: lambda n: _regexp_full_match(cast(exp.RegexpFullMatch, n)),
    exp.DataType: lambda n: _data_type(cast(exp.DataType, n)),
    # DuckDB's to_days(n): the parser makes a node of it, which Spark's generator keeps as TO_DAYS
    exp.ToDays: lambda n: exp.Anonymous(this="make_dt_interval", expressions=[n.this]),
}


def spark_sql(statement: Statement) -> str:
    """The query of a :func:`portable` statement as Spark SQL text.

    The text reads instants as UTC: it must run with the session time zone ``UTC``
    (``spark.sql.session.timeZone``), where Spark's timestamps without a zone (``epoch_us``,
    ``make_timestamp``, intervals added to a wall time) mean what DuckDB's do."""

    def put(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Anonymous):
            form = SPARK_FORMS.get(n.name.lower())
            return form(list(n.expressions)) if form is not None else n
        rewrite = SPARK_NODES.get(type(n))
        return rewrite(n) if rewrite is not None else n

    tree = statement.query.copy()
    # children first: a node's rewrite sees its arguments rewritten
    for n in reversed([node(n) for n in tree.dfs()]):
        new = put(n)
        if new is not n:
            if n is tree:
                tree = new
            else:
                n.replace(new)
    return tree.sql(dialect="spark")
