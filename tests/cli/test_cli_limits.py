"""``checker check``'s CI-format limits: ``--sarif-max-results`` and ``--annotations-max``."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT, run_cli

SAMPLE = str(ROOT / "examples" / "sample-events.jsonl")  # 29 violations


@pytest.mark.parametrize(("limit", "kept"), [("5", 5), ("0", 0), ("29", 29), ("1000", 29)])
def test_sarif_max_results(limit: str, kept: int) -> None:
    code, out, _ = run_cli("check", SAMPLE, "--format", "sarif", "--sarif-max-results", limit)
    assert code == 1
    run = json.loads(out)["runs"][0]
    assert len(run["results"]) == kept
    assert run["properties"]["policy-checker/omittedResults"] == 29 - kept


@pytest.mark.parametrize(("limit", "errors"), [("3", 3), ("0", 0), ("100", 29)])
def test_annotations_max(limit: str, errors: int) -> None:
    code, out, _ = run_cli("check", SAMPLE, "--format", "github", "--annotations-max", limit)
    assert code == 1
    lines = out.splitlines()
    assert sum(1 for x in lines if x.startswith("::error")) == errors
    left_out = [x for x in lines if x.startswith("::notice") and "left out" in x]
    assert len(left_out) == (1 if errors < 29 else 0)


@pytest.mark.parametrize("flag", ["--sarif-max-results", "--annotations-max"])
@pytest.mark.parametrize("value", ["-1", "many"])
def test_a_limit_must_be_a_whole_number(flag: str, value: str) -> None:
    code, _, err = run_cli("check", SAMPLE, flag, value)
    assert code == 2
    assert f"argument {flag}: '{value}': expected a whole number, 0 or more" in err
