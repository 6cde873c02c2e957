"""``checker check`` and ``checker baseline``: formats with their own -o, gating, rejects, stdin,
progress, and the CI shell entry point."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from junitparser import JUnitXml

from checker.cli.app import COMMANDS, SUBCOMMAND_MODULES
from checker.inputs.progress import Progress
from checker.outputs import jsonresult
from tests.conftest import POLICIES, ROOT, run_cli
from tests.outputs.conftest import EVENTS, WAIVERS

KUAISHOU = ROOT / "examples" / "exports" / "kuaishou"
PROFILE = ROOT / "profiles" / "kuaishou-distribution.yaml"


_cli = run_cli


@pytest.fixture()
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in EVENTS), "utf-8")
    return path


def test_several_formats_each_with_its_own_output(export: Path, tmp_path: Path) -> None:
    code, out, _ = _cli(
        "check",
        str(export),
        "--policies",
        str(POLICIES),
        "--format",
        "sarif",
        "-o",
        str(tmp_path / "r.sarif"),
        "--format",
        "junit",
        "-o",
        str(tmp_path / "r.xml"),
        "--format",
        "csv",
        "-o",
        str(tmp_path / "r.csv"),
        "--format",
        "jsonl",
        "-o",
        str(tmp_path / "r.jsonl"),
        "--format",
        "text",
    )
    assert code == 1 and out.rstrip().splitlines()[-1].startswith("4 violation(s)")
    assert json.loads((tmp_path / "r.sarif").read_text("utf-8"))["version"] == "2.1.0"
    assert len(list(JUnitXml.fromfile(str(tmp_path / "r.xml")))) == 1
    assert (tmp_path / "r.csv").read_bytes().startswith(b"\xef\xbb\xbfrule_id,")
    assert len((tmp_path / "r.jsonl").read_text("utf-8").splitlines()) == 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "json", "--format", "csv"], "only one --format can write to standard output"),
        (["--format", "json", "-o", "a", "-o", "b"], "-o given twice for --format json"),
        (["--format", "json", "-o", "a", "--format", "csv", "-o", "a"], "the same file"),
        (["--format", "pdf"], "invalid choice"),
        (["--fail-on", "severe"], "invalid choice"),
        (["--today", "tomorrow", "--waivers", "w.yaml"], ""),
    ],
)
def test_usage_errors(export: Path, argv: list[str], message: str) -> None:
    code, _, err = _cli("check", str(export), "--policies", str(POLICIES), *argv)
    assert code == 2 and message in err


def test_an_output_given_first_belongs_to_the_first_format(export: Path, tmp_path: Path) -> None:
    code, out, _ = _cli(
        "check", str(export), "--policies", str(POLICIES), "-o", str(tmp_path / "r.json"), "--format", "json"
    )
    assert code == 1 and out == "" and json.loads((tmp_path / "r.json").read_text("utf-8"))["findings"]


def test_fail_on_baseline_and_waivers_gate_the_exit_code(export: Path, tmp_path: Path) -> None:
    base = ["check", str(export), "--policies", str(POLICIES)]
    assert _cli(*base, "--fail-on", "critical")[0] == 0
    baseline = tmp_path / "baseline.json"
    code, out, _ = _cli("baseline", "create", str(export), "--policies", str(POLICIES), "-o", str(baseline))
    assert code == 0 and "4 finding(s) recorded" in out
    code, out, _ = _cli(*base, "--baseline", str(baseline))
    assert code == 0 and "0 new, 4 baselined, 0 waived; 0 failing" in out
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVERS, "utf-8")
    code, out, err = _cli(*base, "--waivers", str(waivers), "--today", "2024-06-01", "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["gating"]["by_status"] == {"new": 3, "baselined": 0, "waived": 1}
    assert "the waiver for taobao.affiliate.close-without-reason expired on 2024-01-31" in err
    code, out, _ = _cli(
        *base,
        "--waivers",
        str(waivers),
        "--today",
        "2024-06-01",
        "--fail-on",
        "high",
        "--baseline",
        str(baseline),
    )
    assert code == 0 and "[waived until 2024-12-31 by li.si" in out and "waiver expired on 2024-01-31" in out


@pytest.mark.parametrize("fail_on", ["info", "high"])
def test_a_gated_run_is_the_same_on_both_engines(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_on: str
) -> None:
    """A baseline, waivers and --fail-on, with a JSON and a text report: the same bytes, summary
    and exit code from both engines. The DuckDB engine's JSON comes from texts made as it built
    the findings (asked for before the gate read them): no finding's dict is built for it."""
    base = ["check", str(export), "--policies", str(POLICIES)]
    baseline = tmp_path / "baseline.json"
    assert _cli("baseline", "create", str(export), "--policies", str(POLICIES), "-o", str(baseline))[0] == 0
    entries = json.loads(baseline.read_text("utf-8"))
    entries["findings"] = entries["findings"][:1]  # one baselined, the others new or waived
    baseline.write_text(json.dumps(entries), "utf-8")
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVERS, "utf-8")
    gate = [
        "--baseline",
        str(baseline),
        "--waivers",
        str(waivers),
        "--today",
        "2024-06-01",
        "--fail-on",
        fail_on,
    ]
    runs = {}
    for engine in ("python", "duckdb"):
        if engine == "duckdb":

            def built(*args: object) -> None:
                raise AssertionError("the JSON report built a finding's dict")

            monkeypatch.setattr(jsonresult, "finding_record", built)
        out = tmp_path / f"{engine}.json"
        code, text, _ = _cli(
            *base, *gate, "--engine", engine, "--format", "json", "-o", str(out), "--format", "text"
        )
        runs[engine] = (code, text, out.read_bytes())
    assert runs["python"] == runs["duckdb"]
    doc = json.loads(runs["duckdb"][2])
    assert {f["status"] for f in doc["findings"]} == {"new", "baselined", "waived"}
    assert runs["duckdb"][0] == (1 if doc["gating"]["failing"] else 0)


