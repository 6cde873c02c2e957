"""``--output-dir``: findings and outcomes as Parquet datasets partitioned by rule, whole or absent."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.dataset as ds
import pytest

import checker
from checker.outputs import dataset
from checker.outputs.dataset import write_dataset
from tests.conftest import ROOT, run_cli

SAMPLE = ROOT / "examples" / "sample-events.jsonl"
NOW = "2026-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def result() -> checker.CheckResult:
    return checker.check(checker.load_policies([ROOT / "policies"]), [SAMPLE], now=NOW)


def read(path: Path) -> list[dict]:
    return ds.dataset(str(path), partitioning="hive").to_table().to_pylist()


def test_the_datasets_hold_the_json_results_rows(result: checker.CheckResult, tmp_path: Path) -> None:
    write_dataset(result, tmp_path / "out")
    whole = result.to_dict(all_outcomes=True)
    findings = read(tmp_path / "out" / "findings")
    key = lambda f: (f["rule_id"], f["event_id"])  # noqa: E731
    assert sorted(findings, key=key) == sorted(
        (
            {
                **f,
                "subject": json.dumps(f["subject"], ensure_ascii=False, separators=(",", ":")),
                "evidence_events": json.dumps(
                    f["evidence_events"], ensure_ascii=False, separators=(",", ":")
                ),
            }
            for f in whole["findings"]
        ),
        key=key,
    )
    partitions = sorted(p.name for p in (tmp_path / "out" / "findings").iterdir())
    assert partitions == sorted({f"rule_id={f['rule_id']}" for f in whole["findings"]})
    outcomes = read(tmp_path / "out" / "outcomes")
    assert len(outcomes) == sum(whole["summary"]["by_outcome"].values())
    others = sorted(
        (o["rule_id"], o["event_id"], o["outcome"], o["reason"])
        for o in outcomes
        if o["outcome"] != "violation"
    )
    assert others == sorted(
        (o["rule_id"], o["event_id"], o["outcome"], o["reason"]) for o in whole["other_outcomes"]
    )
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert summary == result.head_dict()
    assert "findings" not in summary


def test_the_same_result_writes_the_same_bytes(result: checker.CheckResult, tmp_path: Path) -> None:
    write_dataset(result, tmp_path / "a")
    write_dataset(result, tmp_path / "b")
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files_a)


def test_an_earlier_output_is_replaced_and_anything_else_refused(
    result: checker.CheckResult, tmp_path: Path
) -> None:
    write_dataset(result, tmp_path / "out")
    (tmp_path / "out" / "findings" / "stale.parquet").write_bytes(b"old")
    write_dataset(result, tmp_path / "out")
    assert not (tmp_path / "out" / "findings" / "stale.parquet").exists()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(checker.CheckerError, match="not an earlier output"):
        write_dataset(result, tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_a_failure_leaves_no_directory(
    result: checker.CheckResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = dataset._write

    def failing(directory: str, rows: object, schema: object) -> None:
        calls.append(directory)
        if len(calls) == 2:
            raise OSError("disk full")
        real(directory, rows, schema)  # type: ignore[arg-type]

    monkeypatch.setattr(dataset, "_write", failing)
    with pytest.raises(OSError, match="disk full"):
        write_dataset(result, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_cli_output_dir(tmp_path: Path) -> None:
    code, _, err = run_cli("check", str(SAMPLE), "--now", NOW, "-q", "--output-dir", str(tmp_path / "o"))
    assert code == 1, err
    assert len(read(tmp_path / "o" / "findings")) == 29


def test_a_failed_replacement_puts_the_earlier_output_back(
    result: checker.CheckResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_dataset(result, tmp_path / "out")
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "out").rglob("*"))
    real = dataset.os.rename
    moves = []

    def failing(src: str, dst: str) -> None:
        moves.append((src, dst))
        if len(moves) == 2:  # the new output taking the earlier one's place
            raise OSError("rename failed")
        real(src, dst)

    monkeypatch.setattr(dataset.os, "rename", failing)
    with pytest.raises(OSError, match="rename failed"):
        write_dataset(result, tmp_path / "out")
    monkeypatch.undo()
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "out").rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_cli_refuses_a_directory_that_is_not_an_output_before_checking(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    code, _, err = run_cli("check", str(SAMPLE), "--now", NOW, "-q", "--output-dir", str(tmp_path / "mine"))
    assert code == 2
    assert "not an earlier output" in err
    assert (tmp_path / "mine" / "notes.txt").read_text(encoding="utf-8") == "keep me"
