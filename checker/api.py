"""The one call a Python job needs: :func:`check`."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import IO, Any

from .engines import EngineChoiceError, Inputs, RunOptions, run_engine
from .engines.setup import ParamOverrides
from .inputs.events import EventBatch
from .inputs.files import ProfileChoice, loaded_profiles
from .inputs.profiles import Profile, RunDeclarations, run_declarations
from .inputs.progress import Progress
from .language.errors import CheckerError
from .language.loader import PolicySet, load_policies
from .language.times import DEFAULT_TIMEZONE
from .results.result import CheckResult


def check(
    policies: PolicySet | Sequence[str | os.PathLike[str]],
    events: EventBatch | Sequence[str | os.PathLike[str]],
    *,
    engine: str = "python",
    as_of: int | str | None = None,
    params: ParamOverrides | None = None,
    timezone: str | None = None,
    profiles: ProfileChoice | Sequence[ProfileChoice] | None = None,
    encoding: str | None = None,
    input_format: str | None = None,
    stdin: IO[bytes] | None = None,
    parts: int | None = None,
    work_dir: str | None = None,
    progress: Progress | None = None,
    now: int | str | None = None,
    spark_master: str | None = None,
    spark: Any = None,
    spark_conf: Mapping[str, str] | None = None,
) -> CheckResult:
    """Run ``policies`` over ``events`` and return every outcome.

    ``policies`` is a loaded :class:`PolicySet` or paths to load (a set with
    problems raises :class:`CheckerError`); ``events`` an :class:`EventBatch`
    or input paths (files, directories, globs, ``-``), read keeping only the
    events the policies read, with ``profiles``, ``encoding`` and
    ``input_format`` as :func:`checker.read_events` takes them.

    ``timezone`` is the zone of offset-less timestamps, of ``as_of`` and ``now`` given as text,
    and of the result; by default the one the profiles declare (several profiles declaring
    different zones raise :class:`CheckerError`: pass ``timezone``), else ``Asia/Shanghai``.
    Subject words a profile declares (``subject_words``) go into the result; with an
    :class:`EventBatch`, pass the ``profiles`` it was read with for them (the batch keeps the
    timezone it was read in).

    ``engine`` is a name in :data:`checker.ENGINES` or ``"auto"`` (DuckDB for
    large plain inputs when installed: :func:`checker.engines.choose_engine`);
    every engine gives the same result. ``as_of`` (an instant string, or epoch
    microseconds) defaults to the latest event; ``params`` overrides parameters
    per rule id: each version of a rule keeps its own defaults, and an override
    sets the parameter in every version that declares it (and must be valid for
    each of them). ``parts`` (python engine) judges input files in that many
    parts on disk under ``work_dir`` (0: in memory; default: by input size).
    ``now`` (an instant string, or epoch microseconds; default: the wall clock, read once) is
    the run's present: records read from paths that are stamped more than a day after it are
    rejected as ``future-timestamp`` (an :class:`EventBatch` was decided when it was read).
    ``spark_master`` (a master URL) or ``spark`` (a ``SparkSession`` you have) say where
    ``engine="spark"`` runs (docs/spark.md), with the Spark settings ``spark_conf``. An engine
    that cannot run these inputs raises :class:`~checker.engines.EngineChoiceError` saying why.
    """
    if (spark is not None or spark_master is not None or spark_conf) and engine != "spark":
        raise EngineChoiceError(f"spark, spark_master and spark_conf are for engine='spark', not {engine!r}")
    policy_set = policies if isinstance(policies, PolicySet) else load_policies(policies)
    if policy_set.problems:
        raise CheckerError(policy_set.problems)
    inputs, declared = prepare_inputs(
        Inputs.of(events, encoding=encoding, input_format=input_format, stdin=stdin), profiles, timezone
    )
    options = RunOptions(
        as_of=as_of,
        params=params,
        timezone=declared.timezone,
        parts=parts,
        work_dir=work_dir,
        progress=progress,
        now=now,
        spark_master=spark_master,
        spark_session=spark,
        spark_conf=tuple(sorted((spark_conf or {}).items())),
    )
    return with_declarations(run_engine(policy_set, inputs, options, engine), declared)


def prepare_inputs(
    inputs: Inputs,
    profiles: ProfileChoice | Sequence[ProfileChoice] | None,
    timezone: str | None,
) -> tuple[Inputs, RunDeclarations]:
    """``inputs`` read with ``profiles``, loaded here once (a profile with problems raises
    :class:`CheckerError`), and what the profiles declare for the run
    (:func:`checker.inputs.profiles.run_declarations`): its timezone, unless ``timezone`` is
    given, and its subject words. An in-memory batch keeps its own timezone."""
    loaded: list[ProfileChoice] = []
    read_with: list[Profile] = []
    for pattern, profile in loaded_profiles(profiles):
        loaded.append(profile if pattern is None else (pattern, profile))
        read_with.append(profile)
    declared = run_declarations(
        read_with,
        inputs.batch.timezone if inputs.batch is not None else timezone,
        DEFAULT_TIMEZONE,
    )
    return (inputs if inputs.batch is not None else replace(inputs, profiles=loaded)), declared


def with_declarations(result: CheckResult, declared: RunDeclarations) -> CheckResult:
    """``result`` carrying the subject words its profiles declared (outside the engines, so
    every engine's result gets them the same way)."""
    if declared.subject_words is None:
        return result
    return replace(result, subject_words=declared.subject_words)
