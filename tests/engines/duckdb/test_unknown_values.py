"""Unknown stays unknown: a field a rule reads that is missing or of another JSON type makes the
decision that needs it inconclusive, with a reason naming the field, the event and what it held,
on both engines alike (the outcomes of every type are in the policies' ``*.tests.yaml``; these
cases pin the reasons and the JSON result byte for byte)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import checker

from .differential import assert_same, run_both, subset, write_jsonl

AS_OF = "2024-07-01T00:00:00+08:00"


def _ev(eid: str, ts: str, action: str, platform: str, subject: str, data: dict[str, Any] | None) -> Any:
    record: dict[str, Any] = {
        "event_id": eid,
        "timestamp": ts,
        "platform": platform,
        "seller_id": "s-1",
        "action": action,
        "subject": {"type": "thing", "id": subject},
    }
    if data is not None:
        record["data"] = data
    return record


def _kuaishou(base: Any, via: Any, requested: str = "2024-03-20T10:00:00+08:00") -> list[Any]:
    def k(eid: str, ts: str, action: str, data: dict[str, Any] | None = None) -> Any:
        return _ev(eid, ts, action, "kuaishou", "enr-1", data)

    return [
        k("e1", "2024-02-01T10:00:00+08:00", "distribution.enrolled", {"base_paid_orders": base}),
        k("e2", "2024-02-05T10:00:00+08:00", "distribution.order_paid", {"via_leader": True}),
        k("e3", "2024-02-06T10:00:00+08:00", "distribution.order_paid", {"via_leader": via}),
        k("e4", requested, "distribution.cancel_requested"),
        k("e5", requested.replace("T10", "T11"), "distribution.cancelled"),
    ]


def _deposit(required: Any, amounts: list[Any]) -> list[Any]:
    def t(eid: str, ts: str, action: str, data: dict[str, Any] | None = None) -> Any:
        return _ev(eid, ts, action, "taobao", "jhs-1", data)

    frozen = [
        t(f"d{i}", f"2024-06-0{i + 2}T10:00:00+08:00", "juhuasuan.deposit_frozen", {"amount": a})
        for i, a in enumerate(amounts)
    ]
    return [
        t("a1", "2024-06-01T10:00:00+08:00", "juhuasuan.signup_approved", {"required_deposit": required}),
        *frozen,
        t("c1", "2024-06-10T10:00:00+08:00", "juhuasuan.campaign_started"),
    ]


def _order(data: dict[str, Any]) -> list[Any]:
    return [
        _ev("j1", "2024-01-10T10:00:00+08:00", "affiliate.joined", "aliexpress", "p", None),
        _ev("o1", "2024-02-20T09:00:00+08:00", "order.completed", "aliexpress", "o-1", data),
    ]


@dataclass(frozen=True)
class Case:
    name: str
    rule: str
    records: list[Any]
    #: the expected (event id, outcome, reason) of every outcome of the rule; a violation's
    #: reason is its rendered message, left to the policy tests ("")
    expect: list[tuple[str, str, str]]


CREATED = "2024-02-12T10:00:00+08:00"
CASES = [
    Case(
        "the issue's repro: base given as text, past 30 days",
        "kuaishou.distribution.unreviewed-cancel",
        _kuaishou("2", True),
        [
            (
                "e5",
                "inconclusive",
                'data.base_paid_orders of enrolled (distribution.enrolled e1) held "2" (a string), '
                "expected a number",
            )
        ],
    ),
    Case(
        "base given as a list and as an object",
        "kuaishou.distribution.unreviewed-cancel",
        _kuaishou({"n": [2]}, True),
        [
            (
                "e5",
                "inconclusive",
                'data.base_paid_orders of enrolled (distribution.enrolled e1) held {"n": [2]} (an object), '
                "expected a number",
            )
        ],
    ),
    Case(
        "a via_leader that is not a boolean, past 30 days",
        "kuaishou.distribution.unreviewed-cancel",
        _kuaishou(2, "true"),
        [
            (
                "e5",
                "inconclusive",
                'data.via_leader of distribution.order_paid e3 (read by leader_orders) held "true" '
                "(a string), expected a boolean",
            )
        ],
    ),
    Case(
        "within 30 days review is required whatever the base and the orders hold",
        "kuaishou.distribution.unreviewed-cancel",
        _kuaishou(False, None, requested="2024-02-20T10:00:00+08:00"),
        [("e5", "violation", "")],
    ),
    Case(
        "a required deposit given as text",
        "juhuasuan.insufficient-deposit",
        _deposit("5000", [5000]),
        [
            (
                "c1",
                "inconclusive",
                'data.required_deposit of approval (juhuasuan.signup_approved a1) held "5000" (a string), '
                "expected a number",
            )
        ],
    ),
    Case(
        "a missing amount while the readable deposits fall short",
        "juhuasuan.insufficient-deposit",
        _deposit(5000, [3000, None]),
        [
            (
                "c1",
                "inconclusive",
                "data.amount of juhuasuan.deposit_frozen d1 (read by deposited) "
                "held nothing (missing or null), expected a number",
            )
        ],
    ),
    Case(
        "deposits already at the required amount: pass whatever the other holds",
        "juhuasuan.insufficient-deposit",
        _deposit(5000, [5000, [1]]),
        [("c1", "pass", "no violation condition holds")],
    ),
    Case(
        "an order without attribution is judged, not skipped",
        "aliexpress.affiliate.commission-missed",
        _order({"order_created_at": CREATED, "commission_amount": 0}),
        [
            (
                "o1",
                "inconclusive",
                "data.affiliate_attributed of the trigger held nothing (missing or null), expected a boolean",
            )
        ],
    ),
    Case(
        "a commission given as a list makes the order a trigger",
        "aliexpress.affiliate.commission-after-exit",
        _order({"order_created_at": CREATED, "commission_amount": []}),
        [("o1", "inconclusive", "data.commission_amount of the trigger held [] (a list), expected a number")],
    ),
    Case(
        "an unreadable creation time",
        "aliexpress.affiliate.commission-after-exit",
        _order({"order_created_at": "soon", "commission_amount": 3}),
        [
            (
                "o1",
                "inconclusive",
                'data.order_created_at of the trigger held "soon" (a string), expected a timestamp '
                "(RFC 3339 text or epoch number)",
            )
        ],
    ),
    Case(
        "a reason that is not text",
        "taobao.affiliate.close-without-reason",
        [_ev("r1", "2024-05-10T10:00:00+08:00", "plan.close_requested", "taobao", "p", {"reason": True})],
        [("r1", "inconclusive", "data.reason of the trigger held true (a boolean), expected a string")],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_unknown_value_reason(case: Case, policy_set: checker.PolicySet, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "events.jsonl", case.records)
    reference, duck = run_both(subset(policy_set, [case.rule]), [path], as_of=AS_OF)
    assert_same(reference, duck)
    outcomes = [o for o in reference.outcomes if o.rule_id == case.rule]
    assert [(o.event_id, o.kind.value) for o in outcomes] == [(e, kind) for e, kind, _ in case.expect]
    for outcome, (_, _, reason) in zip(outcomes, case.expect, strict=True):
        assert outcome.reason == (reason or outcome.reason)  # "": a violation's reason is its message
    assert json.dumps(reference.to_dict(all_outcomes=True)) == json.dumps(duck.to_dict(all_outcomes=True))
