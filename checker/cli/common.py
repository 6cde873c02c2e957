"""What the ``checker`` subcommands share: exit codes, usage errors, loading policies, --param.

Kept apart from :mod:`checker.cli.app` so that subcommand modules can import it
while :mod:`checker.cli.app` imports them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, NoReturn, TypeAlias

import yaml

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
        return None
    if bundled and not quiet:
        print(
            f"checker: no ./{DEFAULT_POLICIES} folder here; using the bundled pack "
            f"{policy_set.pack.name}@{policy_set.pack.revision} ({requested[0]})",
            file=stderr,
        )
    return policy_set


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
