"""Faults around a run's outputs: a full disk at any byte, a failing flush or rename, two runs
writing the same paths at once, a folder that refuses files.

Whatever the fault, each target holds its previous complete file (or nothing, when there was
none) or the new complete one, never a partial file; a failing run exits 2 with a message naming
the outputs it did not write, and leaves no temporary file.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.language import atomic
from tests.conftest import POLICIES, ROOT, examples, run_cli
from tests.inputs.hostile import strict_json, strict_jsonl

from .records import NOW, complete_csv

CHECKER = str(Path(sys.executable).parent / "checker")
SAMPLE = ROOT / "examples" / "sample-events.jsonl"
#: every output a run writes here: target name and the option that asks for it
OUTPUTS = {
    "rejects.jsonl": ("--rejects",),
    "report.json": ("--format", "json", "-o"),
    "report.jsonl": ("--format", "jsonl", "-o"),
    "findings.csv": ("--format", "csv", "-o"),
    "report.sarif": ("--format", "sarif", "-o"),
}
PREVIOUS = "previous complete file\n"


def _argv(inputs: list[Path], out: Path) -> list[str]:
    argv = ["check", *map(str, inputs), "--policies", str(POLICIES), "--now", NOW, "--all-outcomes", "-q"]
    for name, option in OUTPUTS.items():
        argv += [*option, str(out / name)]
    return argv


def _parse(path: Path) -> Any:
    """The file at ``path`` as its format reads, strictly (a partial file fails here)."""
    text = path.read_text("utf-8")
    if path.suffix in (".json", ".sarif"):
        return strict_json(text)
    if path.suffix == ".jsonl":
        return strict_jsonl(text)
    return complete_csv(text)


@functools.cache
def reference() -> dict[str, bytes]:
    """The outputs of the run without a fault, byte for byte (made once; not a fixture, so a
    failing example does not print them)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        code, _, err = run_cli(*_argv([SAMPLE], out))
        assert code == 1, err
        return {name: (out / name).read_bytes() for name in OUTPUTS}


class _Disk:
    """A disk with ``room`` characters free, shared by every file written on it."""

    def __init__(self, room: int) -> None:
        self.room = room


