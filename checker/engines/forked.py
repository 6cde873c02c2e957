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
Signals are blocked across the fork (a Ctrl-C must not unwind the parent's stack in a child) and
end a child as it is; the parent's objects are frozen out of garbage collection meanwhile.
Where there is no ``fork`` (not Linux), or one core, or little work, the items are worked here,
one after the other, with the same results.
"""

from __future__ import annotations

import gc
import os
import pickle
import shutil
import signal
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..language.errors import CheckerError, Location, Problem
from .cores import cores

T = TypeVar("T")
R = TypeVar("R")

#: the most processes (this one included) that share the work; None: ``CHECKER_PROCESSES`` from
#: the environment if set (``1``: never fork), else one per core (at most 8)
MAX_PROCESSES: int | None = None
#: the least total weight (findings to build) worth a fork: below it, starting a copy of the
#: process costs more than it saves
MIN_WEIGHT = 4000


def processes(items: int, weight: int) -> int:
    """How many processes :func:`map_forked` uses for ``items`` items of total ``weight``."""
    # the setting is checked first: a bad one is an error whatever the size of the run
    most = MAX_PROCESSES if MAX_PROCESSES is not None else configured_processes()
    if sys.platform != "linux" or not hasattr(os, "fork") or weight < MIN_WEIGHT:
        return 1
    return max(1, min(most, items))


def configured_processes() -> int:
    """``CHECKER_PROCESSES`` from the environment, else one per core (at most 8); raises a
    :class:`~checker.language.errors.CheckerError` when it is set to anything but a whole number
    of at least 1."""
    configured = os.environ.get("CHECKER_PROCESSES", "").strip()
    if not configured:
        return min(cores(), 8)
    try:
        value = int(configured, 10)
    except ValueError:
        value = 0
    if value < 1 or not configured.isascii():
        raise CheckerError(
            [
                Problem(
                    Location("CHECKER_PROCESSES"),
                    "bad-setting",
                    f"CHECKER_PROCESSES={configured!r}: give a whole number of processes, at least 1 "
                    "(1: findings are built in one process)",
                )
            ]
        )
    return value


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


def map_forked(
    work: Callable[[T], R], items: Sequence[T], weights: Sequence[int], *, directory: str | None = None
) -> list[R]:
    """``[work(item) for item in items]``, the items shared by weight between this process and
    forked children (:func:`processes`); results come back pickled (through files in a temporary
    directory under ``directory``), in item order.

    ``work`` must not touch DuckDB or the terminal. When items fail, the error raised is that of
    the first failing item in item order, whichever process worked it, as working them one after
    the other would raise: a :class:`~checker.language.errors.CheckerError` as itself (its
    problems); any other exception as itself when this process worked the item, else as a
    ``RuntimeError`` carrying the child's traceback. A child that dies (killed, out of memory) is
    an error too, never a missing result."""
    n = processes(len(items), sum(weights))
    if n == 1:
        return [work(item) for item in items]
    split = shares(weights, n)
    where = tempfile.mkdtemp(prefix="checker-forked-", dir=directory)
    children: list[tuple[int, str, list[int]]] = []
    done: dict[int, _Done] = {}
    # the parent's objects are left out of collection while children share their pages: a
    # collection would write to every object's header, copying pages, and in a child could run
    # a finaliser of the parent's garbage (removing a directory) before the parent means to
    gc.freeze()
    try:
        for k, share in enumerate(split[1:], start=1):
            path = os.path.join(where, f"share-{k}")
            children.append((_fork(work, [items[i] for i in share], path), path, share))
        done.update(_attempt(work, [(i, items[i]) for i in split[0]]))
        while children:
            pid, path, share = children.pop(0)  # taken out first: reaped, it is never stopped
            done.update(_collect(pid, path, share))
    finally:
        for pid, _, _ in children:  # an error here: the children still running are stopped
            _stop(pid)
        gc.unfreeze()
        shutil.rmtree(where, ignore_errors=True)
    failed = [i for i, d in done.items() if d[0] != "ok"]
    if failed:
        raise _error(done[min(failed)])
    return [done[i][1] for i in range(len(items))]


#: how an item ended: ("ok", result), ("checker-error", problems), ("raised", the exception, in
#: this process) or ("error", a child's traceback)
_Done = tuple[str, Any]


def _attempt(work: Callable[[Any], Any], items: list[tuple[int, Any]]) -> dict[int, _Done]:
    """Work ``items`` (index, item) in order up to the first that fails (the share's first
    failure is the only one that can be the first of all)."""
    done: dict[int, _Done] = {}
    for i, item in items:
        try:
            done[i] = ("ok", work(item))
        except CheckerError as exc:
            done[i] = ("checker-error", exc.problems)
            break
        except Exception as exc:
            done[i] = ("raised", exc)
            break
    return done


def _error(d: _Done) -> BaseException:
    kind, value = d
    if kind == "checker-error":
        return CheckerError(value)
    if kind == "raised":
        return value  # type: ignore[no-any-return]  # an exception raised in this process
    return RuntimeError(f"a worker process building findings failed:\n{value}")


def _fork(work: Callable[[Any], Any], items: list[Any], path: str) -> int:
    """A child working ``items``, its results written to ``path``: its pid. No signal arrives
    between the fork and the child's own handling: a Ctrl-C there would unwind the parent's
    stack in the child (its clean-ups, on the parent's files), or leave a child the parent does
    not know of."""
    blocked = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns that forking a process with threads (DuckDB's) may deadlock a
            # child that takes a lock one of them held: the child takes none of theirs
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            _child(work, items, path, old)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
    return pid


def _child(work: Callable[[Any], Any], items: list[Any], path: str, mask: Any) -> None:
    """The child: work, write the results, leave at once (never returns)."""
    code = 1
    try:
        # a signal ends the child as it is (the parent stops its children when it stops)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        try:
            done: Any = _attempt(work, list(enumerate(items)))
        except BaseException:
            done = {0: ("error", traceback.format_exc())}
        payload = {
            i: ("error", "".join(traceback.format_exception(d[1]))) if d[0] == "raised" else d
            for i, d in done.items()
        }
        with open(path + ".tmp", "wb") as fh:
            pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(path + ".tmp", path)
        code = 0
    finally:
        os._exit(code)


def _collect(pid: int, path: str, share: list[int]) -> dict[int, _Done]:
    """How a child's items ended (by item index), once it has ended; raises if it died."""
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or not os.path.exists(path):
        how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
        raise RuntimeError(f"a worker process building findings {how}")
    with open(path, "rb") as fh:
        done: dict[int, _Done] = pickle.load(fh)  # written by our own child
    return {share[i]: d for i, d in done.items()}


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


__all__ = ["MAX_PROCESSES", "MIN_WEIGHT", "cores", "map_forked", "processes", "shares"]
