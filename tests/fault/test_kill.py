"""``kill -9`` of ``checker check -o ...`` while it writes: each target holds the previous
complete file, or (once the run has renamed it into place) the new complete one; never a
partial file.

The fast tier stops the real command line at exact points of its writing (``slow_writer``: the
renderer stalls after N pieces and the test kills it there); the full tier kills real runs over a
large export at several moments, from judging to the last rename.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker.generator import generate
from tests.conftest import POLICIES, ROOT
from tests.inputs.hostile import strict_json

from .records import NOW, complete_csv

CHECKER = str(Path(sys.executable).parent / "checker")
SAMPLE = ROOT / "examples" / "sample-events.jsonl"
PREVIOUS = {"report.json": '{"previous": "complete"}\n', "findings.csv": "previous,complete\r\n"}


def _outputs(out: Path) -> list[str]:
    return [
        "--format",
        "json",
        "-o",
        str(out / "report.json"),
        "--format",
        "csv",
        "-o",
        str(out / "findings.csv"),
    ]


def _prepare(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    for name, text in PREVIOUS.items():
        (out / name).write_bytes(text.encode())
    return out


def _kill(proc: subprocess.Popen[bytes], *, may_have_ended: bool = False) -> None:
    """Kill ``proc``; with ``may_have_ended``, a run that ended on its own between the caller's last
    look and the signal (its exit code says a complete run: 0 or 1) is no failure."""
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL or (may_have_ended and proc.returncode in (0, 1))


def _complete(path: Path) -> str:
    """The whole file at ``path``: the previous run's, or a complete result of a new one."""
    text = path.read_bytes().decode("utf-8")
    if text == PREVIOUS[path.name]:
        return "previous"
    if path.suffix == ".json":
        doc = strict_json(text)
        assert doc["inputs"]["totals"]["read"] > 0
    else:
        complete_csv(text)
    return "new"


#: (the format whose renderer stalls, after how many pieces): the json file's temporary just
#: opened; json partly written; json complete in its temporary and the csv's opened (the csv
#: renderer gives its text in one piece)
STALL_POINTS = [
    pytest.param("json", 0, marks=pytest.mark.slow),
    ("json", 3),
    ("csv", 0),
]


@pytest.mark.parametrize(("fmt", "pieces"), STALL_POINTS)
def test_kill_9_at_exact_points_of_the_writing(tmp_path: Path, fmt: str, pieces: int) -> None:
    out = _prepare(tmp_path)
    marker = tmp_path / "writing"
    check = ["check", str(SAMPLE), "--policies", str(POLICIES), "--now", NOW, "-q", "--all-outcomes"]
    stalling = [sys.executable, "-m", "tests.fault.slow_writer", str(marker), fmt, str(pieces), "--"]
    proc = subprocess.Popen([*stalling, *check, *_outputs(out)], cwd=ROOT, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert marker.exists(), proc.stderr.read().decode() if proc.stderr else proc.returncode
        assert any(out.glob(".report.json.*.tmp")), "the json output's temporary file is open"
        _kill(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for name, text in PREVIOUS.items():
        assert (out / name).read_bytes() == text.encode()  # all or nothing: the previous files
    code = subprocess.run([CHECKER, *check, *_outputs(out)], capture_output=True, check=False).returncode
    assert code == 1  # the rerun writes both, complete
    assert {_complete(out / name) for name in PREVIOUS} == {"new"}


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An export large enough that writing its results takes a noticeable time."""
    folder = tmp_path_factory.mktemp("big")
    generate(folder, events=60_000, seed=13)
    return folder / "events.jsonl"


def _timed_kill(big: Path, out: Path, after_tmp: float | None, delay: float) -> dict[str, str]:
    """Start a run, kill it ``after_tmp`` seconds after the json temporary appears (or ``delay``
    seconds after the start when ``after_tmp`` is None); what each target then holds."""
    argv = [CHECKER, "check", str(big), "--policies", str(POLICIES), "-q", "--engine", "python"]
    argv += ["--all-outcomes", "--now", NOW, *_outputs(out)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        start = time.monotonic()
        if after_tmp is None:
            time.sleep(delay)
        else:
            while not any(out.glob(".report.json.*.tmp")) and proc.poll() is None:
                if time.monotonic() - start > 300:
                    break
                time.sleep(0.002)
            time.sleep(after_tmp)
        if proc.poll() is None:
            _kill(proc, may_have_ended=True)  # it may end between poll() and the signal
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return {name: _complete(out / name) for name in PREVIOUS}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("after_tmp", "delay"),
    [(None, 1.0), (0.0, 0.0), (0.02, 0.0), (0.1, 0.0), (0.3, 0.0), (0.6, 0.0), (1.5, 0.0)],
    ids=["judging", "tmp+0", "tmp+20ms", "tmp+100ms", "tmp+300ms", "tmp+600ms", "tmp+1.5s"],
)
def test_kill_9_of_a_real_run_at_several_moments(
    big_export: Path, tmp_path: Path, after_tmp: float | None, delay: float
) -> None:
    """Each target holds a complete file whatever the moment of the kill; the two are from the
    same run unless the kill fell between the two renames."""
    held = _timed_kill(big_export, _prepare(tmp_path), after_tmp, delay)
    assert set(held.values()) <= {"previous", "new"}
