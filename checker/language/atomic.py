"""Files written whole or not at all: every output file the checker writes goes through here.

A file is written to a temporary file beside its target (same folder, so the
rename is atomic on one file system), flushed to disk, and renamed over the
target (``os.replace``) only when complete. On any failure (an exception from
the code writing it, a full disk, a read-only folder) the temporary file is
removed and the target is left as it was: a reader sees the previous complete
file or the new complete file, never a truncated one. A process killed while
writing leaves at most a hidden ``.NAME.*.tmp`` file beside the target.

Missing parent folders of a target are created (``out/`` in a fresh clone).
A target that is a symbolic link is replaced where the link points (the link
stays). A target that exists and is not a regular file (``/dev/null``,
``/dev/stdout``, a named pipe) cannot be replaced and is written directly.

:class:`AtomicFiles` writes several files all-or-nothing: each is written to
its temporary file, and only when every one is complete are they renamed into
place; if one fails, every temporary file is removed and none is written.
:func:`atomic_write` is the single-file case.

Why here, in the bottom layer: the CLI (reports, rejects), the outputs
(:func:`checker.outputs.write_report` to a path) and the results
(:func:`checker.results.baseline.write_baseline`) all write files, and the
results layer may import neither the outputs nor the CLI. Like
:mod:`.errors`, this is a basic utility with no knowledge of policies.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal


class OutputError(OSError):
    """Some output files could not be written; none of them was (their targets are as before).

    ``not_written`` lists the targets left untouched, ``written`` any that were already
    renamed into place when a later rename failed (rare: renames happen only once
    every file is complete).
    """

    def __init__(
        self,
        failed: str,
        cause: BaseException,
        not_written: tuple[str, ...],
        written: tuple[str, ...] = (),
    ) -> None:
        self.failed = failed
        self.cause = cause
        self.not_written = not_written
        self.written = written
        errno = cause.errno if isinstance(cause, OSError) else None
        super().__init__(errno, self._message())

    def _message(self) -> str:
        cause = self.cause
        if isinstance(cause, OSError) and cause.strerror:
            why = cause.strerror
        else:
            why = str(cause) or type(cause).__name__
        text = f"cannot write {self.failed}: {why}; not written: {', '.join(self.not_written)}"
        if self.written:
            text += f" (already replaced: {', '.join(self.written)})"
        return text

    def __str__(self) -> str:
        return self._message()


def _file_mode() -> int:
    """The mode a newly created file gets under the current umask (mkstemp's is 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


class AtomicFiles:
    """Several output files, renamed into place together once every one is complete.

    Use as a context manager: files opened with :meth:`open` are committed when the
    block ends normally and discarded (no target touched, no temporary file left)
    when it raises. A failure to write or commit raises :class:`OutputError`.
    ``planned`` names the paths the caller will open, so that a failure before the last
    of them is opened still lists all of them as not written.
    """

    def __init__(self, planned: Iterable[str | os.PathLike[str]] = ()) -> None:
        # (target, temporary or None when written directly, stream)
        self._files: list[tuple[Path, Path | None, IO[Any]]] = []
        # the paths given to open(), and those the caller will open: a failure before the last
        # is opened still names every output the run did not write
        self._given: list[str] = []
        self._planned = tuple(str(p) for p in planned)
        self._done = False

    @property
    def targets(self) -> tuple[str, ...]:
        """The targets opened so far, as given."""
        return tuple(str(target) for target, _, _ in self._files)

    def _not_written(self, path: str | None = None, shown: str | None = None) -> tuple[str, ...]:
        """The targets opened so far (and ``shown``, for ``path`` being opened), then the planned
        ones not opened yet."""
        names = [*self.targets, *([shown] if shown is not None else [])]
        given = {*self._given, *([path] if path is not None else [])}
        return (*names, *(p for p in dict.fromkeys(self._planned) if p not in given and p not in names))

    def open(
        self,
        path: str | os.PathLike[str],
        mode: Literal["w", "wb"] = "w",
        *,
        encoding: str | None = "utf-8",
        newline: str | None = "",
    ) -> IO[Any]:
        """A stream on a new temporary file beside ``path`` (``mode`` ``"w"`` or ``"wb"``)."""
        if self._done:
            raise ValueError("these files were already committed or discarded")
        target = Path(path)
        if mode not in ("w", "wb"):
            raise ValueError(f"mode must be 'w' or 'wb', not {mode!r}")
        self._given.append(str(path))
        if target.is_symlink():
            target = Path(os.path.realpath(target))
        try:
            special = not stat.S_ISREG(target.stat().st_mode)
        except OSError:
            special = False  # absent (or unreadable: creating the temporary file will say)
        if special:  # a device or a pipe: there is nothing to replace
            try:
                direct: IO[Any] = open(  # noqa: SIM115  # closed by commit or discard
                    target,
                    mode,
                    encoding=encoding if mode == "w" else None,
                    newline=newline if mode == "w" else None,
                )
            except OSError as exc:
                not_written = self._not_written(str(path), str(path))
                self.discard()
                raise OutputError(str(path), exc, not_written) from exc
            self._files.append((target, None, direct))
            return direct
        try:
            parent = target.parent
            parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=".tmp")
        except OSError as exc:
            not_written = self._not_written(str(path), str(target))
            self.discard()
            raise OutputError(str(target), exc, not_written) from exc
        try:
            os.chmod(tmp, _file_mode())
            if mode == "wb":
                stream: IO[Any] = os.fdopen(fd, "wb")
            else:
                stream = os.fdopen(fd, "w", encoding=encoding, newline=newline)
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        self._files.append((target, Path(tmp), stream))
        return stream

    def commit(self) -> None:
        """Flush every file to disk, then rename each over its target."""
        if self._done:
            return
        for target, tmp, stream in self._files:
            try:
                stream.flush()
                if tmp is not None:
                    os.fsync(stream.fileno())
                stream.close()
            except OSError as exc:
                not_written = self._not_written()
                self.discard()
                raise OutputError(str(target), exc, not_written) from exc
        replaced: list[str] = []
        for i, (target, tmp, _) in enumerate(self._files):
            if tmp is None:
                continue
            try:
                os.replace(tmp, target)
            except OSError as exc:
                left = tuple(str(t) for t, _, _ in self._files[i:])
                for _, other, _ in self._files[i:]:
                    if other is not None:
                        with contextlib.suppress(OSError):
                            os.unlink(other)
                self._done = True
                raise OutputError(str(target), exc, left, tuple(replaced)) from exc
            replaced.append(str(target))
        self._done = True

    def discard(self) -> None:
        """Close and remove every temporary file; no target is touched."""
        for _, tmp, stream in self._files:
            with contextlib.suppress(OSError):
                stream.close()
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        self._done = True

    def __enter__(self) -> AtomicFiles:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.commit()
            return
        opened, not_written = self.targets, self._not_written()
        self.discard()
        if not not_written or isinstance(exc, OutputError):
            return
        if isinstance(exc, OSError) and opened:
            # a write failed (full disk, I/O error); files are written one after another,
            # so the one that failed is the last opened
            raise OutputError(opened[-1], exc, not_written) from exc
        exc.add_note(f"not written: {', '.join(not_written)}")


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str],
    mode: Literal["w", "wb"] = "w",
    *,
    encoding: str | None = "utf-8",
    newline: str | None = "",
) -> Iterator[IO[Any]]:
    """Write ``path`` whole or not at all: a stream on a temporary file beside it, renamed
    over ``path`` when the block ends normally, removed when it raises."""
    with AtomicFiles() as files:
        yield files.open(path, mode, encoding=encoding, newline=newline)
