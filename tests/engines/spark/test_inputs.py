"""Inputs named by URI on the Spark engine (checker.engines.spark.inputs): read through Spark's
Hadoop file systems, judged as the same files read locally, and named by their URIs.

The file system is Hadoop's ``viewfs://`` with a mount table over a local directory, set on the
shared session as a caller sets ``fs.s3a.*``: a URI Python cannot open, that only the session's
Hadoop configuration resolves, as for ``s3a://`` or ``hdfs://`` (which need a server).
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

import checker
from checker.engines.spark import check_spark
from checker.engines.spark.inputs import _copy, _Remote, fetch_inputs
from checker.inputs import files
from tests.conftest import ROOT, run_cli

SAMPLE = ROOT / "examples" / "sample-events.jsonl"
EXPORTS = ROOT / "examples" / "exports"
PROFILES = sorted((ROOT / "profiles").glob("*.yaml"))
NOW = "2026-01-01T00:00:00Z"


@pytest.fixture
def lake(spark: Any, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A local directory of exports, and the ``viewfs://`` URI the session reads it at."""
    root = tmp_path / "lake"
    shutil.copytree(EXPORTS, root, ignore=shutil.ignore_patterns("*.py"))
    (root / "weeks").mkdir()
    shutil.copy(SAMPLE, root / "weeks" / "week 1.jsonl")  # a space in the name
    shutil.copy(EXPORTS / "aliexpress" / "aliexpress-affiliate.tsv", root / "weeks" / "速卖通联盟-2024.tsv")
    lines = SAMPLE.read_text("utf-8").splitlines()[:40]
    (root / "weeks" / "bad.jsonl").write_text("\n".join([*lines[:5], "{not json", *lines[5:]]) + "\n")
    (root / ".hidden").mkdir()
    shutil.copy(SAMPLE, root / ".hidden" / "skipped.jsonl")
    (root / "notes.txt").write_text("not an input\n")
    mount = f"ck{uuid.uuid4().hex[:10]}"  # Hadoop caches a file system by its authority
    key = f"fs.viewfs.mounttable.{mount}.link./exports"
    spark.conf.set(key, root.as_uri())
    try:
        yield root, f"viewfs://{mount}/exports"
    finally:
        spark.conf.unset(key)


def _as_uris(value: Any, root: Path, uri: str) -> Any:
    """``value`` (a result as JSON) with the local directory's names spelled as the URI's (SARIF's
    ``file://`` URIs too, whose paths are quoted the same)."""
    text = json.dumps(value, ensure_ascii=False)
    return json.loads(text.replace("file://" + quote(str(root), safe="/:"), uri).replace(str(root), uri))


def test_a_directory_uri_gives_the_reference_result_named_by_its_uris(
    spark: Any, lake: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every export under a ``viewfs://`` directory (CSV in GBK, a gzip JSON array, TSV, a name with
    a space and one in Chinese, a bad record), read through its profile: the reference engine's
    result on the local directory, outcomes, evidence, inputs and rejects named by their URIs; the
    copies are removed with the result."""
    root, uri = lake
    monkeypatch.setenv("CHECKER_SPARK_EXCHANGE", str(tmp_path / "exchange"))
    (tmp_path / "exchange").mkdir()
    policies = checker.load_policies([ROOT / "policies"])
    on_spark = check_spark(policies, [uri], spark=spark, profiles=PROFILES, now=NOW)
    reference = checker.check(policies, [root], profiles=PROFILES, now=NOW)
    assert on_spark.to_dict(all_outcomes=True) == _as_uris(reference.to_dict(all_outcomes=True), root, uri)
    names = [s.file for s in on_spark.batch.inputs]
    assert f"{uri}/weeks/week 1.jsonl" in names and f"{uri}/weeks/速卖通联盟-2024.tsv" in names
    assert len(names) == 10 and not any("hidden" in n or "notes" in n for n in names)
    rejected = {(r.file, r.line) for r in on_spark.batch.rejected}
    assert (f"{uri}/weeks/bad.jsonl", 6) in rejected and all(f.startswith(uri) for f, _ in rejected)
    evidence = {
        e["source"]["file"]
        for f in on_spark.to_dict()["findings"]
        for e in f.get("evidence_events", [])
        if isinstance(e, dict) and "source" in e
    }
    assert all(e.startswith(uri) for e in evidence)
    assert files._copies == {}  # the run's URIs are no inputs of a later run
    del on_spark
    gc.collect()
    assert os.listdir(tmp_path / "exchange") == []  # the copies went with the result


def test_the_copies_stay_while_the_result_reads_its_evidence(
    spark: Any, lake: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A result builds its findings when asked, reading the evidence lines again from the files the
    intake read: for a URI input the copy itself where the intake could not link it (the exchange
    directory on another file system, as ``/dbfs``). The copies stay as long as the result, and go
    with it."""
    root, uri = lake
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    monkeypatch.setenv("CHECKER_SPARK_EXCHANGE", str(exchange))

    def no_link(source: str, target: str) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_link)
    policies = checker.load_policies([ROOT / "policies"])
    on_spark = check_spark(policies, [f"{uri}/weeks/week 1.jsonl"], spark=spark, now=NOW)
    reference = checker.check(policies, [root / "weeks" / "week 1.jsonl"], now=NOW)
    assert os.listdir(exchange) != []
    findings = on_spark.to_dict()["findings"]
    assert len(findings) == 29
    assert findings == _as_uris(reference.to_dict()["findings"], root / "weeks", f"{uri}/weeks")
    del on_spark, findings
    gc.collect()
    assert os.listdir(exchange) == []


