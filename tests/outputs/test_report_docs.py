"""docs/report.md is true: its Python example runs, its report commands parse, its picture exists."""

from __future__ import annotations

import argparse
import re
import shlex

import pytest

from checker.cli.report import add_parser

from .data import ROOT

DOC = (ROOT / "docs" / "report.md").read_text("utf-8")


def test_the_python_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    (example,) = re.findall(r"```python\n(.*?)```", DOC, re.S)
    scope: dict[str, object] = {}
    exec(compile(example, "docs/report.md", "exec"), scope)
    assert str(scope["html"]).startswith("<!DOCTYPE html>") and str(scope["md"]).startswith("# ")


def test_every_report_command_parses() -> None:
    parser = argparse.ArgumentParser(prog="checker", exit_on_error=False)
    add_parser(parser.add_subparsers(dest="command"))
    commands = [
        line
        for block in re.findall(r"```sh\n(.*?)```", DOC, re.S)
        for line in block.splitlines()
        if line.startswith("checker report")
    ]
    assert len(commands) >= 2
    for line in commands:
        args = parser.parse_args(shlex.split(line)[1:])
        assert args.output and (args.inputs or args.from_json)


def test_the_screenshot_is_there() -> None:
    (picture,) = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", DOC)
    data = (ROOT / "docs" / picture).read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
