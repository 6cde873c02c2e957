"""The one call a Python job needs: :func:`check`."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from .engines.reference.engine import evaluate, paused_gc, resolve_params
from .inputs.events import EventBatch, read_events
from .language.errors import CheckerError
from .language.loader import PolicySet, load_policies
from .language.times import DEFAULT_TIMEZONE, parse_instant, zone
from .results.result import CheckResult


def check(
    policies: PolicySet | Sequence[str | os.PathLike[str]],
    events: EventBatch | Sequence[str | os.PathLike[str]],
    *,
    as_of: int | str | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> CheckResult:
    """Run ``policies`` over ``events`` and return every outcome.

    ``policies`` is a loaded :class:`PolicySet` or paths to load (a set with
    problems raises :class:`CheckerError`); ``events`` an :class:`EventBatch`
    or JSON Lines paths, read keeping only the events the policies read.
    ``as_of`` (an instant string, or epoch microseconds) defaults to the
    latest event; ``params`` overrides parameters per rule id: each version of a rule keeps its
    own defaults, and an override sets the parameter in every version that declares it (and
    must be valid for each of them).
    """
    policy_set = policies if isinstance(policies, PolicySet) else load_policies(policies)
    if policy_set.problems:
        raise CheckerError(policy_set.problems)
    resolved = resolve_params(policy_set.policies, params)  # bad overrides fail first
    wanted = frozenset().union(*(p.actions for p in policy_set.policies))
    with paused_gc():
        batch = (
            events
            if isinstance(events, EventBatch)
            else read_events(events, timezone=timezone, keep=wanted.__contains__)
        )
    instant = parse_instant(as_of, zone(batch.timezone)) if isinstance(as_of, str) else as_of
    used_as_of, outcomes = evaluate(policy_set.policies, batch, as_of=instant, params=params)
    return CheckResult(used_as_of, tuple(outcomes), policy_set.policies, policy_set.pack, batch, resolved)
