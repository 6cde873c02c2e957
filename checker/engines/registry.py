"""Every engine by name: the one table the library, ``checker check --engine`` and
``checker validate --engine`` read, and the ``auto`` choice between them.

An entry names the module that holds the engine (its ``ENGINE``), imported only when the
engine is used, so an engine whose optional extra is not installed costs nothing until asked
for, and then fails with the ``pip install`` line that brings it. To add an engine: a
subpackage whose ``__init__`` exports ``ENGINE`` (an :class:`~checker.engines.base.Engine`),
and one entry below.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import cast

from ..inputs.files import input_bytes
from ..language.errors import CheckerError
from ..language.loader import PolicySet
from ..results.result import CheckResult
from .base import Engine, EngineChoiceError, Inputs, RunOptions


@dataclass(frozen=True)
class EngineEntry:
    """An engine in :data:`ENGINES`: where it lives and what it needs installed."""

    name: str
    module: str  # the module whose ENGINE is the engine
    summary: str  # one line for --help and the docs
    requires: tuple[str, ...] = ()  # importable packages it needs beyond the core
    extra: str | None = None  # the pip extra that installs them

    def missing(self) -> str | None:
        """Why the engine cannot be loaded here (an extra not installed), or None."""
        absent = [m for m in self.requires if importlib.util.find_spec(m) is None]
        if not absent:
            return None
        return f"--engine {self.name} needs the extra: pip install 'policy-checker[{self.extra}]'"

    def load(self) -> Engine:
        """The engine itself (imports its module); :class:`EngineChoiceError` when not installed."""
        reason = self.missing()
        if reason is not None:
            raise EngineChoiceError(reason)
        return cast(Engine, importlib.import_module(self.module).ENGINE)


#: the engines by name (``auto`` is not one: it picks one of these, see :func:`choose_engine`)
ENGINES: Mapping[str, EngineEntry] = MappingProxyType(
    {
        "python": EngineEntry(
            "python",
            "checker.engines.python",
            "the reference engine, in Python: every input format and profile; in parts on disk "
            "for large inputs",
        ),
        "duckdb": EngineEntry(
            "duckdb",
            "checker.engines.duckdb",
            "policies compiled to SQL on embedded DuckDB: every input form, fastest on JSON Lines, Parquet",
            requires=("duckdb", "sqlglot"),
            extra="duckdb",
        ),
    }
)

#: plain inputs from this many bytes on run on DuckDB under ``auto`` (BENCHMARKS.md, measured again
#: this round: at 100,000 generator events, 29 MB, the reference engine takes 3.7 s in memory and
#: DuckDB 5.9 s; at 300,000, 87 MB, the reference works in parts on disk, 14.3 s, and DuckDB takes
#: 13.1 s: the cross-over is where the reference engine leaves memory, 64 MiB)
DUCKDB_THRESHOLD_BYTES = 64 * 1024 * 1024


def input_size(paths: Sequence[str | os.PathLike[str]]) -> int | None:
    """The total size in bytes of the files ``paths`` name, or None when it cannot be known
    (standard input, or inputs that do not exist, which the check itself reports)."""
    try:
        return input_bytes(paths)
    except CheckerError:
        return None


def choose_engine(
    inputs: Inputs | Sequence[str | os.PathLike[str]],
    options: RunOptions | None = None,
    *,
    policies: PolicySet | None = None,
    threshold: int = DUCKDB_THRESHOLD_BYTES,
) -> str:
    """The engine ``auto`` runs: ``duckdb`` for plain inputs (canonical events in files) of at
    least ``threshold`` bytes when its extra is installed, no part count was asked for and
    every one of ``policies`` (when given) compiles to SQL; else ``python``.

    The reference engine starts at once and wins on small inputs; DuckDB has a fixed start-up
    cost, then decides events about three times as fast (BENCHMARKS.md). A policy DuckDB cannot
    run would make it refuse the whole check, so ``auto`` runs such a set on the reference
    engine, which runs every valid policy.
    """
    inputs = inputs if isinstance(inputs, Inputs) else Inputs.of(inputs)
    options = options or RunOptions()
    if not inputs.plain or options.parts is not None or ENGINES["duckdb"].missing():
        return "python"
    size = input_size(inputs.paths)
    if size is None or size < threshold:
        return "python"
    if policies is not None:
        duckdb = ENGINES["duckdb"].load()
        if any(duckdb.unsupported(p) for p in policies.policies if p.status != "disabled"):
            return "python"
    return "duckdb"


def get_engine(
    name: str,
    inputs: Inputs | None = None,
    options: RunOptions | None = None,
    policies: PolicySet | None = None,
) -> Engine:
    """The engine called ``name`` (``auto``: :func:`choose_engine` of ``inputs`` and
    ``policies``), checked to be installed and to accept ``inputs`` and ``options``;
    :class:`EngineChoiceError` says why not."""
    inputs = inputs or Inputs()
    options = options or RunOptions()
    if name == "auto":
        name = choose_engine(inputs, options, policies=policies)
    if name not in ENGINES:
        raise EngineChoiceError(f"no engine {name!r}: expected auto or one of {', '.join(ENGINES)}")
    engine = ENGINES[name].load()
    reason = engine.refuses(inputs, options)
    if reason is not None:
        raise EngineChoiceError(reason)
    return engine


def run_engine(
    policies: PolicySet, inputs: Inputs, options: RunOptions, engine: str = "python"
) -> CheckResult:
    """Judge ``policies`` over ``inputs`` on the engine called ``engine`` (or ``auto``)."""
    if policies.problems:
        raise CheckerError(policies.problems)
    return get_engine(engine, inputs, options, policies).check(policies, inputs, options)
