"""A rule whose statements would cost DuckDB more to bind than to judge in Python (timestamp macros
of a zone with daylight saving time) is judged by the reference engine inside the DuckDB run:
the same result, in seconds instead of minutes."""

from __future__ import annotations

import checker
from checker.engines.duckdb.compile import compile_policy
from checker.engines.duckdb.engine import _costly
from tests.conftest import ROOT

SAMPLE = ROOT / "examples" / "sample-events.jsonl"
READS_TIMES = {
    "aliexpress.affiliate.commission-after-exit",
    "aliexpress.affiliate.commission-missed",
    "aliexpress.choice.refund-charged-to-seller",
    "juhuasuan.late-deposit",
}


def test_costly_only_where_instants_are_parsed_in_a_dst_zone(catalogue: checker.PolicySet) -> None:
    costly = {}
    for zone in ("Asia/Shanghai", "America/New_York"):
        for policy in catalogue.policies:
            plan = compile_policy(policy, "0", params=policy.defaults(), input_tz=zone)
            costly[(zone, policy.id)] = _costly(plan, plan.paths.read())
    assert {pid for (zone, pid), c in costly.items() if c and zone == "Asia/Shanghai"} == set()
    assert {pid for (zone, pid), c in costly.items() if c and zone == "America/New_York"} == READS_TIMES


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
