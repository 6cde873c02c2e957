"""The reference engine: runs policies over an :class:`EventBatch`.

For each rule the engine keeps the events of its platform whose action it
reads, grouped by the rule's correlation key, each group split by action
into lists in time order (ties broken by ``event_id``). A window lookup is
then a binary search for its anchors plus a scan of the matching slice, so a
trigger costs O(log n + slice) per binding.

Memory: the :class:`EventBatch` holds only the events some loaded rule reads
(when read with ``keep=``), and the per-rule indexes hold references to those
same events, so memory grows with the number of relevant events per
correlation key, not with the size of the input files. Out-of-order input is
why the engine waits for the whole batch: an earlier event may come last.
"""

from __future__ import annotations

import bisect
import gc
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from jmespath.exceptions import JMESPathError

from .errors import CheckerError, Location, Problem
from .events import Event, EventBatch
from .expressions import EventView, Expression, instant_function
from .outcomes import Kind, Outcome
from .policy import Binding, Policy, Template, Text, parameter_problem
from .times import format_timestamp, zone

Key = tuple[Any, ...]


@dataclass
class _Series:
    """Events of one action for one correlation key, in time order, with their instants."""

    events: list[Event]
    epochs: list[int]

    def window(self, after: int | None, before: int | None) -> tuple[int, int]:
        """Index range of the events strictly after ``after`` and strictly before ``before``."""
        lo = 0 if after is None else bisect.bisect_right(self.epochs, after)
        hi = len(self.epochs) if before is None else bisect.bisect_left(self.epochs, before)
        return lo, hi


#: Event.sort_key and Outcome.sort_key as C-level getters (the same tuples, no property call).
_EVENT_ORDER = attrgetter("epoch", "event_id")
_OUTCOME_ORDER = attrgetter("rule_id", "epoch", "event_id", "rule_version")


class _Index:
    """Events of one platform grouped by a correlation key and split by action.

    Rules with the same platform and ``correlate_by`` share one index. Most
    (key, action) lists are never read by a trigger, so each becomes a
    :class:`_Series` (with its list of instants) only when first read; see
    :meth:`series`.
    """

    def __init__(self, policy: Policy, events: Sequence[Event], view: Callable[[Event], EventView],
                 input_tz: ZoneInfo) -> None:
        self.groups: dict[Key, dict[str, _Series | list[Event]]] = {}
        self.keys: dict[str, Key] = {}
        groups, keys = self.groups, self.keys
        key_of = key_function(policy, view, input_tz)
        platform = policy.platform
        for event in events:
            if event.platform != platform:
                continue
            key = key_of(event)
            keys[event.event_id] = key
            group = groups.get(key)
            if group is None:
                groups[key] = {event.action: [event]}
                continue
            same = group.get(event.action)
            if same is None:
                group[event.action] = [event]
            else:
                same.append(event)  # type: ignore[union-attr]

    @staticmethod
    def series(group: dict[str, _Series | list[Event]], actions: Sequence[str]) -> list[_Series]:
        """The series of ``actions`` in one key's group, made from their event lists once."""
        found: list[_Series] = []
        for action in actions:
            series = group.get(action)
            if series is None:
                continue
            if series.__class__ is list:
                events: list[Event] = series  # type: ignore[assignment]
                series = group[action] = _Series(events, [e.epoch for e in events])
            found.append(series)  # type: ignore[arg-type]
        return found


def key_function(policy: Policy, view: Callable[[Event], EventView],
                  input_tz: ZoneInfo) -> Callable[[Event], Key]:
    """The correlation key of an event; plain field paths read the record without a view."""
    tz = policy.tz
    exprs = policy.correlate_by
    getters = [e.bound(tz, input_tz) for e in exprs]
    if all(e.path is not None for e in exprs):
        # a path reads event.record as it is (a dict), as Expression.evaluate would
        if len(getters) == 1:
            (only,) = getters

            def one(event: Event) -> Key:
                value = only(event.record)
                return (value if value.__class__ is str else _hashable(value),)

            return one
        if len(getters) == 2:
            first, second = getters

            def two(event: Event) -> Key:
                record = event.record
                a, b = first(record), second(record)
                return (a if a.__class__ is str else _hashable(a),
                        b if b.__class__ is str else _hashable(b))

            return two

        def from_paths(event: Event) -> Key:
            record = event.record
            return tuple([_hashable(get(record)) for get in getters])

        return from_paths

    def from_view(event: Event) -> Key:
        data = view(event)
        return tuple([_hashable(get(data)) for get in getters])

    return from_view


