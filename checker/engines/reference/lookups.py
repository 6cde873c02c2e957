"""Binding lookups: how each binding kind finds its value in a trigger's group.

A registry, so a new window computation is one function: :func:`lookup`
registers the evaluator of a binding kind (``last``, ``first``, ``count``,
``exists``, ``sum``) in :data:`LOOKUPS`, which :class:`checker.engines.reference.plan.RulePlan`
resolves once per binding. Each evaluator reads the trigger's group through
the judging context (:class:`checker.engines.reference.judge.Context`) between two anchors and
returns the value with the events it used. :func:`truthy` is the JMESPath
truthiness ``where`` conditions are judged by.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ...inputs.events import Event
from ...language.policy import Binding
from .eventindex import EVENT_ORDER

if TYPE_CHECKING:  # annotations only: judge imports this module (through plan)
    from .judge import Context


def truthy(value: Any) -> bool:
    """JMESPath truthiness: false, null and empty strings, lists and objects are false; 0 is true."""
    if value is None or value is False:
        return False
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return True


Lookup = Callable[["Context", Binding, int | None, int | None], tuple[Any, list[Event]]]
LOOKUPS: dict[str, Lookup] = {}


def lookup(kind: str) -> Callable[[Lookup], Lookup]:
    """Register the evaluator of a binding kind."""

    def register(func: Lookup) -> Lookup:
        LOOKUPS[kind] = func
        return func

    return register


@lookup("last")
def _last(ctx: Context, b: Binding, after: int | None, before: int | None) -> tuple[Any, list[Event]]:
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
def _first(ctx: Context, b: Binding, after: int | None, before: int | None) -> tuple[Any, list[Event]]:
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


def _matching(ctx: Context, b: Binding, after: int | None, before: int | None) -> list[Event]:
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
def _count(ctx: Context, b: Binding, after: int | None, before: int | None) -> tuple[Any, list[Event]]:
    found = _matching(ctx, b, after, before)
    return len(found), found


@lookup("exists")
def _exists(ctx: Context, b: Binding, after: int | None, before: int | None) -> tuple[Any, list[Event]]:
    value, used = _first(ctx, b, after, before)
    return value is not None, used


@lookup("sum")
def _sum(ctx: Context, b: Binding, after: int | None, before: int | None) -> tuple[Any, list[Event]]:
    found = _matching(ctx, b, after, before)
    assert b.of is not None
    of, view = ctx.plan.bound[id(b.of)], ctx.view
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
