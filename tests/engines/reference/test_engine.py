"""The reference engine: order independence, versions, as-of, parameters, evidence, fingerprints."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import checker
from checker.engines.reference.engine import evaluate
from tests.conftest import FIXTURES, POLICIES, examples


def _cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    out = []
    for path in sorted(POLICIES.rglob("*.tests.yaml")):
        doc = yaml.safe_load(path.read_text("utf-8"))
        for case in doc["cases"]:
            out.append((doc["rule"], doc.get("defaults") or {}, case))
    return out


CASES = _cases()


def _run(
    policy_set: checker.PolicySet, rule: str, records: list[dict[str, Any]], case: dict[str, Any]
) -> list[tuple[Any, ...]]:
    batch = checker.events_from_records(records, timezone=case.get("timezone", "Asia/Shanghai"))
    result = checker.check(
        policy_set,
        batch,
        as_of=case.get("as_of"),
        params={rule: case["params"]} if case.get("params") else None,
    )
    return [
        (o.rule_id, o.rule_version, o.kind.value, o.event_id, o.evidence, o.reason, o.fingerprint, o.message)
        for o in result.outcomes
    ]


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(min_value=0, max_value=len(CASES) - 1), seed=st.integers(0, 2**32 - 1))
def test_outcomes_do_not_depend_on_input_order(policy_set: checker.PolicySet, index: int, seed: int) -> None:
    rule, defaults, case = CASES[index]
    records = [{**defaults, **e} for e in case["events"]]
    shuffled = records[:]
    random.Random(seed).shuffle(shuffled)
    assert _run(policy_set, rule, records, case) == _run(policy_set, rule, shuffled, case)


def _events(*specs: tuple[str, str, str]) -> checker.EventBatch:
    return checker.events_from_records(
        [
            {"event_id": eid, "timestamp": ts, "action": action, "platform": "aliexpress", "seller_id": "s1"}
            for eid, ts, action in specs
        ]
    )


def test_evidence_lists_the_events_used_in_time_order(policy_set: checker.PolicySet) -> None:
    batch = _events(
        ("x1", "2024-03-10T10:00:00+08:00", "affiliate.exit_requested"),
        ("j0", "2024-01-01T10:00:00+08:00", "affiliate.joined"),
        ("j1", "2024-03-01T10:00:00+08:00", "affiliate.joined"),
    )
    result = checker.check(policy_set, batch)
    (finding,) = result.findings
    assert finding.rule_id == "aliexpress.affiliate.early-exit"
    assert finding.evidence == ("j1", "x1")  # the latest join only
    assert "9d 0h 0m 0s" in finding.message.en
    assert finding.message.zh.startswith("商家 s1")


def test_fingerprint_is_stable_and_ignores_the_rule_version(policy_set: checker.PolicySet) -> None:
    batch = _events(
        ("j1", "2024-03-01T10:00:00+08:00", "affiliate.joined"),
        ("x1", "2024-03-10T10:00:00+08:00", "affiliate.exit_requested"),
    )
    first = checker.check(policy_set, batch).findings[0].fingerprint
    again = checker.check(policy_set, batch).findings[0].fingerprint
    assert (
        first
        == again
        == checker.results.outcomes.fingerprint("aliexpress.affiliate.early-exit", "aliexpress", "s1", "x1")
    )


def test_as_of_hides_later_events_and_makes_obligations_pending(policy_set: checker.PolicySet) -> None:
    records = [
        {
            "event_id": "f1",
            "timestamp": "2024-06-01T10:00:00+08:00",
            "platform": "taobao",
            "seller_id": "s1",
            "action": "juhuasuan.second_review_failed",
            "subject": {"type": "juhuasuan_signup", "id": "g1"},
        },
        {
            "event_id": "r1",
            "timestamp": "2024-06-03T10:00:00+08:00",
            "platform": "taobao",
            "seller_id": "s1",
            "action": "juhuasuan.sample_returned",
            "subject": {"type": "juhuasuan_signup", "id": "g1"},
        },
    ]
    batch = checker.events_from_records(records)
    rule = "juhuasuan.sample-return-overdue"

    def kinds(as_of: str | None) -> list[str]:
        return [
            o.kind.value for o in checker.check(policy_set, batch, as_of=as_of).outcomes if o.rule_id == rule
        ]

    assert kinds(None) == ["pass"]  # as-of = the latest event, r1
    assert kinds("2024-06-02T10:00:00+08:00") == ["pending"]  # r1 is not known yet
    assert kinds("2024-06-04T10:00:00+08:00") == ["pass"]
    late = checker.events_from_records(records[:1])
    assert [
        o.kind.value for o in checker.check(policy_set, late, as_of="2024-06-04T10:00:00+08:00").outcomes
    ] == ["violation"]


def test_run_parameters_override_defaults_and_are_checked(policy_set: checker.PolicySet) -> None:
    batch = _events(
        ("j1", "2024-03-01T10:00:00+08:00", "affiliate.joined"),
        ("x1", "2024-03-20T10:00:00+08:00", "affiliate.exit_requested"),
    )
    rule = "aliexpress.affiliate.early-exit"
    assert not checker.check(policy_set, batch).findings
    assert checker.check(policy_set, batch, params={rule: {"min_membership": "P20D"}}).findings
    for bad in ({rule: {"min_membership": "20 days"}}, {rule: {"nope": 1}}, {"no.such.rule": {}}):
        with pytest.raises(checker.CheckerError):
            checker.check(policy_set, batch, params=bad)


def _versions(tmp_path: Path) -> checker.PolicySet:
    source = (POLICIES / "aliexpress" / "aliexpress.jit.order-without-exam.yaml").read_text("utf-8")
    (tmp_path / "v1.yaml").write_text(
        'effective_from: "2024-01-01"\neffective_until: "2024-06-01"\n' + source, "utf-8"
    )
    (tmp_path / "v2.yaml").write_text(
        'effective_from: "2024-06-01"\n'
        + source.replace("version: 1.0.0", "version: 2.0.0").replace("severity: high", "severity: critical"),
        "utf-8",
    )
    loaded = checker.load_policies([tmp_path])
    assert not loaded.problems
    return loaded


def test_each_trigger_is_judged_by_the_version_in_effect(tmp_path: Path) -> None:
    batch = _events(
        ("o0", "2023-12-31T23:59:59+08:00", "jit.order_confirmed"),
        ("o1", "2024-05-31T23:59:59+08:00", "jit.order_confirmed"),
        ("o2", "2024-06-01T00:00:00+08:00", "jit.order_confirmed"),
    )
    result = checker.check(_versions(tmp_path), batch)
    got = [(o.event_id, o.rule_version, o.kind.value, o.severity) for o in result.outcomes]
    assert got == [
        ("o0", "1.0.0", "not_applicable", "high"),
        ("o1", "1.0.0", "violation", "high"),
        ("o2", "2.0.0", "violation", "critical"),
    ]
    counts = {(r["rule_version"]): (r["violation"], r["not_applicable"]) for r in result.counts()}
    assert counts == {"1.0.0": (1, 1), "2.0.0": (1, 0)}


# shop.membership.early-exit: 1.0.0 (until 2024-06-01) requires P15D of elapsed time, 2.0.0 (from
# then on) P30D on the calendar and exempts exits asked by params.exempt_actor (its own parameter)
MEMBERSHIP = "shop.membership.early-exit"
MEMBERSHIP_FILES = tuple(FIXTURES / "custom-policies" / f"membership-exit.{v}.yaml" for v in ("v1", "v2"))


def _membership(*files: Path) -> checker.PolicySet:
    loaded = checker.load_policies(list(files or MEMBERSHIP_FILES))
    assert not loaded.problems
    return loaded


def _membership_events(*specs: tuple[str, str, str]) -> checker.EventBatch:
    return checker.events_from_records(
        [
            {
                "event_id": eid,
                "timestamp": ts,
                "action": f"membership.{action}",
                "platform": "shop",
                "seller_id": "s1",
            }
            for eid, ts, action in specs
        ]
    )


MEMBERSHIP_EVENTS = (
    ("j1", "2024-03-01T10:00:00+08:00", "joined"),
    ("x1", "2024-03-21T10:00:00+08:00", "exit_requested"),  # 20 days, 1.0.0
    ("x2", "2024-03-12T10:00:00+08:00", "exit_requested"),  # 11 days, 1.0.0
    ("j2", "2024-06-05T10:00:00+08:00", "joined"),
    ("x3", "2024-06-25T10:00:00+08:00", "exit_requested"),
)  # 20 days, 2.0.0


def _said(result: checker.CheckResult) -> list[tuple[str, str, str, str | None]]:
    return [
        (o.event_id, o.rule_version, o.kind.value, o.message.en if o.message else None)
        for o in result.outcomes
    ]


def _message(days: int, join: str, minimum: str, exempt: str | None = None) -> str:
    return (
        f"Seller s1 asked to leave {days}d 0h 0m 0s after joining (event {join}); an exit may be "
        f"asked only {minimum} after joining" + (f", unless {exempt} asks." if exempt else ".")
    )


def test_each_version_is_judged_with_its_own_parameter_defaults() -> None:
    batch = _membership_events(*MEMBERSHIP_EVENTS)
    result = checker.check(_membership(), batch)
    assert _said(result) == [
        ("x2", "1.0.0", "violation", _message(11, "j1", "P15D")),
        ("x1", "1.0.0", "pass", None),  # 20 days: a violation if judged with 2.0.0's P30D
        ("x3", "2.0.0", "violation", _message(20, "j2", "P30D", "platform")),
    ]
    # each version's own values in the result, as the reports show them
    assert [(p["version"], p["params"]) for p in result.to_dict()["policies"]] == [
        ("1.0.0", {"min_membership": "P15D"}),
        ("2.0.0", {"min_membership": "P30D", "exempt_actor": "platform"}),
    ]
    assert result.params == {
        (MEMBERSHIP, "1.0.0"): {"min_membership": "P15D"},
        (MEMBERSHIP, "2.0.0"): {"min_membership": "P30D", "exempt_actor": "platform"},
    }
    # a version decides the same whether or not the other is loaded
    for file, version in zip(MEMBERSHIP_FILES, ("1.0.0", "2.0.0"), strict=True):
        alone = checker.check(_membership(file), batch)  # the other version's triggers: not applicable
        assert [x for x in _said(alone) if x[2] != "not_applicable"] == [
            x for x in _said(result) if x[1] == version
        ]


def test_an_override_sets_the_parameter_in_every_version_that_declares_it() -> None:
    batch = _membership_events(*MEMBERSHIP_EVENTS)
    result = checker.check(
        _membership(), batch, params={MEMBERSHIP: {"min_membership": "P20D", "exempt_actor": "seller"}}
    )
    assert _said(result) == [
        ("x2", "1.0.0", "violation", _message(11, "j1", "P20D")),
        ("x1", "1.0.0", "pass", None),  # exactly 20 days
        ("x3", "2.0.0", "pass", None),
    ]
    assert [(p["version"], p["params"]) for p in result.to_dict()["policies"]] == [
        ("1.0.0", {"min_membership": "P20D"}),  # exempt_actor is not 1.0.0's: not set there
        ("2.0.0", {"min_membership": "P20D", "exempt_actor": "seller"}),
    ]
    wider = checker.check(_membership(), batch, params={MEMBERSHIP: {"min_membership": "P21D"}})
    assert _said(wider) == [
        ("x2", "1.0.0", "violation", _message(11, "j1", "P21D")),
        ("x1", "1.0.0", "violation", _message(20, "j1", "P21D")),
        ("x3", "2.0.0", "violation", _message(20, "j2", "P21D", "platform")),
    ]


def test_an_override_invalid_for_one_version_is_an_error_naming_that_version() -> None:
    batch = _membership_events(*MEMBERSHIP_EVENTS)
    # months are fine on 2.0.0's calendar, not in 1.0.0's elapsed time
    with pytest.raises(checker.CheckerError) as caught:
        checker.check(_membership(), batch, params={MEMBERSHIP: {"min_membership": "P1M"}})
    assert [(p.location.file, p.code, p.message) for p in caught.value.problems] == [
        (
            "--param",
            "parameter",
            f"{MEMBERSHIP} 1.0.0: parameter min_membership: 'P1M' has months or years, but the policy "
            "uses it as elapsed time (duration(), plus(), minus()); give days or hours",
        )
    ]
    with pytest.raises(checker.CheckerError) as caught:  # evaluate() checks the same way
        evaluate(_membership().policies, batch, params={MEMBERSHIP: {"min_membership": "P1M"}})
    assert [p.code for p in caught.value.problems] == ["parameter"]
    later = checker.check(
        _membership(MEMBERSHIP_FILES[1]), batch, params={MEMBERSHIP: {"min_membership": "P1M"}}
    )
    assert [x for x in _said(later) if x[2] != "not_applicable"] == [
        ("x3", "2.0.0", "violation", _message(20, "j2", "P1M", "platform"))
    ]
    with pytest.raises(checker.CheckerError) as caught:  # invalid for both: both named
        checker.check(_membership(), batch, params={MEMBERSHIP: {"min_membership": 30}})
    assert sorted(p.message.split(":")[0] for p in caught.value.problems) == [
        f"{MEMBERSHIP} 1.0.0",
        f"{MEMBERSHIP} 2.0.0",
    ]


def test_an_override_no_version_declares_is_an_error() -> None:
    batch = _membership_events(*MEMBERSHIP_EVENTS)
    with pytest.raises(checker.CheckerError) as caught:
        checker.check(_membership(), batch, params={MEMBERSHIP: {"grace": "P1D"}})
    assert [(p.code, p.message) for p in caught.value.problems] == [
        ("unknown-parameter", f"{MEMBERSHIP} has no parameter 'grace' (it has: exempt_actor, min_membership)")
    ]
    # a parameter of 2.0.0 only: unknown when 1.0.0 is loaded alone
    with pytest.raises(checker.CheckerError) as caught:
        checker.check(_membership(MEMBERSHIP_FILES[0]), batch, params={MEMBERSHIP: {"exempt_actor": "x"}})
    assert [(p.code, p.message) for p in caught.value.problems] == [
        ("unknown-parameter", f"{MEMBERSHIP} has no parameter 'exempt_actor' (it has: min_membership)")
    ]
    with pytest.raises(checker.CheckerError) as caught:
        checker.check(_membership(), batch, params={"shop.no-such-rule": {"x": 1}})
    assert [(p.code, p.message) for p in caught.value.problems] == [
        ("unknown-rule", "no loaded rule has the id 'shop.no-such-rule'")
    ]


def test_events_of_another_platform_are_not_seen(policy_set: checker.PolicySet) -> None:
    records = [
        {
            "event_id": "o1",
            "timestamp": 0,
            "platform": "taobao",
            "seller_id": "s1",
            "action": "jit.order_confirmed",
        }
    ]
    assert checker.check(policy_set, checker.events_from_records(records)).outcomes == ()


def test_evaluate_defaults_as_of_to_the_latest_event(policy_set: checker.PolicySet) -> None:
    batch = _events(
        ("a", "2024-03-01T10:00:00+08:00", "promotion.created"),
        ("b", "2024-03-05T10:00:00Z", "promotion.created"),
    )
    as_of, outcomes = evaluate(policy_set.policies, batch)
    assert as_of == batch.latest and outcomes == []