def _hashable(value: Any) -> Any:
    if value.__class__ in (str, int, type(None)):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def truthy(value: Any) -> bool:
    """JMESPath truthiness: false, null and empty strings, lists and objects are false; 0 is true."""
    if value is None or value is False:
        return False
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return True


# --- lookups: a registry, so a new window computation is one function ------------


Lookup = Callable[["_Context", Binding, int | None, int | None], tuple[Any, list[Event]]]
LOOKUPS: dict[str, Lookup] = {}


def lookup(kind: str) -> Callable[[Lookup], Lookup]:
    """Register the evaluator of a binding kind."""

    def register(func: Lookup) -> Lookup:
        LOOKUPS[kind] = func
        return func

    return register


@lookup("last")
def _last(ctx: _Context, b: Binding, after: int | None, before: int | None) -> tuple[Any, list[Event]]:
    where, view = ctx.where(b), ctx.view
    best: Event | None = None
    for series in ctx.series(b):
        lo, hi = series.window(after, before)
        events = series.events
        for i in range(hi - 1, lo - 1, -1):
            event = events[i]
            if best is not None and _EVENT_ORDER(event) < _EVENT_ORDER(best):
                break
            if where is None or truthy(where(view(event))):
                best = event if best is None or _EVENT_ORDER(event) > _EVENT_ORDER(best) else best
                break
    return (view(best), [best]) if best else (None, [])


@lookup("first")
def _first(ctx: _Context, b: Binding, after: int | None, before: int | None) -> tuple[Any, list[Event]]:
    where, view = ctx.where(b), ctx.view
    best: Event | None = None
    for series in ctx.series(b):
        lo, hi = series.window(after, before)
        events = series.events
        for i in range(lo, hi):
            event = events[i]
            if best is not None and _EVENT_ORDER(event) > _EVENT_ORDER(best):
                break
            if where is None or truthy(where(view(event))):
                best = event if best is None or _EVENT_ORDER(event) < _EVENT_ORDER(best) else best
                break
    return (view(best), [best]) if best else (None, [])


def _matching(ctx: _Context, b: Binding, after: int | None, before: int | None) -> list[Event]:
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
def _count(ctx: _Context, b: Binding, after: int | None, before: int | None) -> tuple[Any, list[Event]]:
    found = _matching(ctx, b, after, before)
    return len(found), found


@lookup("exists")
def _exists(ctx: _Context, b: Binding, after: int | None, before: int | None) -> tuple[Any, list[Event]]:
    value, used = _first(ctx, b, after, before)
    return value is not None, used


@lookup("sum")
def _sum(ctx: _Context, b: Binding, after: int | None, before: int | None) -> tuple[Any, list[Event]]:
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


# --- one rule prepared for a run -------------------------------------------------

_Part = str | Callable[[Any], Any]


class _Plan:
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
        self.bindings: list[tuple[str, Callable[[Any], Any] | None, Callable[[Any], Any] | None,
                                  Callable[[Any], Any] | None, Lookup | None, Binding]] = []
        for b in policy.bindings:
            for expr in (b.where, b.of):
                self._bind(expr, tz, input_tz)
            if b.kind == "value":
                assert b.value is not None
                self.bindings.append((b.name, self._bind(b.value, tz, input_tz), None, None, None, b))
            else:
                self.bindings.append((b.name, None, self._bind(b.after, tz, input_tz),
                                      self._bind(b.before, tz, input_tz), LOOKUPS[b.kind], b))
        # inconclusive_if before pending_if: the first condition that holds decides
        self.conditions = [(self._bind(c.when, tz, input_tz), self._parts(c.reason, tz, input_tz), kind)
                           for group, kind in ((policy.inconclusive_if, Kind.INCONCLUSIVE),
                                               (policy.pending_if, Kind.PENDING))
                           for c in group]
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
        return [str(part) if isinstance(part, str) else self._bind(part, tz, input_tz)
                for part in template.parts]


def _render_parts(parts: Sequence[_Part], values: Mapping[str, Any]) -> str:
    """:func:`render_template` over a template's bound parts."""
    return "".join([part if part.__class__ is str else _shown(part(values))  # type: ignore[operator]
                    for part in parts])


def _shown(value: Any) -> str:
    """A rendered value: null as ``?``, a string as itself, an event as its id, else JSON."""
    if value is None:
        return "?"
    cls = value.__class__
    if cls is str:
        return value  # type: ignore[no-any-return]
    if cls is int:  # what json.dumps writes for an int (bool is its own class)
        return int.__repr__(value)
    if isinstance(value, str):
        return value
    if isinstance(value, EventView):
        return str(value.get("event_id"))
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# --- one trigger's decision ------------------------------------------------------

