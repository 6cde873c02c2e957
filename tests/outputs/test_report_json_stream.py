"""The streamed JSON report is byte for byte the one-document ``json.dumps`` of the result."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

import checker
from checker.engines.duckdb import check_duckdb
from checker.outputs import RenderOptions, render
from checker.outputs.jsonresult import render_json
from checker.results.baseline import Baseline
from checker.results.gating import triage
from checker.results.result import CheckResult
from checker.results.waivers import load_waivers
from tests.conftest import ROOT
from tests.outputs.conftest import WAIVERS

SAMPLE = ROOT / "examples" / "sample-events.jsonl"


def _whole(result: CheckResult, options: RenderOptions) -> str:
    """The report as one document, as ``render_json`` wrote it before it streamed."""
    doc = result.to_dict(all_outcomes=options.all_outcomes)
    if options.triage.active:
        doc["findings"] = [checker.outputs.finding_record(f, options) for f in result.findings]
        doc["gating"] = options.triage.to_dict(result.findings)
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


@pytest.fixture(scope="module", params=["python", "duckdb"])
def result(request: pytest.FixtureRequest, policy_set: checker.PolicySet) -> CheckResult:
    if request.param == "python":
        return checker.check(policy_set, checker.read_events([SAMPLE]))
    return check_duckdb(policy_set, [SAMPLE])


@pytest.mark.parametrize("all_outcomes", [False, True])
def test_streamed_json_is_the_document(result: CheckResult, all_outcomes: bool) -> None:
    assert result.findings, "the sample should have findings"
    options = RenderOptions(all_outcomes=all_outcomes)
    pieces = list(render_json(result, options))
    assert len(pieces) > 1
    text = "".join(pieces)
    assert (
        text
        == json.dumps(result.to_dict(all_outcomes=all_outcomes), ensure_ascii=False, separators=(",", ":"))
        + "\n"
    )
    assert render("json", result, options) == text


def test_the_duckdb_findings_come_as_ready_made_texts(result: CheckResult) -> None:
    """The DuckDB engine builds each finding's JSON text where it builds the finding (on every
    core); the report above is written from those texts, and they are the findings' own."""
    texts = result.finding_texts()
    if not isinstance(result.outcomes, checker.results.result.OutcomeStore):
        assert texts is None
        return
    assert texts is not None
    assert list(texts) == [checker.results.result.encode_finding(f) for f in result.findings]


@pytest.mark.parametrize("all_outcomes", [False, True])
def test_streamed_json_with_a_triage(result: CheckResult, all_outcomes: bool, tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    first, last = result.findings[0], result.findings[-1]
    # one waiver unused, one expired (from the shared fixture), one that waives the last finding
    path.write_text(
        WAIVERS + "  - {rule: no.such.rule, seller: s1, reason: r, approver: a, "
        "expires: 2030-01-01}\n"
        f"  - {{rule: {json.dumps(last.rule_id)}, seller: {json.dumps(last.seller_id)}, "
        "reason: 同意, approver: a, expires: 2030-01-01}\n",
        "utf-8",
    )
    gate = triage(
        result,
        baseline=Baseline("baseline.json", {first.fingerprint: {}, "gone": {}}),
        waivers=load_waivers(path),
        fail_on="medium",
        today=date(2024, 6, 1),
    )
    assert gate.active
    options = RenderOptions(all_outcomes=all_outcomes, triage=gate)
    text = "".join(render_json(result, options))
    assert text == _whole(result, options)
    doc = json.loads(text)
    assert doc["findings"][0]["status"] == "baselined" and "gating" in doc
    assert doc["findings"][-1]["status"] == "waived" and "waiver" in doc["findings"][-1]


def test_an_empty_result_streams_too(policy_set: checker.PolicySet) -> None:
    result = checker.check(policy_set, checker.events_from_records([]))
    for all_outcomes in (False, True):
        options = RenderOptions(all_outcomes=all_outcomes)
        assert (
            render("json", result, options)
            == json.dumps(
                result.to_dict(all_outcomes=all_outcomes), ensure_ascii=False, separators=(",", ":")
            )
            + "\n"
        )
