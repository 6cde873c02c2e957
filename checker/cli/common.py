"""What the ``checker`` subcommands share: exit codes, usage errors, loading policies, --param.

Kept apart from :mod:`checker.cli.app` so that subcommand modules can import it
while :mod:`checker.cli.app` imports them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, NoReturn, TypeAlias, cast

import yaml

from ..inputs.progress import Progress
from ..language.errors import Problem
from ..language.loader import PolicySet, bundled_pack_path, load_policies

EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR, EXIT_STRICT = 0, 1, 2, 3


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``run`` returns 2 on usage errors."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message}")


#: ``checker``'s subcommands, as ``add_subparsers(parser_class=ArgumentParser)`` returns them
Subparsers: TypeAlias = "argparse._SubParsersAction[ArgumentParser]"


class UsageError(Exception):
    """A command line that cannot be run; the message says why."""


def print_problems(problems: Sequence[Problem], stderr: IO[str]) -> None:
    """Every problem at ``file:line:column``, then their count."""
    for problem in problems:
        print(problem, file=stderr)
    print(f"{len(problems)} problem(s)", file=stderr)


#: the policies a command runs when none are named: this folder of the working directory if it
#: exists, else the pack installed with the package (:func:`checker.language.loader.bundled_pack_path`)
DEFAULT_POLICIES = "policies"

MISSING_POLICIES_HINT = (
    "hint: a policy folder or file named on the command line does not exist; name none to use "
    "./policies, or the pack installed with the checker where there is none ('checker pack list' "
    "shows it, 'checker pack copy DIR' makes a copy to edit)"
)


ALTERNATIVE_PACKS_HINT = (
    "hint: the policies named are run as one set, in which a rule version may appear once; "
    "folders holding alternative versions of the same rules are run one at a time "
    "('checker validate DIR DIR' checks each folder as its own pack)"
)


def load_or_report(paths: Sequence[str] | None, stderr: IO[str], *, quiet: bool = False) -> PolicySet | None:
    """The policies under ``paths``, or None after printing their problems (once each, with a hint
    when a path does not exist).

    With no paths (None or empty): ``./policies`` when it exists, else the bundled pack, with a
    note on ``stderr`` unless ``quiet``; a list ``paths`` is then updated in place to the pack's
    folder, so that a caller reading its test files (``checker test``) finds the same pack. A
    path given that does not exist is an error, whatever its name.
    """
    requested = list(paths or [DEFAULT_POLICIES])
    bundled = not paths and not Path(DEFAULT_POLICIES).exists()
    if bundled:
        requested = [str(bundled_pack_path())]
    if not paths and isinstance(paths, list):
        paths[:] = requested
    policy_set = load_policies(requested)
    if policy_set.problems:
        print_problems(policy_set.problems, stderr)
        if any(not Path(p).exists() for p in requested):
            print(MISSING_POLICIES_HINT, file=stderr)
        if len(requested) > 1 and any(p.code == "duplicate-id" for p in policy_set.problems):
            print(ALTERNATIVE_PACKS_HINT, file=stderr)
        return None
    if bundled and not quiet:
        print(
            f"checker: no ./{DEFAULT_POLICIES} folder here; using the bundled pack "
            f"{policy_set.pack.name}@{policy_set.pack.revision} ({requested[0]})",
            file=stderr,
        )
    return policy_set


def pack_groups(paths: Sequence[str]) -> list[list[str]]:
    """``paths`` grouped into the packs ``checker validate`` checks on their own: each folder
    given is one pack, with any file given that lies inside it; other files given go with the
    files of their own folder. Order is kept (of each group's first path)."""
    folders = [Path(p).resolve() for p in paths if Path(p).is_dir()]
    groups: dict[Path, list[str]] = {}
    for raw in paths:
        path = Path(raw).resolve()
        key = path if path.is_dir() else next((f for f in folders if f in path.parents), path.parent)
        groups.setdefault(key, []).append(raw)
    return list(groups.values())


def load_packs_or_report(
    paths: Sequence[str] | None, stderr: IO[str], *, quiet: bool = False
) -> list[PolicySet] | None:
    """The policies under ``paths``, one :class:`PolicySet` per pack (:func:`pack_groups`), or
    None after printing every pack's problems.

    Two folders holding alternative versions of the same rules (a team's copy beside the
    catalogue) are each valid on their own: a rule id and version is unique within a pack, and
    versions of a rule may not overlap within a pack, but packs are not checked against each
    other. ``checker check`` loads every folder it is given as one set, and so still refuses
    the same rule version twice.
    """
    groups = pack_groups(paths) if paths else []
    if len(groups) <= 1:
        one = load_or_report(paths, stderr, quiet=quiet)
        return None if one is None else [one]
    sets = [load_policies(group) for group in groups]
    problems = [p for s in sets for p in s.problems]
    if problems:
        print_problems(problems, stderr)
        if any(not Path(p).exists() for group in groups for p in group):
            print(MISSING_POLICIES_HINT, file=stderr)
        return None
    return sets


def parse_params(pairs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``RULE.NAME=VALUE`` -> ``{RULE: {NAME: VALUE}}``; values are read as YAML scalars."""
    out: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        target, sep, raw = pair.partition("=")
        rule_id, dot, name = target.rpartition(".")
        if not (sep and dot and rule_id and name):
            raise UsageError(f"checker: error: --param {pair!r}: expected RULE.NAME=VALUE")
        value = yaml.safe_load(raw) if raw.strip() else raw
        if not isinstance(value, str | int | float | bool):
            value = raw
        out.setdefault(rule_id, {})[name] = value
    return out


class StageProgress(Progress):
    """The reading bar, then one line naming each later stage of a long command.

    ``checker report`` and ``checker baseline create`` spend as long judging and writing as
    reading; without a line they would sit silent. Like the bar, the line is drawn only on a
    terminal and not under ``-q``; :meth:`finish` erases it before the command prints.
    """

    def __init__(self, stream: IO[str], *, enabled: bool, command: str, **timing: Any) -> None:
        super().__init__(stream, enabled=enabled, **timing)
        self.command = command

    @classmethod
    def for_command(cls, stream: IO[str], command: str, *, quiet: bool) -> StageProgress:
        """A progress line for ``command`` that draws only when ``stream`` is a terminal and
        not ``quiet``."""
        isatty = getattr(stream, "isatty", None)
        return cls(stream, enabled=bool(isatty and isatty()) and not quiet, command=command)

    def step(self, words: str) -> None:
        """Name the stage now running (``judging``, ``writing out/report.html``)."""
        if self.enabled:
            self.stream.write(f"\r\x1b[Kchecker {self.command}: {words}…")
            self.stream.flush()
            self.drawn = True

    def end(self) -> None:
        """Reading is over: judging starts."""
        super().end()
        self.step("judging")

    def finish(self) -> None:
        """The command's work is done: erase the line."""
        super().end()

    def guard(self, stream: IO[str]) -> IO[str]:
        """``stream``, erasing this line before anything is written to it, so that a warning or
        the report itself starts on a clean line (the line is drawn again at the next stage)."""
        return cast(IO[str], _Guarded(stream, self))


class _Guarded:
    """A text stream that erases a progress line before each write (see :meth:`StageProgress.guard`)."""

    def __init__(self, stream: IO[str], progress: StageProgress) -> None:
        self._stream = stream
        self._progress = progress

    def write(self, text: str) -> int:
        if text:
            self._progress.finish()
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, buffer...: the stream's own
        return getattr(self._stream, name)
