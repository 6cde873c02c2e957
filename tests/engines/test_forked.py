"""Work shared with forked copies of the process: the same results, in order, as working alone;
every failure of a child raised in the parent."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from checker.engines import forked
from checker.language.errors import CheckerError, Location, Problem

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
    ("configured", "want"), [("1", 1), ("2", 2), ("", min(forked.cores(), 4)), ("x", min(forked.cores(), 4))]
)
def test_processes_from_the_environment(monkeypatch: pytest.MonkeyPatch, configured: str, want: int) -> None:
    """``CHECKER_PROCESSES`` caps the processes (1: no fork); unset or not a number, one per core."""
    monkeypatch.setattr(forked, "MAX_PROCESSES", None)
    monkeypatch.setenv("CHECKER_PROCESSES", configured)
    assert forked.processes(4, 10_000) == want


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


def test_a_killed_child_is_an_error_not_a_missing_result() -> None:
    with pytest.raises(RuntimeError, match="killed by signal 9"):
        forked.map_forked(_fail_in_child(os.getpid(), "kill"), [0, 1, 2], [1, 1, 1])


def test_an_error_here_stops_the_children_and_leaves_no_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parent's own share fails: the error is its own, no child is left running, and the
    results directory is gone."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    parent = os.getpid()
    children: list[int] = []
    fork = os.fork

    def recorded() -> int:
        pid = fork()
        children.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recorded)

    def work(x: int) -> int:
        if os.getpid() == parent:
            raise KeyError("parent's share")
        return x

    with pytest.raises(KeyError):
        forked.map_forked(work, [0, 1, 2], [1, 1, 1])
    assert list(tmp_path.iterdir()) == []
    assert len(children) == 2
    for pid in children:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # stopped and waited for: not running, not a zombie
