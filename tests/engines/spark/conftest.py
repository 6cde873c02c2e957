"""Fixtures of the Spark tests: one local Spark session for the whole test run (a session takes
seconds to start), and the policy sets of the differential suite.

These tests need the ``spark`` extra (``pip install -e '.[test]'`` brings it) and Java 17
(``.ci/run`` installs Debian's ``openjdk-17-jre-headless`` when ``java`` is missing). Without
them they fail: a missing engine is an error here, not a skipped test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import checker
from checker.engines.spark import start_session
from tests.conftest import FIXTURES, POLICIES

#: the master the tests run on: two cores, as CI's machine has
MASTER = "local[2]"


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The session every Spark test shares (stopped at the end of the run)."""
    session = start_session(MASTER)
    yield session


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
