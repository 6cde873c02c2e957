"""No SQL is assembled as text in the DuckDB engine: statements are sqlglot trees (the portable plan
the Spark engine will reuse), values enter as literals, names as identifiers.

The check reads the engine's source: an f-string, a ``+``, a ``%`` or ``.format`` whose text holds
SQL, or a ``.join`` with an SQL separator, is SQL assembled as text. ``ALLOWED`` is what is left
of it, file by file: a count may only go down (this test then asks for the lower number), and it
is zero for every file that reaches zero. Error messages and identifiers built as text (a table
name, a macro name) are not SQL statements and do not count.
"""

from __future__ import annotations

import ast
import re

from tests.conftest import ROOT

ENGINE = ROOT / "checker" / "engines" / "duckdb"
#: upper-case SQL words, as the engine writes them
SQL = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|FROM|WHERE|JOIN|UNION|GROUP BY|ORDER BY|AND|OR)\b"
)

#: SQL still assembled as text, by file (the debt the fast-engine issue pays off); only ever lower
ALLOWED: dict[str, int] = {}


def _texts(node: ast.AST) -> str:
    """The literal text of a string expression (the constant parts of an f-string)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    return ""


def assembled(source: str) -> list[int]:
    """The lines where ``source`` assembles SQL as text."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr) and SQL.search(_texts(node)):
            lines.append(node.lineno)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
            if any(SQL.search(_texts(side)) for side in (node.left, node.right)):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("join", "format")
            and SQL.search(_texts(node.func.value))
        ):
            lines.append(node.lineno)
    return sorted(set(lines))


def test_the_check_sees_sql_built_as_text() -> None:
    source = (
        'q = f"SELECT * FROM {t}"\n'
        'r = "SELECT a " + where\n'
        'u = " UNION ALL ".join(parts)\n'
        'ok = f"no such table {name}"\n'
        's = sql(tmpl("SELECT * FROM {t}", t=table(name)))\n'
    )
    assert assembled(source) == [1, 2, 3]


def test_no_new_sql_is_assembled_as_text() -> None:
    found = {path.name: assembled(path.read_text(encoding="utf-8")) for path in sorted(ENGINE.glob("*.py"))}
    over = {name: lines for name, lines in found.items() if len(lines) > ALLOWED.get(name, 0)}
    assert not over, f"SQL assembled as text (build a sqlglot tree with sqlbuild.tmpl instead): {over}"
    under = {name: len(found[name]) for name, n in ALLOWED.items() if len(found.get(name, [])) < n}
    assert not under, f"less SQL is assembled as text than ALLOWED says: lower it to {under}"
