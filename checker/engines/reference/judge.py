"""Judging triggers: a run over a batch, and the decision of each trigger.

:class:`ReferenceRun` is one check: the batch cut at the as-of time, the resolved
parameters, the shared indexes (:mod:`checker.engines.reference.eventindex`) and plans
(:mod:`checker.engines.reference.plan`). It finds each rule's triggers, picks the version in
effect, and judges each trigger in a :class:`Context`, which computes the
bindings (:mod:`checker.engines.reference.lookups`) and decides the outcome.
:func:`build_outcome` and :func:`render_template` are shared with the DuckDB
engine (:mod:`checker.engines.duckdb`), so both build and word outcomes the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from ...inputs.events import Event, EventBatch
from ...language.expressions import EventView
from ...language.policy import Binding, Policy, Template, Text
from ...language.times import format_timestamp, zone
from ...results.outcomes import Kind, Outcome
from ..setup import nearest_version, not_applicable_reason
from .eventindex import EVENT_ORDER, EventIndex, Series
from .lookups import truthy
from .plan import EVALUATION_ERRORS, RulePlan, render_parts, shown_part

_NO_GROUP: dict[str, Series | list[Event]] = {}  # never written: the group of a key with no events


class Context:
    """The state of judging one trigger: the rule, its index, the values bound so far."""

    __slots__ = ("group", "input_tz", "plan", "policy", "run", "used", "values", "view")

    def __init__(
        self,
        run: ReferenceRun,
        policy: Policy,
        index: EventIndex,
        trigger: Event,
        plan: RulePlan | None = None,
    ) -> None:
        self.run = run
        self.policy = policy
        self.plan = plan if plan is not None else run.plan(policy)
        self.input_tz = run.input_tz
        self.view = run.view
        self.group = index.groups.get(index.keys[trigger.event_id], _NO_GROUP)
        self.values: dict[str, Any] = {
            "trigger": run.view(trigger),
            "params": run.params[(policy.id, policy.version)],
            "as_of": run.as_of,
        }
        self.used: dict[str, Event] = {trigger.event_id: trigger}

    def series(self, b: Binding) -> list[Series]:
        """The event lists of the binding's actions in this trigger's group."""
        group = self.group
        if len(b.actions) == 1:  # the common case, without a loop
            series = group.get(b.actions[0])
            if series is None:
                return []
            if isinstance(series, Series):
                return [series]
        return EventIndex.series(group, b.actions)

    def where(self, b: Binding) -> Callable[[Any], Any] | None:
        """The binding's bound ``where`` condition (over an event view), or None if it has none."""
        return None if b.where is None else self.plan.bound[id(b.where)]

    def of(self, b: Binding) -> Callable[[Any], Any]:
        """The binding's bound ``of`` expression (over an event view); for a kind that requires one."""
        assert b.of is not None, f"let.{b.name} has no 'of'"
        return self.plan.bound[id(b.of)]

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
            found, events = find(self, b, after, before)  # type: ignore[misc]  # a lookup: find is set
            values[name] = found
            for event in events:
                used[event.event_id] = event


def build_outcome(
    policy: Policy, trigger: Event, kind: Kind, reason: str, message: Text | None, evidence: Sequence[Event]
) -> Outcome:
    """The :class:`Outcome` of one decision; both engines build theirs here."""
    subject = trigger.record.get("subject")
    return Outcome(
        rule_id=policy.id,
        rule_version=policy.version,
        kind=kind,
        event_id=trigger.event_id,
        epoch=trigger.epoch,
        timestamp=format_timestamp(trigger.epoch, policy.tz),
        platform=trigger.platform,
        seller_id=trigger.seller_id,
        subject=subject if isinstance(subject, dict) else None,
        severity=policy.severity,
        reason=reason,
        message=message,
        evidence=tuple([e.event_id for e in evidence]),
        evidence_events=tuple(evidence),
    )


def render_template(template: Template, values: Mapping[str, Any], policy: Policy, input_tz: ZoneInfo) -> str:
    """A message or reason rendered against a decision context: null shows as ``?``, an event
    as its id, other values as JSON. Both engines render through this one function."""
    tz = policy.tz
    return "".join(
        [
            part if isinstance(part, str) else shown_part(partial(part.evaluate, values, tz, input_tz))
            for part in template.parts
        ]
    )


