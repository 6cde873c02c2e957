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

This module is the entry point: :func:`check_in_memory` (the engine's run over
inputs, read here), :func:`evaluate` (over a batch, with :func:`paused_gc`).
Run set-up shared with the other engines (parameters, as-of) is
:mod:`checker.engines.setup`. The engine's parts are one module each:

* :mod:`checker.engines.reference.judge`: the run over a batch (``ReferenceRun``), the judging of one
  trigger (``Context``), and :func:`build_outcome` and
  :func:`render_template`, which the DuckDB engine shares;
* :mod:`checker.engines.reference.plan`: one rule's expressions and templates bound once per run;
* :mod:`checker.engines.reference.lookups`: the binding kinds (``last``, ``first``, ``count``,
  ``exists``, ``sum``) and their registry, and :func:`truthy`;
* :mod:`checker.engines.reference.eventindex`: the per-rule index of events by correlation key
  and :func:`key_function`.

"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import attrgetter
from typing import Any

from ...inputs.events import EventBatch
from ...inputs.files import read_events
from ...language.errors import CheckerError
from ...language.loader import PolicySet
from ...language.policy import Policy
from ...results.outcomes import Outcome
from ...results.result import CheckResult
from ..base import Inputs, RunOptions
from ..setup import as_of_instant, as_of_used, by_rule, now_instant, resolve_params, runnable
from .eventindex import Key, key_function
from .judge import ReferenceRun, build_outcome, render_template
from .lookups import LOOKUPS, Lookup, lookup, truthy
from .plan import EVALUATION_ERRORS

#: Outcome.sort_key as a C-level getter (the same tuple, no property call).
_OUTCOME_ORDER = attrgetter("rule_id", "epoch", "event_id", "rule_version")


def evaluate(
    policies: Sequence[Policy],
    batch: EventBatch,
    *,
    as_of: int | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[int, list[Outcome]]:
    """Judge every trigger of every active policy; return the as-of time used and the outcomes.

    ``params`` overrides parameters by rule id (:func:`checker.engines.setup.resolve_params`):
    each version is judged with its own defaults, overridden by the values given for its rule.

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


def _evaluate(
    policies: Sequence[Policy],
    batch: EventBatch,
    as_of: int | None,
    params: Mapping[str, Mapping[str, Any]] | None,
) -> tuple[int, list[Outcome]]:
    active = runnable(policies)
    as_of = as_of_used(as_of, batch.latest)
    run = ReferenceRun(batch, as_of, resolve_params(active, params), active)
    outcomes: list[Outcome] = []
    for versions in by_rule(active).values():
        outcomes.extend(run.rule(versions))
    outcomes.sort(key=_OUTCOME_ORDER)
    return as_of, outcomes


def check_in_memory(policy_set: PolicySet, inputs: Inputs, options: RunOptions) -> CheckResult:
    """Judge ``policy_set`` over ``inputs`` with every kept event in memory: the inputs are read
    here (keeping only the events some policy reads) unless they are a batch already."""
    if policy_set.problems:
        raise CheckerError(policy_set.problems)
    resolved = resolve_params(policy_set.policies, options.params)  # bad overrides fail first
    with paused_gc():
        if inputs.batch is not None:
            batch = inputs.batch
        else:
            wanted = frozenset().union(*(p.actions for p in policy_set.policies))
            batch = read_events(
                inputs.paths,
                timezone=options.timezone,
                keep=wanted.__contains__,
                profiles=inputs.profiles,
                encoding=inputs.encoding,
                input_format=inputs.input_format,
                stdin=inputs.stdin,
                progress=options.progress,
                now=now_instant(options.now, options.timezone),
            )
    asked = as_of_instant(options.as_of, batch.timezone)
    used, outcomes = evaluate(policy_set.policies, batch, as_of=asked, params=options.params)
    return CheckResult(used, tuple(outcomes), policy_set.policies, policy_set.pack, batch, resolved)


__all__ = [
    "EVALUATION_ERRORS",
    "LOOKUPS",
    "Key",
    "Lookup",
    "build_outcome",
    "check_in_memory",
    "evaluate",
    "key_function",
    "lookup",
    "paused_gc",
    "render_template",
    "truthy",
]
