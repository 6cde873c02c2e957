"""Shared fixtures: the repository's paths and the shipped policy pack."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import checker
from checker.cli.app import run

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def policy_set() -> checker.PolicySet:
    """The shipped catalogue, loaded once."""
    loaded = checker.load_policies([POLICIES])
    assert not loaded.problems, "\n".join(str(p) for p in loaded.problems)
    return loaded


def run_cli(*argv: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    """Run the command line in-process: (exit code, standard output, standard error)."""
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err, io.BytesIO(stdin) if stdin is not None else None)
    return code, out.getvalue(), err.getvalue()