class ReferenceRun:
    """One check: the batch, the as-of time, parameters (by rule id and version, as
    :func:`checker.engines.reference.engine.resolve_params` gives them), and shared event views."""

    def __init__(
        self,
        batch: EventBatch,
        as_of: int,
        params: Mapping[tuple[str, str], dict[str, Any]],
        policies: Sequence[Policy] = (),
    ) -> None:
        self.batch = batch
        self._indexes: dict[tuple[str, ...], EventIndex] = {}
        self._plans: dict[int, tuple[Policy, RulePlan]] = {}
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

    def index(self, policy: Policy) -> EventIndex:
        """The index of ``policy``'s platform and correlation key, shared by rules that match."""
        key = _index_key(policy)
        index = self._indexes.get(key)
        if index is None:
            actions = self.index_actions.get(key, policy.actions)
            index = self._indexes[key] = EventIndex(policy, self.events_of(actions), self.view, self.input_tz)
        return index

    def plan(self, policy: Policy) -> RulePlan:
        """``policy``'s expressions bound for this run (made once per policy)."""
        entry = self._plans.get(id(policy))
        if entry is None:  # the policy is kept with its plan, so its id stays its own
            entry = self._plans[id(policy)] = (policy, RulePlan(policy, self.input_tz))
        return entry[1]

    def events_of(self, actions: frozenset[str] | tuple[str, ...]) -> list[Event]:
        """The events with one of ``actions``, in time order."""
        lists = [self.by_action[a] for a in sorted(set(actions)) if a in self.by_action]
        if len(lists) == 1:
            return lists[0]
        return sorted((e for events in lists for e in events), key=EVENT_ORDER)

    def view(self, event: Event) -> EventView:
        """The event as expressions read it (the record itself when the intake kept a view)."""
        record = event.record
        if record.__class__ is EventView:
            return record
        if isinstance(record, EventView):
            return record
        v = self._views.get(event.event_id)
        if v is None:
            v = self._views[event.event_id] = EventView(event.record, event.epoch)
        return v

    def judge(
        self, policy: Policy, index: EventIndex, trigger: Event, plan: RulePlan | None = None
    ) -> Outcome:
        """Decide one trigger. Data the expressions cannot work with (a text where a
        duration belongs, an amount that is not a number) makes the outcome
        inconclusive with the error as its reason, rather than stopping the run."""
        ctx = Context(self, policy, index, trigger, plan)
        try:
            return self._decide(policy, ctx, trigger)
        except EVALUATION_ERRORS as exc:
            reason = f"the event's data cannot be evaluated: {type(exc).__name__}: {exc}"
            return build_outcome(policy, trigger, Kind.INCONCLUSIVE, reason, None, _evidence(ctx.used))

    def _decide(self, policy: Policy, ctx: Context, trigger: Event) -> Outcome:
        ctx.bind()
        plan, values = ctx.plan, ctx.values
        kind, reason, message = Kind.PASS, "no violation condition holds", None
        for when, parts, outcome in plan.conditions:
            if truthy(when(values)):
                kind, reason = outcome, render_parts(parts, values)
                break
        else:
            if truthy(plan.violation(values)):
                kind = Kind.VIOLATION
                en = render_parts(plan.messages[0], values)
                zh = render_parts(plan.messages[1], values)
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
            policy = nearest_version(triggered, event.epoch)
            reason = not_applicable_reason(policy, event.epoch)
            outcomes.append(build_outcome(policy, event, Kind.NOT_APPLICABLE, reason, None, (event,)))
        return outcomes

    def triggers(self, policy: Policy, event: Event, plan: RulePlan | None = None) -> bool:
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
        return (a, b) if EVENT_ORDER(a) <= EVENT_ORDER(b) else (b, a)  # as a stable sort
    return tuple(sorted(used.values(), key=EVENT_ORDER))


def _index_key(policy: Policy) -> tuple[str, ...]:
    return (policy.platform, *(e.text for e in policy.correlate_by))
