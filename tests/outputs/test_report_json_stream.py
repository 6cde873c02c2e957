"""The streamed JSON report is byte for byte the one-document ``json.dumps`` of the result."""

from __future__ import annotations

import itertools
import json
from datetime import date
from pathlib import Path

import pytest

import checker
from checker.engines import spill
from checker.engines.duckdb import check_duckdb
from checker.engines.duckdb import engine as duckdb_engine
from checker.engines.duckdb import findings as findings_module
from checker.engines.duckdb.results import SqlOutcomeStore
from checker.generator import generate
from checker.outputs import RenderOptions, jsonresult, render
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


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("world")
    generate(directory, events=3000, seed=7, violation_rate=0.3)
    return directory / "events.jsonl"


@pytest.mark.parametrize("python_rules", [False, True], ids=["sql", "half-the-rules-in-python"])
@pytest.mark.parametrize("first", ["json", "findings"])
def test_the_json_report_from_ready_made_texts(
    policy_set: checker.PolicySet,
    world: Path,
    monkeypatch: pytest.MonkeyPatch,
    python_rules: bool,
    first: str,
) -> None:
    """The DuckDB engine makes each finding's text as it builds the findings, when the JSON report
    is the first to ask for them, in runs of a few findings merged on disk, also for findings of
    rules it runs in Python; then the report never builds a finding's dict. When something else
    asked first, the report encodes the rows as read. Either way: the reference's bytes."""
    monkeypatch.setattr(findings_module, "FINDINGS_CHUNK", 7)
    monkeypatch.setattr(spill, "MAX_MERGE", 3)
    if python_rules:
        every_other = itertools.count()
        monkeypatch.setattr(duckdb_engine, "_costly", lambda plan, paths: next(every_other) % 2 == 1)
    result = check_duckdb(policy_set, [world], now="2026-01-01T00:00:00Z")
    store = result.outcomes
    assert isinstance(store, SqlOutcomeStore)
    if python_rules:
        assert any(o.kind is checker.Kind.VIOLATION for o in store.extra)
    if first == "findings":
        assert result.findings
    else:

        def built(*args: object) -> None:
            raise AssertionError("the report built a finding's dict")

        monkeypatch.setattr(jsonresult, "finding_record", built)
    text = "".join(render_json(result, RenderOptions()))
    rows = [row for run in store.findings().runs for row in store.findings().spill.read(run)]
    # many runs, merged on disk into at most three
    assert len(rows) == len(result.findings) > 50 and store.findings().spill.n > 10
    assert {len(row) for row in rows} == ({16} if first == "json" else {15})
    reference = checker.check(policy_set, [world], now="2026-01-01T00:00:00Z")
    assert text == json.dumps(reference.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"


def test_a_triaged_json_report_from_ready_made_texts(
    policy_set: checker.PolicySet, world: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With a baseline and waivers, as the command line runs them: the texts are asked for before
    the gate reads the findings, so the DuckDB engine makes them as it builds the findings; the gate
    and the report then read each finding without parsing its evidence again (its head), the report
    adds each status to the ready-made text, and the bytes are those the reference engine's
    result gives with the same triage."""
    monkeypatch.setattr(findings_module, "FINDINGS_CHUNK", 7)
    monkeypatch.setattr(spill, "MAX_MERGE", 3)
    now = "2026-01-01T00:00:00Z"
    reference = checker.check(policy_set, [world], now=now)
    found = reference.findings
    baselined, waived = found[0], found[len(found) // 2]
    path = tmp_path / "waivers.yaml"
    path.write_text(
        "waivers:\n"
        f"  - {{rule: {json.dumps(waived.rule_id)}, seller: {json.dumps(waived.seller_id)}, "
        "reason: 同意, approver: a, expires: 2030-01-01}\n",
        "utf-8",
    )

    def gate(result: CheckResult) -> RenderOptions:
        return RenderOptions(
            triage=triage(
                result,
                baseline=Baseline("baseline.json", {baselined.fingerprint: {}, "gone": {}}),
                waivers=load_waivers(path),
                fail_on="medium",
                today=date(2025, 6, 1),
            )
        )

    result = check_duckdb(policy_set, [world], now=now)
    result.keep_finding_texts()

    def parsed(*args: object) -> None:
        raise AssertionError("an evidence line was parsed again")

    def built(*args: object) -> None:
        raise AssertionError("the report built a finding's dict")

    monkeypatch.setattr(spill, "row_event", parsed)
    monkeypatch.setattr(jsonresult, "finding_record", built)
    options = gate(result)
    text = "".join(render_json(result, options))
    monkeypatch.undo()
    expected = _whole(reference, gate(reference))
    assert text == expected
    doc = json.loads(text)
    statuses = {f["status"] for f in doc["findings"]}
    assert statuses == {"new", "baselined", "waived"}
    assert doc["gating"]["failing"] > 0 and doc["gating"]["baseline"]["absent"] == ["gone"]
