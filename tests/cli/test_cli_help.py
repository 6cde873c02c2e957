"""Every command's ``--help``: a description, its exit codes, and help for every argument."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

import pytest

from checker.cli.app import _parser, run

# the command (words after ``checker``): the exit codes its help must name
EXIT_CODES = {
    "": (0, 1, 2, 3),
    "check": (0, 1, 2, 3),
    "baseline": (0, 2, 3),
    "baseline create": (0, 2, 3),
    "report": (0, 2, 3),
    "validate": (0, 2),
    "test": (0, 1, 2),
    "explain": (0, 2),
    "generate": (0, 2),
    "pack": (0, 2),
    "pack list": (0, 2),
    "pack copy": (0, 2),
    "pack path": (0, 2),
}
# commands whose help is known to lack a description or exit codes (strict xfail: emptied once
# they have them)
PENDING: set[str] = set()


def _commands(
    parser: argparse.ArgumentParser, name: str = ""
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, subparser in action.choices.items():
                yield from _commands(subparser, f"{name} {sub}".strip())


def test_every_command_is_listed() -> None:
    assert sorted(name for name, _ in _commands(_parser())) == sorted(EXIT_CODES)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            n, marks=pytest.mark.xfail(strict=True, reason="no description in checker/cli/check.py yet")
        )
        if n in PENDING
        else n
        for n in EXIT_CODES
    ],
)
def test_help_describes_the_command_its_exit_codes_and_every_argument(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        run([*name.split(), "--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    parser = dict(_commands(_parser()))[name]
    assert parser.description, f"checker {name} has no description"
    exits = re.search(r"\bExit (.*?)(?: positional arguments:| options:|$)", text)
    assert exits, f"checker {name} --help names no exit codes"
    named = [int(code) for code in re.findall(r"(?:Exit |; )(\d)\b", exits.group(0))]
    assert named == list(EXIT_CODES[name]), text
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            continue
        assert action.help and action.help != argparse.SUPPRESS, f"checker {name}: {action.dest} has no help"
        assert " ".join(action.help.split()[:3]) in text
