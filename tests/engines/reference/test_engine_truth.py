"""The engine against the generator's ground truth: a few thousand realistic events, several seeds.

The generator computes each trigger's expected outcome from the scenario it
built, without the engine, so agreement here is evidence, not tautology.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import checker
from checker.generator import generate


@pytest.mark.parametrize(("seed", "events", "shuffle"), [(1, 3000, True), (2, 4000, True), (3, 2500, False)])
def test_engine_matches_generated_truth(
    policy_set: checker.PolicySet, tmp_path: Path, seed: int, events: int, shuffle: bool
) -> None:
    generate(tmp_path, events=events, seed=seed, shuffle=shuffle)
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    truth = {
        (row["rule_id"], row["event_id"]): row["outcome"]
        for row in map(json.loads, (tmp_path / "truth.jsonl").read_text("utf-8").splitlines())
    }
    result = checker.check(policy_set, [tmp_path / "events.jsonl"], as_of=manifest["as_of"])
    assert result.batch.totals()["rejected"] == 0
    got = {(o.rule_id, o.event_id): o.kind.value for o in result.outcomes}
    wrong = sorted(
        (key, truth.get(key), got.get(key))
        for key in truth.keys() | got.keys()
        if truth.get(key) != got.get(key)
    )
    assert not wrong, f"{len(wrong)} outcomes differ from the truth, e.g. {wrong[:10]}"
    kinds = {kind for kind in got.values()}
    assert kinds == {"violation", "pass", "inconclusive", "pending", "not_applicable"}