def test_patterns_files_and_repeats_are_listed_as_local_inputs_are(
    spark: Any, lake: tuple[Path, str]
) -> None:
    """A Hadoop pattern gives its files, a file URI itself; a file named twice is read once; each
    copy holds the file's bytes; a ``file://`` URI is a local path, not copied."""
    root, uri = lake
    fetched = fetch_inputs(
        spark,
        [f"{uri}/kuaishou/*.csv", f"{uri}/weeks/bad.jsonl", f"{uri}/weeks/bad.jsonl", SAMPLE.as_uri(), "-"],
    )
    try:
        kuaishou = sorted(p.name for p in (root / "kuaishou").glob("*.csv"))
        assert fetched.paths == [
            *(f"{uri}/kuaishou/{name}" for name in kuaishou),
            f"{uri}/weeks/bad.jsonl",
            f"{uri}/weeks/bad.jsonl",
            str(SAMPLE),
            "-",
        ]
        assert sorted(fetched.copies) == sorted(set(fetched.paths[:3]))
        for name, copy in fetched.copies.items():
            assert Path(copy).read_bytes() == (root / name[len(uri) + 1 :]).read_bytes()
            assert Path(copy).name == name.rsplit("/", 1)[1]  # profiles and formats go by the name
        with files.fetched_copies(fetched.copies):
            assert files.expand(fetched.paths) == sorted({*fetched.paths})
    finally:
        fetched.remove()
    assert not os.path.exists(fetched.copies[f"{uri}/weeks/bad.jsonl"])


def test_uris_that_name_nothing_are_all_reported(spark: Any, lake: tuple[Path, str]) -> None:
    root, uri = lake
    (root / "empty").mkdir()
    (root / "empty" / "readme.md").write_text("no input here\n")
    with pytest.raises(checker.CheckerError) as caught:
        fetch_inputs(spark, [f"{uri}/missing.jsonl", f"{uri}/*/*.parquet", f"{uri}/empty", f"{uri}/weeks"])
    assert [(p.location.file, p.code, p.message) for p in caught.value.problems] == [
        (f"{uri}/missing.jsonl", "no-input", "no such input file"),
        (f"{uri}/*/*.parquet", "no-input", "the pattern matches no file"),
        (f"{uri}/empty", "no-input", "the directory holds no file of a known format"),
    ]


def test_a_file_changed_since_it_was_listed_is_an_error(
    spark: Any, lake: tuple[Path, str], tmp_path: Path
) -> None:
    """The copy is checked against the listing: a file whose length or modification time is not
    the listed one (rewritten in between) is ``input-changed``, not read."""
    root, uri = lake
    path = root / "weeks" / "bad.jsonl"
    listed = fetch_inputs(spark, [f"{uri}/weeks/bad.jsonl"])
    listed.remove()
    stat = path.stat()
    before = _Remote(f"{uri}/weeks/bad.jsonl", stat.st_size - 1, stat.st_mtime_ns // 1_000_000)
    with pytest.raises(checker.CheckerError) as caught:
        _copy(spark, before, str(tmp_path / "copy.jsonl"))
    [problem] = caught.value.problems
    assert problem.code == "input-changed" and problem.location.file == before.uri
    assert f"it was {stat.st_size - 1} bytes" in problem.message


def test_cli_reads_uris_and_writes_sarif_from_them(spark: Any, tmp_path: Path) -> None:
    """``checker check <URI> --engine spark --spark-conf spark.hadoop....``: the Hadoop setting
    reaches the session for the run (and is gone after), and the SARIF is the reference engine's
    (written after the check, its evidence read in full) with the URI as the file; another engine
    refuses a URI."""
    root = tmp_path / "lake"
    root.mkdir()
    shutil.copy(SAMPLE, root / "week 1.jsonl")
    mount = f"ck{uuid.uuid4().hex[:10]}"
    key = f"fs.viewfs.mounttable.{mount}.link./exports"
    uri = f"viewfs://{mount}/exports"
    common = ["--now", NOW, "--format", "sarif", "-o"]
    code_sp, _, err_sp = run_cli(
        "check",
        f"{uri}/week 1.jsonl",
        *common,
        str(tmp_path / "spark.sarif"),
        "--engine",
        "spark",
        "--spark-master",
        spark.sparkContext.master,
        "--spark-conf",
        f"spark.hadoop.{key}={root.as_uri()}",
    )
    code_py, _, _ = run_cli("check", str(root / "week 1.jsonl"), *common, str(tmp_path / "py.sarif"))
    assert (code_sp, code_py) == (1, 1), err_sp
    assert spark.conf.get(key, None) is None
    spark_sarif = json.loads((tmp_path / "spark.sarif").read_text("utf-8"))
    reference = json.loads((tmp_path / "py.sarif").read_text("utf-8"))
    assert spark_sarif["runs"][0]["results"]
    assert spark_sarif == _as_uris(reference, root, uri) != reference
    code, _, err = run_cli("check", f"{uri}/week 1.jsonl", "--engine", "python")
    assert code == 2
    assert "a URI input is read by --engine spark" in err


def test_a_file_system_spark_lacks_names_its_jars(spark: Any) -> None:
    """A scheme whose file system is not on Spark's class path (``s3a://`` without hadoop-aws, as
    in the pyspark wheel) is an error at the URI saying which jars to add."""
    with pytest.raises(checker.CheckerError) as caught:
        fetch_inputs(spark, ["s3a://exports/2026-11/x.jsonl"])
    [problem] = caught.value.problems
    assert (problem.location.file, problem.code) == ("s3a://exports/2026-11/x.jsonl", "unreadable-file")
    assert "S3AFileSystem not found" in problem.message
    assert "spark.jars.packages=org.apache.hadoop:hadoop-aws" in problem.message
