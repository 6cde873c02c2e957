"""Fixtures every engine's differential suite shares: the catalogue and the custom policy fixtures."""

from __future__ import annotations

import pytest

import checker
from tests.conftest import FIXTURES, POLICIES


@pytest.fixture(scope="session")
def catalogue() -> checker.PolicySet:
    """The shipped catalogue."""
    loaded = checker.load_policies([POLICIES])
    assert not loaded.problems
    return loaded


@pytest.fixture(scope="session")
def custom() -> checker.PolicySet:
    """The YAML-only policies of the test fixtures (one per rule family)."""
    loaded = checker.load_policies([FIXTURES / "custom-policies"])
    assert not loaded.problems
    return loaded
