"""The shipped sample exports: real shapes (Chinese headers, GBK, gzip) give their twins' findings."""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import checker

from .conftest import ROOT

EXPORTS = ROOT / "examples" / "exports"
PROFILES = ROOT / "profiles"
SAMPLES = {
    "kuaishou": ("kuaishou-distribution.yaml", "*.csv"),
    "juhuasuan": ("taobao-juhuasuan.yaml", "*.json.gz"),
    "aliexpress": ("aliexpress-affiliate.yaml", "*.tsv"),
}


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_samples", EXPORTS / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _export_files(name: str) -> list[Path]:
    files = sorted((EXPORTS / name).glob(SAMPLES[name][1]))
    assert files
    return files


def _without_inputs(result: checker.CheckResult) -> dict[str, Any]:
    doc = result.to_dict(all_outcomes=True)
    doc.pop("inputs")
    return doc


def test_the_exports_are_rebuilt_byte_for_byte_from_their_twins(tmp_path: Path) -> None:
    written = _builder().build_exports(EXPORTS, tmp_path)
    for name, files in written.items():
        assert sorted(p.name for p in files) == [p.name for p in _export_files(name)]
        for path in files:
            assert path.read_bytes() == (EXPORTS / name / path.name).read_bytes(), path.name


def test_the_exports_are_in_the_shapes_platforms_use() -> None:
    kuaishou = _export_files("kuaishou")
    assert len(kuaishou) == 2  # one file per date range, overlapping
    raw = kuaishou[0].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("gbk").startswith("记录ID,操作时间,商家ID")
    (juhuasuan,) = _export_files("juhuasuan")
    assert json.loads(gzip.decompress(juhuasuan.read_bytes()))[0]["流水号"]
    (aliexpress,) = _export_files("aliexpress")
    assert aliexpress.read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_export_gives_the_findings_of_its_twin(policy_set: checker.PolicySet, name: str) -> None:
    profile = PROFILES / SAMPLES[name][0]
    exported = checker.check(policy_set, checker.read_events(_export_files(name), profiles=profile))
    twin = checker.check(policy_set, checker.read_events([EXPORTS / name / f"{name}.canonical.jsonl"]))
    assert exported.findings, "a sample must trigger real findings"
    assert [f.fingerprint for f in exported.findings] == [f.fingerprint for f in twin.findings]
    assert _without_inputs(exported) == _without_inputs(twin)
    totals = exported.batch.totals()
    assert totals["rejected"] == 0
    assert totals["accepted"] == twin.batch.totals()["accepted"]
    assert totals["read"] == totals["accepted"] + totals["duplicates"]


def test_overlapping_daily_files_are_counted_as_duplicates() -> None:
    batch = checker.read_events(_export_files("kuaishou"), profiles=PROFILES / SAMPLES["kuaishou"][0])
    assert [s.duplicates for s in batch.inputs] == [0, 12]


def test_all_sources_at_once_with_several_profiles(policy_set: checker.PolicySet) -> None:
    profiles = [PROFILES / p for p, _ in SAMPLES.values()]
    files = [f for name in SAMPLES for f in _export_files(name)]
    exported = checker.check(policy_set, checker.read_events(files, profiles=profiles))
    twins = checker.check(policy_set, checker.read_events(sorted(EXPORTS.glob("*/*.canonical.jsonl"))))
    assert _without_inputs(exported) == _without_inputs(twins)
    assert {s.profile for s in exported.batch.inputs} == {
        "kuaishou-distribution",
        "taobao-juhuasuan",
        "aliexpress-affiliate",
    }
    # the exports and the twins read together: every twin record is an exact duplicate
    both = checker.read_events([EXPORTS], profiles=profiles)
    assert both.totals()["duplicates"] == twins.batch.totals()["accepted"] + 12
