"""A real cluster: a Spark standalone master and two one-core workers on 127.0.0.1, a check
submitted to it with ``--spark-master spark://...``, the result compared with the reference
engine's, and the cluster stopped. The check runs in its own process: a process holds one
SparkContext, and the tests' own runs on ``local[2]``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import checker
from checker.engines.spark.standalone import StandaloneCluster
from checker.generator import generate
from tests.conftest import POLICIES

#: four rules, one of each kind of work (an anchored lookup with wall-time conversions, a window
#: with a sum, the hardest rule, a plain membership lookup): the catalogue's every case runs on
#: Spark locally (test_policy_cases.py); here what is tested is running on a cluster, within a minute
#: Spark's own way to pass settings to a PySpark process: the driver and the executors on the quick
#: JIT tier alone start and warm up faster (the check took 29-34 s rather than 37-50 s); the result
#: is the same, and the product's defaults are untouched
QUICK_JVMS = (
    "--conf spark.driver.extraJavaOptions=-XX:TieredStopAtLevel=1 "
    "--conf spark.executor.extraJavaOptions=-XX:TieredStopAtLevel=1 pyspark-shell"
)
RULES = [
    POLICIES / "aliexpress" / "aliexpress.affiliate.commission-after-exit.yaml",
    POLICIES / "taobao" / "juhuasuan.insufficient-deposit.yaml",
    POLICIES / "kuaishou" / "kuaishou.distribution.unreviewed-cancel.yaml",
    POLICIES / "aliexpress" / "aliexpress.affiliate.early-exit.yaml",
]


# a cluster's start and a check in a new process (a JVM of its own): under a minute, the full tier
@pytest.mark.slow
def test_check_on_a_standalone_cluster_matches_the_reference_engine(tmp_path: Path) -> None:
    generate(tmp_path / "g", events=4000, seed=3, violation_rate=0.3)
    events = tmp_path / "g" / "events.jsonl"
    reference = checker.check(checker.load_policies(RULES), [events])
    with StandaloneCluster(workers=2, cores=1, memory="1g") as cluster:
        assert cluster.alive_workers() == 2
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "checker",
                "check",
                str(events),
                *(x for rule in RULES for x in ("--policies", str(rule))),
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
            env=dict(os.environ, PYSPARK_SUBMIT_ARGS=QUICK_JVMS),
        )
        assert run.returncode == reference.exit_code, run.stderr[-3000:]
    on_cluster = json.loads((tmp_path / "spark.json").read_text("utf-8"))
    assert on_cluster == reference.to_dict()
    assert reference.to_dict()["summary"]["violations"] > 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert summary["summary"] == reference.to_dict()["summary"]
