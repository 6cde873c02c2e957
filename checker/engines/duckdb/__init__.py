"""The ``duckdb`` engine: policies compiled to SQL and run on embedded DuckDB, with the
reference engine's findings.

Lives here: the SQL builders (:mod:`.sqlbuild`, :mod:`.values`, :mod:`.timesql`,
:mod:`.jmes`), a policy compiled to a plan (:mod:`.compile`), the intake of input files into
DuckDB (:mod:`.intake`), outcomes and messages built from decision rows (:mod:`.render`),
findings with their evidence (:mod:`.findings`), the result read from DuckDB
(:mod:`.results`) and the run (:mod:`.engine`).

Library entry points: :data:`ENGINE` (the engine interface), :func:`check_duckdb` (a loaded
policy set over input files) and :func:`unsupported` (what keeps a policy off DuckDB).

May import: :mod:`checker.engines.reference` (the judge of what SQL cannot decide exactly),
:mod:`checker.engines.base`, :mod:`checker.engines.setup`, :mod:`checker.engines.spill`,
:mod:`checker.results`, :mod:`checker.inputs`, :mod:`checker.language`; needs the ``duckdb``
extra (duckdb, sqlglot).
"""

from __future__ import annotations

from .engine import ENGINE, DuckdbEngine, check_duckdb, unsupported
from .jmes import UnsupportedConstruct

__all__ = ["ENGINE", "DuckdbEngine", "UnsupportedConstruct", "check_duckdb", "unsupported"]
