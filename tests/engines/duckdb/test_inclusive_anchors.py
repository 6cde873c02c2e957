"""Differential: each lookup kind with every anchor key, at the anchors' boundaries (an event at
the anchor's instant, a microsecond either side), gives the same result on both engines: outcomes,
evidence, messages and the JSON result with every outcome."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.language.kinds import LOOKUP_KINDS
from tests.engines.anchorcases import OFFSETS, WINDOWS, write_events
from tests.language.kindcases import binding_of, load

from .differential import assert_same, run_both


@pytest.mark.parametrize("kind", list(LOOKUP_KINDS))
def test_each_kind_with_every_anchor_key_decides_alike(tmp_path: Path, kind: str) -> None:
    # one policy per kind: each binding is a layer of the decision query, which a policy of every
    # kind with every window (45 lookups) would nest past what sqlglot renders
    bindings = {f"x_{w.name}": binding_of(LOOKUP_KINDS[kind], **w.anchors) for w in WINDOWS}
    message = " ".join(f"{name}={{{{ {name} }}}}" for name in bindings)
    # a violation when the window holding the event at the trigger's instant found it
    policy_set = load(tmp_path, bindings, message=message, violation_if="x_at_or_after == x_at_or_before")
    assert not policy_set.problems, policy_set.problems
    reference, duck = run_both(policy_set, [write_events(tmp_path)])
    assert_same(reference, duck)
    assert len(reference.outcomes) == len(OFFSETS)
