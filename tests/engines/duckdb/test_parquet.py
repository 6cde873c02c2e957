"""Parquet read by DuckDB itself, row for row, with the reference engine's results.

A Parquet file whose columns are all of types whose JSON text reads back as
the value the project's reader (pyarrow) gives Python is read by DuckDB; any
other file, and a file with a row off the fast path, is read whole by the
project's reader, as before. Either way both engines decide the same.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import checker
from checker.engines.duckdb import intake
from checker.engines.duckdb.convert import Snapshot
from checker.engines.duckdb.engine import connect, macro_texts
from checker.engines.duckdb.timesql import zone_table
from checker.generator import generate

from .differential import assert_same, run_both

TIMEZONE = "Asia/Shanghai"


def _records(tmp_path: Path, seed: int) -> list[dict[str, Any]]:
    generate(tmp_path / "g", events=2500, seed=seed, violation_rate=0.5)
    lines = (tmp_path / "g" / "events.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _write(path: Path, records: list[dict[str, Any]], schema: pa.Schema | None = None) -> Path:
    """``records`` as Parquet, a column for every key any of them has (null where it lacks it)."""
    keys = list(dict.fromkeys(k for r in records for k in r))
    rows = _uniform([{k: r.get(k) for k in keys} for r in records])
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path, row_group_size=700)
    return path


def _uniform(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows whose every field (and field of ``data``) has one type: a Parquet column has one.
    A field the generator gives several types (a time as text or as an epoch) becomes text."""
    kinds: dict[tuple[str, ...], set[type]] = {}
    for r in rows:
        for k, v in r.items():
            for path, value in (
                [((k, d), x) for d, x in v.items()] if k == "data" and isinstance(v, dict) else [((k,), v)]
            ):
                if value is not None:
                    kinds.setdefault(path, set()).add(type(value))
    mixed = {path for path, types in kinds.items() if len(types) > 1}

    def fix(path: tuple[str, ...], value: Any) -> Any:
        return value if path not in mixed or value is None or isinstance(value, str) else json.dumps(value)

    out = []
    for r in rows:
        row = {k: fix((k,), v) for k, v in r.items()}
        if isinstance(row.get("data"), dict):
            row["data"] = {d: fix(("data", d), x) for d, x in row["data"].items()}
        out.append(row)
    return out


def _split_by_timestamp(tmp_path: Path, records: list[dict[str, Any]]) -> list[Path]:
    """Epoch and text timestamps cannot share a column: one file each."""
    texts = [r for r in records if isinstance(r.get("timestamp"), str)]
    epochs = [r for r in records if not isinstance(r.get("timestamp"), str)]
    return [_write(tmp_path / "text.parquet", texts), _write(tmp_path / "epoch.parquet", epochs)]


def _duck_read(paths: list[Path]) -> set[str]:
    """The inputs the DuckDB intake read itself (the others went to the project's readers)."""
    con = connect()
    for statement in macro_texts((zone_table(TIMEZONE),)):
        con.execute(statement)
    result = intake.load_events(con, paths, TIMEZONE, [])
    if result.workdir is not None:  # the files the others were converted into
        shutil.rmtree(result.workdir)
    # read through a snapshot (a hard link to the input), or from the converted copy
    return {result.names[fi] for fi, f in result.files.items() if isinstance(f, Snapshot)}


@pytest.mark.parametrize("seed", [3, pytest.param(8, marks=pytest.mark.slow)])
def test_generated_export_as_parquet(catalogue: checker.PolicySet, tmp_path: Path, seed: int) -> None:
    paths = _split_by_timestamp(tmp_path, _records(tmp_path, seed))
    assert _duck_read(paths) == {str(p) for p in paths}
    reference, duck = run_both(catalogue, paths)
    assert_same(reference, duck)
    assert {i.format for i in duck.batch.inputs} == {"parquet"}
    assert len(duck.findings) > 20


def test_parquet_beside_jsonl_with_duplicates_and_conflicts(
    catalogue: checker.PolicySet, tmp_path: Path
) -> None:
    """The same ids in a Parquet file and a JSON Lines file: identical records are duplicates,
    changed ones conflicts, whichever format each came from."""
    texts = [r for r in _records(tmp_path, 5) if isinstance(r.get("timestamp"), str)]
    keys = list(dict.fromkeys(k for r in texts for k in r))
    # the records as the Parquet reader gives them back (every column, null where absent)
    records = _uniform([{k: r.get(k) for k in keys} for r in texts])
    parquet = _write(tmp_path / "a.parquet", records[:1500])
    changed = [
        dict(r, seller_id=r["seller_id"] + "-x") if i % 7 == 0 else r for i, r in enumerate(records[1000:])
    ]
    jsonl = tmp_path / "b.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in changed), encoding="utf-8")
    assert _duck_read([parquet, jsonl]) == {str(parquet), str(jsonl)}
    reference, duck = run_both(catalogue, [parquet, jsonl])
    assert_same(reference, duck)
    assert reference.batch.inputs[1].duplicates > 0
    conflicts = {(Path(r.file).suffix, r.code) for r in reference.batch.rejected}
    assert conflicts == {(".parquet", "conflict"), (".jsonl", "conflict")}


def _with_column(
    records: list[dict[str, Any]], name: str, value: Callable[[int], Any]
) -> list[dict[str, Any]]:
    return [{**r, name: value(i)} for i, r in enumerate(records)]


@pytest.mark.parametrize(
    "case",
    [
        "decimal",
        pytest.param("float32", marks=pytest.mark.slow),
        pytest.param("nan", marks=pytest.mark.slow),
        "invalid-event",
    ],
)
def test_awkward_parquet(catalogue: checker.PolicySet, tmp_path: Path, case: str) -> None:
    """A column type whose JSON text is not the reader's value (decimal, float32): the whole file
    is read by the project's reader. A row off the fast path (NaN, an invalid event) is decided
    by Python from its JSON text, which reads back as the reader's record. Results agree."""
    records = [r for r in _records(tmp_path, 2) if isinstance(r.get("timestamp"), str)][:1500]
    schema = None
    if case == "decimal":
        records = _with_column(records, "amount", lambda i: Decimal(i) / 4)
    elif case == "float32":
        records = _with_column(records, "ratio", lambda i: i / 10)
        schema = pa.Table.from_pylist(_uniform(records)).schema
        schema = schema.set(schema.get_field_index("ratio"), pa.field("ratio", pa.float32()))
    elif case == "nan":
        records = _with_column(records, "ratio", lambda i: float("nan") if i == 700 else i / 10)
    else:
        records[900] = {**records[900], "action": None}
    path = _write(tmp_path / f"{case}.parquet", records, schema)
    read_by_duckdb = case in ("nan", "invalid-event")
    assert _duck_read([path]) == ({str(path)} if read_by_duckdb else set())
    reference, duck = run_both(catalogue, [path])
    if case == "nan":  # NaN equals nothing, itself included: the results are compared as JSON
        for every in (False, True):
            options = checker.RenderOptions(all_outcomes=every)
            assert checker.render("json", duck, options) == checker.render("json", reference, options)
    else:
        assert_same(reference, duck)
    if case == "invalid-event":
        assert [(r.line, r.code) for r in reference.batch.rejected] == [(901, "invalid-event")]
