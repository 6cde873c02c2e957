"""Source 004, Juhuasuan: scenarios for the cancel-after-approval, deposit
(late, insufficient), sample-return and second-review rules, and signup noise."""

from __future__ import annotations

from datetime import timedelta

from .core import (
    AS_OF,
    DAY,
    HOUR,
    INCONCLUSIVE,
    JHS_CANCEL,
    LATE_DEPOSIT,
    MINUTE,
    PASS,
    PENDING,
    SAMPLE_RETURN,
    SECOND_REVIEW,
    SHORT_DEPOSIT,
    TB_JHS,
    VIOLATION,
    Generator,
    Scenario,
    at_time,
    local_date,
    money,
    pick,
)

_FAIL_REASONS = ("样品与描述不符", "样品质量不达标", "包装破损", "资质材料不全")


def _signup(g: Generator) -> Scenario:
    signup = f"jhs-{g.serial('signup'):08d}"
    return Scenario(g, TB_JHS, g.seller("tb", pooled=True), ("juhuasuan_signup", signup))


def _apply(s: Scenario, submitted: int, shipped: int | None = None) -> None:
    """Submission and first review (within 2 days), then the sample shipped at ``shipped``
    (if given, at least 2 days after ``submitted``)."""
    r = s.r
    first = submitted + r.randint(HOUR, 2 * DAY - HOUR)
    s.add(
        submitted,
        "juhuasuan.signup_submitted",
        "seller",
        {
            "item_id": str(r.randint(10**11, 10**12 - 1)),
            "group_price": money(r, 9.9, 999),
            "planned_quantity": r.randrange(100, 5000, 50),
        },
    )
    s.add(first, "juhuasuan.first_review_passed", "platform")
    if shipped is not None:
        s.add(
            shipped,
            "juhuasuan.sample_shipped",
            "seller",
            {"tracking_no": f"SF{r.randint(10**11, 10**12 - 1)}"},
        )


def _receive(s: Scenario, ts: int, reviewed: int | None) -> None:
    """The sample arrives at ``ts``; its second review is due within a day (at ``reviewed``)."""
    shipped = ts - s.r.randint(DAY, 3 * DAY)
    _apply(s, shipped - s.r.randint(2 * DAY, 3 * DAY), shipped)
    event_id = s.add(ts, "juhuasuan.sample_received", "platform")
    if reviewed is not None and reviewed - ts <= DAY:
        outcome = PASS
    elif reviewed is None and AS_OF - ts < DAY:
        outcome = PENDING
    else:
        outcome = VIOLATION
    s.expect(SECOND_REVIEW, event_id, outcome)


def _fail_review(s: Scenario, ts: int, returned: int | None) -> None:
    """The second review fails at ``ts``; the sample is due back within 3 days."""
    event_id = s.add(ts, "juhuasuan.second_review_failed", "platform", {"reason": s.r.choice(_FAIL_REASONS)})
    if returned is not None:
        s.add(
            returned,
            "juhuasuan.sample_returned",
            "platform",
            {"tracking_no": f"YT{s.r.randint(10**11, 10**12 - 1)}"},
        )
    if returned is not None and returned - ts <= 3 * DAY:
        outcome = PASS
    elif returned is None and AS_OF - ts < 3 * DAY:
        outcome = PENDING
    else:
        outcome = VIOLATION
    s.expect(SAMPLE_RETURN, event_id, outcome)


def _pass_review(s: Scenario, approved_before: int) -> None:
    """The whole sample stage, its second review passed in time, before ``approved_before``."""
    reviewed = approved_before - s.r.randint(HOUR, 2 * DAY)
    received = reviewed - s.r.randint(HOUR, DAY - MINUTE)
    _receive(s, received, reviewed)
    s.add(reviewed, "juhuasuan.second_review_passed", "platform")


def _before_approval(s: Scenario, approved: int) -> None:
    """What precedes an approval: the sample stage, or (when it lies before the export)
    only the submission and first review."""
    if s.r.random() < 0.5:
        _pass_review(s, approved)
    else:
        _apply(s, approved - s.r.randint(3 * DAY, 7 * DAY))


