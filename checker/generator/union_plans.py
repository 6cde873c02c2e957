"""Source 001, Taobao Union plans: scenarios for the close-without-reason and
unreviewed-close rules, and plan noise."""

from __future__ import annotations

from .core import (
    DAY,
    HOUR,
    MINUTE,
    NO_REASON,
    PASS,
    TB_UNION,
    UNREVIEWED_CLOSE,
    VIOLATION,
    Generator,
    Scenario,
    pick,
    steps_approved,
)

_CLOSE_REASONS = (
    "产品下架",
    "市场需求变化",
    "推广效果不佳,投入产出比低",
    "商品停售",
    "调整营销策略",
    "佣金成本过高",
    "库存不足,暂停推广",
)
_BLANKS: tuple[str | None, ...] = (None, None, "", " ", "   ", "\t")
_PLAN_TYPES = ("通用计划", "定向计划", "营销计划", "自选计划")


def _plan(g: Generator) -> Scenario:
    plan = f"plan-{g.serial('plan'):08d}"
    return Scenario(g, TB_UNION, g.seller("tb", pooled=True), ("affiliate_plan", plan))


def _request_close(s: Scenario, ts: int, reason: str | None) -> None:
    data: dict[str, object] = {"plan_type": s.r.choice(_PLAN_TYPES)}
    if reason is not None:
        data["reason"] = reason
    event_id = s.add(ts, "plan.close_requested", "seller", data)
    s.expect(NO_REASON, event_id, PASS if reason and reason.strip() else VIOLATION)


def _close_flow(s: Scenario, t: int, steps: str, *, tied_last: bool = False) -> None:
    """Emit a Taobao close flow starting at ``t`` (letters as for :func:`steps_approved`)."""
    approved = steps_approved(steps, tied_last)
    for i, step in enumerate(steps):
        if i and not (tied_last and i == len(steps) - 1):
            t += s.r.randint(HOUR, 2 * DAY)
        if step == "R":
            _request_close(s, t, s.r.choice(_CLOSE_REASONS))
        elif step == "A":
            s.add(t, "plan.close_approved", "platform", {"comment": "同意关闭"})
        elif step == "J":
            s.add(t, "plan.close_rejected", "platform", {"comment": "计划内仍有未结算订单"})
        else:
            event_id = s.add(t, "plan.closed", s.r.choice(("system", "seller")))
            s.expect(UNREVIEWED_CLOSE, event_id, PASS if approved else VIOLATION)


def scenario_close_reason(g: Generator, violate: bool) -> None:
    s, r = _plan(g), g.r
    t = g.when(10 * DAY)
    _request_close(s, t, r.choice(_BLANKS) if violate else r.choice(_CLOSE_REASONS))
    follow = r.random()
    if follow < 0.5:
        decided = t + r.randint(HOUR, 3 * DAY)
        s.add(decided, "plan.close_approved", "platform", {"comment": "同意关闭"})
        event_id = s.add(decided + r.randint(MINUTE, DAY), "plan.closed", "system")
        s.expect(UNREVIEWED_CLOSE, event_id, PASS)
    elif follow < 0.75:
        s.add(t + r.randint(HOUR, 3 * DAY), "plan.close_rejected", "platform", {"comment": "请补充关闭原因"})


def scenario_unreviewed_close(g: Generator, violate: bool) -> None:
    s, r = _plan(g), g.r
    steps = pick(
        r, violate, ("C", "RJC", "RAJC", "RC", "RARC", "RA=C"), ("RAC", "RAC", "RAC", "RJAC", "RJRAC")
    )
    _close_flow(s, g.when(12 * DAY), steps.replace("=", ""), tied_last="=" in steps)


def scenario_taobao_noise(g: Generator, violate: bool) -> None:
    s = _plan(g)  # an action outside the catalogue's vocabulary: kept, counted, never judged
    s.add(
        g.when(0),
        "plan.created",
        "seller",
        {"plan_type": g.r.choice(_PLAN_TYPES), "commission_rate": g.r.choice((0.02, 0.05))},
    )
