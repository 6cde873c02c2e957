"""SARIF 2.1.0: valid against the official OASIS schema; rules, levels, fingerprints, locations."""

from __future__ import annotations

import json

import jsonschema
import pytest

import checker
from checker.outputs import RenderOptions, render
from checker.outputs.sarif import artifact_uri
from tests.conftest import FIXTURES

SCHEMA = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text("utf-8"))


def _sarif(result: checker.CheckResult, options: RenderOptions) -> dict:
    doc = json.loads(render("sarif", result, options))
    jsonschema.validate(
        doc, SCHEMA, cls=jsonschema.Draft7Validator, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    return doc


def test_sarif_validates_and_carries_every_finding(scenario: tuple) -> None:
    result, options = scenario
    run = _sarif(result, options)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted({p.id for p in result.policies})
    early = next(r for r in rules if r["id"] == "aliexpress.affiliate.early-exit")
    assert early["defaultConfiguration"]["level"] == "error"
    assert "商家想要退聯盟須是在加入聯盟的15天之後" in early["help"]["text"]
    assert early["properties"]["source"]["document"].startswith("000_")
    by_event = {r["properties"]["event_id"]: r for r in run["results"]}
    assert sorted(by_event) == ["c1", "x1", "x2", "x3"]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        finding = next(f for f in result.findings if f.event_id == r["properties"]["event_id"])
        assert r["partialFingerprints"] == {"policyCheckerFingerprint/v1": finding.fingerprint}
    # the gate decides the level: only x3 fails it (c1 is low, below --fail-on medium)
    assert {e: r["level"] for e, r in by_event.items()} == {
        "c1": "note",
        "x1": "note",
        "x2": "note",
        "x3": "error",
    }
    assert {e: r["properties"]["gate"] for e, r in by_event.items()} == {
        "c1": "below --fail-on medium",
        "x1": "baselined",
        "x2": "waived",
        "x3": "fail",
    }
    assert [r["properties"]["event_id"] for r in run["results"]] == ["x3", "x1", "x2", "c1"]  # gate order
    assert run["properties"]["policy-checker/omittedResults"] == 0
    x3 = by_event["x3"]
    assert x3["level"] == "error" and x3["baselineState"] == "new"
    assert x3["locations"][0]["physicalLocation"]["region"] == {"startLine": 6}
    assert x3["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("export.jsonl")
    seller = x3["locations"][0]["logicalLocations"][0]
    assert seller["kind"] == "seller" and seller["name"].startswith("s\x1b")
    c1_locations = by_event["c1"]["locations"][0]["logicalLocations"]
    assert c1_locations[1] == {
        "name": "p9",
        "kind": "affiliate_plan",
        "fullyQualifiedName": "taobao/seller/t1/affiliate_plan/p9",
    }
    assert by_event["x1"]["baselineState"] == "unchanged"
    assert by_event["x2"]["suppressions"][0]["status"] == "accepted"
    assert by_event["x2"]["suppressions"][0]["justification"] == "经平台小二同意提前退出"
    invocation = run["invocations"][0]
    assert invocation["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 8
    }
    assert invocation["toolConfigurationNotifications"][0]["descriptor"]["id"] == "waiver-expired"


def test_sarif_without_findings_or_gate_validates(policy_set: checker.PolicySet) -> None:
    result = checker.check(policy_set, checker.events_from_records([]))
    run = _sarif(result, RenderOptions())["runs"][0]
    assert run["results"] == [] and "baselineState" not in json.dumps(run)


@pytest.mark.parametrize(
    ("file", "uri"),
    [
        ("exports/week 1.jsonl", "exports/week%201.jsonl"),
        ("/data/x.jsonl", "file:///data/x.jsonl"),
        ("s3a://bucket/exports/week 1.jsonl", "s3a://bucket/exports/week%201.jsonl"),
        ("viewfs://ck/exports/速卖通.tsv", "viewfs://ck/exports/%E9%80%9F%E5%8D%96%E9%80%9A.tsv"),
        ("-", None),
    ],
)
def test_an_inputs_artifact_uri(file: str, uri: str | None) -> None:
    """A path becomes a (relative or ``file://``) URI; an input named by a URI keeps its scheme
    and authority, its path quoted."""
    assert artifact_uri(file) == uri
