"""The per-rule event index of the reference engine: events grouped by correlation key.

For each rule the engine keeps the events of its platform whose action it
reads, grouped by the rule's correlation key (:func:`key_function`), each
group split by action into lists in time order (ties broken by
``event_id``). An :class:`EventIndex` holds those groups; a list becomes a
:class:`Series` (with its instants) when a lookup first reads it, and a
window of it is then a binary search for its anchors. Rules with the same
platform and ``correlate_by`` share one index (see :mod:`checker.engines.reference.judge`).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from ...inputs.events import Event
from ...language.expressions import EventView
from ...language.policy import Policy

Key = tuple[Any, ...]


@dataclass
class Series:
    """Events of one action for one correlation key, in time order, with their instants."""

    events: list[Event]
    epochs: list[int]

    def window(self, after: int | None, before: int | None) -> tuple[int, int]:
        """Index range of the events strictly after ``after`` and strictly before ``before`` (an
        inclusive anchor arrives here as the strict bound one microsecond beyond it)."""
        lo = 0 if after is None else bisect.bisect_right(self.epochs, after)
        hi = len(self.epochs) if before is None else bisect.bisect_left(self.epochs, before)
        return lo, hi


#: Event.sort_key as a C-level getter (the same tuple, no property call).
EVENT_ORDER = attrgetter("epoch", "event_id")


class EventIndex:
    """Events of one platform grouped by a correlation key and split by action.

    Rules with the same platform and ``correlate_by`` share one index. Most
    (key, action) lists are never read by a trigger, so each becomes a
    :class:`Series` (with its list of instants) only when first read; see
    :meth:`series`.
    """

    def __init__(
        self, policy: Policy, events: Sequence[Event], view: Callable[[Event], EventView], input_tz: ZoneInfo
    ) -> None:
        self.groups: dict[Key, dict[str, Series | list[Event]]] = {}
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
                assert isinstance(same, list)  # a Series only once a lookup has read it
                same.append(event)

    @staticmethod
    def series(group: dict[str, Series | list[Event]], actions: Sequence[str]) -> list[Series]:
        """The series of ``actions`` in one key's group, made from their event lists once."""
        found: list[Series] = []
        for action in actions:
            series = group.get(action)
            if series is None:
                continue
            if isinstance(series, list):
                series = group[action] = Series(series, [e.epoch for e in series])
            found.append(series)
        return found


def key_function(
    policy: Policy, view: Callable[[Event], EventView], input_tz: ZoneInfo
) -> Callable[[Event], Key]:
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
                return (a if a.__class__ is str else _hashable(a), b if b.__class__ is str else _hashable(b))

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
