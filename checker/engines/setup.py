"""What every engine does the same way before and around judging, written once.

A run's parameters (each version its own defaults, then the run's overrides
for its rule id: :func:`resolve_params`), the policies it runs (all but the
disabled ones: :func:`runnable`), the as-of time (asked for, else the latest
accepted event: :func:`as_of_instant`, :func:`as_of_used`), and how a trigger
outside every version's effective window is reported (under which version:
:func:`nearest_version`; in which words: :func:`not_applicable_reason`).
Engines that disagree on any of these would disagree on findings, so none
writes its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ..language.errors import CheckerError, Location, Problem
from ..language.policy import Policy, parameter_problem
from ..language.times import format_timestamp, parse_instant, wall_clock_now, zone

#: Resolved parameter values by (rule id, version): each version is judged with its own.
ResolvedParams = dict[tuple[str, str], dict[str, Any]]

#: Overrides of parameters by rule id, as ``--param RULE.NAME=VALUE`` gives them.
ParamOverrides = Mapping[str, Mapping[str, Any]]


def resolve_params(policies: Sequence[Policy], overrides: ParamOverrides | None = None) -> ResolvedParams:
    """Each policy version's parameters, by (rule id, version): the version's own defaults, then
    the run's overrides for its rule id.

    An override sets the parameter in every version that declares it, and is checked against
    each of those declarations (versions may differ in type or use): a value that does not fit
    one of them is an error naming that version. A rule id no policy has, or a parameter none
    of the rule's versions declares, is an error too.
    """
    overrides = overrides or {}
    problems: list[Problem] = []
    versions: dict[str, list[Policy]] = defaultdict(list)
    for p in policies:
        versions[p.id].append(p)
    resolved: ResolvedParams = {(p.id, p.version): p.defaults() for p in policies}
    for rule_id, values in overrides.items():
        if rule_id not in versions:
            problems.append(
                Problem(Location("--param"), "unknown-rule", f"no loaded rule has the id {rule_id!r}")
            )
            continue
        for name, value in values.items():
            declaring = [p for p in versions[rule_id] if name in p.parameters]
            if not declaring:
                known = sorted({n for p in versions[rule_id] for n in p.parameters})
                problems.append(
                    Problem(
                        Location("--param"),
                        "unknown-parameter",
                        f"{rule_id} has no parameter {name!r} (it has: {', '.join(known) or 'none'})",
                    )
                )
                continue
            invalid = [
                (p, problem) for p in declaring if (problem := parameter_problem(p.parameters[name], value))
            ]
            for p, problem in invalid:
                problems.append(
                    Problem(Location("--param"), "parameter", f"{rule_id} {p.version}: {problem}")
                )
            if not invalid:
                for p in declaring:
                    resolved[(p.id, p.version)][name] = value
    if problems:
        raise CheckerError(problems)
    return resolved


def runnable(policies: Sequence[Policy]) -> list[Policy]:
    """The policies a run judges: every version but the disabled ones, in load order."""
    return [p for p in policies if p.status != "disabled"]


def by_rule(policies: Sequence[Policy]) -> dict[str, list[Policy]]:
    """``policies`` grouped by rule id, rule ids in sorted order (the order outcomes come in)."""
    groups: dict[str, list[Policy]] = defaultdict(list)
    for p in policies:
        groups[p.id].append(p)
    return {rule_id: groups[rule_id] for rule_id in sorted(groups)}


def as_of_instant(as_of: int | str | None, timezone: str) -> int | None:
    """The as-of time asked for, in epoch microseconds: an instant string (offset-less read in
    ``timezone``), epoch microseconds as given, or None for "the latest event"."""
    return parse_instant(as_of, zone(timezone)) if isinstance(as_of, str) else as_of


def now_instant(now: int | str | None, timezone: str) -> int:
    """The run's "now" in epoch microseconds, read once per run: an instant string (as
    ``--as-of`` takes it), epoch microseconds as given, or None for the wall clock. Records
    stamped more than a day after it are rejected (``future-timestamp``)."""
    if now is None:
        return wall_clock_now()
    return parse_instant(now, zone(timezone)) if isinstance(now, str) else now


def as_of_used(asked: int | None, latest: int | None) -> int:
    """The as-of time a run judges at: the one asked for, else the latest accepted event, else
    the epoch (an input with no event)."""
    if asked is not None:
        return asked
    return latest if latest is not None else 0


def nearest_version(versions: Sequence[Policy], epoch: int) -> Policy:
    """The version a not-applicable trigger is reported under: the latest that began before it,
    else the earliest."""
    started = [p for p in versions if p.effective_from is None or p.effective_from <= epoch]
    if started:
        return max(started, key=lambda p: p.effective_from or -(2**63))
    return min(versions, key=lambda p: p.effective_from or -(2**63))


def not_applicable_reason(policy: Policy, epoch: int) -> str:
    """Why a trigger at ``epoch`` is not applicable, reported under ``policy`` (its nearest
    version): the trigger's time and the version's effective window."""
    window = f"[{policy.effective_from_text or '-'}, {policy.effective_until_text or '-'})"
    return (
        f"{format_timestamp(epoch, policy.tz)} is outside the effective "
        f"window {window} ({policy.timezone}) of every version of {policy.id}"
    )
