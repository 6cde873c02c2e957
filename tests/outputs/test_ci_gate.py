"""The CI formats follow the gate, and stay within the platforms' limits.

On the bundled sample (29 violations: 12 high, 9 medium, 8 low, in 13 of the 15 rules),
``--fail-on`` decides which violations are JUnit failures, SARIF errors and ``::error``
annotations, exactly as it decides the exit code; the SARIF results and the annotations are
capped, most severe first, and say how many were left out.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from junitparser import Failure, JUnitXml, Skipped

import checker
from checker.language.policy import SEVERITIES
from checker.outputs import RenderOptions, render
from checker.outputs.options import ANNOTATIONS_MAX, SARIF_MAX_RESULTS
from checker.results.gating import triage
from tests.conftest import FIXTURES, ROOT

SAMPLE = ROOT / "examples" / "sample-events.jsonl"
SCHEMA = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text("utf-8"))
RANK = {s: i for i, s in enumerate(SEVERITIES)}


@pytest.fixture(scope="module")
def sample(policy_set: checker.PolicySet) -> checker.CheckResult:
    result = checker.check(policy_set, checker.read_events([SAMPLE]))
    assert Counter(f.severity for f in result.findings) == {"high": 12, "medium": 9, "low": 8}
    return result


def _options(result: checker.CheckResult, fail_on: str, **limits: int | None) -> RenderOptions:
    return RenderOptions(triage=triage(result, fail_on=fail_on), **limits)  # type: ignore[arg-type]


def _sarif(result: checker.CheckResult, options: RenderOptions) -> dict:
    doc = json.loads(render("sarif", result, options))
    jsonschema.validate(
        doc, SCHEMA, cls=jsonschema.Draft7Validator, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    return doc


# fail_on: (failing violations, JUnit cases failing, JUnit cases skipped)
GATES = {
    "info": (29, 13, 0),
    "low": (29, 13, 0),
    "medium": (21, 10, 3),
    "high": (12, 6, 7),
    "critical": (0, 0, 13),
}


@pytest.mark.parametrize("fail_on", GATES)
def test_every_ci_format_fails_on_what_fails_the_gate(
    sample: checker.CheckResult, fail_on: str, tmp_path: Path
) -> None:
    failing, failing_cases, skipped_cases = GATES[fail_on]
    options = _options(sample, fail_on)
    assert options.triage.count_failing(sample.findings) == failing

    path = tmp_path / "report.xml"
    path.write_text(render("junit", sample, options), "utf-8")
    (suite,) = list(JUnitXml.fromfile(str(path)))
    results = [r for case in suite for r in case.result]
    assert sum(isinstance(r, Failure) for r in results) == failing
    assert sum(isinstance(r, Skipped) for r in results) == 29 - failing
    assert all(
        r.message.startswith(f"below --fail-on {fail_on}: ") for r in results if isinstance(r, Skipped)
    )
    assert (int(suite.failures), int(suite.skipped), int(suite.tests)) == (failing_cases, skipped_cases, 15)

    lines = render("github", sample, options).splitlines()
    kinds = Counter(line.split(" ", 1)[0] for line in lines[:-1])
    assert kinds == Counter({"::error": failing, "::notice": 29 - failing})  # Counter: 0 is absent
    assert lines[-1].startswith("::notice title=policy-checker::29 violation(s)")
    assert f"{failing} at or above {fail_on}." in lines[-1]

    levels = Counter(r["level"] for r in _sarif(sample, options)["runs"][0]["results"])
    assert levels == Counter({"error": failing, "note": 29 - failing})


def test_fail_on_critical_on_the_sample_writes_no_failure_and_no_error(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    code, out, _ = run_cli("check", str(SAMPLE), "--fail-on", "critical", "--format", "junit")
    assert code == 0 and "<failure" not in out and out.count("<skipped ") == 29
    code, out, _ = run_cli("check", str(SAMPLE), "--fail-on", "critical", "--format", "github")
    assert code == 0 and "::error" not in out and out.count("::notice ") == 30


def test_the_limits_default_to_what_github_accepts() -> None:
    assert (RenderOptions().sarif_max_results, RenderOptions().annotations_max) == (25_000, 50)
    assert (SARIF_MAX_RESULTS, ANNOTATIONS_MAX) == (25_000, 50)
    with pytest.raises(ValueError, match="sarif_max_results"):
        RenderOptions(sarif_max_results=-1)


# (limit, fail_on): results kept, by severity
SARIF_CAPS = {
    (5, "info"): {"high": 5},
    (15, "info"): {"high": 12, "medium": 3},
    (15, "high"): {"high": 12, "medium": 3},
    (25, "medium"): {"high": 12, "medium": 9, "low": 4},
    (0, "info"): {},
    (29, "info"): {"high": 12, "medium": 9, "low": 8},
    (None, "info"): {"high": 12, "medium": 9, "low": 8},
}


@pytest.mark.parametrize(("limit", "fail_on"), SARIF_CAPS)
def test_sarif_keeps_the_most_severe_results_and_counts_the_rest(
    sample: checker.CheckResult, limit: int | None, fail_on: str
) -> None:
    kept = SARIF_CAPS[limit, fail_on]
    run = _sarif(sample, _options(sample, fail_on, sarif_max_results=limit))["runs"][0]
    results = run["results"]
    assert Counter(r["properties"]["severity"] for r in results) == kept
    omitted = 29 - sum(kept.values())
    assert run["properties"]["policy-checker/omittedResults"] == omitted
    # gate order: failing first, then the most severe, then the result's order
    order = [f.event_id for f in sample.findings]
    keys = [
        (r["level"] != "error", -RANK[r["properties"]["severity"]], order.index(r["properties"]["event_id"]))
        for r in results
    ]
    assert keys == sorted(keys)
    notes = [
        n
        for n in run["invocations"][0].get("toolExecutionNotifications", [])
        if n.get("descriptor", {}).get("id") == "results-omitted"
    ]
    if omitted:
        assert len(notes) == 1 and notes[0]["message"]["text"].startswith(f"{omitted} of 29 results left out")
    else:
        assert notes == []


# (limit, fail_on): annotations kept by command, then the counts in the closing notice
ANNOTATION_CAPS = {
    (5, "info"): ({"::error": 5}, "24 of 29 annotations left out (at most 5 are written): 24 failing"),
    (15, "high"): (
        {"::error": 12, "::notice": 3},
        "14 of 29 annotations left out (at most 15 are written): 0 failing",
    ),
    (0, "info"): ({}, "29 of 29 annotations left out (at most 0 are written): 29 failing"),
    (29, "info"): ({"::error": 29}, None),
    (None, "critical"): ({"::notice": 29}, None),
}


@pytest.mark.parametrize(("limit", "fail_on"), ANNOTATION_CAPS)
def test_github_annotations_are_capped_with_a_closing_notice(
    sample: checker.CheckResult, limit: int | None, fail_on: str
) -> None:
    kept, left_out = ANNOTATION_CAPS[limit, fail_on]
    lines = render("github", sample, _options(sample, fail_on, annotations_max=limit)).splitlines()
    annotations = [line for line in lines if "title=policy-checker" not in line]
    assert Counter(line.split(" ", 1)[0] for line in annotations) == kept
    titles = [re.search(r"title=[^ ]+ \((\w+)\)", line) for line in annotations]
    ranks = [
        (not line.startswith("::error"), -RANK[m.group(1)])
        for line, m in zip(annotations, titles, strict=True)
        if m
    ]
    assert ranks == sorted(ranks)  # failing first, then the most severe
    if left_out is None:
        assert lines[-1].startswith("::notice title=policy-checker::29 violation(s)")
    else:
        assert lines[-2].startswith("::notice title=policy-checker::29 violation(s)")
        assert lines[-1].startswith(f"::notice title=policy-checker%3A annotations left out::{left_out}")
        assert "the full list is in the other reports" in lines[-1].lower()


def test_rejected_records_come_after_failing_findings_and_count_against_the_cap(
    policy_set: checker.PolicySet, tmp_path: Path
) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text(SAMPLE.read_text("utf-8") + "{broken\n" * 3, "utf-8")
    result = checker.check(policy_set, checker.read_events([path]))
    lines = render("github", result, _options(result, "high", annotations_max=16)).splitlines()
    commands = [line.split(" ", 1)[0] for line in lines[:-2]]
    assert commands == ["::error"] * 12 + ["::warning"] * 3 + ["::notice"]
    assert "16 of 32 annotations left out" in lines[-1]
    assert ": 0 failing findings, 0 rejected records, 16 other findings." in lines[-1]