_NO_GROUP: dict[str, _Series | list[Event]] = {}  # never written: the group of a key with no events


class _Context:
    """The state of judging one trigger: the rule, its index, the values bound so far."""

    __slots__ = ("group", "input_tz", "plan", "policy", "run", "used", "values", "view")

    def __init__(self, run: _Run, policy: Policy, index: _Index, trigger: Event,
                 plan: _Plan | None = None) -> None:
        self.run = run
        self.policy = policy
        self.plan = plan if plan is not None else run.plan(policy)
        self.input_tz = run.input_tz
        self.view = run.view
        self.group = index.groups.get(index.keys[trigger.event_id], _NO_GROUP)
        self.values: dict[str, Any] = {
            "trigger": run.view(trigger),
            "params": run.params[policy.id],
            "as_of": run.as_of,
        }
        self.used: dict[str, Event] = {trigger.event_id: trigger}

    def series(self, b: Binding) -> list[_Series]:
        """The event lists of the binding's actions in this trigger's group."""
        group = self.group
        if len(b.actions) == 1:  # the common case, without a loop
            series = group.get(b.actions[0])
            if series is None:
                return []
            if series.__class__ is not list:
                return [series]  # type: ignore[list-item]
        return _Index.series(group, b.actions)

    def where(self, b: Binding) -> Callable[[Any], Any] | None:
        """The binding's bound ``where`` condition (over an event view), or None if it has none."""
        return None if b.where is None else self.plan.bound[id(b.where)]

    def matches(self, b: Binding, event: Event) -> bool:
        """Whether ``event`` satisfies the binding's ``where``."""
        where = self.where(b)
        return where is None or truthy(where(self.view(event)))

    def evaluate(self, expr: Expression) -> Any:
        """An expression of the rule over the values bound so far."""
        return expr.evaluate(self.values, self.policy.tz, self.input_tz)

    def anchor(self, expr: Expression | None) -> tuple[bool, int | None]:
        """(defined, instant) of an anchor; an anchor that evaluates to null is undefined."""
        if expr is None:
            return True, None
        instant = self.plan.instant(self.evaluate(expr))  # an event gives its own instant
        return instant is not None, instant

    def bind(self) -> None:
        """Compute every binding in order, noting the events lookups use."""
        values, used, instant = self.values, self.used, self.plan.instant
        for name, value, after_of, before_of, find, b in self.plan.bindings:
            if value is not None:
                values[name] = value(values)
                continue
            # both anchors are evaluated (either may raise) before either is judged undefined
            after = None if after_of is None else instant(after_of(values))
            before = None if before_of is None else instant(before_of(values))
            if (after is None and after_of is not None) or (before is None and before_of is not None):
                values[name] = None
                continue
            found, events = find(self, b, after, before)  # type: ignore[misc]
            values[name] = found
            for event in events:
                used[event.event_id] = event

    def render(self, template: Template) -> str:
        """A message or reason of the rule rendered against the values bound so far."""
        return render_template(template, self.values, self.policy, self.input_tz)


def build_outcome(policy: Policy, trigger: Event, kind: Kind, reason: str, message: Text | None,
                  evidence: Sequence[Event]) -> Outcome:
    """The :class:`Outcome` of one decision; both engines build theirs here."""
    subject = trigger.record.get("subject")
    return Outcome(
        rule_id=policy.id, rule_version=policy.version, kind=kind,
        event_id=trigger.event_id, epoch=trigger.epoch,
        timestamp=format_timestamp(trigger.epoch, policy.tz),
        platform=trigger.platform, seller_id=trigger.seller_id,
        subject=subject if isinstance(subject, dict) else None,
        severity=policy.severity, reason=reason, message=message,
        evidence=tuple([e.event_id for e in evidence]), evidence_events=tuple(evidence),
    )


def render_template(template: Template, values: Mapping[str, Any], policy: Policy,
                    input_tz: ZoneInfo) -> str:
    """A message or reason rendered against a decision context: null shows as ``?``, an event
    as its id, other values as JSON. Both engines render through this one function."""
    tz = policy.tz
    return "".join([part if isinstance(part, str) else _shown(part.evaluate(values, tz, input_tz))
                     for part in template.parts])


