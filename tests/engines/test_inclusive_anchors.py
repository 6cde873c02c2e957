"""Window anchors at their boundaries, for every lookup kind, on both engines.

``after`` and ``before`` are strict: an event at the anchor's own instant is outside the window.
``at_or_after`` and ``at_or_before`` include it. Each seller below has the trigger at ``T`` and
one looked-up event a few microseconds (or an hour) off it; every binding's value is checked
against the window's definition, and the two engines must agree on every value and its evidence.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import checker
from checker.language.kinds import LOOKUP_KINDS, LookupKind
from tests.language.kindcases import LOOKED_UP, binding_of, load

from .anchorcases import HOUR, OFFSETS, WINDOWS, T, seller, write_events

ENGINES = ["python", "duckdb"]


def _shown(kind: LookupKind, name: str, inside: bool, defined: bool) -> str:
    """The binding's value as a message shows it, by the window's definition."""
    if not defined:
        return "?"
    if kind.value_type == "event":
        return f"r_{name}" if inside else "?"
    if kind.value_type == "boolean":
        return json.dumps(inside)
    if kind.value_type == "integer":
        return "1" if inside else "0"  # count: the one event
    return "5" if inside else "0"  # sum: its amount


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", list(LOOKUP_KINDS.values()), ids=list(LOOKUP_KINDS))
def test_each_anchor_key_at_its_boundary(tmp_path: Path, kind: LookupKind, engine: str) -> None:
    bindings = {f"x_{w.name}": binding_of(kind, **w.anchors) for w in WINDOWS}
    message = " ".join(f"{w.name}={{{{ x_{w.name} }}}}" for w in WINDOWS)
    policy_set = load(tmp_path, bindings, message=message, violation_if="`true`")
    assert not policy_set.problems, policy_set.problems
    result = checker.check(policy_set, [write_events(tmp_path)], engine=engine)
    got = {o.seller_id: (o.reason, set(o.evidence)) for o in result.outcomes}
    want = {}
    for offset in OFFSETS:
        name = seller(offset)
        shown = [f"{w.name}={_shown(kind, name, w.holds(offset), w.defined)}" for w in WINDOWS]
        used = any(w.holds(offset) for w in WINDOWS)
        want[name] = (" ".join(shown), {f"t_{name}", *([f"r_{name}"] if used else [])})
    assert got == want


def test_a_window_inclusive_at_both_ends_holds_both_end_events(tmp_path: Path) -> None:
    """Several events of one seller: a count over ``[T - 1 h, T]`` holds the events at its two
    ends, and not those a microsecond outside; its evidence is those two and the trigger."""
    rows = [
        ("a", T - HOUR - 1),
        ("b", T - HOUR),
        ("c", T),
        ("d", T + 1),
    ]
    records = [
        {
            "event_id": eid,
            "timestamp": ts,
            "platform": "aliexpress",
            "seller_id": "s",
            "action": LOOKED_UP,
            "data": {"amount": 1},
        }
        for eid, ts in rows
    ]
    records.append(
        {
            "event_id": "t",
            "timestamp": T,
            "platform": "aliexpress",
            "seller_id": "s",
            "action": "order.completed",
        }
    )
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    spec = binding_of(LOOKUP_KINDS["count"], at_or_after="minus(trigger, 'PT1H')", at_or_before="trigger")
    policy_set = load(tmp_path, {"n": spec}, message="{{ n }}", violation_if="`true`")
    for engine in ENGINES:
        (outcome,) = checker.check(policy_set, [path], engine=engine).outcomes
        assert (outcome.reason, outcome.evidence) == ("2", ("b", "c", "t")), engine
