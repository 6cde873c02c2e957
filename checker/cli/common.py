"""What the ``checker`` subcommands share: exit codes, usage errors, loading policies, --param.

Kept apart from :mod:`checker.cli.app` so that subcommand modules can import it
while :mod:`checker.cli.app` imports them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import IO, Any, NoReturn, TypeAlias

import yaml

from ..language.errors import Problem
from ..language.loader import PolicySet, load_policies

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


def load_or_report(paths: Sequence[str] | None, stderr: IO[str]) -> PolicySet | None:
    """The policies under ``paths`` (default ``policies``), or None after printing their problems."""
    policy_set = load_policies(list(paths or ["policies"]))
    if policy_set.problems:
        print_problems(policy_set.problems, stderr)
        return None
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