def test_rejects_strict_and_quiet(export: Path, tmp_path: Path) -> None:
    with export.open("a", encoding="utf-8") as fh:
        fh.write('{"event_id": "x"}\nnot json\n')
    rejects = tmp_path / "rejects.jsonl"
    code, _, err = _cli(
        "check", str(export), "--policies", str(POLICIES), "--rejects", str(rejects), "--fail-on", "critical"
    )
    assert code == 0 and "2 input record(s) rejected" in err
    assert [json.loads(line)["text"] for line in rejects.read_text("utf-8").splitlines()] == [
        '{"event_id": "x"}',
        "not json",
    ]
    code, _, err = _cli("check", str(export), "--policies", str(POLICIES), "--strict", "--quiet")
    assert code == 3 and err == ""


def test_profiles_encodings_and_standard_input(tmp_path: Path) -> None:
    files = sorted(str(p) for p in KUAISHOU.glob("*.csv"))
    code, out, _ = _cli(
        "check", *files, "--policies", str(POLICIES), "--profile", str(PROFILE), "--format", "json"
    )
    exported = json.loads(out)
    code_twin, out_twin, _ = _cli(
        "check", str(KUAISHOU / "kuaishou.canonical.jsonl"), "--policies", str(POLICIES), "--format", "json"
    )
    assert code == code_twin == 1
    assert exported["findings"] == json.loads(out_twin)["findings"]
    assert exported["inputs"]["totals"]["duplicates"] == 12
    data = gzip.compress(Path(files[0]).read_bytes())
    code, out, _ = _cli(
        "check",
        "-",
        "--policies",
        str(POLICIES),
        "--profile",
        str(PROFILE),
        "--input-format",
        "csv",
        "--format",
        "json",
        stdin=data,
    )
    doc = json.loads(out)
    assert doc["inputs"]["files"][0]["file"] == "-" and doc["inputs"]["totals"]["rejected"] == 0
    code, _, err = _cli(
        "check", files[0], "--policies", str(POLICIES), "--profile", str(PROFILE), "--encoding", "klingon"
    )
    assert code == 2 and "unknown encoding" in err


def test_a_profile_that_does_not_fit_stops_with_its_location(tmp_path: Path) -> None:
    code, _, err = _cli(
        "check",
        str(KUAISHOU / "kuaishou.canonical.jsonl"),
        "--policies",
        str(POLICIES),
        "--profile",
        str(ROOT / "profiles" / "aliexpress-affiliate.yaml"),
    )
    # JSON records without those keys: each is rejected, none silently kept, and a run that
    # judged nothing is an error that says why
    assert code == 2 and "nothing judged" in err and "[nothing-judged]" in err
    assert "367 rejected (missing-field 367)" in err and "[profile aliexpress-affiliate]" in err
    assert "kuaishou.canonical.jsonl:1: column" in err and "profile fits" in err
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n", "utf-8")
    code, _, err = _cli("check", str(bad), "--policies", str(POLICIES), "--profile", str(PROFILE))
    assert code == 2 and f"{bad}:1:1: the header lacks the column(s)" in err


def test_progress_bar_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    clock = iter([0.0, 0.2, 1.0, 1.05, 2.0]).__next__
    stream = Tty()
    bar = Progress(stream, enabled=True, delay=0.5, interval=0.1, clock=clock)
    bar.begin(1000)
    bar.advance(100, 10)  # 0.2 s: too early to draw
    bar.advance(500, 50)  # 1.0 s
    bar.advance(600, 60)  # 1.05 s: too soon after the last draw
    bar.advance(1000, 100, done=True)
    bar.end()
    text = stream.getvalue()
    assert text.count("reading") == 2 and "[############------------]  50% 50 records" in text
    assert text.endswith("\r\x1b[K")
    assert not Progress.for_terminal(io.StringIO(), quiet=False).enabled
    assert not Progress.for_terminal(Tty(), quiet=True).enabled


def test_subcommands_come_from_one_registry() -> None:
    assert _cli("check", "--policies")[0] == 2  # builds the parser, loading the subcommand modules
    assert {"check", "baseline", "validate", "test", "explain", "generate"} <= set(COMMANDS)
    assert [name for name, *_ in SUBCOMMAND_MODULES] == ["check", "baseline", "report", "pack"]


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_the_ci_entry_point(tmp_path: Path, export: Path) -> None:
    env = dict(
        os.environ,
        CHECKER=str(Path(sys.executable).parent / "checker"),
        POLICIES=str(POLICIES),
        OUT=str(tmp_path / "out"),
        FAIL_ON="high",
        GITHUB_ACTIONS="true",
    )
    env.pop("BASELINE", None)
    script = str(ROOT / "ci" / "policy-check.sh")
    done = subprocess.run(["sh", script, str(export)], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    assert "::error " in done.stdout and "4 violation(s)" in done.stdout
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "findings.csv",
        "rejects.jsonl",
        "report.json",
        "report.sarif",
        "report.txt",
        "report.xml",
    ]
    baseline = tmp_path / "baseline.json"
    assert _cli("baseline", "create", str(export), "--policies", str(POLICIES), "-o", str(baseline))[0] == 0
    done = subprocess.run(
        ["sh", script, str(export)],
        env=env | {"BASELINE": str(baseline)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert subprocess.run(["sh", script], env=env, capture_output=True, check=False).returncode == 2
