"""The DuckDB engine reads every input the reference engine reads, with the same result.

Profiles (CSV in GB18030, TSV, gzipped JSON arrays), encodings, format overrides, JSON arrays,
gzip and standard input: the JSON result (outcomes, evidence with file and line, accounting,
rejects) is byte-identical to the reference engine's. Each case is one row of ``CASES``.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import checker
from tests.conftest import ROOT, run_cli

SAMPLE = ROOT / "examples" / "sample-events.jsonl"
EXPORTS = ROOT / "examples" / "exports"
PROFILES = ROOT / "profiles"
AS_OF = "2024-08-01T00:00:00+08:00"
NOW = "2026-01-01T00:00:00Z"

#: lines no reader accepts, appended to exports so that rejects (and their line numbers) are compared
BAD_JSONL = b'{"event_id": "bad-1", "timestamp": "yesterday"}\nnot json at all\n{"event_id": 3}\n'


def _sample_lines() -> list[str]:
    return SAMPLE.read_text(encoding="utf-8").splitlines()


def _json_array(tmp: Path) -> dict[str, Any]:
    path = tmp / "sample.json"
    path.write_text("[" + ",\n".join(_sample_lines()) + "]", encoding="utf-8")
    return {"paths": [path]}


def _gzip_jsonl(tmp: Path) -> dict[str, Any]:
    path = tmp / "sample.jsonl.gz"
    path.write_bytes(gzip.compress(SAMPLE.read_bytes() + BAD_JSONL))
    return {"paths": [path]}


def _gb18030(tmp: Path) -> dict[str, Any]:
    path = tmp / "sample.jsonl"
    path.write_bytes(SAMPLE.read_text(encoding="utf-8").encode("gb18030") + BAD_JSONL)
    return {"paths": [path], "encoding": "gb18030"}


def _format_override(tmp: Path) -> dict[str, Any]:
    path = tmp / "sample.log"  # a name no format is known by
    path.write_bytes(SAMPLE.read_bytes() + BAD_JSONL)
    return {"paths": [path], "input_format": "jsonl"}


def _stdin_beside_a_file(tmp: Path) -> dict[str, Any]:
    lines = _sample_lines()
    path = tmp / "half.jsonl"
    path.write_text("\n".join(lines[::2]) + "\n", encoding="utf-8")
    piped = ("\n".join(lines[1::2]) + "\n").encode("utf-8") + BAD_JSONL
    return {"paths": [path, "-"], "stdin": lambda: io.BytesIO(piped)}


def _profiled(profile: str, *exports: str, extra: bytes = b"") -> Callable[[Path], dict[str, Any]]:
    def build(tmp: Path) -> dict[str, Any]:
        paths = []
        for name in exports:
            target = tmp / Path(name).name
            shutil.copy(EXPORTS / name, target)
            if extra:
                with open(target, "ab") as fh:
                    fh.write(extra)
            paths.append(target)
        return {"paths": paths, "profiles": PROFILES / f"{profile}.yaml"}

    return build


def _profile_beside_canonical(tmp: Path) -> dict[str, Any]:
    """A profiled CSV export and canonical JSON Lines in one run: the profile applies by file name."""
    csv_path = tmp / "kuaishou-distribution-2024-04-12_2024-07-25.csv"
    shutil.copy(EXPORTS / "kuaishou" / csv_path.name, csv_path)
    canonical = tmp / "canonical.jsonl"
    shutil.copy(SAMPLE, canonical)
    return {
        "paths": [csv_path, canonical],
        "profiles": [("kuaishou-*.csv", str(PROFILES / "kuaishou-distribution.yaml"))],
    }


#: a CSV row with an unclosed quote, one too short, and a timestamp the profile cannot read
BAD_KUAISHOU = 'ks-dist-x1,2024/07/01 10:00:00,s,"e\n,,\nks-dist-x2,soon,ks-seller-1,enr-1\n'.encode(
    "gb18030"
)

CASES: dict[str, Callable[[Path], dict[str, Any]]] = {
    "json array": _json_array,
    "gzip json lines with bad lines": _gzip_jsonl,
    "gb18030 by --encoding": _gb18030,
    "format override": _format_override,
    "standard input beside a file": _stdin_beside_a_file,
    "kuaishou csv (gb18030) through its profile": _profiled(
        "kuaishou-distribution",
        "kuaishou/kuaishou-distribution-2023-06-01_2024-04-16.csv",
        "kuaishou/kuaishou-distribution-2024-04-12_2024-07-25.csv",
    ),
    "kuaishou csv with broken rows": _profiled(
        "kuaishou-distribution",
        "kuaishou/kuaishou-distribution-2024-04-12_2024-07-25.csv",
        extra=BAD_KUAISHOU,
    ),
    "aliexpress tsv through its profile": _profiled(
        "aliexpress-affiliate", "aliexpress/aliexpress-affiliate.tsv"
    ),
    "juhuasuan gzipped json array through its profile": _profiled(
        "taobao-juhuasuan", "juhuasuan/juhuasuan-signups.json.gz"
    ),
    "a profile by pattern beside canonical events": _profile_beside_canonical,
}


#: the formats compared: the JSON result, and those that point at the evidence's file and line
FORMATS = ("json", "sarif", "github")


def _run(catalogue: checker.PolicySet, spec: dict[str, Any], engine: str) -> dict[str, str]:
    kwargs = {k: v for k, v in spec.items() if k not in ("paths", "stdin")}
    if "stdin" in spec:
        kwargs["stdin"] = spec["stdin"]()
    result = checker.check(catalogue, spec["paths"], engine=engine, as_of=AS_OF, now=NOW, **kwargs)
    return {f: checker.render(f, result, checker.RenderOptions(all_outcomes=True)) for f in FORMATS}


@pytest.mark.parametrize("case", sorted(CASES))
def test_duckdb_reads_it_as_the_reference_does(
    catalogue: checker.PolicySet, tmp_path: Path, case: str
) -> None:
    spec = CASES[case](tmp_path)
    reference = _run(catalogue, spec, "python")
    assert _run(catalogue, spec, "duckdb") == reference
    results = json.loads(reference["sarif"])["runs"][0]["results"]
    located = sum("physicalLocation" in r["locations"][0] for r in results)
    # findings point at their file and line; standard input has no file to point at
    assert 0 < located < len(results) if "stdin" in spec else located == len(results) > 0
    document = json.loads(reference["json"])
    totals = document["inputs"]["totals"]
    assert totals["accepted"] > 0
    assert totals["read"] == totals["accepted"] + totals["duplicates"] + totals["rejected"]
    if case.endswith("bad lines") or "broken" in case or case in ("gb18030 by --encoding", "format override"):
        assert totals["rejected"] >= 2 and all(r["line"] > 0 for r in document["inputs"]["rejected"])


def test_the_cli_runs_a_profile_on_duckdb(tmp_path: Path) -> None:
    """``checker check --engine duckdb --profile`` on a bundled export: the reference's JSON result."""
    export = EXPORTS / "aliexpress" / "aliexpress-affiliate.tsv"
    outputs = {}
    for engine in ("python", "duckdb"):
        target = tmp_path / f"{engine}.json"
        argv = [str(export), "--profile", str(PROFILES / "aliexpress-affiliate.yaml"), "--engine", engine]
        code, _, err = run_cli("check", *argv, "--now", NOW, "-q", "--format", "json", "-o", str(target))
        assert code == 1, err  # the export has violations
        outputs[engine] = target.read_bytes()
    assert outputs["python"] == outputs["duckdb"]