class _FullDiskStream:
    """A stream on :class:`_Disk`: writes fail with ENOSPC once the disk is full."""

    def __init__(self, stream: Any, disk: _Disk) -> None:
        self._stream, self._disk = stream, disk

    def write(self, text: Any) -> int:
        if len(text) > self._disk.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._disk.room -= len(text)
        return int(self._stream.write(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _full_disk_at(room: int) -> Callable[..., Any]:
    disk, fdopen = _Disk(room), os.fdopen

    def opened(fd: int, *args: Any, **kwargs: Any) -> Any:
        return _FullDiskStream(fdopen(fd, *args, **kwargs), disk)

    return opened


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(share=st.floats(min_value=0, max_value=1.1), previous=st.sets(st.sampled_from(sorted(OUTPUTS))))
def test_a_full_disk_at_any_byte_writes_all_or_nothing(
    monkeypatch: pytest.MonkeyPatch, share: float, previous: set[str]
) -> None:
    """ENOSPC once the run's outputs together reach ``share`` of their size: either every
    output is written complete (the disk had room) or none is, each target holding what it
    held before."""
    total = sum(len(v.decode("utf-8")) for v in reference().values())
    room = int(share * total)
    with tempfile.TemporaryDirectory() as folder, monkeypatch.context() as patch:
        out = Path(folder)
        for name in previous:
            (out / name).write_text(PREVIOUS, "utf-8")
        patch.setattr(atomic.os, "fdopen", _full_disk_at(room))
        code, _, err = run_cli(*_argv([SAMPLE], out))
        assert "internal error" not in err and "Traceback" not in err
        assert not _leftovers(out)
        if room >= total:
            assert code == 1, err
            assert {name: (out / name).read_bytes() for name in OUTPUTS} == reference()
            return
        assert code == 2
        assert "No space left on device" in err and "not written: " in err
        for name in OUTPUTS:
            assert str(out / name) in err  # every output of the run is named as not written
            if name in previous:
                assert (out / name).read_text("utf-8") == PREVIOUS
            else:
                assert not (out / name).exists()


#: the steps of committing the outputs that can fail, and the error each gets
COMMIT_FAULTS = {
    "fsync": ("fsync", errno.EIO),
    "fsync-full": ("fsync", errno.ENOSPC),
    "rename": ("replace", errno.EXDEV),
}


@pytest.mark.parametrize("fault", sorted(COMMIT_FAULTS))
@pytest.mark.parametrize("failing", [1, 3])
def test_a_failing_flush_or_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str, failing: int
) -> None:
    """The ``failing``-th flush or rename of the commit fails: no target is partial (a rename
    that fails after others succeeded leaves those complete, and the message says which)."""
    for name in OUTPUTS:
        (tmp_path / name).write_text(PREVIOUS, "utf-8")
    function, code_ = COMMIT_FAULTS[fault]
    real = getattr(atomic.os, function)
    calls = {"n": 0}

    def failing_call(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == failing:
            raise OSError(code_, os.strerror(code_))
        return real(*args)

    monkeypatch.setattr(atomic.os, function, failing_call)
    code, _, err = run_cli(*_argv([SAMPLE], tmp_path))
    assert code == 2 and "internal error" not in err and "not written: " in err
    replaced = 0
    for name in OUTPUTS:
        held = (tmp_path / name).read_bytes()
        assert held in (PREVIOUS.encode(), reference()[name]), name
        replaced += held == reference()[name]
    # a flush fails before any rename: nothing is replaced; a rename, after failing - 1 others
    assert replaced == (0 if function == "fsync" else failing - 1)
    if replaced:
        assert "already replaced" in err
    assert not _leftovers(tmp_path)


# --- two runs writing the same paths ----------------------------------------------------------


def _other_export(folder: Path) -> Path:
    """The sample without its first half: another complete result."""
    lines = SAMPLE.read_text("utf-8").splitlines(keepends=True)
    path = folder / "other.jsonl"
    path.write_text("".join(lines[len(lines) // 2 :]), "utf-8")
    return path


def _concurrent(inputs: list[list[Path]], out: Path) -> list[int]:
    procs = [
        subprocess.Popen([CHECKER, *_argv(paths, out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for paths in inputs
    ]
    codes = []
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert b"internal error" not in err, err.decode()
        codes.append(proc.returncode)
    return codes


def _runs_alone(inputs: list[list[Path]], folder: Path) -> list[dict[str, bytes]]:
    results = []
    for i, paths in enumerate(inputs):
        out = folder / f"alone-{i}"
        code, _, err = run_cli(*_argv(paths, out))
        assert code == 1, err
        results.append({name: (out / name).read_bytes() for name in OUTPUTS})
    return results


def _assert_one_wins(out: Path, alone: list[dict[str, bytes]]) -> None:
    for name in OUTPUTS:
        held = (out / name).read_bytes()
        assert any(held == run[name] for run in alone), f"{name} is not the complete file of either run"
        _parse(out / name)
    assert not _leftovers(out)


def test_two_runs_writing_the_same_outputs(tmp_path: Path) -> None:
    """Two runs of different inputs write the same five paths at the same time: each path holds
    one run's complete file (which one may differ per path), never a mix."""
    inputs = [[SAMPLE], [_other_export(tmp_path)]]
    alone = _runs_alone(inputs, tmp_path)
    assert alone[0]["report.json"] != alone[1]["report.json"]
    out = tmp_path / "shared"
    assert _concurrent(inputs, out) == [1, 1]
    _assert_one_wins(out, alone)


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(4))
def test_concurrent_runs_over_large_exports(tmp_path: Path, round_: int) -> None:
    """Three runs over exports of 20,000 events each (seconds of writing that overlap) into
    the same paths, four rounds: every path holds one run's complete file."""
    from checker.generator import generate

    inputs = []
    for seed in range(3):
        generate(tmp_path / f"g{seed}", events=20_000, seed=100 * round_ + seed)
        inputs.append([tmp_path / f"g{seed}" / "events.jsonl"])
    alone = _runs_alone(inputs, tmp_path)
    out = tmp_path / "shared"
    codes = _concurrent(inputs, out)
    assert set(codes) <= {0, 1}
    _assert_one_wins(out, alone)


# --- a folder that refuses files --------------------------------------------------------------


@pytest.fixture()
def read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder the run may not create files in, holding a previous report. ``chmod a-w`` is
    enough for a normal user; root passes permission checks, so for root the kernel's refusal
    is reproduced at the one call that creates files in the folder."""
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "report.json").write_text(PREVIOUS, "utf-8")
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if os.geteuid() == 0:
        mkstemp = atomic.tempfile.mkstemp

        def refuse(*args: Any, dir: Any = None, **kwargs: Any) -> Any:
            if dir is not None and Path(dir).resolve() == folder.resolve():
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))
            return mkstemp(*args, dir=dir, **kwargs)

        monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    yield folder
    folder.chmod(stat.S_IRWXU)


@pytest.mark.parametrize("others", [False, True], ids=["alone", "with-other-outputs"])
def test_a_read_only_output_folder_is_a_clear_error(read_only: Path, tmp_path: Path, others: bool) -> None:
    argv = ["check", str(SAMPLE), "--policies", str(POLICIES), "--now", NOW, "-q"]
    elsewhere = tmp_path / "fine" / "findings.csv"
    if others:
        argv += ["--format", "csv", "-o", str(elsewhere)]
    argv += ["--format", "json", "-o", str(read_only / "report.json")]
    code, _, err = run_cli(*argv)
    assert code == 2
    assert f"cannot write {read_only / 'report.json'}: Permission denied" in err
    assert "not written: " in err and "internal error" not in err and "Traceback" not in err
    assert (read_only / "report.json").read_text("utf-8") == PREVIOUS
    assert not elsewhere.exists()  # all or nothing: the output that could be written was not
    assert not _leftovers(read_only) and not _leftovers(tmp_path)


def test_a_failure_names_the_outputs_not_opened_yet(tmp_path: Path) -> None:
    """The run plans its outputs: a failure at the first one still names every one of them."""
    (tmp_path / "plain").write_text("a file, not a folder", "utf-8")
    first, second, third = tmp_path / "plain" / "a.json", tmp_path / "b.csv", tmp_path / "c.sarif"
    with pytest.raises(atomic.OutputError) as caught, atomic.AtomicFiles([first, second, third]) as files:
        files.open(first)
    assert caught.value.not_written == (str(first), str(second), str(third))
    assert not any(p.exists() for p in (second, third)) and not _leftovers(tmp_path)


def test_baseline_create_into_a_read_only_folder(read_only: Path, tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.jsonl"
    target = read_only / "baseline.json"
    code, _, err = run_cli(
        "baseline",
        "create",
        str(SAMPLE),
        "--policies",
        str(POLICIES),
        "--now",
        NOW,
        "--rejects",
        str(rejects),
        "-o",
        str(target),
    )
    assert code == 2 and f"cannot write {target}: Permission denied" in err
    assert f"not written: {rejects}, {target}" in err and "internal error" not in err
    assert not rejects.exists() and not target.exists()
