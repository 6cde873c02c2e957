"""The command line's outputs and gates under failure: atomic, all-or-nothing outputs (also
under ``kill -9``), "nothing judged" is an error, ``--max-reject-rate``, a validated
``report --from-json``, warnings for a baseline of another pack, and the CI script that never
shows a previous run's report."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from checker.outputs import RenderOptions, registry
from checker.results.result import CheckResult
from tests.conftest import POLICIES, ROOT, run_cli
from tests.outputs.conftest import EVENTS

CHECKER = str(Path(sys.executable).parent / "checker")


@pytest.fixture()
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in EVENTS), "utf-8")
    return path


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.tmp"))


def _outputs(out: Path) -> list[str]:
    return [
        "--rejects",
        str(out / "rejects.jsonl"),
        "--format",
        "json",
        "-o",
        str(out / "report.json"),
        "--format",
        "csv",
        "-o",
        str(out / "findings.csv"),
        "--format",
        "text",
        "-o",
        str(out / "report.txt"),
    ]


# --- atomic, all-or-nothing outputs ---------------------------------------------------------


def test_outputs_go_to_missing_folders(export: Path, tmp_path: Path) -> None:
    out = tmp_path / "missing" / "dir"
    code, _, err = run_cli("check", str(export), "--policies", str(POLICIES), *_outputs(out))
    assert code == 1, err
    assert sorted(p.name for p in out.iterdir()) == [
        "findings.csv",
        "rejects.jsonl",
        "report.json",
        "report.txt",
    ]
    assert json.loads((out / "report.json").read_text("utf-8"))["findings"]


def test_a_write_that_fails_midway_writes_no_output(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text("previous run", "utf-8")

    def full_disk(result: CheckResult, options: RenderOptions) -> Iterator[str]:
        yield "rule_id,rule_version\r\n"
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(registry, "RENDERERS", {**registry.RENDERERS, "csv": full_disk})
    code, _, err = run_cli("check", str(export), "--policies", str(POLICIES), *_outputs(out))
    assert code == 2
    assert f"cannot write {out / 'findings.csv'}: No space left on device" in err
    # every output of the run was in the transaction: none was written
    assert f"not written: {out / 'rejects.jsonl'}, {out / 'report.json'}, {out / 'findings.csv'}" in err
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]
    assert (out / "report.json").read_text("utf-8") == "previous run"


def test_a_renderer_bug_midway_writes_no_output(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"

    def bug(result: CheckResult, options: RenderOptions) -> Iterator[str]:
        yield "{"
        raise KeyError("a bug")

    monkeypatch.setattr(registry, "RENDERERS", {**registry.RENDERERS, "text": bug})
    with pytest.raises(KeyError) as caught:  # main() turns it into an internal error, exit 2
        run_cli("check", str(export), "--policies", str(POLICIES), *_outputs(out))
    assert "not written:" in "\n".join(caught.value.__notes__)
    assert not out.exists() or sorted(p.name for p in out.iterdir()) == []


def test_a_target_in_a_folder_that_cannot_be_made(export: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", "utf-8")
    code, _, err = run_cli(
        "check",
        str(export),
        "--policies",
        str(POLICIES),
        "--format",
        "json",
        "-o",
        str(tmp_path / "file" / "r.json"),
    )
    assert code == 2 and f"cannot write {tmp_path / 'file' / 'r.json'}" in err and "not written" in err


def test_baseline_create_writes_whole_files(export: Path, tmp_path: Path) -> None:
    target = tmp_path / "baselines" / "b.json"
    code, out, _ = run_cli("baseline", "create", str(export), "--policies", str(POLICIES), "-o", str(target))
    assert code == 0 and "recorded in" in out
    assert json.loads(target.read_text("utf-8"))["findings"] and not _leftovers(tmp_path)


@pytest.mark.slow
def test_kill_9_while_writing_leaves_the_previous_report(tmp_path: Path) -> None:
    """A ``checker check`` killed while it writes a large report leaves the previous complete
    report at the target (and at most a temporary file beside it)."""
    done = subprocess.run(
        [CHECKER, "generate", "--events", "200000", "--seed", "3", "-o", str(tmp_path / "big")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    out.mkdir()
    target = out / "report.json"
    previous = '{"complete": "previous run"}\n'
    target.write_text(previous, "utf-8")
    argv = [CHECKER, "check", str(tmp_path / "big" / "events.jsonl"), "--policies", str(POLICIES), "-q"]
    argv += ["--engine", "python", "--all-outcomes", "--format", "json", "-o", str(target)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not any(out.glob(".report.json.*.tmp")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert proc.poll() is None, "the check ended before it was killed: make the input larger"
        assert any(out.glob(".report.json.*.tmp"))
        time.sleep(0.05)  # into the write
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert target.read_text("utf-8") == previous  # never a truncated report at the target


# --- nothing judged --------------------------------------------------------------------------


@pytest.mark.parametrize("command", [("check",), ("check", "--strict"), ("baseline", "create"), ("report",)])
def test_an_empty_input_judges_nothing_and_exits_2(tmp_path: Path, command: tuple[str, ...]) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", "utf-8")
    out = tmp_path / "out.file"
    code, stdout, err = run_cli(*command, str(empty), "--policies", str(POLICIES), "-o", str(out))
    assert code == 2 and "nothing judged" in err and "[nothing-judged]" in err
    assert "no record was read" in err and "--allow-empty" in err
    assert not out.exists() and "violation" not in stdout


def test_all_records_rejected_says_what_and_why(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('not json\n{"event_id": "e"}\n{"also": "no"}\n', "utf-8")
    rejects = tmp_path / "rejects.jsonl"
    report = tmp_path / "r.json"
    code, _, err = run_cli(
        "check",
        str(bad),
        "--policies",
        str(POLICIES),
        "--rejects",
        str(rejects),
        "--format",
        "json",
        "-o",
        str(report),
    )
    assert code == 2
    assert f"nothing judged: no event accepted from 1 input(s) ({bad})" in err
    assert "3 record(s) read, 3 rejected (invalid-event 2, bad-json 1)" in err
    assert f"{bad}:1: not JSON" in err and f"{bad}:2: " in err and "[invalid-event]" in err
    assert "warning:" not in err  # the error says it all
    # no report of a run that judged nothing; the rejected records, which say why, are kept
    assert not report.exists() and len(rejects.read_text("utf-8").splitlines()) == 3


def test_many_rejections_show_the_first_few(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("x\n" * 12, "utf-8")
    code, _, err = run_cli("check", str(bad), "--policies", str(POLICIES))
    assert code == 2 and f"{bad}:5:" in err and f"{bad}:6:" not in err and "... and 7 more" in err


def test_allow_empty_keeps_the_old_behaviour(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", "utf-8")
    code, out, err = run_cli("check", str(empty), "--policies", str(POLICIES), "--allow-empty")
    assert code == 0 and "0 violation(s)" in out and "nothing judged" not in err
    code, *_ = run_cli("check", str(empty), "--policies", str(POLICIES), "--allow-empty", "--strict")
    assert code == 0  # nothing rejected


# --- --max-reject-rate -----------------------------------------------------------------------


def test_max_reject_rate(export: Path, tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(export.read_text("utf-8") + "not json\n", "utf-8")  # 1 of len(EVENTS) + 1
    base = ("check", str(mixed), "--policies", str(POLICIES), "--fail-on", "critical", "-q")
    assert run_cli(*base)[0] == 0
    assert run_cli(*base, "--max-reject-rate", "0.5")[0] == 0
    code, _, err = run_cli(*base, "--max-reject-rate", "1%")
    assert code == 3
    assert f"1 of {len(EVENTS) + 1} record(s) rejected" in err and "more than --max-reject-rate 0.01" in err
    assert run_cli("check", str(export), "--policies", str(POLICIES), "--max-reject-rate", "0")[0] == 1
    code, _, err = run_cli(*base, "--max-reject-rate", "2")
    assert code == 2 and "expected a share in 0..1" in err
    code, _, _ = run_cli(
        "baseline",
        "create",
        str(mixed),
        "--policies",
        str(POLICIES),
        "-o",
        str(tmp_path / "b.json"),
        "--max-reject-rate",
        "0.01",
    )
    assert code == 3


# --- report --from-json ----------------------------------------------------------------------


@pytest.fixture()
def saved(export: Path, tmp_path: Path) -> dict[str, object]:
    target = tmp_path / "result.json"
    code, _, err = run_cli(
        "check",
        str(export),
        "--policies",
        str(POLICIES),
        "--all-outcomes",
        "--format",
        "json",
        "-o",
        str(target),
    )
    assert code == 1, err
    doc: dict[str, object] = json.loads(target.read_text("utf-8"))
    return doc


def _write(path: Path, doc: dict[str, object]) -> Path:
    path.write_text(json.dumps(doc, indent=2), "utf-8")
    return path


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line)


def test_from_json_validates_against_the_schema(saved: dict[str, object], tmp_path: Path) -> None:
    good = _write(tmp_path / "good.json", saved)
    assert run_cli("report", "--from-json", str(good), "-o", str(tmp_path / "r.html"))[0] == 0

    garbage = _write(tmp_path / "garbage.json", {**saved, "as_of": "garbage"})
    code, _, err = run_cli("report", "--from-json", str(garbage), "-o", str(tmp_path / "g.html"))
    line = _line_of(garbage, '"as_of"')
    assert code == 2 and f"{garbage}:{line}:12: $.as_of: 'garbage' is not a 'date-time' [schema]" in err
    assert "is not a policy-checker JSON result" in err and not (tmp_path / "g.html").exists()

    missing = dict(saved)
    del missing["summary"]
    code, _, err = run_cli("report", "--from-json", str(_write(tmp_path / "m.json", missing)))
    assert code == 2 and "$: 'summary' is a required property [schema]" in err

    wrong = json.loads(json.dumps(saved))
    wrong["findings"][0]["severity"] = "huge"
    path = _write(tmp_path / "w.json", wrong)
    code, _, err = run_cli("report", "--from-json", str(path))
    assert code == 2 and f"{path}:{_line_of(path, 'huge')}:" in err and "$.findings[0].severity" in err


def test_from_json_refuses_an_impossible_date(saved: dict[str, object], tmp_path: Path) -> None:
    path = _write(tmp_path / "d.json", {**saved, "as_of": "2024-02-30T10:00:00+08:00"})
    code, _, err = run_cli("report", "--from-json", str(path))
    assert code == 2 and "$.as_of" in err


# --- a baseline of another pack --------------------------------------------------------------


def test_a_baseline_of_another_pack_warns(export: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    assert (
        run_cli("baseline", "create", str(export), "--policies", str(POLICIES), "-o", str(baseline))[0] == 0
    )
    check = ("check", str(export), "--policies", str(POLICIES), "--baseline")
    code, _, err = run_cli(*check, str(baseline))
    assert code == 0 and "warning" not in err  # the same pack: silent

    doc = json.loads(baseline.read_text("utf-8"))
    doc["pack"]["revision"] = "1999.1.1"
    doc["findings"][0]["rule_version"] = "0.0.1"
    other = _write(tmp_path / "other.json", doc)
    code, _, err = run_cli(*check, str(other))
    assert code == 0  # a warning, not an error: the fingerprints still apply
    assert "the baseline was made with pack" in err and "@1999.1.1" in err
    assert (
        f"1 baseline entry names a rule version this run does not load: {doc['findings'][0]['rule_id']}@0.0.1"
        in err
    )
    assert "warning" not in run_cli(*check, str(other), "--quiet")[2]

    doc["pack"]["revision"] = json.loads(baseline.read_text("utf-8"))["pack"]["revision"]
    doc["pack"]["content_hash"] = "0" * 64
    code, _, err = run_cli(*check, str(_write(tmp_path / "edited.json", doc)))
    assert code == 0 and "of other content" in err


# --- the CI script ---------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_the_ci_script_never_shows_a_previous_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in ("report.txt", "report.json", "findings.csv", ".report.json.abc.tmp"):
        (out / name).write_text("STALE from the previous run", "utf-8")
    (out / "keep.me").write_text("not the script's", "utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", "utf-8")
    env = dict(os.environ, CHECKER=CHECKER, POLICIES=str(POLICIES), OUT=str(out))
    for key in ("BASELINE", "WAIVERS", "STRICT", "EXTRA_ARGS", "PROFILES", "GITHUB_ACTIONS"):
        env.pop(key, None)
    script = str(ROOT / "ci" / "policy-check.sh")
    done = subprocess.run(["sh", script, str(empty)], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "nothing judged" in done.stderr
    assert "STALE" not in done.stdout
    # no report of this run (nothing was judged), none of the last; its (empty) rejects only
    assert sorted(p.name for p in out.iterdir()) == ["keep.me", "rejects.jsonl"]
    assert (out / "rejects.jsonl").read_text("utf-8") == ""
