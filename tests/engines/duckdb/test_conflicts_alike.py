"""Conflicts between valid records only, on every engine: the cases of
``tests/inputs/conflict-cases.yaml`` give each file's exact counts and rejects, and the python
engine (in memory and in parts) and the DuckDB engine give them alike, reasons and texts included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import checker
from checker.engines.duckdb import check_duckdb
from tests.conftest import POLICIES, ROOT
from tests.differential import subset

DATA = yaml.safe_load((ROOT / "tests" / "inputs" / "conflict-cases.yaml").read_text("utf-8"))
CASES: list[dict[str, Any]] = DATA["cases"]
ENGINES = ["python", "partitioned", "duckdb"]


@pytest.fixture(scope="module")
def policies() -> checker.PolicySet:
    """One rule: the accounting does not depend on which rules run."""
    return subset(checker.load_policies([POLICIES]), ["juhuasuan.late-deposit"])


def _write(folder: Path, case: dict[str, Any]) -> list[Path]:
    paths = []
    for i, lines in enumerate(case["files"]):
        path = folder / f"part-{i}.jsonl"
        path.write_text("".join(DATA["records"][name] + "\n" for name in lines), "utf-8")
        paths.append(path)
    return paths


def _run(engine: str, policies: checker.PolicySet, paths: list[Path]) -> checker.CheckResult:
    if engine == "duckdb":
        return check_duckdb(policies, paths, now=DATA["now"])
    return checker.check(policies, paths, parts=3 if engine == "partitioned" else 0, now=DATA["now"])


def _account(result: checker.CheckResult) -> tuple[list[Any], list[Any]]:
    files = [s.file for s in result.batch.inputs]
    counts = [[s.read, s.accepted, s.duplicates, s.rejected] for s in result.batch.inputs]
    rejects = [[files.index(r.file), r.line, r.code] for r in result.batch.rejected]
    return counts, rejects


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_conflicts_are_between_valid_records_only(
    tmp_path: Path, policies: checker.PolicySet, case: dict[str, Any]
) -> None:
    paths = _write(tmp_path, case)
    results = {engine: _run(engine, policies, paths) for engine in ENGINES}
    expected = (case["expect"]["counts"], case["expect"]["rejects"])
    for engine, result in results.items():
        assert _account(result) == expected, engine
    reference = results["python"]
    full = [(r.file, r.line, r.code, r.reason, r.text) for r in reference.batch.rejected]
    for engine in ("partitioned", "duckdb"):
        other = results[engine]
        assert [(r.file, r.line, r.code, r.reason, r.text) for r in other.batch.rejected] == full, engine
        assert other.to_dict(all_outcomes=True) == reference.to_dict(all_outcomes=True), engine
    # no version of a valid record is rejected for an invalid record's sake
    for r in reference.batch.rejected:
        if r.code == "conflict":
            assert "appears with different content" in r.reason
