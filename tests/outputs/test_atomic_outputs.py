"""Output files are written whole or not at all (``checker.language.atomic``), by every writer.

The mechanism lives in the bottom layer (the results layer's ``write_baseline`` uses it too);
these tests sit with the outputs, its main user: ``write_report`` to a path, several files
all-or-nothing, a failure midway (an exception, a full disk, a folder that refuses files)
leaving no partial target and no temporary file.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checker.language import atomic
from checker.language.atomic import AtomicFiles, OutputError, atomic_write
from checker.outputs import RenderOptions, registry, write_report
from checker.results.baseline import write_baseline
from checker.results.result import CheckResult


def _leftovers(folder: Path) -> list[str]:
    """Temporary files left in ``folder`` (and below)."""
    return sorted(p.name for p in folder.rglob("*.tmp"))


def test_a_complete_write_replaces_the_target(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old", "utf-8")
    with atomic_write(target) as fh:
        fh.write("new ")
        assert target.read_text("utf-8") == "old"  # nothing at the target until complete
        assert len(_leftovers(tmp_path)) == 1  # the temporary file is beside the target
        fh.write("text\n")
    assert target.read_text("utf-8") == "new text\n" and not _leftovers(tmp_path)


def test_the_file_gets_the_umasks_mode_not_mkstemps(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "r.txt") as fh:
            fh.write("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r.txt").stat().st_mode) == 0o644


def test_missing_folders_are_created(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "r.json"
    with atomic_write(target, "wb") as fh:
        fh.write(b"{}")
    assert target.read_bytes() == b"{}"


def test_an_exception_midway_leaves_the_previous_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "r.txt"
    target.write_text("previous, complete", "utf-8")
    with pytest.raises(RuntimeError) as caught, atomic_write(target) as fh:
        fh.write("half a rep")
        raise RuntimeError("renderer bug")
    assert target.read_text("utf-8") == "previous, complete" and not _leftovers(tmp_path)
    assert f"not written: {target}" in "\n".join(caught.value.__notes__)


class _FullDisk:
    """A stream that accepts ``room`` characters, then fails as a full disk does."""

    def __init__(self, stream: Any, room: int) -> None:
        self._stream, self._room = stream, room

    def write(self, text: str) -> int:
        if len(text) > self._room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(text)
        return int(self._stream.write(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def test_a_full_disk_says_which_outputs_were_not_written(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.csv"
    second.write_text("previous", "utf-8")
    with pytest.raises(OutputError) as caught, AtomicFiles() as files:
        files.open(first).write("complete")
        _FullDisk(files.open(second), room=4).write("too long for the disk")
    message = str(caught.value)
    assert message.startswith(f"cannot write {second}: No space left on device")
    assert f"not written: {first}, {second}" in message and caught.value.errno == errno.ENOSPC
    # all or nothing: the complete first file was not written either
    assert not first.exists() and second.read_text("utf-8") == "previous"
    assert not _leftovers(tmp_path)


def test_a_failing_flush_at_commit_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_room(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", no_room)
    with pytest.raises(OutputError, match="No space left on device"), AtomicFiles() as files:
        files.open(tmp_path / "a.txt").write("a")
        files.open(tmp_path / "b.txt").write("b")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_folder_that_refuses_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(**kwargs: Any) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    with AtomicFiles() as files:  # the first file's temporary is made; the second's is refused
        files.open(tmp_path / "a.txt").write("a")
        monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
        with pytest.raises(OutputError) as caught:
            files.open(tmp_path / "ro" / "b.txt")
    assert "Permission denied" in str(caught.value)
    assert f"not written: {tmp_path / 'a.txt'}, {tmp_path / 'ro' / 'b.txt'}" in str(caught.value)
    assert not (tmp_path / "a.txt").exists() and not _leftovers(tmp_path)


def test_a_folder_that_cannot_be_made_keeps_every_previous_file(tmp_path: Path) -> None:
    """The second target's folder would be a regular file (refused even to root): neither target
    is replaced, the first keeps its previous content, and no temporary file is left."""
    (tmp_path / "r.txt").write_text("previous", "utf-8")
    (tmp_path / "plain").write_text("a file, not a folder", "utf-8")
    with pytest.raises(OutputError) as caught, AtomicFiles() as files:
        files.open(tmp_path / "r.txt").write("new")
        files.open(tmp_path / "plain" / "b.txt").write("b")
    assert "not written" in str(caught.value) and str(tmp_path / "plain" / "b.txt") in str(caught.value)
    assert (tmp_path / "r.txt").read_text("utf-8") == "previous" and not _leftovers(tmp_path)


@pytest.mark.skipif(not Path(os.devnull).is_char_device(), reason="needs a null device")
def test_a_device_is_written_directly_never_replaced() -> None:
    with atomic_write(os.devnull) as fh:
        fh.write("discarded")
    assert Path(os.devnull).is_char_device()


def test_a_symbolic_link_stays_and_its_target_is_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old", "utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with atomic_write(link) as fh:
        fh.write("new")
    assert link.is_symlink() and real.read_text("utf-8") == "new"


def test_write_report_to_a_path_is_atomic(
    scenario: tuple[CheckResult, RenderOptions], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, options = scenario
    target = tmp_path / "out" / "r.json"
    write_report("json", result, options, target)
    complete = target.read_text("utf-8")
    assert json.loads(complete)["findings"]

    def broken(result: CheckResult, options: RenderOptions) -> Iterator[str]:
        yield '{"schema_version": "1.0", '
        yield '"findings": ['
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(registry, "RENDERERS", {**registry.RENDERERS, "json": broken})
    with pytest.raises(OutputError, match=r"cannot write .*r\.json: No space left on device"):
        write_report("json", result, options, target)
    assert target.read_text("utf-8") == complete and not _leftovers(tmp_path)


def test_write_baseline_to_a_path_or_a_stream(
    scenario: tuple[CheckResult, RenderOptions], tmp_path: Path
) -> None:
    result, _ = scenario
    target = tmp_path / "baselines" / "b.json"
    count = write_baseline(result, target)
    assert count == len(json.loads(target.read_text("utf-8"))["findings"]) and not _leftovers(tmp_path)
    with AtomicFiles() as files:
        assert write_baseline(result, files.open(tmp_path / "c.json")) == count
    assert (tmp_path / "c.json").read_text("utf-8") == target.read_text("utf-8")
