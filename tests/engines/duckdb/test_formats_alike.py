"""Every output format is the same text whichever engine judged: the findings' evidence carries
the same file and line on both (SARIF locations, GitHub annotations and JUnit read them)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import checker
from checker.engines import spill
from tests.conftest import ROOT

SAMPLE = ROOT / "examples" / "sample-events.jsonl"


def _split(tmp_path: Path) -> list[Path]:
    """The sample in two files (every third line in the second), so file names and lines differ."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("".join(x for i, x in enumerate(lines) if i % 3), encoding="utf-8")
    second.write_text("".join(x for i, x in enumerate(lines) if not i % 3), encoding="utf-8")
    return [first, second]


@pytest.mark.parametrize("layout", ["one file", "two files"])
@pytest.mark.parametrize("name", sorted(set(checker.RENDERERS) - {"html", "markdown"}))
def test_every_format_is_the_same_on_both_engines(
    catalogue: checker.PolicySet, tmp_path: Path, name: str, layout: str
) -> None:
    if layout == "one file":
        shutil.copy(SAMPLE, tmp_path / "sample.jsonl")
        paths = [tmp_path / "sample.jsonl"]
    else:
        paths = _split(tmp_path)
    options = checker.RenderOptions(all_outcomes=True)
    rendered = [
        checker.render(name, checker.check(catalogue, paths, engine=engine), options)
        for engine in ("python", "duckdb")
    ]
    assert rendered[0] == rendered[1]
    if name == "sarif":  # the case that differed: findings located at their trigger's file and line
        assert rendered[1].count('"physicalLocation"') >= len(checker.check(catalogue, paths).findings)


@pytest.mark.parametrize("name", ["text", "csv", "junit"])
def test_formats_that_show_no_evidence_record_parse_none(
    catalogue: checker.PolicySet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """The text, CSV and JUnit reports name each finding's evidence by id only: from the DuckDB
    engine's findings on disk they are written without parsing an evidence line again, and are
    the reference engine's text."""
    shutil.copy(SAMPLE, tmp_path / "sample.jsonl")
    paths = [tmp_path / "sample.jsonl"]
    options = checker.RenderOptions()
    expected = checker.render(name, checker.check(catalogue, paths, engine="python"), options)
    result = checker.check(catalogue, paths, engine="duckdb")
    assert result.findings  # built before evidence parsing is forbidden

    def parsed(*args: object) -> None:
        raise AssertionError("an evidence line was parsed again")

    monkeypatch.setattr(spill, "row_event", parsed)
    assert checker.render(name, result, options) == expected
