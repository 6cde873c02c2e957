"""Small helpers that build sqlglot expression trees.

SQL is never assembled by pasting values into text. Fixed fragments written
in this package are parsed once with :func:`tmpl`, whose ``{name}``
placeholders are replaced *in the tree* by other expressions; values (policy
literals, parameters, file paths) only ever enter as :func:`lit` nodes, which
sqlglot quotes for the target dialect.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp

DIALECT = "duckdb"
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]\w*)\}")


def node(tree: exp.Expr) -> exp.Expression:
    """``tree`` as the :class:`exp.Expression` it is.

    sqlglot types what its builders return (``parse_one``, ``and_``, ``alias_``...)
    as the wider ``Expr``; the nodes they build are ``Expression`` subclasses.
    """
    if not isinstance(tree, exp.Expression):
        raise TypeError(f"not a sqlglot expression node: {type(tree).__name__}")
    return tree


@lru_cache(maxsize=1024)
def _parse(text: str, dialect: str) -> exp.Expression:
    marked = _PLACEHOLDER.sub(lambda m: f"__ph_{m.group(1)}", text)
    return node(sqlglot.parse_one(marked, read=dialect))


def tmpl(text: str, **subs: exp.Expression | Any) -> exp.Expression:
    """Parse a fixed SQL fragment and put the given trees in place of its ``{name}`` holes.

    A hole stands for a column reference, so it can appear anywhere an
    expression can; a non-expression value is turned into a literal.
    """
    return tmpl_in(DIALECT, text, **subs)


def tmpl_in(dialect: str, text: str, **subs: exp.Expression | Any) -> exp.Expression:
    """:func:`tmpl` of a fragment written in another ``dialect`` (``spark``...)."""
    tree = _parse(text, dialect).copy()
    trees = {k: v if isinstance(v, exp.Expression) else lit(v) for k, v in subs.items()}

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name.startswith("__ph_"):
            return _grouped(trees[node.name[len("__ph_") :]].copy())
        if isinstance(node, exp.Identifier) and node.name.startswith("__ph_"):
            sub = trees[node.name[len("__ph_") :]]
            return exp.to_identifier(sub.name) if isinstance(sub, exp.Column | exp.Identifier) else sub
        return node

    return tree.transform(replace, copy=False)


#: nodes that print as one operand whatever surrounds them
_ATOMS = (
    exp.Column,
    exp.Literal,
    exp.Func,
    exp.Paren,
    exp.Null,
    exp.Boolean,
    exp.Case,
    exp.Cast,
    exp.Subquery,
    exp.Identifier,
    exp.Array,
    exp.Tuple,
    exp.Star,
    exp.Select,
    exp.Bracket,
    exp.Table,
)


def _grouped(tree: exp.Expression) -> exp.Expression:
    """``tree`` in parentheses unless it is atomic: a substituted ``a + b`` stays one operand."""
    return tree if isinstance(tree, _ATOMS) else exp.Paren(this=tree)


def lit(value: Any) -> exp.Expression:
    """A literal of a Python value: None, bool, int, float or str."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        if -(2**63) <= value < 2**63:
            return exp.Literal.number(value)
        return exp.cast(exp.Literal.string(str(value)), "HUGEINT")
    if isinstance(value, float):
        return exp.cast(exp.Literal.string(repr(value)), "DOUBLE")
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise TypeError(f"no SQL literal for {type(value).__name__}")


def col(name: str, table: str | None = None) -> exp.Column:
    """A (quoted) column reference."""
    return exp.column(exp.to_identifier(name, quoted=True), table=table)


def fn(name: str, *args: exp.Expression) -> exp.Expression:
    """A call of a DuckDB function by name."""
    return exp.Anonymous(this=name, expressions=list(args))


def and_(*parts: exp.Expression) -> exp.Expression:
    """Conjunction, parenthesised."""
    items = [p for p in parts if p is not None]
    if not items:
        return exp.true()
    return node(exp.and_(*[exp.paren(p, copy=False) for p in items], copy=False))


def or_(*parts: exp.Expression) -> exp.Expression:
    """Disjunction, parenthesised."""
    items = [p for p in parts if p is not None]
    if not items:
        return exp.false()
    return node(exp.or_(*[exp.paren(p, copy=False) for p in items], copy=False))


def case(*whens: tuple[exp.Expression, exp.Expression], default: exp.Expression | None = None) -> exp.Case:
    """``CASE WHEN c THEN v ... ELSE default END``."""
    node = exp.Case()
    for cond, value in whens:
        node = node.when(cond, value, copy=False)
    if default is not None:
        node = node.else_(default, copy=False)
    return node


def sql(tree: exp.Expression) -> str:
    """The tree as DuckDB SQL text."""
    return tree.sql(dialect=DIALECT)


def table(name: str) -> exp.Table:
    """A table by name (quoted as the dialect needs)."""
    return exp.Table(this=exp.to_identifier(name, quoted=True))


def union_all(*queries: exp.Expression) -> exp.Expression:
    """``q1 UNION ALL q2 ...`` (one query: itself)."""
    out = queries[0]
    for q in queries[1:]:
        out = node(exp.union(out, q, distinct=False))
    return out
