"""A rule whose statements would cost DuckDB more to bind than to judge in Python is judged by the
reference engine inside the DuckDB run. The zone macros read offsets from bucketed lists, so no
catalogue rule is such a rule, in a zone with daylight saving time either (with one CASE branch per
change of offset, the four rules that parse instants from event data were, in New York)."""

from __future__ import annotations

import checker
from checker.engines.duckdb.compile import compile_policy
from checker.engines.duckdb.engine import _costly
from tests.conftest import ROOT

SAMPLE = ROOT / "examples" / "sample-events.jsonl"
ZONES = ("Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Africa/Casablanca")


def test_no_catalogue_rule_is_costly_in_any_zone(catalogue: checker.PolicySet) -> None:
    costly = set()
    for zone in ZONES:
        for policy in catalogue.policies:
            plan = compile_policy(policy, "0", params=policy.defaults(), input_tz=zone)
            if _costly(plan, plan.paths.read()):
                costly.add((zone, policy.id))
    assert costly == set()


def test_the_result_is_the_reference_one(catalogue: checker.PolicySet) -> None:
    options = checker.RenderOptions(all_outcomes=True)
    results = [
        checker.render(
            "json",
            checker.check(
                catalogue, [SAMPLE], engine=engine, timezone="America/New_York", now="2026-01-01T00:00:00Z"
            ),
            options,
        )
        for engine in ("python", "duckdb")
    ]
    assert results[0] == results[1]
