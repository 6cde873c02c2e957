"""Engines: what runs policies over inputs and returns a :class:`~checker.results.result.CheckResult`.

Lives here: the engine interface (:mod:`.base`: :class:`Engine`, :class:`Inputs`,
:class:`RunOptions`), the run set-up every engine shares (:mod:`.setup`: parameters, as-of,
not-applicable wording), the table of engines and the ``auto`` choice (:mod:`.registry`),
findings spilled to disk (:mod:`.spill`), and one subpackage or module per engine:
:mod:`.reference` (the judge), :mod:`.partitioned` (the reference engine a part at a time),
:mod:`.python` (the ``python`` engine: either of those), :mod:`.duckdb` (SQL on DuckDB).

May import: :mod:`checker.results`, :mod:`checker.inputs`, :mod:`checker.language`. Inside,
``base``, ``setup``, ``spill`` and ``registry`` import no engine (the registry loads them by
name), ``reference`` imports no other engine, ``partitioned`` only ``reference``, and
``python`` and ``duckdb`` nothing above them.
"""

from .base import Engine, EngineChoiceError, Inputs, RunOptions
from .registry import (
    CONVERTED_SHARE,
    DUCKDB_THRESHOLD_BYTES,
    ENGINES,
    EngineEntry,
    choose_engine,
    get_engine,
    run_engine,
)
from .setup import resolve_params

__all__ = [
    "CONVERTED_SHARE",
    "DUCKDB_THRESHOLD_BYTES",
    "ENGINES",
    "Engine",
    "EngineChoiceError",
    "EngineEntry",
    "Inputs",
    "RunOptions",
    "choose_engine",
    "get_engine",
    "resolve_params",
    "run_engine",
]
