"""Which engine runs a check when the user does not say: the size rule.

The reference (Python) engine starts at once and is the faster one on small
inputs: DuckDB has a fixed start-up cost (compiling the catalogue, creating
a few dozen tables) of about two seconds on the benchmark machine, then
decides events about three times as fast as Python does. Measured on the
generator's exports (about 290 bytes an event): Python wins at 20,000 events
(1.3 s against 3 s), DuckDB at 100,000 (4.8 s against 7.3 s) and beyond
(``BENCHMARKS.md``). The rule takes the inputs' total size in bytes: from
:data:`DUCKDB_THRESHOLD_BYTES` (16 MiB, about 58,000 such events) DuckDB,
below it Python. ``--engine`` overrides the rule.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ...inputs.files import STDIN, expand
from ...language.errors import CheckerError

DUCKDB_THRESHOLD_BYTES = 16 * 1024 * 1024


def choose_engine(paths: Sequence[str | os.PathLike[str]], threshold: int = DUCKDB_THRESHOLD_BYTES) -> str:
    """``"duckdb"`` when the inputs (files, directories, globs) total at least ``threshold``
    bytes, else ``"python"`` (also for standard input and inputs that do not exist, which the
    check itself reports)."""
    try:
        files = expand(paths)
    except CheckerError:
        return "python"
    if STDIN in files:
        return "python"
    total = sum(os.path.getsize(f) for f in files)
    return "duckdb" if total >= threshold else "python"
