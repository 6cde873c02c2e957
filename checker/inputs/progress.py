"""A progress bar on standard error, for long runs on a terminal.

It stays silent for short runs (it first draws after ``delay`` seconds), when
standard error is not a terminal, and with ``--quiet``; it redraws at most
every ``interval`` seconds, and erases itself when reading ends so that the
report that follows starts on a clean line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import IO

_WIDTH = 24


class Progress:
    """Bytes read out of the total (when known) and records read, on one redrawn line."""

    def __init__(
        self,
        stream: IO[str],
        *,
        enabled: bool,
        delay: float = 0.5,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.enabled = enabled
        self.delay = delay
        self.interval = interval
        self.clock = clock
        self.total: int | None = None
        self.done_before = 0  # bytes of the files already finished
        self.records_before = 0
        self.started = 0.0
        self.last = 0.0
        self.drawn = False

    @classmethod
    def for_terminal(cls, stream: IO[str], *, quiet: bool) -> Progress:
        """A bar that draws only when ``stream`` is a terminal and not ``quiet``."""
        isatty = getattr(stream, "isatty", None)
        return cls(stream, enabled=bool(isatty and isatty()) and not quiet)

    def begin(self, total_bytes: int | None) -> None:
        """Reading starts; ``total_bytes`` is None when unknown (standard input)."""
        self.total = total_bytes
        self.started = self.last = self.clock()

    def advance(self, file_bytes: int, file_records: int, *, done: bool = False) -> None:
        """Report progress within the current file; ``done`` when it is finished."""
        if not self.enabled:
            return
        now = self.clock()
        if now - self.started >= self.delay and (now - self.last >= self.interval or done):
            self.last = now
            self.draw(self.done_before + file_bytes, self.records_before + file_records)
        if done:
            self.done_before += file_bytes
            self.records_before += file_records

    def draw(self, done_bytes: int, records: int) -> None:
        """Redraw the line."""
        if self.total:
            share = min(done_bytes / self.total, 1.0)
            filled = int(share * _WIDTH)
            bar = f"[{'#' * filled}{'-' * (_WIDTH - filled)}] {share:4.0%} "
        else:
            bar = f"{done_bytes / 1e6:,.1f} MB "
        self.stream.write(f"\r\x1b[Kreading {bar}{records:,} records")
        self.stream.flush()
        self.drawn = True

    def stage(self, label: str, share: float | None = None, detail: str = "") -> None:
        """Report a step other than reading files (``judging``, ``writing``...): ``share`` done
        of it (0 to 1, None when unknown) and a short ``detail``; drawn on the same line, with the
        same delay and rate limit as reading."""
        if not self.enabled:
            return
        now = self.clock()
        if not self.started:
            self.started = self.last = now
        if now - self.started < self.delay or (now - self.last < self.interval and share != 1.0):
            return
        self.last = now
        if share is None:
            bar = ""
        else:
            filled = int(min(max(share, 0.0), 1.0) * _WIDTH)
            bar = f"[{'#' * filled}{'-' * (_WIDTH - filled)}] {min(max(share, 0.0), 1.0):4.0%} "
        self.stream.write(f"\r\x1b[K{label} {bar}{detail}".rstrip())
        self.stream.flush()
        self.drawn = True

    def end(self) -> None:
        """Reading is over: erase the line if one was drawn."""
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False
