"""Policies compiled to SQL and run on embedded DuckDB, with the reference engine's findings.

Library entry points:

* :func:`check_duckdb` — run a loaded policy set over input files;
* :func:`unsupported` — the problems that keep a policy off the DuckDB engine;
* :func:`choose_engine` — ``"python"`` or ``"duckdb"`` for a set of inputs (the size rule).
"""

from __future__ import annotations

from .choice import DUCKDB_THRESHOLD_BYTES, choose_engine
from .engine import check_duckdb, unsupported
from .jmes import UnsupportedConstruct

__all__ = ["DUCKDB_THRESHOLD_BYTES", "UnsupportedConstruct", "check_duckdb", "choose_engine", "unsupported"]
