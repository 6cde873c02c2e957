"""Hypothesis strategies: small worlds of events where ties, boundaries and odd values are likely.

Shared by the suites that compare two ways of running the catalogue.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

BASE = datetime(2024, 1, 31, 2, 0, tzinfo=UTC)
OFFSETS = [
    timedelta(0),
    timedelta(seconds=1),
    timedelta(hours=72),
    timedelta(days=1),
    timedelta(days=15),
    timedelta(days=30),
    timedelta(days=15, seconds=-1),
    timedelta(days=30, seconds=1),
    timedelta(days=90),
    timedelta(days=29, hours=22),
]
ACTIONS = {
    "aliexpress": [
        "affiliate.joined",
        "affiliate.exit_requested",
        "affiliate.exited",
        "order.completed",
        "order.refunded",
        "jit.exam_passed",
        "jit.order_confirmed",
        "promotion.customers_notified",
        "promotion.cancelled",
    ],
    "taobao": [
        "plan.close_requested",
        "plan.close_approved",
        "plan.close_rejected",
        "plan.closed",
        "juhuasuan.signup_approved",
        "juhuasuan.deposit_frozen",
        "juhuasuan.campaign_started",
        "juhuasuan.operator_consented",
        "juhuasuan.signup_cancelled",
        "juhuasuan.second_review_failed",
        "juhuasuan.sample_returned",
        "juhuasuan.sample_received",
        "juhuasuan.second_review_passed",
    ],
    "kuaishou": [
        "distribution.enrolled",
        "distribution.order_paid",
        "distribution.cancel_requested",
        "distribution.cancel_approved",
        "distribution.cancel_rejected",
        "distribution.cancelled",
        "distribution.extension_requested",
        "distribution.extension_approved",
    ],
}


def _instant(draw: st.DrawFn) -> datetime:
    return BASE + draw(st.sampled_from(OFFSETS)) * draw(st.integers(0, 3)) + draw(st.sampled_from(OFFSETS))


@st.composite
def _time_value(draw: st.DrawFn) -> Any:
    t = _instant(draw)
    form = draw(st.sampled_from(["offset", "z", "naive", "s", "ms", "us", "float", "junk", "null"]))
    if form == "offset":
        return t.astimezone(datetime.now().astimezone().tzinfo).isoformat()
    if form == "z":
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if form == "naive":
        return (t + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    if form == "s":
        return int(t.timestamp())
    if form == "ms":
        return int(t.timestamp() * 1000)
    if form == "us":
        return int(t.timestamp() * 1_000_000)
    if form == "float":
        return t.timestamp() + 0.25
    return None if form == "null" else "soon"


NUMBER = st.one_of(
    st.integers(-2, 6),
    st.sampled_from([0.5, 1000.25, 2**53 + 1, 0.1, 1e16]),
    st.none(),
    st.just("3"),
    st.booleans(),
)


@st.composite
def _event(draw: st.DrawFn, n: int) -> dict[str, Any]:
    platform = draw(st.sampled_from(sorted(ACTIONS)))
    record: dict[str, Any] = {
        "event_id": f"e{draw(st.integers(0, 3))}{n:03d}",
        "timestamp": _instant(draw).isoformat().replace("+00:00", draw(st.sampled_from(["Z", "+00:00"]))),
        "platform": platform,
        "seller_id": draw(st.sampled_from(["s1", "s2"])),
        "action": draw(st.sampled_from(ACTIONS[platform])),
    }
    if draw(st.booleans()):
        record["subject"] = {"type": "x", "id": draw(st.sampled_from(["p1", "p2", 1]))}
    if draw(st.booleans()):
        record["actor"] = draw(st.sampled_from(["seller", "leader", "platform"]))
    keys = [
        "commission_amount",
        "affiliate_attributed",
        "order_created_at",
        "order_paid_at",
        "managed_mode",
        "borne_by",
        "via_leader",
        "base_paid_orders",
        "amount",
        "required_deposit",
        "campaign_start",
        "reason",
        "leader_id",
    ]
    data: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(keys), max_size=5, unique=True)):
        if key in ("order_created_at", "order_paid_at", "campaign_start"):
            data[key] = draw(_time_value())
        elif key in ("managed_mode",):
            data[key] = draw(st.sampled_from(["full", "semi", None]))
        elif key == "borne_by":
            data[key] = draw(st.sampled_from(["seller", "platform"]))
        elif key in ("affiliate_attributed", "via_leader"):
            data[key] = draw(st.sampled_from([True, False, None, 1]))
        elif key == "reason":
            data[key] = draw(st.sampled_from(["", " ", "\u3000", "too costly", None]))
        else:
            data[key] = draw(NUMBER)
    if data or draw(st.booleans()):
        record["data"] = data
    return record


@st.composite
def world(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 40))
    return [draw(_event(i)) for i in range(count)]


@st.composite
def world_with_repeats(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A world where some events come again: the same (a duplicate) or changed (a conflict)."""
    events = draw(world())
    for original in draw(st.lists(st.sampled_from(events), max_size=6)):
        changed = draw(st.booleans())
        events.insert(
            draw(st.integers(0, len(events))),
            {**original, "actor": "someone-else"} if changed else dict(original),
        )
    return events
