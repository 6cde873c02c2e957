"""Hypothesis strategies for hostile Parquet files: each column of one Arrow type, drawn per
file (text, integers, doubles with NaN and infinities, timestamps and dates of the whole Arrow
range, nested structs and lists), so the reader meets the typed values JSON never holds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import strategies as st

from .records import ODD_TIMESTAMPS, SAMPLE, Export, odd_text

_ACTIONS = sorted({(r["platform"], r["action"]) for r in SAMPLE})
_INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
_DOUBLES = st.floats() | st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e308, -0.0])
_INSTANTS = st.datetimes(
    min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59)
) | st.sampled_from([dt.datetime(1899, 12, 31, 23, 59, 59), dt.datetime(9000, 1, 1), dt.datetime(2025, 1, 2)])

#: the Arrow types a timestamp column may have, each with the values drawn for it
TIMESTAMP_COLUMNS: dict[str, tuple[pa.DataType, st.SearchStrategy[Any]]] = {
    "text": (pa.string(), st.sampled_from([t for t in ODD_TIMESTAMPS if isinstance(t, str)])),
    "int64": (
        pa.int64(),
        _INT64 | st.sampled_from([t for t in ODD_TIMESTAMPS if type(t) is int and -(2**63) <= t < 2**63]),
    ),
    "double": (pa.float64(), _DOUBLES),
    "timestamp": (pa.timestamp("us"), _INSTANTS),
    "timestamp-utc": (pa.timestamp("us", tz="UTC"), _INSTANTS.map(lambda d: d.replace(tzinfo=dt.UTC))),
    "date": (pa.date32(), st.dates()),
}

#: the Arrow types ``data.x`` may have
DATA_COLUMNS: dict[str, tuple[pa.DataType, st.SearchStrategy[Any]]] = {
    "double": (pa.float64(), _DOUBLES),
    "int64": (pa.int64(), _INT64),
    "text": (pa.string(), odd_text),
    "bool": (pa.bool_(), st.booleans()),
    "list": (pa.list_(pa.int64()), st.lists(_INT64, max_size=3)),
    "struct": (pa.struct([("y", pa.float64())]), st.builds(lambda y: {"y": y}, _DOUBLES)),
    "binary": (pa.binary(), st.binary(max_size=8)),
    "timestamp": (pa.timestamp("us"), _INSTANTS),
}


@st.composite
def parquet_tables(draw: Any) -> pa.Table:
    """A small table of events whose timestamp and ``data.x`` columns have drawn Arrow types,
    any value possibly null."""
    n = draw(st.integers(min_value=1, max_value=8))
    ts_type, ts_values = TIMESTAMP_COLUMNS[draw(st.sampled_from(sorted(TIMESTAMP_COLUMNS)))]
    x_type, x_values = DATA_COLUMNS[draw(st.sampled_from(sorted(DATA_COLUMNS)))]
    rows = [draw(st.sampled_from(_ACTIONS)) for _ in range(n)]
    ids = [draw(st.sampled_from([f"p{i}", "p0", ""]) | odd_text) for i in range(n)]
    return pa.table(
        {
            "event_id": pa.array(ids, pa.string()),
            "timestamp": pa.array([draw(st.none() | ts_values) for _ in range(n)], ts_type),
            "platform": pa.array([p for p, _ in rows], pa.string()),
            "seller_id": pa.array([draw(st.sampled_from(["s1", "s2"])) for _ in range(n)], pa.string()),
            "action": pa.array([a for _, a in rows], pa.string()),
            "data": pa.array(
                [{"x": draw(st.none() | x_values)} for _ in range(n)], pa.struct([("x", x_type)])
            ),
        }
    )


def parquet_exports() -> st.SearchStrategy[Export]:
    """A table of :func:`parquet_tables` as an ``export.parquet`` file: one record a row."""

    def written(table: pa.Table) -> Export:
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        return Export("export.parquet", sink.getvalue().to_pybytes(), table.num_rows)

    return parquet_tables().map(written)
