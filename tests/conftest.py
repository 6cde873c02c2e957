"""Shared fixtures: the repository's paths and the shipped policy pack."""

from __future__ import annotations

from pathlib import Path

import pytest

import checker

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def policy_set() -> checker.PolicySet:
    """The shipped catalogue, loaded once."""
    loaded = checker.load_policies([POLICIES])
    assert not loaded.problems, "\n".join(str(p) for p in loaded.problems)
    return loaded
