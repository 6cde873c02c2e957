"""Progress of the statement DuckDB is running, for the progress bar.

DuckDB estimates how far a running statement is (``query_progress``: a percentage, -1 when
nothing runs) and may be asked from another thread while ``execute`` blocks the calling one.
:class:`QueryWatch` polls it on a thread of its own and hands each share to a callback, so the
intake can move the reading bar while DuckDB reads a file in one statement.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

import duckdb


def track_progress(con: duckdb.DuckDBPyConnection) -> None:
    """Make DuckDB keep the estimate :class:`QueryWatch` reads, without printing its own bar."""
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")


class QueryWatch:
    """While the ``with`` block runs, calls ``report(share)`` (0 to 1) every ``interval`` seconds
    with DuckDB's estimate of the statement running on ``con``."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, report: Callable[[float], None], *, interval: float = 0.1
    ) -> None:
        self.con = con
        self.report = report
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True, name="duckdb-progress")

    def _poll(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                percent = self.con.query_progress()
            except duckdb.Error:  # the statement ended between the wait and the call
                continue
            if percent >= 0:
                self.report(min(percent, 100.0) / 100.0)

    def __enter__(self) -> QueryWatch:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
