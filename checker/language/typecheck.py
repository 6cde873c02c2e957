"""Types checked before a run: every expression of a policy, inferred over its syntax tree.

A policy that passes a number where a duration text is expected
(``minus(trigger, duration(params.x))``) would otherwise validate and then make every
trigger inconclusive at run time on one engine and fail to compile on the other. This
module infers what each expression can yield and refuses, at ``file:line:column``, a value
that can *never* be what the place it goes to needs:

* an argument of a registered function (:data:`checker.language.expressions.FUNCTION_TYPES`)
  or of a JMESPath built-in (its own signature table);
* the two sides of an ordering comparison (``<``, ``<=``, ``>``, ``>=``), which JMESPath
  makes null unless both are numbers or both strings;
* a lookup's anchor (``after``, ``before``...), which must be an event or an instant.

Types come from the declarations: parameters (``type: duration`` is a duration text),
literals (a string literal that reads as an ISO 8601 duration is one), lookups
(:attr:`checker.language.kinds.LookupKind.value_type`, or null when their window is
undefined), the functions' results, and ``value`` bindings (what their expression yields).
An event's fields are unknown: anything. A type is a set of the kinds of value an
expression may yield; the check is sound, never a guess: only an expression none of whose
non-null values fits is refused (null alone is what missing data gives, and every function
reads it as null).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Flag, auto
from typing import Any

from jmespath import functions as builtins
from jmespath.lexer import Lexer

from .durations import DurationError, parse_duration
from .errors import Problem
from .expressions import FUNCTION_TYPES, Expression, ExpressionError, compile_expression
from .kinds import LOOKUP_KINDS, VALUE_KIND, WINDOW_KEYS, ValueType
from .yamlsafe import Document, Path


class Kind(Flag):
    """The kinds of value an expression may yield (a type is a union of them)."""

    NULL = auto()
    BOOLEAN = auto()
    NUMBER = auto()
    TEXT = auto()  # a string not known to be a duration
    DURATION = auto()  # an ISO 8601 duration text: a literal that reads as one, or such a parameter
    ARRAY = auto()
    OBJECT = auto()
    EVENT = auto()
    EXPREF = auto()  # &expression, an argument of sort_by() and the like


ANY = (
    Kind.NULL | Kind.BOOLEAN | Kind.NUMBER | Kind.TEXT | Kind.DURATION | Kind.ARRAY | Kind.OBJECT | Kind.EVENT
)
STRING = Kind.TEXT | Kind.DURATION
MAPPING = Kind.OBJECT | Kind.EVENT
NOTHING = Kind(0)

#: how messages name each kind, in the order they list a union's
_WORDS = {
    Kind.BOOLEAN: "a boolean",
    Kind.NUMBER: "a number",
    Kind.TEXT: "a string",
    Kind.DURATION: "a duration text",
    Kind.ARRAY: "an array",
    Kind.OBJECT: "an object",
    Kind.EVENT: "an event",
    Kind.EXPREF: "an expression reference (&...)",
    Kind.NULL: "null",
}

#: a parameter's declared type (``parameters.NAME.type``) as a kind
PARAMETER_KINDS: Mapping[str, Kind] = {
    "number": Kind.NUMBER,
    "integer": Kind.NUMBER,
    "string": Kind.TEXT,
    "boolean": Kind.BOOLEAN,
    "duration": Kind.DURATION,
}

#: a lookup's value type (:data:`checker.language.kinds.ValueType`) as a kind
LOOKUP_VALUE_KINDS: Mapping[ValueType, Kind] = {
    "event": Kind.EVENT,
    "boolean": Kind.BOOLEAN,
    "integer": Kind.NUMBER,
    "number": Kind.NUMBER,
}

#: what a registered function's argument accepts (:data:`FUNCTION_TYPES`), and how to say it
ARGUMENT_KINDS: Mapping[str, tuple[Kind, str]] = {
    "instant": (
        Kind.EVENT | Kind.NUMBER | Kind.TEXT,
        "an instant (an event, a timestamp text or an epoch number)",
    ),
    "duration": (
        Kind.DURATION,
        "an ISO 8601 duration text such as 'P15D' (a literal, or a parameter of type duration)",
    ),
    "number": (Kind.NUMBER, "a number"),
    "any": (ANY | Kind.EXPREF, "any value"),
}

#: a registered function's declared result (:data:`FUNCTION_TYPES`) as a kind
RESULT_KINDS: Mapping[str, Kind] = {
    "number": Kind.NUMBER | Kind.NULL,
    "string": Kind.TEXT | Kind.NULL,
    "boolean": Kind.BOOLEAN,
}

#: a JMESPath built-in's argument type (its ``signature``) as a kind; ``[]`` is any
_BUILTIN_TYPES: Mapping[str, Kind] = {
    "number": Kind.NUMBER,
    "string": STRING,
    "boolean": Kind.BOOLEAN,
    "array": Kind.ARRAY,
    "array-number": Kind.ARRAY,
    "array-string": Kind.ARRAY,
    "object": MAPPING,
    "null": Kind.NULL,
    "expref": Kind.EXPREF,
}

_ORDERING = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def words(kind: Kind) -> str:
    """``a number or a string``: the kinds of a type, null left out unless it is all there is."""
    shown = [w for k, w in _WORDS.items() if k in kind and (k is not Kind.NULL or kind == Kind.NULL)]
    return " or ".join(shown) or "nothing"


@dataclass(frozen=True)
class Shape:
    """A type: the kinds of value an expression may yield, and the known fields of an object
    with fixed keys (the decision context, ``params``)."""

    kind: Kind
    fields: Mapping[str, Shape] | None = None


UNKNOWN = Shape(ANY)


@dataclass(frozen=True)
class TypeProblem:
    """One refused expression: the offset in its text where the problem is, and the message."""

    offset: int
    message: str


# --- where calls and comparisons stand in the text ---------------------------------------


@dataclass(frozen=True)
class _Call:
    name_at: int
    args: tuple[tuple[int, str], ...]  # (offset, text) of each argument


def _positions(text: str) -> tuple[list[_Call], list[int]]:
    """The function calls (name offset, arguments' offsets and texts) and the ordering and
    equality operators' offsets of ``text``, in text order."""
    tokens = [t for t in Lexer().tokenize(text) if t["type"] != "eof"]
    calls: list[_Call] = []
    operators: list[int] = []
    for i, token in enumerate(tokens):
        if token["type"] in ("lt", "lte", "gt", "gte", "eq", "ne"):
            operators.append(token["start"])
        is_name = token["type"] in ("unquoted_identifier", "quoted_identifier")
        if not (is_name and i + 1 < len(tokens) and tokens[i + 1]["type"] == "lparen"):
            continue
        args: list[tuple[int, str]] = []
        depth, start = 0, None
        for tok in tokens[i + 2 :]:
            kind = tok["type"]
            if depth == 0 and kind in ("comma", "rparen"):
                if start is not None:
                    args.append((start, text[start : tok["start"]].rstrip()))
                start = None
                if kind == "rparen":
                    break
                continue
            if start is None:
                start = tok["start"]
            if kind in ("lparen", "lbracket", "lbrace", "filter"):
                depth += 1
            elif kind in ("rparen", "rbracket", "rbrace"):
                depth -= 1
        calls.append(_Call(token["start"], tuple(args)))
    return calls, operators


def _source_order(ast: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``("call", node)`` for each call (before its arguments) and ``("op", node)`` for each
    comparison (between its sides), in the order their tokens stand in the text."""
    kind = ast.get("type")
    children = [c for c in ast.get("children", ()) if isinstance(c, dict)]
    if kind == "filter_projection":  # left [? condition ] right: the condition is written second
        children = [children[0], children[2], children[1]]
    if kind == "function_expression":
        yield "call", ast
    for i, child in enumerate(children):
        if kind == "comparator" and i == 1:
            yield "op", ast
        yield from _source_order(child)


# --- inference ------------------------------------------------------------------------------


@dataclass
class _Inference:
    """Infers one expression's type, collecting what it refuses."""

    text: str
    errors: list[TypeProblem] = field(default_factory=list)
    calls: dict[int, _Call] = field(default_factory=dict)  # id(node) -> its place in the text
    operators: dict[int, int] = field(default_factory=dict)
    params: Mapping[str, Shape] = field(default_factory=dict)

    def locate(self, ast: dict[str, Any]) -> None:
        calls, operators = _positions(self.text)
        order = list(_source_order(ast))
        nodes = [n for what, n in order if what == "call"]
        ops = [n for what, n in order if what == "op"]
        if len(nodes) == len(calls):  # always, for what the parser accepts; else offset 0
            self.calls = {id(n): c for n, c in zip(nodes, calls, strict=True)}
        if len(ops) == len(operators):
            self.operators = {id(n): at for n, at in zip(ops, operators, strict=True)}

    def visit(self, node: dict[str, Any], current: Shape) -> Shape:
        return _NODES[node["type"]](self, node, current)

    def refuse(self, offset: int, message: str) -> None:
        self.errors.append(TypeProblem(offset, message))


def _field(inf: _Inference, node: dict[str, Any], current: Shape) -> Shape:
    if current.fields is not None:
        return current.fields.get(node["value"], Shape(Kind.NULL))
    return UNKNOWN if current.kind & MAPPING else Shape(Kind.NULL)


def _subexpression(inf: _Inference, node: dict[str, Any], current: Shape) -> Shape:
    for child in node["children"]:
        current = inf.visit(child, current)
    return current


def _index_expression(inf: _Inference, node: dict[str, Any], current: Shape) -> Shape:
    left, right = node["children"]
    return inf.visit(right, inf.visit(left, current))


def _index(inf: _Inference, node: dict[str, Any], current: Shape) -> Shape:
    return UNKNOWN if current.kind & Kind.ARRAY else Shape(Kind.NULL)


def _array_of(inf: _Inference, node: dict[str, Any], current: Shape) -> Shape:
    """Projections, flatten, slices and lists: an array (or null); their elements are unknown."""
    children = [c for c in node["children"] if isinstance(c, dict)]
    if node["type"] == "filter_projection":
        children = [children[0], children[2], children[1]]
    for i, child in enumerate(children):
        inf.visit(child, current if i == 0 or node["type"] == "multi_select_list" else UNKNOWN)
    return Shape(Kind.ARRAY | Kind.NULL)


def _multi_select_dict(inf: _Inference, node: dict[str, Any], current: Shape) -> Shape:
    for pair in node["children"]:
        inf.visit(pair, current)
    return Shape(Kind.OBJECT | Kind.NULL)


def _key_val_pair(inf: _Inference, node: dict[str, Any], current: Shape) -> Shape:
    return inf.visit(node["children"][0], current)


def _pipe(inf: _Inference, node: dict[str, Any], current: Shape) -> Shape:
    left, right = node["children"]
    return inf.visit(right, inf.visit(left, current))


def _either(inf: _Inference, node: dict[str, Any], current: Shape) -> Shape:
    """``a || b`` and ``a && b`` yield one of their sides."""
    left, right = (inf.visit(child, current) for child in node["children"])
    return Shape(left.kind | right.kind)


def _not(inf: _Inference, node: dict[str, Any], current: Shape) -> Shape:
    inf.visit(node["children"][0], current)
    return Shape(Kind.BOOLEAN)


def _comparator(inf: _Inference, node: dict[str, Any], current: Shape) -> Shape:
    left, right = (inf.visit(child, current).kind & ~Kind.NULL for child in node["children"])
    op = node["value"]
    if op not in _ORDERING or not left or not right:
        return Shape(Kind.BOOLEAN)
    numbers = Kind.NUMBER in left and Kind.NUMBER in right
    strings = bool(left & STRING) and bool(right & STRING)
    if not (numbers or strings):
        hint = ""
        if Kind.EVENT in left | right:
            hint = ": an event has no order; compare instants (time(x)) or elapsed times (elapsed(a, b))"
        inf.refuse(
            inf.operators.get(id(node), 0),
            f"'{_ORDERING[op]}' compares {words(left)} with {words(right)}, which is always null: "
            f"ordering needs two numbers or two strings{hint}",
        )
    return Shape(Kind.BOOLEAN | Kind.NULL)


def _literal(inf: _Inference, node: dict[str, Any], current: Shape) -> Shape:
    return Shape(literal_kind(node["value"]))


def literal_kind(value: Any) -> Kind:
    """The kind of a JSON value written in an expression."""
    if value is None:
        return Kind.NULL
    if isinstance(value, bool):
        return Kind.BOOLEAN
    if isinstance(value, int | float):
        return Kind.NUMBER
    if isinstance(value, str):
        try:
            parse_duration(value)
        except DurationError:
            return Kind.TEXT
        return Kind.DURATION
    return Kind.ARRAY if isinstance(value, list) else Kind.OBJECT


def _current(inf: _Inference, node: dict[str, Any], current: Shape) -> Shape:
    return current


def _expref(inf: _Inference, node: dict[str, Any], current: Shape) -> Shape:
    inf.visit(node["children"][0], UNKNOWN)
    return Shape(Kind.EXPREF)


def _builtin_arguments(name: str, count: int) -> list[tuple[Kind, str]] | None:
    """What each of ``count`` arguments of a JMESPath built-in accepts, or None when ``count``
    is not its arity."""
    entry = builtins.Functions.FUNCTION_TABLE.get(name)
    if entry is None:
        return None
    spec = entry["signature"]
    variadic = bool(spec) and spec[-1].get("variadic", False)
    if (count < len(spec)) if variadic else (count != len(spec)):
        return None
    accepted = []
    for i in range(count):
        names = spec[min(i, len(spec) - 1)]["types"]
        kind = NOTHING
        for type_name in names:
            kind |= _BUILTIN_TYPES[type_name]
        accepted.append((kind or (ANY | Kind.EXPREF), " or ".join(names) or "any value"))
    return accepted


def _function(inf: _Inference, node: dict[str, Any], current: Shape) -> Shape:
    name = node["value"]
    args = [inf.visit(child, current) for child in node["children"]]
    declared = FUNCTION_TYPES.get(name)
    call = inf.calls.get(id(node))
    if declared is not None:
        accepted = [ARGUMENT_KINDS[arg] for arg in declared[0]]
        result = Shape(RESULT_KINDS[declared[1]])
    else:
        found = _builtin_arguments(name, len(args))
        if found is None:  # arity: reported by validation (registered functions) or here
            if name in builtins.Functions.FUNCTION_TABLE:
                inf.refuse(
                    call.name_at if call else 0,
                    f"{name}() does not take {len(args)} argument(s) (JMESPath's built-in {name}())",
                )
            return UNKNOWN
        accepted, result = found, UNKNOWN
    for i, (shape, (kind, expected)) in enumerate(zip(args, accepted, strict=False)):
        given = shape.kind & ~Kind.NULL
        if not given or given & kind:
            continue
        offset, text = call.args[i] if call and i < len(call.args) else (0, "the argument")
        inf.refuse(
            offset,
            f"{name}() argument {i + 1} must be {expected}, but {text} is {words(given)}"
            + _hint(name, i, node["children"][i], given, kind, inf.params),
        )
    return result


def _hint(
    name: str, index: int, arg: dict[str, Any], given: Kind, wanted: Kind, params: Mapping[str, Shape]
) -> str:
    """What to change, for the mistakes this check exists for."""
    if wanted == Kind.DURATION:
        if arg.get("type") == "function_expression" and arg.get("value") == "duration":
            return (
                " (duration() gives elapsed microseconds): pass the duration text itself, "
                f"without duration(), as {name}() reads it"
            )
        param = _param_name(arg)
        if param is not None and param in params:
            return f": declare params.{param} with type: duration and a default such as 'P3D'"
        return ""
    declared = FUNCTION_TYPES.get(name)
    if Kind.DURATION in given and declared is not None and "duration" in declared[0] and index == 0:
        return f": {name}() takes the instant first and the duration second"
    return ""


def _param_name(node: dict[str, Any]) -> str | None:
    """``x`` when ``node`` is exactly ``params.x``."""
    children = node.get("children", ())
    if node.get("type") == "subexpression" and len(children) == 2:
        first, second = children
        if first.get("value") == "params" and first.get("type") == second.get("type") == "field":
            return str(second["value"])
    return None


_NODES: Mapping[str, Callable[[_Inference, dict[str, Any], Shape], Shape]] = {
    "field": _field,
    "subexpression": _subexpression,
    "index_expression": _index_expression,
    "index": _index,
    "slice": _array_of,
    "projection": _array_of,
    "value_projection": _array_of,
    "filter_projection": _array_of,
    "flatten": _array_of,
    "multi_select_list": _array_of,
    "multi_select_dict": _multi_select_dict,
    "key_val_pair": _key_val_pair,
    "pipe": _pipe,
    "or_expression": _either,
    "and_expression": _either,
    "not_expression": _not,
    "comparator": _comparator,
    "literal": _literal,
    "current": _current,
    "identity": _current,
    "expref": _expref,
    "function_expression": _function,
}
"""One rule per node type of jmespath's parser (``jmespath.ast``); a test keeps it complete."""


def infer(
    expr: Expression, scope: Shape, params: Mapping[str, Shape] | None = None
) -> tuple[Shape, list[TypeProblem]]:
    """The type of ``expr`` evaluated against a value of type ``scope``, and what it refuses."""
    inf = _Inference(expr.text, params=params or {})
    inf.locate(expr.ast)
    return inf.visit(expr.ast, scope), inf.errors


# --- a policy's expressions -----------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")
_ANCHORS = tuple(key for key in WINDOW_KEYS if key != "where")
_INSTANT = Kind.EVENT | Kind.NUMBER | Kind.TEXT


def check_policy_types(doc: Document) -> list[Problem]:
    """Every type error in a policy document that otherwise validates (its expressions compile,
    its names and parameters exist), each at ``file:line:column`` with code ``type``."""
    data = doc.data
    params = {
        name: Shape(PARAMETER_KINDS[spec["type"]]) for name, spec in (data.get("parameters") or {}).items()
    }
    checker = _PolicyTypes(doc, params)
    event = Shape(Kind.EVENT)
    for i in range(len(data["correlate_by"])):
        checker.expression(("correlate_by", i), event)
    if "where" in data["on"]:
        checker.expression(("on", "where"), event)
    context: dict[str, Shape] = {
        "trigger": event,
        "params": Shape(Kind.OBJECT, params),
        "as_of": Shape(Kind.NUMBER),
    }
    for name, spec in (data.get("let") or {}).items():
        kind = next(k for k in (*LOOKUP_KINDS, VALUE_KIND) if k in spec)
        scope = Shape(Kind.OBJECT, dict(context))
        for key in spec:
            path = ("let", name, key)
            if key == VALUE_KIND:
                context[name] = checker.expression(path, scope)
            elif key in _ANCHORS:
                checker.anchor(path, scope)
            elif key != kind:  # where, and what the kind requires (sum's of): over one event
                checker.expression(path, event)
        if kind != VALUE_KIND:
            context[name] = Shape(LOOKUP_VALUE_KINDS[LOOKUP_KINDS[kind].value_type] | Kind.NULL)
    scope = Shape(Kind.OBJECT, context)
    for key in ("inconclusive_if", "pending_if"):
        for i in range(len(data.get(key) or ())):
            checker.expression((key, i, "when"), scope)
            checker.template((key, i, "reason"), scope)
    checker.expression(("violation_if",), scope)
    for lang in ("en", "zh"):
        checker.template(("message", lang), scope)
    return checker.problems


@dataclass
class _PolicyTypes:
    doc: Document
    params: Mapping[str, Shape]
    problems: list[Problem] = field(default_factory=list)

    def _text(self, path: Path) -> str:
        value: Any = self.doc.data
        for part in path:
            value = value[part]
        return str(value)

    def _infer(self, path: Path, text: str, at: int, scope: Shape) -> Shape:
        compiled = compile_expression(text)
        if isinstance(compiled, ExpressionError):  # reported by validation already
            return UNKNOWN
        shape, errors = infer(compiled, scope, self.params)
        for error in errors:
            self.problems.append(
                Problem(
                    self.doc.text_location(path, at + error.offset),
                    "type",
                    error.message,
                    _caret(text, error.offset),
                )
            )
        return shape

    def expression(self, path: Path, scope: Shape) -> Shape:
        return self._infer(path, self._text(path), 0, scope)

    def anchor(self, path: Path, scope: Shape) -> None:
        text = self._text(path)
        given = self._infer(path, text, 0, scope).kind & ~Kind.NULL
        if given and not given & _INSTANT:
            self.problems.append(
                Problem(
                    self.doc.text_location(path, 0),
                    "type",
                    f"the window's anchor ({path[-1]}) must be an event or an instant, but {text} is "
                    f"{words(given)}",
                    _caret(text, 0),
                )
            )

    def template(self, path: Path, scope: Shape) -> None:
        text = self._text(path)
        for m in _PLACEHOLDER.finditer(text):
            inner = m.group(1)
            start = m.start(1) + len(inner) - len(inner.lstrip())
            self._infer(path, inner.strip(), start, scope)


def _caret(text: str, offset: int) -> str:
    return f"{text}\n{' ' * offset}^"


__all__ = ["ANY", "Kind", "Shape", "check_policy_types", "infer", "literal_kind", "words"]
