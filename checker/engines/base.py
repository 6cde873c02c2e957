"""The engine interface: what a run reads (:class:`Inputs`), how (:class:`RunOptions`), and the
:class:`Engine` protocol every engine implements.

An engine runs a loaded, problem-free :class:`~checker.language.loader.PolicySet` over inputs and
returns a :class:`~checker.results.result.CheckResult`; every engine returns the same outcomes,
evidence, messages and accounting for the same inputs (the differential suites hold them to it).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from ..inputs.events import EventBatch
from ..inputs.files import STDIN, ProfileChoice
from ..inputs.progress import Progress
from ..language.errors import Problem
from ..language.loader import PolicySet
from ..language.policy import Policy
from ..language.times import DEFAULT_TIMEZONE
from ..results.result import CheckResult
from .setup import ParamOverrides


class EngineChoiceError(ValueError):
    """An engine asked for cannot run these inputs or options; the message says why and what to use."""


@dataclass(frozen=True)
class Inputs:
    """What a run reads: files (directories, globs, ``-`` for standard input) and how to read
    them, or an :class:`EventBatch` already in memory.

    ``profiles`` are field-mapping profiles (loaded, paths, or ``(pattern, profile)`` pairs: see
    :func:`checker.inputs.files.settings_for`); ``encoding`` and ``input_format`` override what
    profiles and file names say; ``stdin`` is the binary stream ``-`` reads (default: the
    process's standard input).
    """

    paths: tuple[str, ...] = ()
    batch: EventBatch | None = None
    profiles: ProfileChoice | Sequence[ProfileChoice] | None = None
    encoding: str | None = None
    input_format: str | None = None
    stdin: IO[bytes] | None = field(default=None, compare=False)

    @classmethod
    def of(
        cls,
        events: EventBatch | str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        *,
        profiles: ProfileChoice | Sequence[ProfileChoice] | None = None,
        encoding: str | None = None,
        input_format: str | None = None,
        stdin: IO[bytes] | None = None,
    ) -> Inputs:
        """Inputs from what the library's callers pass: a batch, one path, or paths."""
        if isinstance(events, EventBatch):
            return cls(batch=events)
        paths = (events,) if isinstance(events, str | os.PathLike) else tuple(events)
        return cls(
            paths=tuple(os.fspath(p) for p in paths),
            profiles=profiles,
            encoding=encoding,
            input_format=input_format,
            stdin=stdin,
        )

    @property
    def in_memory(self) -> bool:
        """Whether the events were read already (a batch), so no engine reads files."""
        return self.batch is not None

    @property
    def plain(self) -> bool:
        """Whether the inputs are canonical events in files as named: no profile, no encoding or
        format override, no standard input, not already in memory."""
        return (
            self.batch is None
            and not self.profiles
            and self.encoding is None
            and self.input_format is None
            and STDIN not in self.paths
        )


@dataclass(frozen=True)
class RunOptions:
    """How a run judges: as of when (an instant string, epoch microseconds, or None for the
    latest event), with which parameter overrides (by rule id), in which timezone for
    offset-less timestamps, and, for the reference engine, in how many parts on disk (None: by
    the input's size; 0: all in memory) under which directory. ``progress`` reports reading.
    ``now`` is the run's present (an instant string, epoch microseconds, or None for the wall
    clock, read once): records stamped more than a day after it are rejected as
    ``future-timestamp``. ``spark_master`` (a master URL) or ``spark_session`` (a
    ``SparkSession`` the caller has) say where the ``spark`` engine runs, with the Spark settings
    ``spark_conf`` (key, value). ``spark_keep_session`` false (the command line, one check a
    process) stops a session the check had to start once its rules are decided, so that the JVM's
    memory is back before the findings are built."""

    as_of: int | str | None = None
    params: ParamOverrides | None = None
    timezone: str = DEFAULT_TIMEZONE
    parts: int | None = None
    work_dir: str | None = None
    progress: Progress | None = field(default=None, compare=False)
    now: int | str | None = None
    spark_master: str | None = None
    spark_session: Any = field(default=None, compare=False)
    spark_conf: tuple[tuple[str, str], ...] = ()
    spark_keep_session: bool = True


class Engine(Protocol):
    """An engine: runs policies over inputs and returns the result.

    ``name`` is its key in :data:`checker.engines.ENGINES`. :meth:`refuses` says why it
    cannot run some inputs or options (None when it can); :meth:`unsupported` lists the
    problems that keep a policy off it (what ``checker validate --engine NAME`` reports).
    """

    name: str

    def refuses(self, inputs: Inputs, options: RunOptions) -> str | None:
        """Why this engine cannot run ``inputs`` with ``options``, or None."""
        ...

    def unsupported(self, policy: Policy, params: dict[str, Any] | None = None) -> list[Problem]:
        """The problems that keep ``policy`` off this engine (empty when it runs)."""
        ...

    def check(self, policies: PolicySet, inputs: Inputs, options: RunOptions) -> CheckResult:
        """Judge ``policies`` over ``inputs``: every outcome, with its evidence."""
        ...
