"""The spark engine on a Spark Connect server (Databricks serverless and shared clusters speak only
Connect): the reference engine's JSON result, byte for byte, through the command line's
``--spark-master sc://...`` and through a caller's Connect session.

A process holds one SparkContext and the other Spark tests share a classic one, so the server (the
one PySpark starts for ``SparkSession.builder.remote("local[2]")``) runs in a process of its own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SAMPLE = ROOT / "examples" / "sample-events.jsonl"
NOW = "2026-01-01T00:00:00Z"

#: started by the test in a process of its own: a local Connect server, then the checks
SCRIPT = """
import json, sys
from pyspark.sql import SparkSession

import checker
from checker.cli.app import run

sample, now, out, lake = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
server = SparkSession.builder.remote("local[2]").getOrCreate()  # also serves sc://localhost:15002
common = [sample, "--now", now, "--format", "json", "-o"]
codes = [
    run(["check", *common, out + "/py.json", "--engine", "python"], sys.stdout, sys.stderr, None),
    run(["check", *common, out + "/sc.json", "--engine", "spark", "--spark-master", "sc://localhost:15002"],
        sys.stdout, sys.stderr, None),
]
policies = checker.load_policies(["policies"])
# the library's check reads a directory named by URI: a viewfs:// mount of the lake, set on the
# Connect session as a caller sets fs.s3a.*; the client has no JVM: binaryFile rows bring the bytes
server.conf.set("fs.viewfs.mounttable.ckconnect.link./lake", lake)
result = checker.check(policies, ["viewfs://ckconnect/lake"], engine="spark", spark=server, now=now)
with open(out + "/library.json", "w", encoding="utf-8") as fh:
    json.dump({"fingerprints": sorted(f.fingerprint for f in result.findings),
               "inputs": [s.file for s in result.batch.inputs]}, fh)
print("codes", codes)
"""


@pytest.mark.slow
def test_a_spark_connect_server_gives_the_reference_json(tmp_path: Path) -> None:
    """The command line on ``sc://``, and the library on a Connect session reading a directory
    named by URI (its one events file; a hidden one and a text file are not inputs)."""
    lake = tmp_path / "lake"
    (lake / ".old").mkdir(parents=True)
    shutil.copy(SAMPLE, lake / "sample-events.jsonl")
    shutil.copy(SAMPLE, lake / ".old" / "sample-events.jsonl")
    (lake / "notes.txt").write_text("not an input\n")
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(SAMPLE), NOW, str(tmp_path), lake.as_uri()],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    assert "codes [1, 1]" in run.stdout, run.stdout[-2000:] + run.stderr[-4000:]
    reference = (tmp_path / "py.json").read_bytes()
    assert (tmp_path / "sc.json").read_bytes() == reference
    findings = json.loads(reference)["findings"]
    assert len(findings) == 29
    library = json.loads((tmp_path / "library.json").read_text("utf-8"))
    assert library["fingerprints"] == sorted(f["fingerprint"] for f in findings)
    assert library["inputs"] == ["viewfs://ckconnect/lake/sample-events.jsonl"]
