"""The policy model: frozen dataclasses built from a schema-valid YAML document.

A policy is one version of one rule. It names the events that trigger it
(``on``), the window lookups it needs over the trigger's correlated history
(``let``), and three kinds of condition, tried in order:
``inconclusive_if`` (the export cannot decide), ``pending_if`` (a deadline
not yet due) and ``violation_if``; a trigger that meets none passes. A
trigger outside ``effective_from``/``effective_until`` is not applicable.

Every lookup is a window computation over (correlation key, time order) —
the latest or first matching event before/after an instant, a count or a sum
over an interval, existence — so a policy can be compiled to SQL window
functions or ASOF joins as well as run by :mod:`checker.engines.reference.engine`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from .durations import DurationError, parse_duration
from .errors import Location, Problem
from .expressions import (
    DURATION_ARGUMENT,
    Expression,
    ExpressionError,
    check_calls,
    comparisons,
    compile_expression,
    function_calls,
    root_fields,
)
from .kinds import LOOKUP_KINDS as LOOKUP_KINDS  # re-exported: the lookup kinds by name
from .kinds import VALUE_KIND, anchor_of
from .reads import FieldRead, SourceKind, expand
from .times import TimestampError, parse_instant, zone
from .yamlsafe import Document, Path

SEVERITIES = ("info", "low", "medium", "high", "critical")
RESERVED_NAMES = frozenset({"trigger", "params", "as_of", "rule"})
#: every binding's kind: the lookup kinds (:data:`checker.language.kinds.LOOKUP_KINDS`, re-exported
#: here) and ``value``; a binding is of the kind whose key it has
BINDING_KINDS = (*LOOKUP_KINDS, VALUE_KIND)


@dataclass(frozen=True)
class Text:
    """A text in English and Chinese."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        """The text in ``lang`` (``en`` or ``zh``)."""
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Template:
    """A message with ``{{ expression }}`` placeholders rendered against the decision context."""

    text: str
    parts: tuple[str | Expression, ...]


@dataclass(frozen=True)
class Source:
    """Where the rule comes from: a seed document and the sentence it encodes."""

    document: str
    quote: str
    section: str = ""
    url: str = ""


@dataclass(frozen=True)
class Parameter:
    """A named value a run may override (``--param RULE.NAME=VALUE``)."""

    name: str
    type: str
    default: Any
    description: str = ""
    # how expressions use a duration: as elapsed time (duration(), plus(), minus()),
    # which refuses months and years, or on the calendar (add_calendar())
    usage: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Trigger:
    """Which events a rule judges: their actions, narrowed by an optional condition."""

    actions: tuple[str, ...]
    where: Expression | None = None


@dataclass(frozen=True)
class Binding:
    """A named value of the decision context.

    ``kind`` is a lookup (one of :data:`checker.language.kinds.LOOKUP_KINDS`:
    ``last``, ``first``, ``count``, ``exists``, ``sum``) over the correlated
    events with one of ``actions`` that match ``where`` and lie after ``after``
    and before ``before`` (anchors: expressions giving an event or an instant),
    strictly unless ``after_inclusive`` / ``before_inclusive`` (the policy wrote
    ``at_or_after`` / ``at_or_before``, :data:`checker.language.kinds.ANCHOR_KEYS`);
    or ``value``, an expression over the bindings before it.
    """

    name: str
    kind: str
    actions: tuple[str, ...] = ()
    where: Expression | None = None
    after: Expression | None = None
    before: Expression | None = None
    of: Expression | None = None
    value: Expression | None = None
    #: an event at the anchor's own instant is in the window (``at_or_after``, ``at_or_before``)
    after_inclusive: bool = False
    before_inclusive: bool = False


@dataclass(frozen=True)
class Condition:
    """An outcome condition and the reason rendered when it holds."""

    when: Expression
    reason: Template


@dataclass(frozen=True)
class Policy:
    """One version of one rule, ready to run."""

    id: str
    version: str
    title: Text
    message: Text
    message_templates: tuple[Template, Template]
    description: str
    platform: str
    severity: str
    status: str
    tags: tuple[str, ...]
    source: Source
    timezone: str
    effective_from: int | None
    effective_until: int | None
    effective_from_text: str | None
    effective_until_text: str | None
    correlate_by: tuple[Expression, ...]
    trigger: Trigger
    bindings: tuple[Binding, ...]
    inconclusive_if: tuple[Condition, ...]
    pending_if: tuple[Condition, ...]
    violation_if: Expression
    parameters: Mapping[str, Parameter]
    file: str = ""
    sha256: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # where each top-level key stands in the file, for problems found across files
    positions: Mapping[str, tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)
    #: the data fields the rule declares it reads (``reads``); already compiled into ``trigger``,
    #: ``bindings`` and the first ``inconclusive_if`` conditions (:mod:`checker.language.reads`)
    reads: tuple[FieldRead, ...] = ()

    def location(self, key: str) -> Location:
        """The location of a top-level key's value (or of the file's start)."""
        line, column = self.positions.get(key, self.positions.get("id", (1, 1)))
        return Location(self.file, line, column, f"$.{key}")

    @property
    def tz(self) -> ZoneInfo:
        """The rule's timezone."""
        return zone(self.timezone)

    @property
    def actions(self) -> frozenset[str]:
        """Every action the rule reads: its triggers and its lookups."""
        names = set(self.trigger.actions)
        for b in self.bindings:
            names.update(b.actions)
        return frozenset(names)

    def in_effect(self, epoch_us: int) -> bool:
        """Whether a trigger at ``epoch_us`` lies in the effective window [from, until)."""
        if self.effective_from is not None and epoch_us < self.effective_from:
            return False
        return not (self.effective_until is not None and epoch_us >= self.effective_until)

    def defaults(self) -> dict[str, Any]:
        """Parameter values before any override."""
        return {name: p.default for name, p in self.parameters.items()}


