"""Source 002, AliExpress fully / semi managed: scenarios for the promotion
cancel-without-notice, Choice refund and JIT exam rules, and managed noise."""

from __future__ import annotations

import calendar
import random
from datetime import date

from .core import (
    AE_MGD,
    AS_OF,
    DAY,
    HOUR,
    MINUTE,
    NO_EXAM,
    NO_NOTICE,
    PASS,
    REFUND,
    SPAN_START,
    VIOLATION,
    Generator,
    Scenario,
    add_months,
    at_time,
    money,
    pick,
)

_PROMO_NAMES = ("夏季大促", "限时折扣", "新品首发", "满减活动", "店铺优惠券", "Flash Deals")
_REFUND_REASONS = ("买家未收到货", "商品与描述不符", "质量问题", "物流超时", "买家不想要了")
# (managed_mode, borne_by) of refunds the refund rule does not look at
_UNJUDGED_REFUNDS = (("semi", "seller"), ("pop", "seller"), ("full", "platform"))


def scenario_managed(g: Generator) -> Scenario:
    """A pooled seller and a promotion of its own (refunds name their order instead)."""
    promotion = ("promotion", f"promo-{g.serial('promotion'):08d}")
    return Scenario(g, AE_MGD, g.seller("ae", pooled=True), promotion)


def scenario_create_promotion(s: Scenario, ts: int, subject: tuple[str, str] | None = None) -> None:
    start = ts + s.r.randint(HOUR, 3 * DAY)
    s.add(
        ts,
        "promotion.created",
        "seller",
        {
            "promotion_name": s.r.choice(_PROMO_NAMES),
            "discount_rate": s.r.choice((0.05, 0.1, 0.15, 0.2, 0.3)),
            "promotion_start": s.g.stamp(start),
            "promotion_end": s.g.stamp(start + s.r.randint(3 * DAY, 30 * DAY)),
        },
        subject,
    )


def _notify(s: Scenario, ts: int, subject: tuple[str, str] | None = None) -> None:
    s.add(
        ts,
        "promotion.customers_notified",
        s.r.choice(("seller", "system")),
        {"channel": s.r.choice(("站内信", "App推送", "邮件")), "recipients": s.r.randint(50, 20000)},
        subject,
    )


def scenario_cancel_notice(g: Generator, violate: bool) -> None:
    s, r = scenario_managed(g), g.r
    t = g.when(30 * DAY)
    scenario_create_promotion(s, t)
    cancel = t + r.randint(DAY, 20 * DAY)
    kind = pick(
        r,
        violate,
        ("silent", "silent", "same", "late", "other"),
        ("notified", "notified", "notified", "edge"),
    )
    if kind == "notified":
        _notify(s, cancel - r.randint(MINUTE, cancel - t - MINUTE))
    elif kind == "edge":  # one second before is strictly earlier
        _notify(s, cancel - 1)
    elif kind == "same":  # the same instant is not earlier
        _notify(s, cancel)
    elif kind == "other":  # the seller notified customers of another promotion only
        other = ("promotion", f"promo-{g.serial('promotion'):08d}")
        scenario_create_promotion(s, t + 1, other)
        _notify(s, cancel - r.randint(MINUTE, DAY // 2), other)
    event_id = s.add(
        cancel,
        "promotion.cancelled",
        "seller",
        {"reason": r.choice(("促销效果不佳", "库存压力", "调整营销策略"))},
    )
    if kind == "late":
        _notify(s, cancel + r.randint(MINUTE, HOUR))
    s.expect(NO_NOTICE, event_id, VIOLATION if violate else PASS)


def _paid_instant(r: random.Random) -> int:
    if r.random() < 0.3:  # a month's last day, where the window end must be clamped
        y, m = r.choice(((2023, 11), (2023, 12), (2024, 1), (2024, 2), (2024, 3)))
        day = date(y, m, calendar.monthrange(y, m)[1])
        return at_time(day, r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))
    return r.randint(SPAN_START - 60 * DAY, AS_OF - 100 * DAY)


def _refund_event(s: Scenario, ts: int, paid: int, mode: str, borne_by: str) -> str:
    return s.add(
        ts,
        "order.refunded",
        "platform",
        {
            "managed_mode": mode,
            "order_paid_at": s.g.stamp(paid),
            "borne_by": borne_by,
            "amount": money(s.r, 2, 300),
            "currency": "USD",
            "reason": s.r.choice(_REFUND_REASONS),
        },
        ("order", s.g.order_id()),
    )


def scenario_refund(g: Generator, violate: bool) -> None:
    s, r = scenario_managed(g), g.r
    kind = pick(r, violate, ("early", "early", "early", "edge"), ("late", "late", "edge"))
    paid = _paid_instant(r)
    end = add_months(paid, 3)  # the end of the 3-calendar-month after-sales window
    if violate:
        refund = end - 1 if kind == "edge" else r.randint(max(paid + DAY, SPAN_START), end - 1)
    else:
        refund = end if kind == "edge" else r.randint(end, min(end + 40 * DAY, AS_OF - DAY))
    s.expect(REFUND, _refund_event(s, refund, paid, "full", "seller"), VIOLATION if refund < end else PASS)
    if r.random() < 0.4:
        mode, borne_by = r.choice(_UNJUDGED_REFUNDS)
        other = max(SPAN_START, refund - r.randint(HOUR, 5 * DAY))
        _refund_event(s, other, paid - r.randint(0, DAY), mode, borne_by)


def _jit_seller(g: Generator) -> Scenario:
    seller = g.seller("ae", pooled=False)  # seller-keyed: a seller of its own
    return Scenario(g, AE_MGD, seller, ("seller", seller))


def _exam(s: Scenario, ts: int) -> None:
    s.add(ts, "jit.exam_passed", "system", {"exam": "JIT备货考试", "score": s.r.randint(80, 100)})


def scenario_jit(g: Generator, violate: bool) -> None:
    s, r = _jit_seller(g), g.r
    t = g.when(45 * DAY)
    kind = pick(r, violate, ("before", "before", "never", "same"), ("after",))

    def confirm(ts: int, outcome: str) -> None:
        data = {"quantity": r.randint(10, 500), "warehouse": r.choice(("东莞仓", "义乌仓", "广州仓"))}
        event_id = s.add(ts, "jit.order_confirmed", "seller", data, ("order", g.order_id()))
        s.expect(NO_EXAM, event_id, outcome)

    if kind == "never":
        for _ in range(r.randint(1, 2)):
            confirm(t + r.randint(0, 30 * DAY), VIOLATION)
        return
    if kind == "before":
        confirm(t, VIOLATION)
        t += r.randint(HOUR, 5 * DAY)
    _exam(s, t)
    if kind == "same":  # an exam at the same instant is not before the order
        confirm(t, VIOLATION)
    for _ in range(r.randint(1 if kind == "after" else 0, 2)):
        confirm(t + r.randint(1, 30 * DAY), PASS)


def scenario_managed_noise(g: Generator, violate: bool) -> None:
    r = g.r
    t = g.when(10 * DAY)
    x = r.random()
    if x < 0.5:
        s = scenario_managed(g)
        scenario_create_promotion(s, t)
        if r.random() < 0.5:
            _notify(s, t + r.randint(HOUR, 5 * DAY))
    elif x < 0.8:
        mode, borne_by = r.choice(_UNJUDGED_REFUNDS)
        _refund_event(scenario_managed(g), t, t - r.randint(DAY, 60 * DAY), mode, borne_by)
    else:
        _exam(_jit_seller(g), t)
