"""Fixtures of the Spark tests: one local Spark session for the whole test run (a session takes
seconds to start); the policy sets are ``tests/engines/conftest.py``'s.

These tests need the ``spark`` extra (``pip install -e '.[test]'`` brings it) and Java 17
(``.ci/run`` installs Debian's ``openjdk-17-jre-headless`` when ``java`` is missing). Without
them they fail: a missing engine is an error here, not a skipped test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from checker.engines.spark import start_session, stop_sessions

#: the master the tests run on: two cores, as CI's machine has
MASTER = "local[2]"


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The session every Spark test shares (stopped at the end of the run)."""
    session = start_session(MASTER)
    yield session
    stop_sessions()
