"""JMESPath expressions, with the few registered functions that time arithmetic needs.

Policies never run Python: every condition, field access and anchor is a
JMESPath expression. This module compiles them once, evaluates them with a
function table bound to the rule's timezone and the input's timezone, and
walks their syntax trees so validation can name the bindings, parameters and
functions an expression uses before anything runs.

Time values are ``int`` epoch microseconds (see :mod:`checker.language.times`). The
registered functions:

===========================  ====================================================
``time(x)``                  instant of an event, a timestamp string or an epoch
                             number (seconds, milliseconds or microseconds)
``elapsed(a, b)``            microseconds from ``a`` to ``b`` (events or times)
``duration(d)``              exact length of an ISO 8601 duration (``P15D`` =
                             15 x 24 h); years and months are refused
``plus(t, d)``, ``minus(t, d)``  ``t`` moved by the exact length of ``d``
``add_calendar(t, d)``       ``t`` moved by ``d`` on the calendar of the rule's
                             timezone (``P3M`` clamps to the month's end)
``sub_calendar(t, d)``       the same, backwards
``local_date(t)``            ``YYYY-MM-DD`` of ``t`` in the rule's timezone
``calendar_days(a, b)``      calendar days from ``a``'s local date to ``b``'s
``is_blank(s)``              true for null or a string of only whitespace
``format_time(t)``           RFC 3339 text of ``t`` in the rule's timezone
``format_elapsed(us)``       ``15d 0h 0m 1s``
``describe(x)``              what a value is, for reasons: ``"2" (a string)``,
                             ``[] (a list)``, ``nothing (missing or null)``
===========================  ====================================================

Every function returns ``null`` when a time argument is ``null`` or cannot
be read, so a condition over missing data is false rather than an error;
policies say what missing data means with ``inconclusive_if``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import jmespath
from jmespath import exceptions as jexc
from jmespath import functions
from jmespath.parser import ParsedResult

from .durations import DurationError, add_calendar, format_elapsed, parse_duration
from .jmespath_compiler import Compiled, Env, Interpreter, compile_node
from .times import (
    TimestampError,
    format_timestamp,
    local_date,
    parse_timestamp,
)


class EventView(dict[str, Any]):
    """An event as JMESPath sees it: a plain mapping that also knows its instant."""

    __slots__ = ("epoch",)

    def __init__(self, data: dict[str, Any], epoch: int) -> None:
        dict.__init__(self, data)  # not super(): one lookup less for every event read
        self.epoch = epoch


class _TimeFunctions(functions.Functions):
    """The registered functions; one instance per (rule timezone, input timezone)."""

    def __init__(self, rule_tz: ZoneInfo, input_tz: ZoneInfo) -> None:
        super().__init__()
        self.rule_tz = rule_tz
        self.input_tz = input_tz

    def instant(self, value: Any) -> int | None:
        """Epoch microseconds of an event or timestamp value, or None."""
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, EventView):
            return value.epoch
        try:
            return parse_timestamp(value, self.input_tz)
        except TimestampError:
            return None

    @functions.signature({"types": []})
    def _func_time(self, value: Any) -> int | None:
        return self.instant(value)

    @functions.signature({"types": []}, {"types": []})
    def _func_elapsed(self, start: Any, end: Any) -> int | None:
        a, b = self.instant(start), self.instant(end)
        return None if a is None or b is None else b - a

    @functions.signature({"types": ["string", "null"]})
    def _func_duration(self, text: str | None) -> int | None:
        if text is None:
            return None
        return parse_duration(text).elapsed_us()

    @functions.signature({"types": []}, {"types": ["string", "null"]})
    def _func_add_calendar(self, start: Any, text: str | None) -> int | None:
        t = self.instant(start)
        if t is None or text is None:
            return None
        return add_calendar(t, parse_duration(text), self.rule_tz)

    @functions.signature({"types": []}, {"types": ["string", "null"]})
    def _func_sub_calendar(self, start: Any, text: str | None) -> int | None:
        t = self.instant(start)
        if t is None or text is None:
            return None
        return add_calendar(t, parse_duration(text), self.rule_tz, sign=-1)

    @functions.signature({"types": []}, {"types": ["string", "null"]})
    def _func_plus(self, start: Any, text: str | None) -> int | None:
        t = self.instant(start)
        return None if t is None or text is None else t + parse_duration(text).elapsed_us()

    @functions.signature({"types": []}, {"types": ["string", "null"]})
    def _func_minus(self, start: Any, text: str | None) -> int | None:
        t = self.instant(start)
        return None if t is None or text is None else t - parse_duration(text).elapsed_us()

    @functions.signature({"types": []})
    def _func_local_date(self, value: Any) -> str | None:
        t = self.instant(value)
        return None if t is None else local_date(t, self.rule_tz).isoformat()

    @functions.signature({"types": []}, {"types": []})
    def _func_calendar_days(self, start: Any, end: Any) -> int | None:
        a, b = self.instant(start), self.instant(end)
        if a is None or b is None:
            return None
        return (local_date(b, self.rule_tz) - local_date(a, self.rule_tz)).days

    @functions.signature({"types": []})
    def _func_is_blank(self, value: Any) -> bool:
        return value is None or (isinstance(value, str) and not value.strip())

    @functions.signature({"types": []})
    def _func_format_time(self, value: Any) -> str | None:
        t = self.instant(value)
        return None if t is None else format_timestamp(t, self.rule_tz)

    @functions.signature({"types": []})
    def _func_describe(self, value: Any) -> str:
        return describe_value(value)

    @functions.signature({"types": ["number", "null"]})
    def _func_format_elapsed(self, value: int | None) -> str | None:
        return None if value is None else format_elapsed(int(value))


#: the longest JSON text :func:`describe_value` shows of a value before cutting it
DESCRIBE_MAX = 60

#: the words :func:`describe_value` gives each JSON type (bool before int: a bool is an int)
_KIND_WORDS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (str, "a string"),
    (bool, "a boolean"),
    ((int, float), "a number"),
    (list, "a list"),
    (dict, "an object"),
)


def describe_value(value: Any) -> str:
    """A value as a reason shows what a field held: its JSON text (cut at
    :data:`DESCRIBE_MAX` characters) and its type, or ``nothing (missing or null)``."""
    if value is None:
        return "nothing (missing or null)"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
    if len(text) > DESCRIBE_MAX:
        text = text[: DESCRIBE_MAX - 1] + "…"
    word = next((w for t, w in _KIND_WORDS if isinstance(value, t)), "a value")
    return f"{text} ({word})"


#: Names and arities of the functions every expression may call (for a variadic one, JMESPath's
#: ``not_null`` and ``merge``, the fewest arguments it takes).
FUNCTION_ARITY: dict[str, int] = {
    name[len("_func_") :]: len(getattr(_TimeFunctions, name).signature)
    for name in dir(_TimeFunctions)
    if name.startswith("_func_")
}
#: The functions that take any number of arguments from their arity on.
VARIADIC = frozenset(
    name[len("_func_") :]
    for name in dir(_TimeFunctions)
    if name.startswith("_func_") and any(a.get("variadic") for a in getattr(_TimeFunctions, name).signature)
)

#: The declared types of the registered functions, ``name: ((argument, ...), result)``, which
#: :mod:`checker.language.typecheck` checks every call against before a run. Arguments:
#: ``instant`` (an event, a timestamp text or an epoch number), ``duration`` (an ISO 8601
#: duration text: a literal or a parameter of type duration), ``number``, ``any``. Results are
#: JMESPath types, null included when an argument is null or unreadable. A registered function
#: needs an entry (``tests/language/test_typecheck.py`` fails without one).
FUNCTION_TYPES: dict[str, tuple[tuple[str, ...], str]] = {
    "time": (("instant",), "number"),
    "elapsed": (("instant", "instant"), "number"),
    "duration": (("duration",), "number"),
    "plus": (("instant", "duration"), "number"),
    "minus": (("instant", "duration"), "number"),
    "add_calendar": (("instant", "duration"), "number"),
    "sub_calendar": (("instant", "duration"), "number"),
    "local_date": (("instant",), "string"),
    "calendar_days": (("instant", "instant"), "number"),
    "is_blank": (("any",), "boolean"),
    "format_time": (("instant",), "string"),
    "format_elapsed": (("number",), "string"),
    "describe": (("any",), "string"),
}


@lru_cache(maxsize=256)
def _functions(rule_tz: ZoneInfo, input_tz: ZoneInfo) -> _TimeFunctions:
    return _TimeFunctions(rule_tz, input_tz)


@lru_cache(maxsize=256)
def _env(rule_tz: ZoneInfo, input_tz: ZoneInfo) -> Env:
    table = _functions(rule_tz, input_tz)
    return Env(table, Interpreter(jmespath.Options(custom_functions=table)))


def instant_function(rule_tz: ZoneInfo, input_tz: ZoneInfo) -> Callable[[Any], int | None]:
    """Epoch microseconds of an event or timestamp value as the expression functions read it,
    with the rule's and the input's timezones fixed."""
    return _functions(rule_tz, input_tz).instant


@dataclass(frozen=True)
class ExpressionError:
    """Why an expression does not compile: message and 0-based offset in its text."""

    message: str
    offset: int
    caret: str


@dataclass(frozen=True, eq=False)
class Expression:
    """A compiled JMESPath expression and its source text.

    A plain field path (``seller_id``, ``subject.id``) is by far the most
    common expression — every correlation key — so it is read with dict
    lookups instead of the JMESPath interpreter; the result is the same
    (null for a missing key or a non-object on the way).
    """

    text: str
    compiled: ParsedResult
    path: tuple[str, ...] | None = None
    fn: Compiled | None = field(default=None, repr=False)

    def evaluate(self, data: Any, rule_tz: ZoneInfo, input_tz: ZoneInfo) -> Any:
        """Evaluate against ``data`` with the functions bound to the two timezones."""
        if self.path is not None:
            for key in self.path:
                if not isinstance(data, dict):
                    return None
                data = data.get(key)
            return data
        assert self.fn is not None
        return self.fn(data, _env(rule_tz, input_tz))

    def bound(self, rule_tz: ZoneInfo, input_tz: ZoneInfo) -> Callable[[Any], Any]:
        """:meth:`evaluate` with the two timezones fixed: a one-argument function.

        The engine binds each expression of a rule once per run, so a call does
        no timezone or function-table lookup.
        """
        path = self.path
        if path is not None:
            if len(path) == 1:
                (key,) = path
                return lambda data: data.get(key) if isinstance(data, dict) else None
            if len(path) == 2:
                outer, inner = path

                def two(data: Any) -> Any:
                    if not isinstance(data, dict):
                        return None
                    data = data.get(outer)
                    return data.get(inner) if isinstance(data, dict) else None

                return two

            def walk(data: Any) -> Any:
                for key in path:
                    if not isinstance(data, dict):
                        return None
                    data = data.get(key)
                return data

            return walk
        fn = self.fn
        assert fn is not None
        env = _env(rule_tz, input_tz)
        return lambda data: fn(data, env)

    def interpret(self, data: Any, rule_tz: ZoneInfo, input_tz: ZoneInfo) -> Any:
        """Evaluate with the tree interpreter (the reference the compiled form matches)."""
        return _env(rule_tz, input_tz).interpreter.visit(self.ast, data)

    @property
    def ast(self) -> dict[str, Any]:
        """The parsed syntax tree (jmespath's dict form)."""
        return self.compiled.parsed


def compile_expression(text: str) -> Expression | ExpressionError:
    """Compile ``text``; on failure return where and why, with a caret line."""
    deep = _too_deep(text)
    if deep is not None:
        return ExpressionError(
            f"invalid JMESPath expression: nested more than {MAX_EXPRESSION_DEPTH} levels deep",
            deep,
            f"{text}\n{' ' * deep}^",
        )
    try:
        compiled = jmespath.compile(text)
        if _non_finite_literal(compiled.parsed):
            return ExpressionError(
                "invalid JMESPath expression: a literal holds NaN or an infinity, which JSON cannot hold",
                0,
                text,
            )
        if _ast_depth(compiled.parsed) > MAX_EXPRESSION_DEPTH:
            return ExpressionError(
                f"invalid JMESPath expression: nested more than {MAX_EXPRESSION_DEPTH} levels deep", 0, text
            )
    except RecursionError:  # not expected within the limit: an error, never a crash
        return ExpressionError("invalid JMESPath expression: nested too deep to read", 0, text)
    except jexc.ParseError as exc:
        offset = exc.lex_position if isinstance(exc.lex_position, int) else 0
        kind = type(exc).__name__.replace("Error", "").lower()
        reason = getattr(exc, "msg", kind) or kind
        token = f" near {exc.token_value!r}" if exc.token_value not in (None, "") else ""
        caret = f"{text}\n{' ' * offset}^"
        return ExpressionError(f"invalid JMESPath expression: {reason}{token}", offset, caret)
    except jexc.JMESPathError as exc:
        return ExpressionError(f"invalid JMESPath expression: {exc}", 0, text)
    return Expression(text, compiled, _pure_path(compiled.parsed), compile_node(compiled.parsed))


#: the deepest nesting of brackets, parentheses and braces, and of the syntax tree (a chain
#: ``a.b.c`` is as deep as it is long), of a JMESPath expression: policies stay far below
MAX_EXPRESSION_DEPTH = 64
_BRACKETS = re.compile(r"""'(?:[^'\\]|\\.)*'?|`(?:[^`\\]|\\.)*`?|"(?:[^"\\]|\\.)*"?|[\[\](){}]""", re.S)


def _too_deep(text: str) -> int | None:
    """The offset of the bracket that nests ``text`` past :data:`MAX_EXPRESSION_DEPTH`, or None."""
    if text.count("(") + text.count("[") + text.count("{") <= MAX_EXPRESSION_DEPTH:
        return None
    depth = 0
    for m in _BRACKETS.finditer(text):
        char = m.group()
        if char in "([{":
            depth += 1
            if depth > MAX_EXPRESSION_DEPTH:
                return m.start()
        elif char in ")]}":
            depth = max(depth - 1, 0)
    return None


def _ast_depth(ast: dict[str, Any]) -> int:
    """The depth of a parsed expression's tree, walked without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(ast, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_EXPRESSION_DEPTH:
            break
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.get("children", ()) if isinstance(child, dict))
    return deepest


def _non_finite_literal(ast: dict[str, Any]) -> bool:
    """Whether a literal of the expression holds NaN or an infinity (jmespath reads `NaN`)."""
    stack: list[Any] = [ast]
    while stack:
        node = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _pure_path(ast: dict[str, Any]) -> tuple[str, ...] | None:
    """The field names of an expression that is only a field path, else None."""
    if ast.get("type") == "field":
        return (ast["value"],)
    if ast.get("type") == "subexpression":
        names: list[str] = []
        for child in ast["children"]:
            part = _pure_path(child)
            if part is None:
                return None
            names.extend(part)
        return tuple(names)
    return None


# --- syntax-tree walks used by validation and by the SQL compiler later ------------

_ROOT_CHILD_SCOPES = {
    # node type: which children are evaluated against the same (root) context
    "subexpression": (0,),
    "index_expression": (0,),
    "projection": (0,),
    "value_projection": (0,),
    "flatten": (0,),
    "filter_projection": (0,),
    "pipe": (0,),
}


def root_fields(ast: dict[str, Any]) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Yield ``(name, path)`` for each field read from the root context.

    ``path`` is the chain of plain field names that follows (``params.x``
    gives ``('params', ('x',))``), so validation can check both the binding
    names and the parameter names an expression reads.
    """
    kind: str = ast.get("type", "")
    if kind == "field":
        yield ast["value"], ()
        return
    if kind == "subexpression":
        chain = _field_chain(ast)
        if chain:
            yield chain[0], tuple(chain[1:])
            return
    scoped = _ROOT_CHILD_SCOPES.get(kind)
    children = ast.get("children", [])
    for i, child in enumerate(children):
        if scoped is not None and i not in scoped:
            continue
        if kind == "expref":
            continue
        if isinstance(child, dict):
            yield from root_fields(child)


def _field_chain(ast: dict[str, Any]) -> list[str]:
    """The leading plain field names of an expression (``params.x[0]`` -> params, x)."""
    if ast.get("type") == "field":
        return [ast["value"]]
    if ast.get("type") == "subexpression":
        names: list[str] = []
        for child in ast["children"]:
            part = _field_chain(child)
            if not part:
                break
            names.extend(part)
            if child.get("type") != "field":
                break
        return names
    return []


def function_calls(ast: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Yield ``(function name, argument nodes)`` for every call in the tree."""
    if ast.get("type") == "function_expression":
        yield ast["value"], ast["children"]
    for child in ast.get("children", []):
        if isinstance(child, dict):
            yield from function_calls(child)


def comparisons(ast: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Yield the two operands of every comparison in the tree."""
    if ast.get("type") == "comparator":
        yield ast["children"][0], ast["children"][1]
    for child in ast.get("children", []):
        if isinstance(child, dict):
            yield from comparisons(child)


BUILTIN_FUNCTIONS = frozenset(
    name[len("_func_") :] for name in dir(functions.Functions) if name.startswith("_func_")
)


#: Functions whose last argument is a duration, and whether it must be exact elapsed time.
DURATION_ARGUMENT = {
    "duration": "elapsed",
    "plus": "elapsed",
    "minus": "elapsed",
    "add_calendar": "calendar",
    "sub_calendar": "calendar",
}


def check_calls(expr: Expression) -> list[str]:
    """Messages for unknown functions, wrong arity and literal durations that do not parse."""
    messages: list[str] = []
    for name, args in function_calls(expr.ast):
        if name in FUNCTION_ARITY:
            if name in VARIADIC and len(args) < FUNCTION_ARITY[name]:
                messages.append(
                    f"{name}() takes at least {FUNCTION_ARITY[name]} argument(s), {len(args)} given"
                )
            elif name not in VARIADIC and len(args) != FUNCTION_ARITY[name]:
                messages.append(f"{name}() takes {FUNCTION_ARITY[name]} argument(s), {len(args)} given")
        elif name not in BUILTIN_FUNCTIONS:
            known = ", ".join(sorted(FUNCTION_ARITY))
            messages.append(f"unknown function {name}() (registered: {known})")
            continue
        if name in DURATION_ARGUMENT:
            literal = args[-1] if args else None
            if literal and literal.get("type") == "literal" and isinstance(literal["value"], str):
                try:
                    d = parse_duration(literal["value"])
                    if DURATION_ARGUMENT[name] == "elapsed":
                        d.elapsed_us()
                except DurationError as exc:
                    messages.append(str(exc))
    return messages