class _Run:
    """One check: the batch, the as-of time, parameters, and shared event views."""

    def __init__(self, batch: EventBatch, as_of: int, params: Mapping[str, dict[str, Any]],
                 policies: Sequence[Policy] = ()) -> None:
        self.batch = batch
        self._indexes: dict[tuple[str, ...], _Index] = {}
        self._plans: dict[int, tuple[Policy, _Plan]] = {}
        self.index_actions: dict[tuple[str, ...], frozenset[str]] = defaultdict(frozenset)
        for p in policies:
            self.index_actions[_index_key(p)] |= p.actions
        self.as_of = as_of
        self.params = params
        self.input_tz = zone(batch.timezone)
        # events by action, each list in time order: a rule reads only the lists of its actions
        by_action: dict[str, list[Event]] = defaultdict(list)
        for e in batch.events:
            if e.epoch <= as_of:
                by_action[e.action].append(e)
        self.by_action = by_action
        self._views: dict[str, EventView] = {}

    def index(self, policy: Policy) -> _Index:
        """The index of ``policy``'s platform and correlation key, shared by rules that match."""
        key = _index_key(policy)
        index = self._indexes.get(key)
        if index is None:
            actions = self.index_actions.get(key, policy.actions)
            index = self._indexes[key] = _Index(policy, self.events_of(actions), self.view,
                                                self.input_tz)
        return index

    def plan(self, policy: Policy) -> _Plan:
        """``policy``'s expressions bound for this run (made once per policy)."""
        entry = self._plans.get(id(policy))
        if entry is None:  # the policy is kept with its plan, so its id stays its own
            entry = self._plans[id(policy)] = (policy, _Plan(policy, self.input_tz))
        return entry[1]

    def events_of(self, actions: frozenset[str] | tuple[str, ...]) -> list[Event]:
        """The events with one of ``actions``, in time order."""
        lists = [self.by_action[a] for a in sorted(set(actions)) if a in self.by_action]
        if len(lists) == 1:
            return lists[0]
        return sorted((e for events in lists for e in events), key=_EVENT_ORDER)

    def view(self, event: Event) -> EventView:
        """The event as expressions read it (the record itself when the intake kept a view)."""
        record = event.record
        if record.__class__ is EventView:
            return record  # type: ignore[return-value]
        if isinstance(record, EventView):
            return record
        v = self._views.get(event.event_id)
        if v is None:
            v = self._views[event.event_id] = EventView(event.record, event.epoch)
        return v

    def judge(self, policy: Policy, index: _Index, trigger: Event, plan: _Plan | None = None) -> Outcome:
        """Decide one trigger. Data the expressions cannot work with (a text where a
        duration belongs, an amount that is not a number) makes the outcome
        inconclusive with the error as its reason, rather than stopping the run."""
        ctx = _Context(self, policy, index, trigger, plan)
        try:
            return self._decide(policy, ctx, trigger)
        except EVALUATION_ERRORS as exc:
            reason = f"the event's data cannot be evaluated: {type(exc).__name__}: {exc}"
            return build_outcome(policy, trigger, Kind.INCONCLUSIVE, reason, None, _evidence(ctx.used))

    def _decide(self, policy: Policy, ctx: _Context, trigger: Event) -> Outcome:
        ctx.bind()
        plan, values = ctx.plan, ctx.values
        kind, reason, message = Kind.PASS, "no violation condition holds", None
        for when, parts, outcome in plan.conditions:
            if truthy(when(values)):
                kind, reason = outcome, _render_parts(parts, values)
                break
        else:
            if truthy(plan.violation(values)):
                kind = Kind.VIOLATION
                en = _render_parts(plan.messages[0], values)
                zh = _render_parts(plan.messages[1], values)
                message, reason = Text(en, zh), en
        return build_outcome(policy, trigger, kind, reason, message, _evidence(ctx.used))

    def rule(self, versions: Sequence[Policy]) -> list[Outcome]:
        """Judge every trigger of one rule id; each by the version in effect at its time."""
        indexes = {p.version: self.index(p) for p in versions}
        outcomes: list[Outcome] = []
        triggering = frozenset(a for p in versions for a in p.trigger.actions)
        plans = {p.version: self.plan(p) for p in versions}
        only = versions[0] if len(versions) == 1 else None
        for event in self.events_of(triggering):
            # the version in effect at the event's time alone decides whether it triggers
            if only is not None:
                in_effect = only if only.in_effect(event.epoch) else None
            else:
                in_effect = next((p for p in versions if p.in_effect(event.epoch)), None)
            if in_effect is not None:
                plan = plans[in_effect.version]
                if self.triggers(in_effect, event, plan):
                    outcomes.append(self.judge(in_effect, indexes[in_effect.version], event, plan))
                continue
            triggered = [p for p in versions if self.triggers(p, event)]
            if not triggered:
                continue
            policy = _nearest(triggered, event.epoch)
            window = f"[{policy.effective_from_text or '-'}, {policy.effective_until_text or '-'})"
            reason = (f"{format_timestamp(event.epoch, policy.tz)} is outside the effective "
                      f"window {window} ({policy.timezone}) of every version of {policy.id}")
            outcomes.append(build_outcome(policy, event, Kind.NOT_APPLICABLE, reason, None, (event,)))
        return outcomes

    def triggers(self, policy: Policy, event: Event, plan: _Plan | None = None) -> bool:
        """Whether ``event`` is a trigger of ``policy`` (an error in its condition counts as yes)."""
        if event.platform != policy.platform or event.action not in policy.trigger.actions:
            return False
        where = (plan if plan is not None else self.plan(policy)).trigger_where
        if where is None:
            return True
        try:
            return truthy(where(self.view(event)))
        except EVALUATION_ERRORS:
            return True  # judged, and judge() reports why it cannot decide


