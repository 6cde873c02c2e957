"""JMESPath syntax trees turned into Python closures, with jmespath.py's exact semantics.

jmespath.py interprets the syntax tree on every call: a dictionary lookup
and a method dispatch per node. The engine evaluates the same few dozen
expressions millions of times, so each tree is turned once into nested
closures that do the same work directly. Nothing is generated as source
text and nothing is ``eval``'d: each closure is a small function defined
below, mirroring one ``TreeInterpreter.visit_*`` method.

Node types not handled here (projections, slices, flatten...) are delegated
to jmespath's own interpreter for that subtree, so every expression keeps
its meaning; ``tests/language/test_jmespath_compiler.py`` checks the two agree on
generated data for every expression the shipped policies use.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from jmespath import functions
from jmespath.visitor import TreeInterpreter, _equals, _is_actual_number


class Env:
    """What a compiled expression needs at run time: the function table and a fallback.

    ``direct`` holds, for each function with a fixed arity and no element-type
    constraints, its bound method, arity and per-argument allowed type names:
    a call whose arguments pass those checks goes straight to the method,
    skipping ``call_function``'s generic validation; any other call (wrong
    arity, wrong type, variadic functions) still goes through ``call_function``,
    so errors are raised exactly as before.
    """

    __slots__ = ("direct", "functions", "interpreter")

    def __init__(self, table: functions.Functions, interpreter: TreeInterpreter) -> None:
        self.functions = table
        self.interpreter = interpreter
        self.direct: dict[str, tuple[Callable[..., Any], int, tuple[frozenset[str] | None, ...]]] = {}
        for name, spec in table.FUNCTION_TABLE.items():
            signature = spec["signature"]
            if signature and signature[-1].get("variadic"):
                continue
            checks: list[frozenset[str] | None] = []
            for argument in signature:
                if not argument["types"]:
                    checks.append(None)
                    continue
                allowed, subtypes = table._get_allowed_pytypes(argument["types"])
                if subtypes:
                    break  # arrays of a given type: left to call_function
                checks.append(frozenset(allowed))
            else:
                self.direct[name] = (spec["function"].__get__(table), len(signature), tuple(checks))


Compiled = Callable[[Any, Env], Any]


def is_false(value: object) -> bool:
    """JMESPath falsiness, exactly as jmespath.py tests it."""
    if value is None or value is False:
        return True
    cls = value.__class__
    if cls is int or cls is float or value is True:
        return False  # a number or true equals none of "", [] and {}
    return value == "" or value == [] or value == {}


_ORDERING = {"lt": operator.lt, "gt": operator.gt, "lte": operator.le, "gte": operator.ge}


def compile_node(node: dict[str, Any]) -> Compiled:
    """A closure computing ``node`` against a value, as TreeInterpreter.visit would."""
    builder = _BUILDERS.get(node["type"])
    if builder is None:
        return _fallback(node)
    return builder(node)


def _fallback(node: dict[str, Any]) -> Compiled:
    def run(value: Any, env: Env) -> Any:
        return env.interpreter.visit(node, value)

    return run


def _field(node: dict[str, Any]) -> Compiled:
    key = node["value"]

    def run(value: Any, env: Env) -> Any:
        try:
            return value.get(key)
        except AttributeError:
            return None

    return run


def _chain(node: dict[str, Any]) -> Compiled:
    # subexpression, index_expression and pipe all feed each child's result to the next
    steps = [compile_node(child) for child in node["children"]]
    if all(child["type"] == "field" for child in node["children"]):
        keys = [child["value"] for child in node["children"]]

        def fields(value: Any, env: Env) -> Any:
            for key in keys:
                try:
                    value = value.get(key)
                except AttributeError:
                    return None
            return value

        return fields

    def run(value: Any, env: Env) -> Any:
        for step in steps:
            value = step(value, env)
        return value

    return run


def _index(node: dict[str, Any]) -> Compiled:
    position = node["value"]

    def run(value: Any, env: Env) -> Any:
        if not isinstance(value, list):
            return None
        try:
            return value[position]
        except IndexError:
            return None

    return run


def orderable(a: Any, b: Any) -> bool:
    """Whether ``<`` and friends apply: two numbers or two strings.

    jmespath.py lets a number meet a string here and then raises TypeError;
    exports hold numbers as strings often enough ("5000" from a CSV) that
    this checker yields null instead, as the JMESPath spec says for any
    other mix of types.
    """
    cls = a.__class__
    if cls is int or cls is float:  # the common cases first, without the Number ABC
        other = b.__class__
        return other is int or other is float or _is_actual_number(b)
    if cls is str:
        return isinstance(b, str)
    if _is_actual_number(a):
        return _is_actual_number(b)
    return isinstance(a, str) and isinstance(b, str)


def equals(x: object, y: object) -> bool:
    """jmespath.py's ``==``: Python's, except that 0 and 1 never equal false and true.

    That exception needs a number on one side and a boolean on the other, so
    when either side is a string or null the answer is plain ``==``.
    """
    if x is None or y is None or x.__class__ is str or y.__class__ is str:
        return x == y
    return _equals(x, y)


class Interpreter(TreeInterpreter):
    """jmespath's interpreter with the one deviation of :func:`orderable`."""

    def visit_comparator(self, node: dict[str, Any], value: Any) -> Any:
        if node["value"] in self._EQUALITY_OPS:
            return super().visit_comparator(node, value)
        left = self.visit(node["children"][0], value)
        right = self.visit(node["children"][1], value)
        if not orderable(left, right):
            return None
        return self.COMPARATOR_FUNC[node["value"]](left, right)


