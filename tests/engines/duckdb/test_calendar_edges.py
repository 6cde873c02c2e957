"""Instants read from inside event data at the ends of the calendar, on every engine.

An event's own ``timestamp`` is held to the years 1900 to 8999 at intake (``tests/inputs``);
an instant a rule reads from ``data`` with ``time()`` is not checked there, so the engines meet
year 1, year 9999, and epoch numbers of any size while judging. None may crash a run
(Python's ``datetime`` stops at year 9999, DuckDB's ``TIMESTAMP`` elsewhere): ``time()`` of
anything outside the years 1900 to 8999 is null on both engines, the condition reading it is
inconclusive, and both engines give the same result byte for byte. (The DuckDB engine read
``"9999-12-31T23:59:59Z"`` and year-1 epoch milliseconds as instants until its SQL applied
the same years as ``checker.language.times.parse_timestamp``.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import checker
from checker.engines.duckdb import check_duckdb
from tests.differential import assert_same, subset, write_jsonl

COMMISSION = "aliexpress.affiliate.commission-after-exit"
REFUND = "aliexpress.choice.refund-charged-to-seller"

#: data.order_created_at of an order charged a commission, and the commission rule's outcome: the
#: seller joined on 2024-01-10 and left on 2024-03-01 (so an order created after that is a violation)
EDGES: list[tuple[str, Any, str]] = [
    ("year 1, text", "0001-01-01T00:00:00Z", "inconclusive"),
    ("year 0, text", "0000-01-01T00:00:00Z", "inconclusive"),
    ("a second before 1900", "1899-12-31T23:59:59Z", "inconclusive"),
    ("1900 exactly: readable, before any membership", "1900-01-01T00:00:00Z", "inconclusive"),
    ("epoch 0: readable, before any membership", 0, "inconclusive"),
    ("the last second of 8999: readable, after the exit", "8999-12-31T23:59:59Z", "violation"),
    ("9000 exactly", "9000-01-01T00:00:00Z", "inconclusive"),
    ("the last second of 9999, with an offset", "9999-12-31T23:59:59+08:00", "inconclusive"),
    ("the last second of 9999, UTC", "9999-12-31T23:59:59Z", "inconclusive"),
    ("the last second of 9999, local time", "9999-12-31 23:59:59", "inconclusive"),
    ("year 10000", "10000-01-01T00:00:00Z", "inconclusive"),
    ("9999-12-31 in epoch milliseconds", 253402300799999, "inconclusive"),
    ("year 1 in epoch milliseconds", -62135596800000, "inconclusive"),
    ("a second before 1900 in epoch seconds", -2208988801, "inconclusive"),
    ("1900 in epoch seconds: readable", -2208988800, "inconclusive"),
    ("epoch microseconds beyond 9999", 10**18, "inconclusive"),
    ("epoch microseconds before year 1", -(10**18), "inconclusive"),
    ("beyond 64 bits", 10**30, "inconclusive"),
    ("the largest 64-bit integer", 2**63 - 1, "inconclusive"),
    ("a double near its largest", 1e300, "inconclusive"),
    ("a negative double near its largest", -1e300, "inconclusive"),
]

ENGINES = ["python", "partitioned", "duckdb"]


def _records() -> list[dict[str, Any]]:
    base = {"platform": "aliexpress", "seller_id": "s-1"}
    records: list[dict[str, Any]] = [
        {**base, "event_id": "joined", "timestamp": "2024-01-10T10:00:00+08:00", "action": "affiliate.joined",
         "subject": {"type": "affiliate_program", "id": "p"}},
        {**base, "event_id": "exited", "timestamp": "2024-03-01T12:00:00+08:00", "action": "affiliate.exited",
         "subject": {"type": "affiliate_program", "id": "p"}},
    ]  # fmt: skip
    for i, (_, value, _) in enumerate(EDGES):
        records.append(
            {**base, "event_id": f"order-{i:02d}", "timestamp": "2024-03-12T09:00:00+08:00",
             "action": "order.completed", "subject": {"type": "order", "id": f"o-{i}"},
             "data": {"order_created_at": value, "affiliate_attributed": True, "commission_amount": 4.2}}
        )  # fmt: skip
        # the same instant as a refund's payment time, moved on the calendar (add_calendar, P3M)
        records.append(
            {**base, "event_id": f"refund-{i:02d}", "timestamp": "2024-03-12T09:00:00+08:00",
             "action": "order.refunded", "subject": {"type": "order", "id": f"r-{i}"},
             "data": {"managed_mode": "full", "borne_by": "seller", "order_paid_at": value, "amount": 1.0}}
        )  # fmt: skip
    return records


@pytest.fixture(scope="module")
def edges(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, checker.PolicySet]:
    folder = tmp_path_factory.mktemp("edges")
    path = write_jsonl(folder / "edges.jsonl", _records())
    catalogue = checker.load_policies([Path(__file__).resolve().parents[3] / "policies"])
    return path, subset(catalogue, [COMMISSION, REFUND])


def _run(engine: str, policies: checker.PolicySet, path: Path) -> checker.CheckResult:
    now = "2024-06-01T00:00:00+08:00"
    if engine == "duckdb":
        return check_duckdb(policies, [path], now=now)
    return checker.check(policies, [path], parts=2 if engine == "partitioned" else 0, now=now)


@pytest.mark.parametrize("engine", ENGINES)
def test_no_instant_in_data_crashes_a_run(edges: tuple[Path, checker.PolicySet], engine: str) -> None:
    """Every order is judged: out-of-range instants are unreadable (inconclusive), the two
    readable ends are judged by their instant; every refund has an outcome too."""
    path, policies = edges
    result = _run(engine, policies, path)
    assert result.batch.totals() == {"read": 2 + 2 * len(EDGES), "accepted": 2 + 2 * len(EDGES),
                                     "duplicates": 0, "rejected": 0}  # fmt: skip
    by_event = {(o.rule_id, o.event_id): o for o in result.outcomes}
    got = [by_event[(COMMISSION, f"order-{i:02d}")].kind.value for i in range(len(EDGES))]
    assert got == [expected for _, _, expected in EDGES]
    assert sum(1 for rule, _ in by_event if rule == REFUND) == len(EDGES)
    text = json.dumps(result.to_dict(all_outcomes=True), allow_nan=False)
    json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in the JSON result"))


def test_both_engines_give_the_same_result(edges: tuple[Path, checker.PolicySet]) -> None:
    path, policies = edges
    reference = _run("python", policies, path)
    assert_same(reference, _run("duckdb", policies, path))
    assert_same(reference, _run("partitioned", policies, path))
