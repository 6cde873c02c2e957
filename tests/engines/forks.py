"""Test helpers for work shared with forked processes (:mod:`checker.engines.forked`)."""

from __future__ import annotations

import os

import pytest


def recorded_forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the children forked from now on (in the parent: a child records its own 0)."""
    children: list[int] = []
    fork = os.fork

    def recorded() -> int:
        pid = fork()
        children.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recorded)
    return children
