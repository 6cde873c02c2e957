"""Binding lookups: how each binding kind finds its value in a trigger's group.

A registry, so a new window computation is one function: :func:`lookup`
registers the evaluator of a lookup kind (one of
:data:`checker.language.kinds.LOOKUP_KINDS`) in :data:`LOOKUPS`, and
:func:`evaluator`, which :class:`checker.engines.reference.plan.RulePlan` calls
once per binding, finds it, or fails naming a kind that has none; :func:`windowed`
turns a binding's inclusive anchors into the strict bounds every evaluator takes. Each
evaluator reads the trigger's group through a :class:`LookupContext` (the
judging context, :class:`checker.engines.reference.judge.Context`, is one)
between two anchors and returns the value with the events it used.
:func:`truthy` is the JMESPath truthiness ``where`` conditions are judged by.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

from ...inputs.events import Event
from ...language.expressions import EventView
from ...language.policy import Binding
from .eventindex import EVENT_ORDER, Series


class LookupContext(Protocol):
    """What an evaluator reads of the trigger being judged. Declared here rather than importing
    the judging context, because the judge imports this module (through the plan)."""

    @property
    def view(self) -> Callable[[Event], EventView]:
        """An event as expressions read it."""
        ...

    def series(self, b: Binding) -> list[Series]:
        """The event lists of the binding's actions in the trigger's group, each in time order."""
        ...

    def where(self, b: Binding) -> Callable[[Any], Any] | None:
        """The binding's bound ``where`` condition over an event view, or None if it has none."""
        ...

    def of(self, b: Binding) -> Callable[[Any], Any]:
        """The binding's bound ``of`` expression over an event view (a binding that has one)."""
        ...


def truthy(value: Any) -> bool:
    """JMESPath truthiness: false, null and empty strings, lists and objects are false; 0 is true."""
    if value is None or value is False:
        return False
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return True


#: an evaluator: (context, binding, after, before) -> (value, the events it used); ``after`` and
#: ``before`` are the window's anchors as instants (None: unbounded)
Lookup = Callable[[LookupContext, Binding, int | None, int | None], tuple[Any, list[Event]]]
#: the evaluator of each lookup kind, by kind name
LOOKUPS: dict[str, Lookup] = {}


def lookup(kind: str) -> Callable[[Lookup], Lookup]:
    """Register the evaluator of a lookup kind."""

    def register(func: Lookup) -> Lookup:
        LOOKUPS[kind] = func
        return func

    return register


def evaluator(kind: str) -> Lookup:
    """The evaluator of lookup kind ``kind``. A kind of the language this engine has no evaluator
    for is an error naming it (:class:`NotImplementedError`), never a fallback to another kind."""
    try:
        return LOOKUPS[kind]
    except KeyError:
        raise NotImplementedError(
            f"the reference engine has no evaluator for lookup kind {kind!r}: "
            f"register one with @lookup({kind!r}) in {__name__}"
        ) from None


def windowed(find: Lookup, b: Binding) -> Lookup:
    """``find`` reading binding ``b``'s window. Evaluators take strict bounds; an inclusive anchor
    (``at_or_after``, ``at_or_before``) is the strict bound one microsecond beyond it, exactly,
    since instants are whole microseconds: ``at_or_after t`` is ``after t - 1``."""
    if not (b.after_inclusive or b.before_inclusive):
        return find
    down, up = int(b.after_inclusive), int(b.before_inclusive)

    def inclusive(
        ctx: LookupContext, b: Binding, after: int | None, before: int | None
    ) -> tuple[Any, list[Event]]:
        return find(ctx, b, None if after is None else after - down, None if before is None else before + up)

    return inclusive


@lookup("last")
def _last(ctx: LookupContext, b: Binding, after: int | None, before: int | None) -> tuple[Any, list[Event]]:
    where, view = ctx.where(b), ctx.view
    best: Event | None = None
    for series in ctx.series(b):
        lo, hi = series.window(after, before)
        events = series.events
        for i in range(hi - 1, lo - 1, -1):
            event = events[i]
            if best is not None and EVENT_ORDER(event) < EVENT_ORDER(best):
                break
            if where is None or truthy(where(view(event))):
                best = event if best is None or EVENT_ORDER(event) > EVENT_ORDER(best) else best
                break
    return (view(best), [best]) if best else (None, [])


@lookup("first")
def _first(ctx: LookupContext, b: Binding, after: int | None, before: int | None) -> tuple[Any, list[Event]]:
    where, view = ctx.where(b), ctx.view
    best: Event | None = None
    for series in ctx.series(b):
        lo, hi = series.window(after, before)
        events = series.events
        for i in range(lo, hi):
            event = events[i]
            if best is not None and EVENT_ORDER(event) > EVENT_ORDER(best):
                break
            if where is None or truthy(where(view(event))):
                best = event if best is None or EVENT_ORDER(event) < EVENT_ORDER(best) else best
                break
    return (view(best), [best]) if best else (None, [])


def _matching(ctx: LookupContext, b: Binding, after: int | None, before: int | None) -> list[Event]:
    where, view = ctx.where(b), ctx.view
    found: list[Event] = []
    for series in ctx.series(b):
        lo, hi = series.window(after, before)
        if where is None:
            found.extend(series.events[lo:hi])
        else:
            found.extend(e for e in series.events[lo:hi] if truthy(where(view(e))))
    return found


@lookup("count")
def _count(ctx: LookupContext, b: Binding, after: int | None, before: int | None) -> tuple[Any, list[Event]]:
    found = _matching(ctx, b, after, before)
    return len(found), found


@lookup("exists")
def _exists(ctx: LookupContext, b: Binding, after: int | None, before: int | None) -> tuple[Any, list[Event]]:
    value, used = _first(ctx, b, after, before)
    return value is not None, used


@lookup("sum")
def _sum(ctx: LookupContext, b: Binding, after: int | None, before: int | None) -> tuple[Any, list[Event]]:
    found = _matching(ctx, b, after, before)
    of, view = ctx.of(b), ctx.view
    # amounts are decimal in the export: add their decimal forms, so 10.7 + 0.1 is 10.8
    total = Decimal(0)
    floats = False
    for event in found:
        value = of(view(event))
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, found  # a missing or non-numeric amount: the sum is unknown
        floats = floats or isinstance(value, float)
        total += Decimal(repr(value))
    return (float(total) if floats else int(total)), found
