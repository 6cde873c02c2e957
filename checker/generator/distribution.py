"""Source 003, Kuaishou distribution: scenarios for the unreviewed-cancel and
late-extension-approval rules, and distribution noise."""

from __future__ import annotations

from .core import (
    DAY,
    HOUR,
    INCONCLUSIVE,
    KS_DIST,
    KUAISHOU_EFFECTIVE,
    LATE_EXTENSION,
    MINUTE,
    NOT_APPLICABLE,
    PASS,
    UNREVIEWED_CANCEL,
    VIOLATION,
    Generator,
    Scenario,
    money,
    pick,
    steps_approved,
)

# (gap from enrolment to the deciding request, paid orders via the leader before it,
#  whether the enrolment states base_paid_orders, the review flow ending with the cancel)
_KS_GOOD = (
    ("within", "any", True, "RAC"),
    ("within", "any", True, "RAC"),
    ("day30", "any", True, "RAC"),
    ("after", "below", True, "RC"),
    ("after+1s", "below-1", True, "RC"),
    ("after", "reach", True, "RAC"),
    ("within", "any", True, "RJRAC"),
    ("after", "below", True, "C"),
    ("none", "any", True, "RAC"),
    ("none", "any", True, "RC"),
    ("after", "any", False, "RC"),
)
_KS_BAD = (
    ("within", "any", True, "RC"),
    ("within", "any", True, "RJC"),
    ("day30", "any", True, "RC"),
    ("after", "reach", True, "RC"),
    ("after", "exact", True, "RC"),
    ("within", "any", True, "C"),
    ("within", "any", True, "RARC"),
    ("within", "any", True, "RAJC"),
    ("within", "any", False, "RC"),
)


def _enrolment(g: Generator) -> Scenario:
    enrolment = f"enr-{g.serial('enrolment'):08d}"
    return Scenario(g, KS_DIST, g.seller("ks", pooled=True), ("distribution_enrolment", enrolment))


def _enrol(s: Scenario, ts: int, base: int | None) -> None:
    r, start = s.r, ts + s.r.randint(HOUR, 2 * DAY)
    data: dict[str, object] = {
        "commission_rate": r.choice((0.1, 0.15, 0.2, 0.25, 0.3, 0.4)),
        "service_fee_rate": r.choice((0.01, 0.02, 0.03, 0.05)),
        "promotion_start": s.g.stamp(start),
        "promotion_end": s.g.stamp(start + r.randint(30 * DAY, 90 * DAY)),
        "leader_id": f"ks-leader-{r.randint(1, 400):05d}",
        "item_id": str(r.randint(10**11, 10**12 - 1)),
    }
    if base is not None:
        data["base_paid_orders"] = base
    s.add(ts, "distribution.enrolled", "seller", data)


def _paid(s: Scenario, ts: int, via_leader: bool) -> None:
    s.add(
        ts,
        "distribution.order_paid",
        "customer",
        {"order_id": s.g.order_id(), "amount": money(s.r, 9.9, 399), "via_leader": via_leader},
    )


