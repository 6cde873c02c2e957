"""Rules decided on several connections at once: the same result as on one, byte for byte, whichever
rule ends first; the error of the first failing rule in rule order, whichever failed first; and no
worker left behind."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import checker
from checker.engines.duckdb import check_duckdb
from checker.engines.duckdb import engine as duckdb_engine
from checker.engines.setup import by_rule, runnable
from checker.generator import generate
from checker.language.errors import CheckerError, Location, Problem

NOW = "2024-08-01T00:00:00Z"


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rules")
    generate(folder, events=3000, seed=21, violation_rate=0.4)
    return folder / "events.jsonl"


def _order(catalogue: checker.PolicySet) -> list[str]:
    """The rule ids in the order the run decides them."""
    return [versions[0].id for versions in by_rule(runnable(catalogue.policies)).values()]


def _workers() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("checker-rules")]


def test_same_result_on_one_two_and_three_connections(
    catalogue: checker.PolicySet, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first rule is held back until the others have ended: the store still takes the rules
    in order."""
    first = _order(catalogue)[0]
    threads: set[str] = set()
    rule = duckdb_engine.DuckdbRun.rule

    def spy(run: Any, con: Any, versions: Any, plans: Any) -> Any:
        threads.add(threading.current_thread().name)
        if versions[0].id == first and threading.current_thread() is not threading.main_thread():
            time.sleep(1.0)  # the other connections decide the rest meanwhile
        return rule(run, con, versions, plans)

    monkeypatch.setattr(duckdb_engine.DuckdbRun, "rule", spy)
    results = {}
    for n in (1, 2, 3):
        monkeypatch.setattr(duckdb_engine.DuckdbRun, "concurrent_rules", n)
        threads.clear()
        result = check_duckdb(catalogue, [export], now=NOW)
        results[n] = json.dumps(result.to_dict(all_outcomes=True))
        assert len(threads) == n  # n == 1: the run's own thread
    assert results[1] == results[2] == results[3]
    assert json.loads(results[2])["findings"]
    assert _workers() == []


@pytest.mark.parametrize("failing", [(3, 9), (0, 14), (5,)])
def test_the_first_failing_rule_in_order_is_the_error(
    catalogue: checker.PolicySet, export: Path, monkeypatch: pytest.MonkeyPatch, failing: tuple[int, ...]
) -> None:
    """The earlier of two failing rules fails last in time (it waits for the later one to fail):
    its error is the one raised, and every worker is gone when it is."""
    order = _order(catalogue)
    later_failed = threading.Event()
    rule = duckdb_engine.DuckdbRun.rule

    def fails(run: Any, con: Any, versions: Any, plans: Any) -> Any:
        place = order.index(versions[0].id)
        if place == failing[0] and len(failing) > 1:
            later_failed.wait(30)
        if place in failing:
            if place == failing[-1]:
                later_failed.set()
            raise CheckerError([Problem(Location(versions[0].id), "internal", f"rule {place} failed")])
        return rule(run, con, versions, plans)

    monkeypatch.setattr(duckdb_engine.DuckdbRun, "rule", fails)
    with pytest.raises(CheckerError) as caught:
        check_duckdb(catalogue, [export], now=NOW)
    [problem] = caught.value.problems
    assert problem.message == f"rule {failing[0]} failed"
    assert _workers() == []


def test_a_stopping_run_gives_up_a_rule_at_its_next_statement(
    catalogue: checker.PolicySet, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first rule fails while the other worker is still in Python before its rule's first
    statement: that statement is refused (``RunStopping``), so the run stops without waiting for
    the rule to end."""
    order = _order(catalogue)
    given_up: list[str] = []
    rule = duckdb_engine.DuckdbRun.rule

    def slow(run: Any, con: Any, versions: Any, plans: Any) -> Any:
        if versions[0].id == order[0]:
            raise CheckerError([Problem(Location(order[0]), "internal", "rule 0 failed")])
        time.sleep(0.5)  # the run has seen the failure by now
        try:
            return rule(run, con, versions, plans)
        except duckdb_engine.RunStopping:
            given_up.append(versions[0].id)
            raise

    monkeypatch.setattr(duckdb_engine.DuckdbRun, "rule", slow)
    with pytest.raises(CheckerError, match="rule 0 failed"):
        check_duckdb(catalogue, [export], now=NOW)
    # the rule the other worker held, and the one the failed worker took next, were both given up
    assert order[1] in given_up and set(given_up) <= set(order[1:3])
    assert _workers() == []