def _evidence(used: Mapping[str, Event]) -> tuple[Event, ...]:
    """The events a decision used, in time order (ties by id); the trigger is always one."""
    if len(used) == 1:
        return tuple(used.values())
    if len(used) == 2:
        a, b = used.values()
        return (a, b) if _EVENT_ORDER(a) <= _EVENT_ORDER(b) else (b, a)  # as a stable sort
    return tuple(sorted(used.values(), key=_EVENT_ORDER))


#: Errors an expression may raise on data it cannot work with.
EVALUATION_ERRORS = (TypeError, ValueError, ArithmeticError, JMESPathError)


def _index_key(policy: Policy) -> tuple[str, ...]:
    return (policy.platform, *(e.text for e in policy.correlate_by))


def _nearest(versions: Sequence[Policy], epoch: int) -> Policy:
    """The version a not-applicable trigger is reported under: the latest that began before it,
    else the earliest."""
    started = [p for p in versions if p.effective_from is None or p.effective_from <= epoch]
    if started:
        return max(started, key=lambda p: p.effective_from or -(2**63))
    return min(versions, key=lambda p: p.effective_from or -(2**63))


def resolve_params(policies: Sequence[Policy],
                   overrides: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """Each rule's parameters: defaults of its versions, then the run's overrides (checked)."""
    overrides = overrides or {}
    problems: list[Problem] = []
    resolved: dict[str, dict[str, Any]] = {}
    known: dict[str, dict[str, Any]] = defaultdict(dict)
    for p in policies:
        known[p.id].update(p.parameters)
        resolved.setdefault(p.id, {}).update(p.defaults())
    for rule_id, values in overrides.items():
        if rule_id not in known:
            problems.append(Problem(Location("--param"), "unknown-rule",
                                    f"no loaded rule has the id {rule_id!r}"))
            continue
        for name, value in values.items():
            param = known[rule_id].get(name)
            if param is None:
                problems.append(Problem(
                    Location("--param"), "unknown-parameter",
                    f"{rule_id} has no parameter {name!r} "
                    f"(it has: {', '.join(sorted(known[rule_id])) or 'none'})"))
                continue
            problem = parameter_problem(param, value)
            if problem:
                problems.append(Problem(Location("--param"), "parameter", f"{rule_id}: {problem}"))
                continue
            resolved[rule_id][name] = value
    if problems:
        raise CheckerError(problems)
    return resolved


def evaluate(policies: Sequence[Policy], batch: EventBatch, *, as_of: int | None = None,
             params: Mapping[str, Mapping[str, Any]] | None = None) -> tuple[int, list[Outcome]]:
    """Judge every trigger of every active policy; return the as-of time used and the outcomes.

    Outcomes are sorted by (rule id, time, event id), whatever the input order.
    """
    with paused_gc():
        return _evaluate(policies, batch, as_of, params)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a run allocates millions of small objects.

    A run keeps every event alive until it ends and creates no reference
    cycles of its own (reference counting frees what it drops), so the
    collector's repeated scans of the growing heap are pure cost: about 40%
    of a check's time on 200k events. The previous state is restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _evaluate(policies: Sequence[Policy], batch: EventBatch, as_of: int | None,
              params: Mapping[str, Mapping[str, Any]] | None) -> tuple[int, list[Outcome]]:
    runnable = [p for p in policies if p.status != "disabled"]
    as_of = as_of if as_of is not None else (batch.latest if batch.latest is not None else 0)
    run = _Run(batch, as_of, resolve_params(runnable, params), runnable)
    by_id: dict[str, list[Policy]] = defaultdict(list)
    for p in runnable:
        by_id[p.id].append(p)
    outcomes: list[Outcome] = []
    for rule_id in sorted(by_id):
        outcomes.extend(run.rule(by_id[rule_id]))
    outcomes.sort(key=_OUTCOME_ORDER)
    return as_of, outcomes
