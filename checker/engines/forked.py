"""Pure-Python work shared between this process and forked copies of it, on every core.

The DuckDB engine's last step, building findings from decision rows (evidence parsed, messages
rendered), is Python on one core while DuckDB, before it, ran on all of them: at a million events
it was a quarter of the run. Its chunks are independent (each reads its own files and writes its
own sorted run), so :func:`map_forked` hands some of them to forked copies of the process.

A fork, not a fresh interpreter: a child inherits the run's policies, plans and templates as they
are (a policy holds compiled expressions that do not pickle, and loading them again would cost
more than the work). A child only runs Python on data it was handed: it never calls DuckDB (whose
threads a fork does not copy), writes nothing to the terminal, and leaves with :func:`os._exit`,
so no ``atexit`` or finaliser of the parent's (which remove the run's temporary files) runs in it.
Where there is no ``fork`` (not Linux), or one core, or little work, the items are worked here,
one after the other, with the same results.
"""

from __future__ import annotations

import gc
import os
import pickle
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..language.errors import CheckerError

T = TypeVar("T")
R = TypeVar("R")

#: the most processes (this one included) that share the work; None: ``CHECKER_PROCESSES`` from
#: the environment if set (``1``: never fork), else one per core (at most 8)
MAX_PROCESSES: int | None = None
#: the least total weight (findings to build) worth a fork: below it, starting a copy of the
#: process costs more than it saves
MIN_WEIGHT = 4000


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def processes(items: int, weight: int) -> int:
    """How many processes :func:`map_forked` uses for ``items`` items of total ``weight``."""
    if sys.platform != "linux" or not hasattr(os, "fork") or weight < MIN_WEIGHT:
        return 1
    most = MAX_PROCESSES
    if most is None:
        configured = os.environ.get("CHECKER_PROCESSES", "").strip()
        most = int(configured) if configured.isdigit() else min(cores(), 8)
    return max(1, min(most, items))


def shares(weights: Sequence[int], n: int) -> list[list[int]]:
    """The indexes of ``weights`` split into ``n`` shares of about equal weight: heaviest first, each
    to the lightest share so far (ties to the lower share), so the split depends on the weights
    alone. Each share lists its indexes in increasing order."""
    loads = [0] * n
    out: list[list[int]] = [[] for _ in range(n)]
    for i in sorted(range(len(weights)), key=lambda i: (-weights[i], i)):
        k = min(range(n), key=lambda k: (loads[k], k))
        loads[k] += weights[i]
        out[k].append(i)
    return [sorted(s) for s in out]


def map_forked(work: Callable[[T], R], items: Sequence[T], weights: Sequence[int]) -> list[R]:
    """``[work(item) for item in items]``, the items shared by weight between this process and
    forked children (:func:`processes`); results come back pickled, in item order.

    ``work`` must not touch DuckDB or the terminal. An exception in a child is raised here: a
    :class:`~checker.language.errors.CheckerError` as itself (its problems), any other as a
    ``RuntimeError`` carrying the child's traceback; a child that dies (killed, out of memory)
    is an error too, never a missing result."""
    n = processes(len(items), sum(weights))
    if n == 1:
        return [work(item) for item in items]
    split = shares(weights, n)
    directory = tempfile.mkdtemp(prefix="checker-forked-")
    children: list[tuple[int, str, list[int]]] = []
    results: dict[int, R] = {}
    try:
        for k, share in enumerate(split[1:], start=1):
            path = os.path.join(directory, f"share-{k}")
            with warnings.catch_warnings():
                # Python 3.12+ warns that forking a process with threads (DuckDB's) may deadlock
                # a child that takes a lock one of them held: the child takes none of theirs
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
            if pid == 0:  # the child: work its share, write the results, leave at once
                _child(work, [items[i] for i in share], path)
            children.append((pid, path, share))
        for i in split[0]:
            results[i] = work(items[i])
        for pid, path, share in children:
            results.update(zip(share, _collect(pid, path), strict=True))
            children = [c for c in children if c[0] != pid]
    finally:
        for pid, _, _ in children:  # an error here: the children still running are stopped
            _stop(pid)
        for name in os.listdir(directory):
            os.remove(os.path.join(directory, name))
        os.rmdir(directory)
    return [results[i] for i in range(len(items))]


def _child(work: Callable[[Any], Any], items: list[Any], path: str) -> None:
    code = 1
    try:
        # what is garbage here is the parent's garbage too: collecting it could run a finaliser
        # (removing a directory) before the parent means to
        gc.disable()
        try:
            payload: tuple[str, Any] = ("ok", [work(item) for item in items])
        except CheckerError as exc:
            payload = ("checker-error", exc.problems)
        except BaseException:
            payload = ("error", traceback.format_exc())
        with open(path + ".tmp", "wb") as fh:
            pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(path + ".tmp", path)
        code = 0
    finally:
        os._exit(code)


def _collect(pid: int, path: str) -> list[Any]:
    """The results a child wrote, once it has ended; raises what it raised, or that it died."""
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or not os.path.exists(path):
        how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
        raise RuntimeError(f"a worker process building findings {how}")
    with open(path, "rb") as fh:
        kind, value = pickle.load(fh)  # written by our own child
    if kind == "checker-error":
        raise CheckerError(value)
    if kind == "error":
        raise RuntimeError(f"a worker process building findings failed:\n{value}")
    return list(value)


def _stop(pid: int) -> None:
    try:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


__all__ = ["MAX_PROCESSES", "MIN_WEIGHT", "cores", "map_forked", "processes", "shares"]
