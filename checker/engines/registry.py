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

from ..inputs.files import STDIN, expand
from ..inputs.readers import GZIP_MAGIC, format_for
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
        "spark": EngineEntry(
            "spark",
            "checker.engines.spark",
            "the duckdb engine's plans decided on Apache Spark (local or a cluster, --spark-master); "
            "reading and findings on the driver",
            requires=("pyspark", "pyarrow"),
            extra="spark",
        ),
    }
)

#: JSON Lines (or Parquet) files from this many bytes on run on DuckDB under ``auto``
#: (BENCHMARKS.md, "auto's cross-over", measured again in the sixth session): at 60,000 generator
#: events (17 MB) the reference engine takes 2.6 s and DuckDB 3.7 s; at 80,000 (23 MB) 2.9 s and
#: 3.1 s; at 100,000 (29 MB) 4.2 s and 3.6 s
DUCKDB_THRESHOLD_BYTES = 24 * 1024 * 1024
#: inputs DuckDB reads through the project's readers (CSV, TSV, JSON arrays, a profile, an encoding or format
#: override, gzip by its uncompressed size) reach the cross-over at two thirds of those bytes: a CSV
#: event is about two thirds the size of a JSON Lines one, and converting on every core costs DuckDB
#: less than reading on one costs the reference engine. At 80,000 events the two are level
#: (canonical CSV, 15 MB: 4.0 s against 4.4 s; GB18030 through a profile 4.8 s against 4.7 s); at
#: 100,000 (19 MB) DuckDB is the faster (5.8 s against 5.2 s; 6.2 s against 5.4 s)
CONVERTED_SHARE = 2 / 3


def _text_bytes(path: str) -> tuple[int, bool]:
    """How many bytes of text ``path`` holds, and whether it is gzip: its size, or for gzip the
    larger of its size and the uncompressed size its trailer records. The trailer is only an
    estimate: it is modulo 2**32 and, in a file of several gzip members (appended, or bgzip's),
    that of the last member alone; the file's size is then the floor. It only decides which
    engine runs, never a result."""
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        if fh.read(2) != GZIP_MAGIC or size < 18:
            return size, False
        fh.seek(-4, os.SEEK_END)
        return max(size, int.from_bytes(fh.read(4), "little")), True


def _load(inputs: Inputs) -> float | None:
    """The inputs' size in bytes, those read through the project's readers weighted by
    1 / :data:`CONVERTED_SHARE`, or None when it cannot be known (standard input, events in memory,
    a missing file)."""
    if inputs.in_memory or STDIN in inputs.paths:
        return None
    overridden = not inputs.plain  # a profile, an encoding or a format override
    load = 0.0
    try:
        for f in expand(inputs.paths):
            size, gzipped = _text_bytes(f)
            # what DuckDB reads itself: JSON Lines and Parquet (JSON arrays are converted)
            direct = not overridden and not gzipped and format_for(f) in (None, "jsonl", "parquet")
            load += size if direct else size / CONVERTED_SHARE
    except (CheckerError, OSError):
        return None
    return load


def choose_engine(
    inputs: Inputs | Sequence[str | os.PathLike[str]],
    options: RunOptions | None = None,
    *,
    policies: PolicySet | None = None,
    threshold: int = DUCKDB_THRESHOLD_BYTES,
) -> str:
    """The engine ``auto`` runs: ``duckdb`` from ``threshold`` bytes of JSON Lines or Parquet
    files, or two thirds of that of inputs read through the project's readers (CSV, TSV, JSON
    arrays, profiles, encodings, gzip by uncompressed size), when its extra is installed, no part
    count was asked for and every one of ``policies`` (when given) compiles to SQL; else ``python``
    (also for standard input, whose size is not known).

    The reference engine starts at once and wins on small inputs; DuckDB has a fixed start-up
    cost, then decides events several times as fast (BENCHMARKS.md). A policy DuckDB cannot
    run would make it refuse the whole check, so ``auto`` runs such a set on the reference
    engine, which runs every valid policy.
    """
    inputs = inputs if isinstance(inputs, Inputs) else Inputs.of(inputs)
    options = options or RunOptions()
    if options.parts is not None or ENGINES["duckdb"].missing():
        return "python"
    load = _load(inputs)
    if load is None or load < threshold:
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
