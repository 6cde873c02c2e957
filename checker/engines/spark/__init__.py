"""The ``spark`` engine: the DuckDB engine's plans, in their portable form, decided on Apache Spark.

Lives here: the session a check runs on (:mod:`.session`) and the run that sends each rule's
statements to Spark and its decision rows back (:mod:`.engine`).

Library entry points: :data:`ENGINE` (the engine interface), :func:`check_spark` (a loaded policy
set over input files, on a session the caller has or one started on a master URL) and
:func:`start_session`.

May import: :mod:`checker.engines.duckdb` (the plans, the intake and the findings it shares) and
what that may import; needs the ``spark`` extra (pyspark, pyarrow) and Java 17.
"""

from __future__ import annotations

from .engine import ENGINE, SparkEngine, SparkRun, check_spark
from .session import start_session, stop_sessions

__all__ = ["ENGINE", "SparkEngine", "SparkRun", "check_spark", "start_session", "stop_sessions"]
