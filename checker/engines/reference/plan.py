"""One rule prepared for a run: its expressions bound once, its templates as bound parts.

:class:`RulePlan` binds every expression of a rule to the rule's timezone and
the input's and resolves each binding's lookup (:mod:`checker.engines.reference.lookups`), so
judging a trigger (:mod:`checker.engines.reference.judge`) calls one-argument functions.
:func:`render_parts` renders a template from those bound parts; :func:`shown_text`
is how a rendered value is written, for it and for
:func:`checker.engines.reference.judge.render_template`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from jmespath.exceptions import JMESPathError

from ...language.expressions import EventView, Expression, instant_function
from ...language.kinds import VALUE_KIND
from ...language.policy import Binding, Policy, Template
from ...results.outcomes import Kind
from .lookups import Lookup, evaluator, windowed

_Part = str | Callable[[Any], Any]


class RulePlan:
    """A rule's expressions bound to its timezone and the input's, once per run.

    Judging a trigger then calls one-argument functions: no timezone,
    function-table or registry lookup per expression, and no re-walking of
    the rule's structure.
    """

    def __init__(self, policy: Policy, input_tz: ZoneInfo) -> None:
        tz = policy.tz
        self.tz = tz
        self.instant = instant_function(tz, input_tz)
        #: every expression of the rule, bound, by the expression's identity
        self.bound: dict[int, Callable[[Any], Any]] = {}
        self.trigger_where = self._bind(policy.trigger.where, tz, input_tz)
        #: (name, value, after, before, lookup, binding): value is set for value bindings only
        self.bindings: list[
            tuple[
                str,
                Callable[[Any], Any] | None,
                Callable[[Any], Any] | None,
                Callable[[Any], Any] | None,
                Lookup | None,
                Binding,
            ]
        ] = []
        for b in policy.bindings:
            for expr in (b.where, b.of):
                self._bind(expr, tz, input_tz)
            if b.kind == VALUE_KIND:
                assert b.value is not None
                self.bindings.append((b.name, self._bind(b.value, tz, input_tz), None, None, None, b))
            else:
                self.bindings.append(
                    (
                        b.name,
                        None,
                        self._bind(b.after, tz, input_tz),
                        self._bind(b.before, tz, input_tz),
                        # an error naming a kind without an evaluator; inclusive anchors made strict
                        windowed(evaluator(b.kind), b),
                        b,
                    )
                )
        # inconclusive_if before pending_if: the first condition that holds decides
        self.conditions = [
            (self._bind(c.when, tz, input_tz), self._parts(c.reason, tz, input_tz), kind)
            for group, kind in (
                (policy.inconclusive_if, Kind.INCONCLUSIVE),
                (policy.pending_if, Kind.PENDING),
            )
            for c in group
        ]
        self.violation = self._bind(policy.violation_if, tz, input_tz)
        self.messages = [self._parts(t, tz, input_tz) for t in policy.message_templates]

    def _bind(self, expr: Expression | None, tz: ZoneInfo, input_tz: ZoneInfo) -> Any:
        if expr is None:
            return None
        fn = self.bound.get(id(expr))
        if fn is None:
            fn = self.bound[id(expr)] = expr.bound(tz, input_tz)
        return fn

    def _parts(self, template: Template, tz: ZoneInfo, input_tz: ZoneInfo) -> list[_Part]:
        # text parts as plain str: the renderer tells them from functions by exact class
        return [
            str(part) if isinstance(part, str) else self._bind(part, tz, input_tz) for part in template.parts
        ]


#: what a template part shows when its expression cannot be evaluated on the data (a function
#: given a value of the wrong type): the same as null. A message or reason is presentation: the
#: outcome was decided by the conditions, and a part that cannot be shown must not change it (or
#: end the run)
UNSHOWABLE = "?"

#: Errors an expression may raise on data it cannot work with.
EVALUATION_ERRORS = (TypeError, ValueError, ArithmeticError, JMESPathError)


def shown_part(evaluate: Callable[[], Any]) -> str:
    """The text of one template part: its value as :func:`shown_text` shows it, or
    :data:`UNSHOWABLE` when evaluating it raises one of :data:`EVALUATION_ERRORS`."""
    try:
        return shown_text(evaluate())
    except EVALUATION_ERRORS:
        return UNSHOWABLE


def render_parts(parts: Sequence[_Part], values: Mapping[str, Any]) -> str:
    """:func:`render_template` over a template's bound parts."""
    return "".join([part if isinstance(part, str) else shown_part(partial(part, values)) for part in parts])


def shown_text(value: Any) -> str:
    """A rendered value: null as ``?``, a string as itself, an event as its id, else JSON."""
    if value is None:
        return "?"
    cls = value.__class__
    if cls is str:
        return value  # type: ignore[no-any-return]  # cls is str
    if cls is int:  # what json.dumps writes for an int (bool is its own class)
        return int.__repr__(value)
    if isinstance(value, str):
        return value
    if isinstance(value, EventView):
        return str(value.get("event_id"))
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
