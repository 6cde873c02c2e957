"""A real cluster: a Spark standalone master and two one-core workers on 127.0.0.1, a check
submitted to it with ``--spark-master spark://...``, the result compared with the reference
engine's, and the cluster stopped. The check runs in its own process: a process holds one
SparkContext, and the tests' own runs on ``local[2]``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import checker
from checker.engines.spark.standalone import StandaloneCluster
from checker.generator import generate
from tests.conftest import POLICIES


# a cluster's start and a check in a new process (a JVM of its own): about a minute, the full tier
@pytest.mark.slow
def test_check_on_a_standalone_cluster_matches_the_reference_engine(tmp_path: Path) -> None:
    generate(tmp_path / "g", events=4000, seed=3, violation_rate=0.3)
    events = tmp_path / "g" / "events.jsonl"
    reference = checker.check(checker.load_policies([POLICIES]), [events])
    with StandaloneCluster(workers=2, cores=1, memory="1g") as cluster:
        assert cluster.alive_workers() == 2
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "checker",
                "check",
                str(events),
                "--policies",
                str(POLICIES),
                "--engine",
                "spark",
                "--spark-master",
                cluster.master_url,
                "--format",
                "json",
                "-o",
                str(tmp_path / "spark.json"),
                "--output-dir",
                str(tmp_path / "out"),
                "--quiet",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == reference.exit_code, run.stderr[-3000:]
    on_cluster = json.loads((tmp_path / "spark.json").read_text("utf-8"))
    assert on_cluster == reference.to_dict()
    assert reference.to_dict()["summary"]["violations"] > 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert summary["summary"] == reference.to_dict()["summary"]