def _approve(s: Scenario, ts: int, start: int | None, required: float | None) -> None:
    data: dict[str, object] = {"group_price": money(s.r, 9.9, 999)}
    if required is not None:
        data["required_deposit"] = required
    if start is not None:
        data["campaign_start"] = s.g.stamp(start)
    s.add(ts, "juhuasuan.signup_approved", "platform", data)


def _deposit(s: Scenario, ts: int, amount: float) -> None:
    s.add(ts, "juhuasuan.deposit_frozen", "system", {"amount": amount, "currency": "CNY"})


def scenario_second_review(g: Generator, violate: bool) -> None:
    s, r = _signup(g), g.r
    kind = pick(
        r, violate, ("late", "late", "edge", "never"), ("in-time", "in-time", "in-time", "edge", "pending")
    )
    if kind == "pending":  # arrived less than a day before the end of the data
        _receive(s, AS_OF - r.randint(HOUR, DAY - HOUR), None)
        return
    received = g.when(12 * DAY, lead=6 * DAY)
    if kind == "in-time":
        reviewed: int | None = received + r.randint(HOUR, DAY - MINUTE)
    elif kind == "edge":  # exactly one day is in time
        reviewed = received + DAY + (1 if violate else 0)
    elif kind == "late":
        reviewed = received + DAY + r.randint(MINUTE, 3 * DAY)
    else:
        reviewed = None
    _receive(s, received, reviewed)
    if reviewed is None:
        return
    if not violate and r.random() < 0.3:
        _fail_review(s, reviewed, reviewed + r.randint(HOUR, 3 * DAY))
        return
    s.add(reviewed, "juhuasuan.second_review_passed", "platform")
    if r.random() < 0.3:
        approved = reviewed + r.randint(HOUR, 2 * DAY)
        _approve(s, approved, approved + r.randint(10 * DAY, 30 * DAY), r.randrange(50, 2000) * 100.0)


def scenario_sample_return(g: Generator, violate: bool) -> None:
    s, r = _signup(g), g.r
    kind = pick(
        r,
        violate,
        ("late", "late", "edge", "never"),
        ("in-time", "in-time", "edge", "pending", "pending-returned"),
    )
    if kind == "pending":
        failed = AS_OF - r.randint(HOUR, 3 * DAY - HOUR)
    elif kind == "pending-returned":
        failed = AS_OF - r.randint(10 * HOUR, 3 * DAY - HOUR)
    else:
        failed = g.when(9 * DAY, lead=7 * DAY)
    _receive(s, failed - r.randint(HOUR, DAY - MINUTE), failed)
    if kind == "in-time":
        returned: int | None = failed + r.randint(HOUR, 3 * DAY - MINUTE)
    elif kind == "edge":  # exactly 3 days is in time
        returned = failed + 3 * DAY + (1 if violate else 0)
    elif kind == "late":
        returned = failed + 3 * DAY + r.randint(MINUTE, 4 * DAY)
    elif kind == "pending-returned":
        returned = failed + r.randint(HOUR, AS_OF - failed)
    else:
        returned = None
    _fail_review(s, failed, returned)


def scenario_jhs_cancel(g: Generator, violate: bool) -> None:
    s, r = _signup(g), g.r
    kind = pick(
        r,
        violate,
        ("unconsented", "unconsented", "unconsented", "same-instant"),
        ("before-approval", "before-approval", "consented", "consented"),
    )
    t = g.when(20 * DAY, lead=10 * DAY)
    reason = {"reason": r.choice(("库存不足", "价格调整", "供应链问题", "店铺经营调整"))}
    if kind == "before-approval":  # withdrawing while under review is allowed
        _apply(s, t)
        event_id = s.add(t + r.randint(3 * DAY, 6 * DAY), "juhuasuan.signup_cancelled", "seller", reason)
        s.expect(JHS_CANCEL, event_id, PASS)
        return
    _before_approval(s, t)
    _approve(s, t, t + r.randint(10 * DAY, 30 * DAY), r.randrange(50, 2000) * 100.0)
    cancel = t + r.randint(HOUR, 5 * DAY)
    consent: int | None
    if kind == "consented":
        consent = t + r.randint(MINUTE, 5 * DAY)
        cancel = consent + r.randint(MINUTE, DAY)
    elif kind == "same-instant":  # consent logged in the cancellation's second: not between
        consent = cancel
    else:
        consent = None
    if consent is not None:
        s.add(
            consent,
            "juhuasuan.operator_consented",
            "operator",
            {"operator": f"小二-{r.randint(100, 999)}", "note": "特殊原因,同意取消"},
        )
    event_id = s.add(cancel, "juhuasuan.signup_cancelled", "seller", reason)
    s.expect(JHS_CANCEL, event_id, VIOLATION if violate else PASS)