# --- building a Policy from a schema-valid document --------------------------------


class _Builder:
    """Collects problems while turning a document into a :class:`Policy`."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[Problem] = []
        self.let_names = set(doc.data.get("let") or {})
        self.uses: list[tuple[Path, Expression]] = []  # every expression built, for param checks

    def parameter_uses(self, params: dict[str, Parameter]) -> dict[str, Parameter]:
        """Record how each duration parameter is used and check its default against that;
        a duration parameter compared as if it were a number is an error."""
        usage: dict[str, set[str]] = {name: set() for name in params}
        for path, expr in self.uses:
            for name, args in function_calls(expr.ast):
                kind = DURATION_ARGUMENT.get(name)
                if not kind or not args:
                    continue
                param = _param_name(args[-1])
                if param in usage:
                    usage[param].add(kind)
            for left, right in comparisons(expr.ast):
                for side in (left, right):
                    param = _param_name(side)
                    if param in params and params[param].type == "duration":
                        self.error(
                            path,
                            "parameter",
                            f"params.{param} is a duration text ({params[param].default!r}): "
                            f"compare elapsed time with duration(params.{param})",
                        )
        out: dict[str, Parameter] = {}
        for name, declared in params.items():
            used = replace(declared, usage=frozenset(usage[name]))
            problem = parameter_problem(used, used.default)
            if problem:
                self.error(("parameters", name, "default"), "parameter", problem)
            out[name] = used
        return out

    def error(self, path: Path, code: str, message: str, detail: str = "") -> None:
        self.problems.append(Problem(self.doc.location(path), code, message, detail))

    def expression(self, path: Path, names: set[str], params: Mapping[str, Any]) -> Expression:
        text = _get(self.doc.data, path)
        compiled = compile_expression(text)
        if isinstance(compiled, ExpressionError):
            loc = self.doc.text_location(path, compiled.offset)
            self.problems.append(Problem(loc, "jmespath", compiled.message, compiled.caret))
            null = compile_expression("`null`")
            assert isinstance(null, Expression)
            return null
        for message in check_calls(compiled):
            self.error(path, "jmespath", f"{message} in {text!r}")
        self._check_names(path, compiled, names, params)
        return compiled

    def event_expression(self, path: Path, params: Mapping[str, Any]) -> Expression:
        """An expression evaluated against one event (where, of, correlate_by): any field."""
        expr = self.expression(path, set(), params)
        for name, _ in root_fields(expr.ast):
            if name in ("true", "false", "null"):
                self.error(
                    path,
                    "unknown-name",
                    f"{name!r} here is a field of the event, not a literal: write `{name}`",
                )
            elif name in RESERVED_NAMES or name in self.let_names:
                self.error(
                    path,
                    "unknown-name",
                    f"{name!r} is not visible here: this expression reads one event's "
                    "fields (data, actor, subject...), not the decision context",
                )
        return expr

    def _check_names(self, path: Path, expr: Expression, names: set[str], params: Mapping[str, Any]) -> None:
        self.uses.append((path, expr))
        if not names:  # evaluated against an event: its fields are open-ended
            return
        for name, rest in root_fields(expr.ast):
            if name == "params":
                if rest and rest[0] not in params:
                    self.error(
                        path,
                        "unknown-parameter",
                        f"params.{rest[0]} is not declared under parameters "
                        f"(declared: {', '.join(sorted(params)) or 'none'})",
                    )
            elif name not in names:
                self.error(
                    path,
                    "unknown-name",
                    f"{name!r} is not defined here; expressions may read {', '.join(sorted(names))}",
                )

    def template(self, path: Path, names: set[str], params: Mapping[str, Any]) -> Template:
        text = _get(self.doc.data, path)
        parts: list[str | Expression] = []
        pos = 0
        for m in re.finditer(r"\{\{(.*?)\}\}", text):
            parts.append(text[pos : m.start()])
            compiled = compile_expression(m.group(1).strip())
            if isinstance(compiled, ExpressionError):
                self.error(
                    path, "jmespath", f"in placeholder {m.group(0)!r}: {compiled.message}", compiled.caret
                )
            else:
                for message in check_calls(compiled):
                    self.error(path, "jmespath", f"in placeholder {m.group(0)!r}: {message}")
                self._check_names(path, compiled, names, params)
                parts.append(compiled)
            pos = m.end()
        parts.append(text[pos:])
        return Template(text, tuple(p for p in parts if p != ""))


def _get(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


def _actions(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _parameter(name: str, spec: Mapping[str, Any]) -> Parameter:
    return Parameter(name, spec["type"], spec["default"], spec.get("description", ""))


def _param_name(node: dict[str, Any]) -> str | None:
    """``x`` when the node is exactly ``params.x``."""
    if node.get("type") == "subexpression":
        children = node["children"]
        if (
            len(children) == 2
            and all(c.get("type") == "field" for c in children)
            and children[0]["value"] == "params"
        ):
            return str(children[1]["value"])
    return None


def parameter_problem(param: Parameter, value: Any) -> str | None:
    """Why ``value`` does not fit ``param``'s type (and use), or None."""
    kind = param.type
    if kind == "duration":
        try:
            duration = parse_duration(value)
        except DurationError as exc:
            return f"parameter {param.name}: {exc}"
        if "elapsed" in param.usage and duration.is_calendar:
            return (
                f"parameter {param.name}: {value!r} has months or years, but the policy uses it "
                "as elapsed time (duration(), plus(), minus()); give days or hours"
            )
        return None
    ok = {
        "number": isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
    }[kind]
    if not ok and isinstance(value, float) and not math.isfinite(value):
        return f"parameter {param.name} must be a finite {kind}, got {value!r} (JSON results cannot hold it)"
    return None if ok else f"parameter {param.name} must be a {kind}, got {value!r}"