def scenario_unreviewed_cancel(g: Generator, violate: bool) -> None:
    s, r = _enrolment(g), g.r
    gap, orders, with_base, steps = r.choice(_KS_BAD if violate else _KS_GOOD)
    era, x = "normal", r.random()
    if x < 0.04:
        era = "effective-edge"  # cancelled at the first instant the rule applies
    elif not violate and x < 0.2:
        era = "before-edge" if x < 0.07 else "before"
    base = r.randint(3, 12) if with_base else None
    if gap == "within":
        req = r.randint(DAY, 30 * DAY - HOUR)
    elif gap == "day30":  # exactly 30 x 24 h: review still required
        req = 30 * DAY
    elif gap == "after+1s":
        req = 30 * DAY + 1
    else:
        req = 30 * DAY + r.randint(HOUR, 30 * DAY)
    # Offsets from the enrolment at 0: steps before the deciding request (the last one)
    # fall in (0, req), later steps follow it. No request: the cancellation itself is R.
    last = steps.rfind("R", 0, len(steps) - 1)
    if last < 0:
        times = [req]
    else:
        times = [*sorted(r.sample(range(HOUR, req - HOUR), last)), req]
        for _ in steps[last + 1 :]:
            times.append(times[-1] + r.randint(HOUR, 2 * DAY))
    cancel = times[-1]
    threshold = base if base is not None else 5
    if orders == "below":
        via = r.randint(0, threshold - 1)
    elif orders == "below-1":
        via = threshold - 1
    elif orders == "reach":
        via = r.randint(threshold, threshold + 4)
    elif orders == "exact":
        via = threshold
    else:
        via = r.randint(0, threshold + 2)
    flow: list[tuple[int, str]] = [(at, f"step:{c}") for at, c in zip(times, steps, strict=True)]
    flow += [(r.randint(MINUTE, req - MINUTE), "via") for _ in range(via)]
    flow += [(r.randint(MINUTE, cancel - MINUTE), "direct") for _ in range(r.randint(0, 4))]
    if cancel - req > 2:  # paid after the request: not counted
        flow += [(r.randint(req + 1, cancel - 1), "via") for _ in range(r.randint(0, 2))]
    flow.sort(key=lambda item: item[0])
    if era == "normal":
        zero = g.when(cancel)
    elif era == "effective-edge":
        zero = KUAISHOU_EFFECTIVE - cancel
    elif era == "before-edge":
        zero = KUAISHOU_EFFECTIVE - 1 - cancel
    else:
        zero = KUAISHOU_EFFECTIVE - cancel - r.randint(DAY, 90 * DAY)
    if zero + cancel < KUAISHOU_EFFECTIVE:
        outcome = NOT_APPLICABLE
    elif gap == "none" or (req > 30 * DAY and base is None):
        outcome = INCONCLUSIVE  # no enrolment, or no threshold to count against
    elif req <= 30 * DAY or (base is not None and via >= base):  # leader review required
        outcome = PASS if steps_approved(steps) else VIOLATION
    else:
        outcome = PASS
    if gap != "none":
        _enrol(s, zero, base)
    actions = {
        "R": ("distribution.cancel_requested", "seller"),
        "A": ("distribution.cancel_approved", "leader"),
        "J": ("distribution.cancel_rejected", "leader"),
    }
    for at, what in flow:
        if what in ("via", "direct"):
            _paid(s, zero + at, what == "via")
        elif what == "step:C":
            s.expect(UNREVIEWED_CANCEL, s.add(zero + at, "distribution.cancelled", "system"), outcome)
        else:
            action, actor = actions[what[-1]]
            s.add(zero + at, action, actor)


def _extension(s: Scenario, ts: int, action: str, actor: str) -> str:
    new_end = ts + s.r.randint(7 * DAY, 30 * DAY)
    return s.add(ts, action, actor, {"new_end": s.g.stamp(new_end)})


def scenario_late_extension(g: Generator, violate: bool) -> None:
    s, r = _enrolment(g), g.r
    kind = pick(
        r,
        violate,
        ("late", "late", "edge", "unrequested", "after-auto-reject"),
        ("in-time", "in-time", "edge", "second"),
    )
    t = g.when(45 * DAY)
    _enrol(s, t, r.randint(3, 12))
    for _ in range(r.randint(0, 3)):
        _paid(s, t + r.randint(HOUR, 5 * DAY), r.random() < 0.7)
    asked = t + r.randint(5 * DAY, 20 * DAY)
    if kind != "unrequested":
        _extension(s, asked, "distribution.extension_requested", "leader")
    if kind in ("second", "after-auto-reject"):  # the seller let 3 days pass: rejected
        _extension(s, asked + 3 * DAY, "distribution.extension_rejected", "system")
    if kind == "second":
        asked += 3 * DAY + r.randint(HOUR, 5 * DAY)
        _extension(s, asked, "distribution.extension_requested", "leader")
    if kind in ("in-time", "second"):
        approved = asked + r.randint(MINUTE, 3 * DAY - MINUTE)
    elif kind == "edge":  # exactly 72 h is in time
        approved = asked + 3 * DAY + (1 if violate else 0)
    elif kind == "late":
        approved = asked + 3 * DAY + r.randint(MINUTE, 7 * DAY)
    elif kind == "after-auto-reject":
        approved = asked + 3 * DAY + r.randint(HOUR, 3 * DAY)
    else:
        approved = asked
    event_id = _extension(s, approved, "distribution.extension_approved", "seller")
    s.expect(LATE_EXTENSION, event_id, VIOLATION if violate else PASS)


def scenario_kuaishou_noise(g: Generator, violate: bool) -> None:
    s, r = _enrolment(g), g.r
    t = g.when(20 * DAY)
    _enrol(s, t, r.randint(3, 12) if r.random() < 0.8 else None)
    for _ in range(r.randint(0, 4)):
        _paid(s, t + r.randint(HOUR, 10 * DAY), r.random() < 0.6)
    x = r.random()
    if x < 0.3:
        asked = t + r.randint(2 * DAY, 10 * DAY)
        _extension(s, asked, "distribution.extension_requested", "leader")
        _extension(s, asked + 3 * DAY, "distribution.extension_rejected", "system")
    elif x < 0.5:
        asked = t + r.randint(2 * DAY, 10 * DAY)
        s.add(asked, "distribution.cancel_requested", "seller")
        s.add(asked + r.randint(HOUR, DAY), "distribution.cancel_rejected", "leader")