def _comparator(node: dict[str, Any]) -> Compiled:
    left, right = (compile_node(child) for child in node["children"])
    op = node["value"]
    if op == "eq":
        return lambda value, env: equals(left(value, env), right(value, env))
    if op == "ne":
        return lambda value, env: not equals(left(value, env), right(value, env))
    compare = _ORDERING[op]

    def ordering(value: Any, env: Env) -> Any:
        a, b = left(value, env), right(value, env)
        if not orderable(a, b):
            return None
        return compare(a, b)

    return ordering


def _or(node: dict[str, Any]) -> Compiled:
    left, right = (compile_node(child) for child in node["children"])

    def run(value: Any, env: Env) -> Any:
        matched = left(value, env)
        return right(value, env) if is_false(matched) else matched

    return run


def _and(node: dict[str, Any]) -> Compiled:
    left, right = (compile_node(child) for child in node["children"])

    def run(value: Any, env: Env) -> Any:
        matched = left(value, env)
        return matched if is_false(matched) else right(value, env)

    return run


def _not(node: dict[str, Any]) -> Compiled:
    (inner,) = (compile_node(child) for child in node["children"])

    def run(value: Any, env: Env) -> Any:
        result = inner(value, env)
        cls = result.__class__
        if cls is int or cls is float:
            return False  # jmespath: !0 is false, 0 being truthy; other numbers are truthy too
        if _is_actual_number(result) and result == 0:
            return False
        return not result

    return run


def _literal(node: dict[str, Any]) -> Compiled:
    constant = node["value"]
    return lambda value, env: constant


def _current(node: dict[str, Any]) -> Compiled:
    return lambda value, env: value


def _function(node: dict[str, Any]) -> Compiled:
    name = node["value"]
    args = [compile_node(child) for child in node["children"]]
    # call_function checks arity and argument types, as the interpreter does; a call whose
    # arity and argument types are known to pass (Env.direct) calls the method itself
    if len(args) == 1:
        (first,) = args

        def run1(value: Any, env: Env) -> Any:
            a = first(value, env)
            spec = env.direct.get(name)
            if spec is not None and spec[1] == 1:
                check = spec[2][0]
                if check is None or type(a).__name__ in check:
                    return spec[0](a)
            return env.functions.call_function(name, [a])

        return run1
    if len(args) == 2:
        first, second = args

        def run2(value: Any, env: Env) -> Any:
            a, b = first(value, env), second(value, env)
            spec = env.direct.get(name)
            if spec is not None and spec[1] == 2:
                check_a, check_b = spec[2]
                if (check_a is None or type(a).__name__ in check_a) and (
                    check_b is None or type(b).__name__ in check_b
                ):
                    return spec[0](a, b)
            return env.functions.call_function(name, [a, b])

        return run2

    def run(value: Any, env: Env) -> Any:
        return env.functions.call_function(name, [arg(value, env) for arg in args])

    return run


def _multi_select_list(node: dict[str, Any]) -> Compiled:
    items = [compile_node(child) for child in node["children"]]

    def run(value: Any, env: Env) -> Any:
        if value is None:
            return None
        return [item(value, env) for item in items]

    return run


_BUILDERS: dict[str, Callable[[dict[str, Any]], Compiled]] = {
    "field": _field,
    "subexpression": _chain,
    "index_expression": _chain,
    "pipe": _chain,
    "index": _index,
    "comparator": _comparator,
    "or_expression": _or,
    "and_expression": _and,
    "not_expression": _not,
    "literal": _literal,
    "current": _current,
    "identity": _current,
    "function_expression": _function,
    "multi_select_list": _multi_select_list,
}