def scenario_deposits(g: Generator, violate: bool) -> None:
    """A campaign start, judged by both deposit rules."""
    s, r = _signup(g), g.r
    kind = pick(
        r,
        violate,
        ("late-edge", "late", "none", "short", "top-up", "delayed", "tz"),
        ("early", "early", "early", "edge", "split", "no-start", "no-required", "no-approval", "midnight"),
    )
    approved = g.when(25 * DAY, lead=10 * DAY)
    day = local_date(approved) + timedelta(days=r.randint(8, 20))  # the campaign's date
    hour = {"midnight": 0, "tz": 10}.get(kind, r.choice((10, 10, 20, 0)))
    start = at_time(day, hour)
    started = start + r.randint(0, 90)
    if kind == "delayed":  # went live a day late: the approval's date still counts
        started = start + DAY + r.randint(0, 3 * HOUR)
    required = r.randrange(50, 2000) * 100.0

    def on(days_before: int) -> int:
        return at_time(
            day - timedelta(days=days_before), r.randint(8, 22), r.randint(0, 59), r.randint(0, 59)
        )

    plan: list[tuple[int, float]] = []
    if kind in ("early", "no-start", "no-required", "no-approval"):
        plan = [(on(r.randint(2, 7)), required)]
    elif kind == "edge":
        plan = [(at_time(day - timedelta(days=2), 23, 59, r.choice((0, 59))), required)]
    elif kind == "midnight":  # start at 00:00 Beijing: the UTC date is the day before
        plan = [(at_time(day - timedelta(days=2), r.randint(20, 23), r.randint(0, 59)), required)]
    elif kind in ("split", "top-up"):
        first = r.randrange(1, int(required // 100)) * 100.0
        second = start + r.randint(HOUR, 2 * DAY) if kind == "top-up" else on(r.randint(1, 2))
        plan = [(on(r.randint(3, 6)), first), (second, required - first)]
    elif kind == "late-edge":
        plan = [(at_time(day - timedelta(days=1), 0), required)]
    elif kind in ("late", "delayed"):
        plan = [(on(1), required)]
    elif kind == "tz":  # 06:00 Beijing the day before is still two UTC dates before
        plan = [(at_time(day - timedelta(days=1), 6, r.randint(0, 59)), required)]
    elif kind == "short":
        plan = [(on(r.randint(2, 5)), round(required * r.uniform(0.5, 0.95), 2))]

    has_approval = kind != "no-approval"
    if has_approval:
        _before_approval(s, approved)
        _approve(
            s, approved, None if kind == "no-start" else start, None if kind == "no-required" else required
        )
    for ts, amount in plan:
        _deposit(s, ts, amount)
    event_id = s.add(started, "juhuasuan.campaign_started", "system")

    reference = start if has_approval and kind != "no-start" else started
    deadline = local_date(reference) - timedelta(days=2)
    in_time = any(local_date(ts) <= deadline for ts, _ in plan)
    s.expect(LATE_DEPOSIT, event_id, PASS if in_time else VIOLATION)
    if not has_approval or kind == "no-required":
        s.expect(SHORT_DEPOSIT, event_id, INCONCLUSIVE)
    else:
        frozen = sum(amount for ts, amount in plan if ts < started)
        s.expect(SHORT_DEPOSIT, event_id, VIOLATION if frozen < required else PASS)


def scenario_jhs_noise(g: Generator, violate: bool) -> None:
    s, r = _signup(g), g.r
    t = g.when(5 * DAY)
    x = r.random()
    if x < 0.4:
        s.add(
            t,
            "juhuasuan.signup_submitted",
            "seller",
            {"item_id": str(r.randint(10**11, 10**12 - 1)), "group_price": money(r, 9.9, 999)},
        )
    else:
        _apply(s, t, t + 3 * DAY if x < 0.7 else None)
