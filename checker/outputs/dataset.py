"""``--output-dir``: findings and outcomes as Parquet datasets partitioned by rule, and the summary.

A directory a data lake or Spark reads as it is::

    DIR/summary.json                      the JSON result without its lists of findings and outcomes
    DIR/findings/rule_id=<id>/part-0.parquet   one row per violation, as the JSON result's findings
    DIR/outcomes/rule_id=<id>/part-0.parquet   one row per outcome of any kind (--all-outcomes' list)

The partitions are Hive-style (``rule_id=...``), so ``spark.read.parquet(DIR + "/findings")`` or
``pyarrow.dataset.dataset(..., partitioning="hive")`` gives ``rule_id`` back as a column. Rows are
written a batch at a time as the result yields them; nested values (a subject, the evidence
records) are JSON texts, exactly as the JSON result writes them. The directory is written beside
its place and moved there when whole, so it is either complete or absent; a directory already
there is replaced only when it holds a ``summary.json`` (an earlier output), never another one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

from ..language.errors import CheckerError, Location, Problem
from ..results.outcomes import Outcome
from ..results.result import JSON_ENCODER, CheckResult, finding_dict, other_outcome_dict

#: rows per record batch handed to the Parquet writer
BATCH_ROWS = 50_000

_TEXT = pa.string()
FINDINGS_SCHEMA = pa.schema(
    [
        ("rule_id", _TEXT),
        ("rule_version", _TEXT),
        ("severity", _TEXT),
        ("platform", _TEXT),
        ("seller_id", _TEXT),
        ("subject", _TEXT),  # JSON
        ("event_id", _TEXT),
        ("timestamp", _TEXT),
        ("message", _TEXT),
        ("message_zh", _TEXT),
        ("evidence", pa.list_(_TEXT)),
        ("evidence_events", _TEXT),  # JSON array of the records
        ("fingerprint", _TEXT),
    ]
)
OUTCOMES_SCHEMA = pa.schema(
    [
        ("rule_id", _TEXT),
        ("rule_version", _TEXT),
        ("outcome", _TEXT),
        ("event_id", _TEXT),
        ("timestamp", _TEXT),
        ("seller_id", _TEXT),
        ("reason", _TEXT),
        ("evidence", pa.list_(_TEXT)),
        ("fingerprint", _TEXT),
    ]
)


def _finding_row(o: Outcome) -> dict[str, Any]:
    d = finding_dict(o)
    d["subject"] = JSON_ENCODER.encode(d["subject"])
    d["evidence_events"] = JSON_ENCODER.encode(d["evidence_events"])
    return d


def _outcome_row(o: Outcome) -> dict[str, Any]:
    # --all-outcomes' row, which a violation has too here, with its fingerprint
    return {**other_outcome_dict(o), "fingerprint": o.fingerprint}


def _batches(rows: Iterable[dict[str, Any]], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= BATCH_ROWS:
            yield pa.RecordBatch.from_pylist(chunk, schema=schema)
            chunk = []
    if chunk:
        yield pa.RecordBatch.from_pylist(chunk, schema=schema)


def _write(directory: str, rows: Iterable[dict[str, Any]], schema: pa.Schema) -> None:
    ds.write_dataset(
        _batches(rows, schema),
        directory,
        schema=schema,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([("rule_id", _TEXT)]), flavor="hive"),
        basename_template="part-{i}.parquet",
        use_threads=False,  # rows in the result's order, the same files every run
        existing_data_behavior="error",
        create_dir=True,
    )


def check_target(directory: str | os.PathLike[str]) -> None:
    """Raise :class:`CheckerError` unless ``directory`` may receive a dataset: absent, empty, or an
    earlier output (it holds ``summary.json``). The command line asks before it runs the check."""
    target = os.path.abspath(os.fspath(directory))
    if os.path.exists(target) and (
        not os.path.isdir(target)
        or (os.listdir(target) and not os.path.isfile(os.path.join(target, "summary.json")))
    ):
        message = (
            "--output-dir names an existing file or a directory that is not an earlier "
            "output (no summary.json): choose a new or empty directory"
        )
        raise CheckerError([Problem(Location(target), "output-dir", message)])


def write_dataset(result: CheckResult, directory: str | os.PathLike[str]) -> None:
    """Write ``result`` to ``directory`` as the module's docstring lays out: whole, or not at all
    (an earlier output there is put back when the new one cannot take its place)."""
    check_target(directory)
    target = os.path.abspath(os.fspath(directory))
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.", dir=parent)
    old: str | None = None
    try:
        _write(os.path.join(work, "findings"), (_finding_row(o) for o in result.findings), FINDINGS_SCHEMA)
        every = _all_outcomes(result)
        _write(os.path.join(work, "outcomes"), (_outcome_row(o) for o in every), OUTCOMES_SCHEMA)
        with open(os.path.join(work, "summary.json"), "w", encoding="utf-8") as fh:
            json.dump(result.head_dict(), fh, ensure_ascii=False, indent=2)
            fh.write("\n")
        # mkdtemp's directory is the owner's alone: the output is as readable as any other file
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(work, 0o777 & ~umask)
        if os.path.exists(target):
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.old.", dir=parent)
            os.rename(target, os.path.join(old, "previous"))
        os.rename(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        if old is not None and not os.path.exists(target):
            os.rename(os.path.join(old, "previous"), target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _all_outcomes(result: CheckResult) -> Iterator[Outcome]:
    """Every outcome, violations first, each list in the result's order."""
    yield from result.findings
    yield from result.other_outcomes()
