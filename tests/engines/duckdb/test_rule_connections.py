"""Rules decided on several connections at once: the same result as on one, byte for byte, and
the error of the first failing rule in rule order, whichever connection ran into it first."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

import checker
from checker.engines.duckdb import check_duckdb
from checker.engines.duckdb import engine as duckdb_engine
from checker.engines.setup import by_rule, runnable
from checker.generator import generate
from checker.language.errors import CheckerError, Location, Problem


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rules")
    generate(folder, events=3000, seed=21, violation_rate=0.4)
    return folder / "events.jsonl"


def test_same_result_on_one_connection_and_on_three(
    catalogue: checker.PolicySet, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: set[str] = set()
    rule = duckdb_engine.DuckdbRun.rule

    def spy(run: Any, con: Any, versions: Any, plans: Any) -> Any:
        threads.add(threading.current_thread().name)
        return rule(run, con, versions, plans)

    monkeypatch.setattr(duckdb_engine.DuckdbRun, "rule", spy)
    results = {}
    for n in (1, 3):
        monkeypatch.setattr(duckdb_engine, "RULE_CONNECTIONS", n)
        threads.clear()
        result = check_duckdb(catalogue, [export], now="2024-08-01T00:00:00Z")
        results[n] = json.dumps(result.to_dict(all_outcomes=True))
        assert (threads == {threading.main_thread().name}) == (n == 1)
    assert results[1] == results[3]
    assert json.loads(results[3])["findings"]


@pytest.mark.parametrize("failing", [[2], [2, 9], [9, 2], [0, 14]])
def test_the_first_failing_rule_in_order_is_the_error(
    catalogue: checker.PolicySet, export: Path, monkeypatch: pytest.MonkeyPatch, failing: list[int]
) -> None:
    ids = sorted({p.id for p in catalogue.policies})
    rule = duckdb_engine.DuckdbRun.rule

    def fails(run: Any, con: Any, versions: Any, plans: Any) -> Any:
        place = ids.index(versions[0].id)
        if place in failing:
            raise CheckerError([Problem(Location(versions[0].id), "internal", f"rule {place} failed")])
        return rule(run, con, versions, plans)

    monkeypatch.setattr(duckdb_engine.DuckdbRun, "rule", fails)
    order = [versions[0].id for versions in _rule_order(catalogue)]
    first = min(failing, key=lambda place: order.index(ids[place]))
    with pytest.raises(CheckerError) as caught:
        check_duckdb(catalogue, [export], now="2024-08-01T00:00:00Z")
    [problem] = caught.value.problems
    assert problem.message == f"rule {first} failed"


def _rule_order(catalogue: checker.PolicySet) -> list[list[Any]]:
    return list(by_rule(runnable(catalogue.policies)).values())
