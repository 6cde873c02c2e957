"""The bundled sample gives exactly the outcomes its ground truth lists."""

from __future__ import annotations

import json

import checker

from .conftest import ROOT

EXAMPLES = ROOT / "examples"


def test_sample_matches_its_truth(policy_set: checker.PolicySet) -> None:
    truth = {
        (row["rule_id"], row["event_id"]): row["outcome"]
        for row in map(json.loads, (EXAMPLES / "sample-truth.jsonl").read_text("utf-8").splitlines())
    }
    result = checker.check(policy_set, [EXAMPLES / "sample-events.jsonl"])
    assert {(o.rule_id, o.event_id): o.kind.value for o in result.outcomes} == truth
    assert result.findings and result.exit_code == 1
    manifest = json.loads((EXAMPLES / "sample-manifest.json").read_text("utf-8"))
    assert result.as_of_text == manifest["as_of"]