def build_policy(doc: Document, sha256: str = "") -> tuple[Policy | None, list[Problem]]:
    """Build a :class:`Policy` from a schema-valid document, or return its problems."""
    data = doc.data
    b = _Builder(doc)
    params = {name: _parameter(name, spec) for name, spec in (data.get("parameters") or {}).items()}

    try:
        tz = zone(data["timezone"])
    except TimestampError as exc:
        b.error(("timezone",), "timezone", str(exc))
        tz = zone("UTC")
    effective: dict[str, int | None] = {}
    for key in ("effective_from", "effective_until"):
        text = data.get(key)
        try:
            effective[key] = None if text is None else parse_instant(str(text), tz)
        except TimestampError as exc:
            b.error((key,), "timestamp", str(exc))
            effective[key] = None
    start, end = effective["effective_from"], effective["effective_until"]
    if start is not None and end is not None and end <= start:
        b.error(("effective_until",), "effective-window", "effective_until must be later than effective_from")

    correlate = tuple(
        b.event_expression(("correlate_by", i), params) for i in range(len(data["correlate_by"]))
    )
    on = data["on"]
    trigger = Trigger(
        _actions(on["action"]),
        b.event_expression(("on", "where"), params) if "where" in on else None,
    )

    names = {"trigger", "params", "as_of"}
    bindings = []
    for name, spec in (data.get("let") or {}).items():
        path: Path = ("let", name)
        kind = next(k for k in BINDING_KINDS if k in spec)
        if kind == VALUE_KIND:
            bindings.append(Binding(name, kind, value=b.expression((*path, "value"), names, params)))
        else:
            lower, upper = anchor_of(spec, "lower"), anchor_of(spec, "upper")
            bindings.append(
                Binding(
                    name,
                    kind,
                    _actions(spec[kind]),
                    where=b.event_expression((*path, "where"), params) if "where" in spec else None,
                    after=b.expression((*path, lower.key), names, params) if lower else None,
                    before=b.expression((*path, upper.key), names, params) if upper else None,
                    of=b.event_expression((*path, "of"), params) if "of" in spec else None,
                    after_inclusive=lower is not None and lower.inclusive,
                    before_inclusive=upper is not None and upper.inclusive,
                )
            )
        names.add(name)

    declared, trigger, bindings, unknown = _reads(b, data, trigger, bindings, names, params)

    def conditions(key: str) -> tuple[Condition, ...]:
        return tuple(
            Condition(
                b.expression((key, i, "when"), names, params), b.template((key, i, "reason"), names, params)
            )
            for i in range(len(data.get(key) or ()))
        )

    inconclusive = unknown + conditions("inconclusive_if")
    pending = conditions("pending_if")
    violation = b.expression(("violation_if",), names, params)
    messages = (b.template(("message", "en"), names, params), b.template(("message", "zh"), names, params))
    params = b.parameter_uses(params)
    if b.problems:
        return None, b.problems
    source = data["source"]
    return Policy(
        id=data["id"],
        version=data["version"],
        title=Text(**data["title"]),
        message=Text(**data["message"]),
        message_templates=messages,
        description=data.get("description", "").strip(),
        platform=data["platform"],
        severity=data["severity"],
        status=data.get("status", "active"),
        tags=tuple(data.get("tags") or ()),
        source=Source(
            source["document"], source["quote"].strip(), source.get("section", ""), source.get("url", "")
        ),
        timezone=data["timezone"],
        effective_from=start,
        effective_until=end,
        effective_from_text=data.get("effective_from"),
        effective_until_text=data.get("effective_until"),
        correlate_by=correlate,
        trigger=trigger,
        bindings=tuple(bindings),
        inconclusive_if=inconclusive,
        pending_if=pending,
        violation_if=violation,
        parameters=params,
        file=doc.file,
        sha256=sha256,
        raw=data,
        positions={key: doc.values[(key,)] for key in data if (key,) in doc.values},
        reads=declared,
    ), []


