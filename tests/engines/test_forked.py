"""Work shared with forked copies of the process: the same results, in order, as working alone;
every failure of a child raised in the parent."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from checker.engines import forked
from checker.language.errors import CheckerError, Location, Problem

from .forks import recorded_forks

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forked work runs on Linux only")


@pytest.fixture(autouse=True)
def three_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked, "MAX_PROCESSES", 3)
    monkeypatch.setattr(forked, "MIN_WEIGHT", 0)


def _square_and_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


@pytest.mark.parametrize(
    ("weights", "n", "want"),
    [
        ([5, 1, 1, 1, 1, 1], 2, [[0], [1, 2, 3, 4, 5]]),
        ([1, 1, 1, 1], 3, [[0, 3], [1], [2]]),
        ([3, 3, 2, 2], 2, [[0, 2], [1, 3]]),
        ([4, 3, 2, 1], 2, [[0, 3], [1, 2]]),
        ([], 2, [[], []]),
    ],
)
def test_shares_by_weight(weights: list[int], n: int, want: list[list[int]]) -> None:
    assert forked.shares(weights, n) == want


def test_results_in_item_order_from_three_processes() -> None:
    items = list(range(10))
    results = forked.map_forked(_square_and_pid, items, [1] * len(items))
    assert [r for r, _ in results] == [x * x for x in items]
    pids = {pid for _, pid in results}
    assert os.getpid() in pids and len(pids) == 3


@pytest.mark.parametrize(
    ("most", "weight", "platform", "want"),
    [(3, 10, "linux", 3), (3, 0, "linux", 1), (1, 10, "linux", 1), (8, 10, "darwin", 1), (8, 10, "linux", 4)],
)
def test_processes(monkeypatch: pytest.MonkeyPatch, most: int, weight: int, platform: str, want: int) -> None:
    """One process below the least weight worth a fork, on one core, or without fork (not Linux);
    never more processes than items."""
    monkeypatch.setattr(forked, "MAX_PROCESSES", most)
    monkeypatch.setattr(forked, "MIN_WEIGHT", 5)
    monkeypatch.setattr(sys, "platform", platform)
    assert forked.processes(4, weight) == want


@pytest.mark.parametrize(
    ("configured", "want"), [("1", 1), ("2", 2), (" 3 ", 3), ("", min(forked.cores(), 4))]
)
def test_processes_from_the_environment(monkeypatch: pytest.MonkeyPatch, configured: str, want: int) -> None:
    """``CHECKER_PROCESSES`` caps the processes (1: no fork); unset, one per core."""
    monkeypatch.setattr(forked, "MAX_PROCESSES", None)
    monkeypatch.setenv("CHECKER_PROCESSES", configured)
    assert forked.processes(4, 10_000) == want


@pytest.mark.parametrize("configured", ["x", "0", "-2", "1.5", "\u00b2"])
def test_a_bad_process_count_is_an_error(monkeypatch: pytest.MonkeyPatch, configured: str) -> None:
    monkeypatch.setattr(forked, "MAX_PROCESSES", None)
    monkeypatch.setenv("CHECKER_PROCESSES", configured)
    with pytest.raises(CheckerError) as caught:
        forked.processes(4, 1)  # even a run too small to fork
    [problem] = caught.value.problems
    assert problem.code == "bad-setting" and "CHECKER_PROCESSES" in problem.message


def _fail_in_child(parent: int, how: str) -> Callable[[int], int]:
    def work(x: int) -> int:
        if os.getpid() != parent and x == 2:
            if how == "checker":
                raise CheckerError([Problem(Location("f.jsonl", 7), "input-changed", "line 7 changed")])
            if how == "bug":
                raise ValueError("a bug in the child")
            os.kill(os.getpid(), 9)
        return x

    return work


def test_checker_error_in_a_child_is_raised_with_its_problems() -> None:
    with pytest.raises(CheckerError) as caught:
        forked.map_forked(_fail_in_child(os.getpid(), "checker"), [0, 1, 2], [1, 1, 1])
    [problem] = caught.value.problems
    assert (problem.location.file, problem.location.line, problem.code) == ("f.jsonl", 7, "input-changed")


def test_other_error_in_a_child_carries_its_traceback() -> None:
    with pytest.raises(RuntimeError, match=r"(?s)failed.*ValueError: a bug in the child"):
        forked.map_forked(_fail_in_child(os.getpid(), "bug"), [0, 1, 2], [1, 1, 1])


def _gone(pid: int) -> bool:
    """Whether child ``pid`` was waited for (not running, not a zombie)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_a_killed_child_is_an_error_not_a_missing_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first child (working the item 2) is killed: an error; it was reaped once, so its pid,
    which another process may hold by now, is not killed again; only the other child is stopped."""
    children = recorded_forks(monkeypatch)
    stopped: list[int] = []
    monkeypatch.setattr(forked, "_stop", stopped.append)
    with pytest.raises(RuntimeError, match="killed by signal 9"):
        forked.map_forked(_fail_in_child(os.getpid(), "kill"), [0, 2, 1], [1, 1, 1])
    assert len(children) == 2 and stopped == [children[1]]
    assert _gone(children[0])
    os.kill(children[1], 9)
    os.waitpid(children[1], 0)


@pytest.mark.parametrize("weights", [[1, 5, 1], [5, 1, 1], [1, 1, 5]])
def test_the_first_failing_item_is_the_error_whoever_worked_it(weights: list[int]) -> None:
    """Every item fails: the error is item 0's, as one process would raise, wherever it ran."""

    def work(x: int) -> int:
        raise CheckerError([Problem(Location("f.jsonl", x + 1), "input-changed", f"item {x}")])

    with pytest.raises(CheckerError) as caught:
        forked.map_forked(work, [0, 1, 2], weights)
    [problem] = caught.value.problems
    assert problem.message == "item 0"


def test_an_error_here_is_raised_as_itself_and_leaves_no_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parent's own share fails: the error is its own, every child is waited for, and the
    results directory is gone."""
    children = recorded_forks(monkeypatch)
    parent = os.getpid()

    def work(x: int) -> int:
        if os.getpid() == parent:
            raise KeyError("parent's share")
        return x

    with pytest.raises(KeyError):
        forked.map_forked(work, [0, 1, 2], [1, 1, 1], directory=str(tmp_path))
    assert list(tmp_path.iterdir()) == []
    assert len(children) == 2 and all(_gone(pid) for pid in children)


def test_an_interrupt_here_stops_the_children(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while this process works its share: the children still working are stopped and
    waited for, and nothing is left on disk."""
    children = recorded_forks(monkeypatch)
    parent = os.getpid()

    def work(x: int) -> int:
        if os.getpid() == parent:
            raise KeyboardInterrupt
        time.sleep(30)  # a child still at work
        return x

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        forked.map_forked(work, [0, 1, 2], [1, 1, 1], directory=str(tmp_path))
    assert time.monotonic() - started < 20  # stopped, not waited out
    assert list(tmp_path.iterdir()) == []
    assert len(children) == 2 and all(_gone(pid) for pid in children)