def _reads(
    b: _Builder,
    data: Mapping[str, Any],
    trigger: Trigger,
    bindings: list[Binding],
    names: set[str],
    params: Mapping[str, Any],
) -> tuple[tuple[FieldRead, ...], Trigger, list[Binding], tuple[Condition, ...]]:
    """The ``reads`` block checked and compiled (:mod:`checker.language.reads`): the declared
    fields, the trigger and bindings with its checks, and its conditions (tried first)."""
    declared: list[FieldRead] = []
    sources: dict[str, SourceKind] = {"trigger": "event"}
    for binding in bindings:
        kind = LOOKUP_KINDS.get(binding.kind)
        sources[binding.name] = "window" if kind is not None and kind.value_type != "event" else "event"
    for source, fields in (data.get("reads") or {}).items():
        if source not in sources:
            b.error(
                ("reads", source),
                "unknown-name",
                f"{source!r} is not the trigger or a binding under let "
                f"(reads may name: {', '.join(sources)})",
            )
            continue
        for path, spec in fields.items():
            where: Path = ("reads", source, path)
            spec = {"type": spec} if isinstance(spec, str) else spec
            when = None
            if "when" in spec:  # checked as what it reads: the trigger's fields, or the context
                if source == "trigger":
                    when = b.event_expression((*where, "when"), params).text
                else:
                    when = b.expression((*where, "when"), names, params).text
            absent = spec.get("absent", "unknown") == "allowed"
            declared.append(FieldRead(source, path, spec["type"], absent, when))
    if not declared:
        return (), trigger, bindings, ()
    expansion = expand(tuple(declared), sources, trigger.where.text if trigger.where else None)

    def compiled(text: str) -> Expression:
        expr = compile_expression(text)
        assert isinstance(expr, Expression), f"generated from valid parts: {text}"
        return expr

    if expansion.trigger_where is not None:
        trigger = Trigger(trigger.actions, compiled(expansion.trigger_where))
    out: list[Binding] = []
    for binding in bindings:
        out.append(binding)
        for window in expansion.windows:
            if window.source == binding.name:  # the same actions and window, the first unknown
                out.append(
                    replace(binding, name=window.name, kind="first", where=compiled(window.where), of=None)
                )
    conditions = tuple(
        Condition(
            compiled(check.when),
            Template(
                "".join(f"{{{{ {t} }}}}" if is_expr else t for t, is_expr in check.reason),
                tuple(compiled(t) if is_expr else t for t, is_expr in check.reason),
            ),
        )
        for check in expansion.checks
    )
    return tuple(declared), trigger, out, conditions
