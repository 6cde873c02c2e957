"""Deterministic generator of synthetic seller-activity exports, with their ground truth.

The generator builds small, independent *scenarios* for the five sources of the rule
catalogue (each on its own seller for seller-keyed rules, its own subject for subject-keyed
ones, so that scenarios never influence each other), writes their events to
``events.jsonl`` as soon as they are made (shuffled within bounded batches, so memory stays
flat at any size), and records in ``truth.jsonl`` the outcome that every catalogue rule
must give to every event that triggers it. The truth follows from how each scenario was
built, never from running the engine, so it can be used to check the engine.

Instants are integer epoch seconds internally. They are written in mixed forms, as real
exports are: RFC 3339 with ``+08:00`` or ``Z``, naive Beijing local time, epoch
milliseconds. The last event of the file is fixed in advance (``AS_OF``), so obligation
rules can be given ``pending`` while the scenarios are built.

Usage: ``python -m checker.generator --events 1000000 --seed 7 -o out/bench``.
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import accumulate
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

__all__ = ["AS_OF", "RULE_IDS", "GenerationSummary", "generate", "main"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Rendering only: Shanghai has kept UTC+8 without daylight saving since 1991.
_BEIJING = timezone(timedelta(hours=8))

MINUTE, HOUR, DAY = 60, 3600, 86400
BATCH_EVENTS = 50_000  # events held (and shuffled) in memory at once


def _at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> int:
    return int(datetime(y, mo, d, h, mi, s, tzinfo=SHANGHAI).timestamp())


SPAN_START = _at(2024, 1, 1)
AS_OF = _at(2024, 7, 31, 22)  # timestamp of the final event: the data's as-of time
KUAISHOU_EFFECTIVE = _at(2023, 9, 16)
_EARLIEST = _at(2023, 1, 1)

VIOLATION, PASS, INCONCLUSIVE = "violation", "pass", "inconclusive"
PENDING, NOT_APPLICABLE = "pending", "not_applicable"
OUTCOMES = (VIOLATION, PASS, INCONCLUSIVE, PENDING, NOT_APPLICABLE)

EARLY_EXIT = "aliexpress.affiliate.early-exit"
AFTER_EXIT = "aliexpress.affiliate.commission-after-exit"
MISSED = "aliexpress.affiliate.commission-missed"
NO_REASON = "taobao.affiliate.close-without-reason"
UNREVIEWED_CLOSE = "taobao.affiliate.unreviewed-close"
NO_NOTICE = "aliexpress.promotion.cancel-without-notice"
REFUND = "aliexpress.choice.refund-charged-to-seller"
NO_EXAM = "aliexpress.jit.order-without-exam"
UNREVIEWED_CANCEL = "kuaishou.distribution.unreviewed-cancel"
LATE_EXTENSION = "kuaishou.distribution.late-extension-approval"
JHS_CANCEL = "juhuasuan.cancel-after-approval"
LATE_DEPOSIT = "juhuasuan.late-deposit"
SHORT_DEPOSIT = "juhuasuan.insufficient-deposit"
SAMPLE_RETURN = "juhuasuan.sample-return-overdue"
SECOND_REVIEW = "juhuasuan.second-review-overdue"
RULE_IDS = tuple(sorted((
    EARLY_EXIT, AFTER_EXIT, MISSED, NO_REASON, UNREVIEWED_CLOSE, NO_NOTICE, REFUND, NO_EXAM,
    UNREVIEWED_CANCEL, LATE_EXTENSION, JHS_CANCEL, LATE_DEPOSIT, SHORT_DEPOSIT, SAMPLE_RETURN,
    SECOND_REVIEW,
)))

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class _Source:
    prefix: str  # event ids are f"{prefix}-{n:09d}": string order is generation order
    platform: str


AE_AFF = _Source("ae-aff", "aliexpress")
TB_UNION = _Source("tb-union", "taobao")
AE_MGD = _Source("ae-mgd", "aliexpress")
KS_DIST = _Source("ks-dist", "kuaishou")
TB_JHS = _Source("tb-jhs", "taobao")


@dataclass(frozen=True)
class GenerationSummary:
    """What :func:`generate` wrote, and how many scenarios had a violation injected."""

    out_dir: Path
    events: int
    truth_lines: int
    scenarios: int
    judged_scenarios: int  # scenarios built around a rule (noise scenarios excluded)
    violating_scenarios: int  # judged scenarios that had a violation injected
    as_of: str
    rules: dict[str, dict[str, int]]

    @property
    def violation_share(self) -> float:
        """Share of judged scenarios with an injected violation (tracks ``violation_rate``)."""
        return self.violating_scenarios / self.judged_scenarios if self.judged_scenarios else 0.0


def _local_date(ts: int) -> date:
    return datetime.fromtimestamp(ts, SHANGHAI).date()


def _on(day: date, h: int, mi: int = 0, s: int = 0) -> int:
    return int(datetime.combine(day, time(h, mi, s), SHANGHAI).timestamp())


def _add_months(ts: int, months: int) -> int:
    """``ts`` plus calendar months in Asia/Shanghai, clamped to the month's last day."""
    d = datetime.fromtimestamp(ts, SHANGHAI)
    y, m0 = divmod(d.month - 1 + months, 12)
    y, m = d.year + y, m0 + 1
    end = d.replace(year=y, month=m, day=min(d.day, calendar.monthrange(y, m)[1]))
    return int(end.timestamp())


class _Generator:
    """State of one run: random source, id counters, the current batch and truth."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.made = 0
        self.batch: list[str] = []  # serialised events, each ending with a newline
        self.truth: list[tuple[str, str, str]] = []  # the current scenario's
        self._ids: dict[str, int] = {}
        self._pools: dict[str, list[str]] = {}

    def serial(self, name: str) -> int:
        n = self._ids.get(name, 0) + 1
        self._ids[name] = n
        return n

    def when(self, duration: int, lead: int = 0) -> int:
        """A start instant leaving ``lead`` before it and ``duration`` (+1 day) after it."""
        return self.r.randint(SPAN_START + lead, AS_OF - DAY - duration)

    def stamp(self, ts: int) -> str | int:
        x = self.r.random()
        if x < 0.7:
            return datetime.fromtimestamp(ts, _BEIJING).isoformat()
        if x < 0.8:
            return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if x < 0.9:  # naive: Beijing local time, as the platforms export it
            return datetime.fromtimestamp(ts, _BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        return ts * 1000

    def seller(self, key: str, *, pooled: bool) -> str:
        """A seller id; pooled sellers are reused across subject-keyed scenarios."""
        pool = self._pools.setdefault(key, [])
        if pooled and pool and self.r.random() < 0.5:
            return self.r.choice(pool)
        seller = f"{key}-seller-{self.serial('seller:' + key):06d}"
        if pooled:
            if len(pool) < 200:
                pool.append(seller)
            else:
                pool[self.r.randrange(200)] = seller
        return seller

    def order_id(self) -> str:
        return str(3_000_000_000_000_000 + self.serial("order") * 37 + self.r.randrange(37))

    def emit(self, source: _Source, seller: str, ts: int, action: str, actor: str | None,
             subject: tuple[str, str], data: dict[str, object] | None) -> str:
        if not _EARLIEST <= ts <= AS_OF:
            raise AssertionError(f"{action} at {ts} lies outside the generated span")
        event_id = f"{source.prefix}-{self.serial(source.prefix):09d}"
        event: dict[str, object] = {
            "event_id": event_id, "timestamp": self.stamp(ts), "platform": source.platform,
            "seller_id": seller, "action": action,
            "subject": {"type": subject[0], "id": subject[1]},
        }
        if actor is not None and self.r.random() >= 0.03:  # a few exports omit the actor
            event["actor"] = actor
        if data is not None:
            event["data"] = data
        self.batch.append(_ENCODER.encode(event) + "\n")
        self.made += 1
        return event_id


class _Scenario:
    """Events of one entity: a seller and a default subject."""

    __slots__ = ("g", "r", "seller", "source", "subject")

    def __init__(self, g: _Generator, source: _Source, seller: str,
                 subject: tuple[str, str]) -> None:
        self.g, self.r, self.source, self.seller, self.subject = g, g.r, source, seller, subject

    def add(self, ts: int, action: str, actor: str | None = None,
            data: dict[str, object] | None = None, subject: tuple[str, str] | None = None) -> str:
        return self.g.emit(self.source, self.seller, ts, action, actor,
                           subject or self.subject, data)

    def expect(self, rule: str, event_id: str, outcome: str) -> None:
        self.g.truth.append((rule, event_id, outcome))


def _pick(r: random.Random, violate: bool, bad: Sequence[str], good: Sequence[str]) -> str:
    """A variant; names repeated in a tuple are proportionally more frequent."""
    return r.choice(bad if violate else good)


def _money(r: random.Random, lo: float, hi: float) -> float:
    return round(r.uniform(lo, hi), 2)


# --- 000 AliExpress affiliate program --------------------------------------------------

_PROGRAM = ("affiliate_program", "ae-affiliate")


def _affiliate(g: _Generator) -> _Scenario:
    return _Scenario(g, AE_AFF, g.seller("ae", pooled=False), _PROGRAM)


def _join(s: _Scenario, ts: int) -> None:
    rate = s.r.choice((0.03, 0.05, 0.06, 0.08, 0.1))
    s.add(ts, "affiliate.joined", "seller",
          {"default_commission_rate": rate} if s.r.random() < 0.8 else None)


def _request_exit(s: _Scenario, ts: int, joined: int | None) -> None:
    """An exit request; ``joined`` is the latest join before it, if any."""
    event_id = s.add(ts, "affiliate.exit_requested", "seller")
    if joined is None:
        s.expect(EARLY_EXIT, event_id, INCONCLUSIVE)
        return
    s.expect(EARLY_EXIT, event_id, VIOLATION if ts - joined < 15 * DAY else PASS)


def _leave(s: _Scenario, joined: int, not_before: int) -> int:
    """A timely exit request (no earlier than ``not_before``); return when the exit took effect."""
    req = max(joined + 15 * DAY, not_before) + s.r.randint(MINUTE, 5 * DAY)
    _request_exit(s, req, joined)
    done = req + s.r.randint(HOUR, 2 * DAY)
    s.add(done, "affiliate.exited", "system")
    return done


def _order(s: _Scenario, created: int, completed: int, *, attributed: bool,
           commission: float | None, member: bool | None) -> None:
    """A completed order; ``member``: the latest membership event before ``created`` is a join
    (None: there is none)."""
    data: dict[str, object] = {
        "order_created_at": s.g.stamp(created), "affiliate_attributed": attributed,
        "order_amount": _money(s.r, 3, 400), "currency": "USD",
    }
    if commission is not None:
        data["commission_amount"] = commission
    event_id = s.add(completed, "order.completed", "customer", data, ("order", s.g.order_id()))
    if commission is not None and commission > 0:
        s.expect(AFTER_EXIT, event_id,
                 INCONCLUSIVE if member is None else PASS if member else VIOLATION)
    elif attributed:
        if member is None:  # the catalogue gives no outcome for this case: never built
            raise AssertionError("commission-missed without membership history")
        s.expect(MISSED, event_id, VIOLATION if member else PASS)


def _commission(r: random.Random) -> float:
    return max(0.01, _money(r, 0.1, 40))


def _stray_order(s: _Scenario, after: int) -> None:
    """An order outside the affiliate program: no commission, triggers nothing."""
    created = after + s.r.randint(HOUR, 10 * DAY)
    _order(s, created, created + s.r.randint(DAY, 10 * DAY), attributed=False,
           commission=s.r.choice((0, 0.0)), member=None)


def _early_exit(g: _Generator, violate: bool) -> None:
    s, r = _affiliate(g), g.r
    t = g.when(80 * DAY)
    kind = _pick(r, violate, ("short", "short", "edge", "rejoin"),
                 ("long", "long", "long", "edge", "no-join"))
    if kind == "no-join":  # joined before the export begins
        _request_exit(s, t, None)
        s.add(t + r.randint(HOUR, 2 * DAY), "affiliate.exited", "system")
        return
    _join(s, t)
    if kind == "rejoin":
        t = _leave(s, t, t) + r.randint(2 * DAY, 20 * DAY)
        _join(s, t)
    if kind == "long":
        req = t + 15 * DAY + r.randint(HOUR, 40 * DAY)
    elif kind == "edge":  # exactly 15 x 24 h is allowed; one second less is not
        req = t + 15 * DAY - (1 if violate else 0)
    else:
        req = t + r.randint(HOUR, 15 * DAY - HOUR)
    _request_exit(s, req, t)
    if not violate or r.random() < 0.5:
        s.add(req + r.randint(HOUR, 2 * DAY), "affiliate.exited", "system")


def _after_exit(g: _Generator, violate: bool) -> None:
    s, r = _affiliate(g), g.r
    t = g.when(110 * DAY)
    kind = _pick(r, violate, ("exited", "exited", "exited", "gap"),
                 ("member", "member", "open", "instant", "tie", "rejoined", "unknown", "unknown"))
    member: bool | None = True
    if kind == "unknown":  # the seller joined before the export begins
        created = t
        if r.random() < 0.5:
            req = created + r.randint(HOUR, 5 * DAY)
            _request_exit(s, req, None)
            s.add(req + r.randint(HOUR, DAY), "affiliate.exited", "system")
        member = None
    else:
        _join(s, t)
        if kind == "member":
            created = t + r.randint(MINUTE, 30 * DAY)
        elif kind == "open":  # placed while a member, the exit follows: still charged
            created = t + r.randint(MINUTE, 20 * DAY)
            _leave(s, t, created + 1)
        elif kind == "instant":  # created at the very instant of the exit: not after it
            created = _leave(s, t, t)
        elif kind == "tie":  # exit and re-join logged in the same second; the join is later
            created = _leave(s, t, t)
            _join(s, created)
            created += r.randint(MINUTE, 10 * DAY)
        elif kind == "rejoined":
            back = _leave(s, t, t) + r.randint(2 * DAY, 20 * DAY)
            _join(s, back)
            created = back + r.randint(MINUTE, 10 * DAY)
        elif kind == "exited":
            done = _leave(s, t, t)
            created = done + (1 if r.random() < 0.2 else r.randint(MINUTE, 30 * DAY))
            member = False
        else:  # "gap": placed between the exit and a later re-join
            done = _leave(s, t, t)
            back = done + r.randint(3 * DAY, 20 * DAY)
            created = r.randint(done + MINUTE, back - MINUTE)
            _join(s, back)
            member = False
    _order(s, created, created + r.randint(2 * DAY, 20 * DAY), attributed=True,
           commission=_commission(r), member=member)
    if r.random() < 0.3:
        _stray_order(s, t)


def _missed(g: _Generator, violate: bool) -> None:
    s, r = _affiliate(g), g.r
    t = g.when(80 * DAY)
    kind = _pick(r, violate, ("member", "member", "exiting", "instant"), ("exited",))
    _join(s, t)
    member = True
    if kind == "member":
        created = t + r.randint(MINUTE, 40 * DAY)
    elif kind == "exiting":  # placed before the exit: still owes commission
        created = t + r.randint(MINUTE, 20 * DAY)
        _leave(s, t, created + 1)
    elif kind == "instant":
        created = _leave(s, t, t)
    else:
        created = _leave(s, t, t) + (1 if r.random() < 0.2 else r.randint(MINUTE, 30 * DAY))
        member = False
    _order(s, created, created + r.randint(2 * DAY, 15 * DAY), attributed=True,
           commission=r.choice((0, 0.0, None)), member=member)
    if r.random() < 0.3:
        _stray_order(s, t)


def _affiliate_noise(g: _Generator, violate: bool) -> None:
    s = _affiliate(g)
    t = g.when(30 * DAY)
    if g.r.random() < 0.5:
        _join(s, t)
    for _ in range(g.r.randint(1, 3)):
        _stray_order(s, t)


# --- 001 Taobao Union plans -------------------------------------------------------------

_CLOSE_REASONS = ("产品下架", "市场需求变化", "推广效果不佳,投入产出比低", "商品停售",
                  "调整营销策略", "佣金成本过高", "库存不足,暂停推广")
_BLANKS: tuple[str | None, ...] = (None, None, "", " ", "   ", "\t")
_PLAN_TYPES = ("通用计划", "定向计划", "营销计划", "自选计划")


def _plan(g: _Generator) -> _Scenario:
    plan = f"plan-{g.serial('plan'):08d}"
    return _Scenario(g, TB_UNION, g.seller("tb", pooled=True), ("affiliate_plan", plan))


def _request_close(s: _Scenario, ts: int, reason: str | None) -> None:
    data: dict[str, object] = {"plan_type": s.r.choice(_PLAN_TYPES)}
    if reason is not None:
        data["reason"] = reason
    event_id = s.add(ts, "plan.close_requested", "seller", data)
    s.expect(NO_REASON, event_id, PASS if reason and reason.strip() else VIOLATION)


def _approved(steps: str, tied_last: bool = False) -> bool:
    """For a review flow written as letters (R request, A approval, J rejection) ending with
    the closing event: whether the latest decision after the latest request, and before the
    close, is an approval (False when nothing was requested). ``tied_last``: the step before
    the close happened at the same instant, so it is not before it."""
    body = steps[:-1]
    decisions = [c for c in body[body.rfind("R") + 1:] if c in "AJ"]
    if tied_last and decisions and body[-1] in "AJ":
        decisions.pop()
    return bool(decisions) and decisions[-1] == "A"


def _close_flow(s: _Scenario, t: int, steps: str, *, tied_last: bool = False) -> None:
    """Emit a Taobao close flow starting at ``t`` (letters as for :func:`_approved`)."""
    approved = _approved(steps, tied_last)
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


def _close_reason(g: _Generator, violate: bool) -> None:
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
        s.add(t + r.randint(HOUR, 3 * DAY), "plan.close_rejected", "platform",
              {"comment": "请补充关闭原因"})


def _unreviewed_close(g: _Generator, violate: bool) -> None:
    s, r = _plan(g), g.r
    steps = _pick(r, violate, ("C", "RJC", "RAJC", "RC", "RARC", "RA=C"),
                  ("RAC", "RAC", "RAC", "RJAC", "RJRAC"))
    _close_flow(s, g.when(12 * DAY), steps.replace("=", ""), tied_last="=" in steps)


def _taobao_noise(g: _Generator, violate: bool) -> None:
    s = _plan(g)  # an action outside the catalogue's vocabulary: kept, counted, never judged
    s.add(g.when(0), "plan.created", "seller",
          {"plan_type": g.r.choice(_PLAN_TYPES), "commission_rate": g.r.choice((0.02, 0.05))})


# --- 002 AliExpress fully / semi managed ------------------------------------------------

_PROMO_NAMES = ("夏季大促", "限时折扣", "新品首发", "满减活动", "店铺优惠券", "Flash Deals")
_REFUND_REASONS = ("买家未收到货", "商品与描述不符", "质量问题", "物流超时", "买家不想要了")
# (managed_mode, borne_by) of refunds the refund rule does not look at
_UNJUDGED_REFUNDS = (("semi", "seller"), ("pop", "seller"), ("full", "platform"))


def _managed(g: _Generator) -> _Scenario:
    """A pooled seller and a promotion of its own (refunds name their order instead)."""
    promotion = ("promotion", f"promo-{g.serial('promotion'):08d}")
    return _Scenario(g, AE_MGD, g.seller("ae", pooled=True), promotion)


def _create_promotion(s: _Scenario, ts: int, subject: tuple[str, str] | None = None) -> None:
    start = ts + s.r.randint(HOUR, 3 * DAY)
    s.add(ts, "promotion.created", "seller", {
        "promotion_name": s.r.choice(_PROMO_NAMES),
        "discount_rate": s.r.choice((0.05, 0.1, 0.15, 0.2, 0.3)),
        "promotion_start": s.g.stamp(start),
        "promotion_end": s.g.stamp(start + s.r.randint(3 * DAY, 30 * DAY)),
    }, subject)


def _notify(s: _Scenario, ts: int, subject: tuple[str, str] | None = None) -> None:
    s.add(ts, "promotion.customers_notified", s.r.choice(("seller", "system")),
          {"channel": s.r.choice(("站内信", "App推送", "邮件")),
           "recipients": s.r.randint(50, 20000)}, subject)


def _cancel_notice(g: _Generator, violate: bool) -> None:
    s, r = _managed(g), g.r
    t = g.when(30 * DAY)
    _create_promotion(s, t)
    cancel = t + r.randint(DAY, 20 * DAY)
    kind = _pick(r, violate, ("silent", "silent", "same", "late", "other"),
                 ("notified", "notified", "notified", "edge"))
    if kind == "notified":
        _notify(s, cancel - r.randint(MINUTE, cancel - t - MINUTE))
    elif kind == "edge":  # one second before is strictly earlier
        _notify(s, cancel - 1)
    elif kind == "same":  # the same instant is not earlier
        _notify(s, cancel)
    elif kind == "other":  # the seller notified customers of another promotion only
        other = ("promotion", f"promo-{g.serial('promotion'):08d}")
        _create_promotion(s, t + 1, other)
        _notify(s, cancel - r.randint(MINUTE, DAY // 2), other)
    event_id = s.add(cancel, "promotion.cancelled", "seller",
                     {"reason": r.choice(("促销效果不佳", "库存压力", "调整营销策略"))})
    if kind == "late":
        _notify(s, cancel + r.randint(MINUTE, HOUR))
    s.expect(NO_NOTICE, event_id, VIOLATION if violate else PASS)


def _paid_instant(r: random.Random) -> int:
    if r.random() < 0.3:  # a month's last day, where the window end must be clamped
        y, m = r.choice(((2023, 11), (2023, 12), (2024, 1), (2024, 2), (2024, 3)))
        day = date(y, m, calendar.monthrange(y, m)[1])
        return _on(day, r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))
    return r.randint(SPAN_START - 60 * DAY, AS_OF - 100 * DAY)


def _refund_event(s: _Scenario, ts: int, paid: int, mode: str, borne_by: str) -> str:
    return s.add(ts, "order.refunded", "platform", {
        "managed_mode": mode, "order_paid_at": s.g.stamp(paid), "borne_by": borne_by,
        "amount": _money(s.r, 2, 300), "currency": "USD",
        "reason": s.r.choice(_REFUND_REASONS),
    }, ("order", s.g.order_id()))


def _refund(g: _Generator, violate: bool) -> None:
    s, r = _managed(g), g.r
    kind = _pick(r, violate, ("early", "early", "early", "edge"), ("late", "late", "edge"))
    paid = _paid_instant(r)
    end = _add_months(paid, 3)  # the end of the 3-calendar-month after-sales window
    if violate:
        refund = end - 1 if kind == "edge" else r.randint(max(paid + DAY, SPAN_START), end - 1)
    else:
        refund = end if kind == "edge" else r.randint(end, min(end + 40 * DAY, AS_OF - DAY))
    s.expect(REFUND, _refund_event(s, refund, paid, "full", "seller"),
             VIOLATION if refund < end else PASS)
    if r.random() < 0.4:
        mode, borne_by = r.choice(_UNJUDGED_REFUNDS)
        other = max(SPAN_START, refund - r.randint(HOUR, 5 * DAY))
        _refund_event(s, other, paid - r.randint(0, DAY), mode, borne_by)


def _jit_seller(g: _Generator) -> _Scenario:
    seller = g.seller("ae", pooled=False)  # seller-keyed: a seller of its own
    return _Scenario(g, AE_MGD, seller, ("seller", seller))


def _exam(s: _Scenario, ts: int) -> None:
    s.add(ts, "jit.exam_passed", "system", {"exam": "JIT备货考试", "score": s.r.randint(80, 100)})


def _jit(g: _Generator, violate: bool) -> None:
    s, r = _jit_seller(g), g.r
    t = g.when(45 * DAY)
    kind = _pick(r, violate, ("before", "before", "never", "same"), ("after",))

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


def _managed_noise(g: _Generator, violate: bool) -> None:
    r = g.r
    t = g.when(10 * DAY)
    x = r.random()
    if x < 0.5:
        s = _managed(g)
        _create_promotion(s, t)
        if r.random() < 0.5:
            _notify(s, t + r.randint(HOUR, 5 * DAY))
    elif x < 0.8:
        mode, borne_by = r.choice(_UNJUDGED_REFUNDS)
        _refund_event(_managed(g), t, t - r.randint(DAY, 60 * DAY), mode, borne_by)
    else:
        _exam(_jit_seller(g), t)


# --- 003 Kuaishou distribution ----------------------------------------------------------

# (gap from enrolment to the deciding request, paid orders via the leader before it,
#  whether the enrolment states base_paid_orders, the review flow ending with the cancel)
_KS_GOOD = (
    ("within", "any", True, "RAC"), ("within", "any", True, "RAC"),
    ("day30", "any", True, "RAC"), ("after", "below", True, "RC"),
    ("after+1s", "below-1", True, "RC"), ("after", "reach", True, "RAC"),
    ("within", "any", True, "RJRAC"), ("after", "below", True, "C"),
    ("none", "any", True, "RAC"), ("none", "any", True, "RC"), ("after", "any", False, "RC"),
)
_KS_BAD = (
    ("within", "any", True, "RC"), ("within", "any", True, "RJC"), ("day30", "any", True, "RC"),
    ("after", "reach", True, "RC"), ("after", "exact", True, "RC"), ("within", "any", True, "C"),
    ("within", "any", True, "RARC"), ("within", "any", True, "RAJC"),
    ("within", "any", False, "RC"),
)


def _enrolment(g: _Generator) -> _Scenario:
    enrolment = f"enr-{g.serial('enrolment'):08d}"
    return _Scenario(g, KS_DIST, g.seller("ks", pooled=True),
                     ("distribution_enrolment", enrolment))


def _enrol(s: _Scenario, ts: int, base: int | None) -> None:
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


def _paid(s: _Scenario, ts: int, via_leader: bool) -> None:
    s.add(ts, "distribution.order_paid", "customer",
          {"order_id": s.g.order_id(), "amount": _money(s.r, 9.9, 399), "via_leader": via_leader})


def _unreviewed_cancel(g: _Generator, violate: bool) -> None:
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
        for _ in steps[last + 1:]:
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
        outcome = PASS if _approved(steps) else VIOLATION
    else:
        outcome = PASS
    if gap != "none":
        _enrol(s, zero, base)
    actions = {"R": ("distribution.cancel_requested", "seller"),
               "A": ("distribution.cancel_approved", "leader"),
               "J": ("distribution.cancel_rejected", "leader")}
    for at, what in flow:
        if what in ("via", "direct"):
            _paid(s, zero + at, what == "via")
        elif what == "step:C":
            s.expect(UNREVIEWED_CANCEL, s.add(zero + at, "distribution.cancelled", "system"),
                     outcome)
        else:
            action, actor = actions[what[-1]]
            s.add(zero + at, action, actor)


def _extension(s: _Scenario, ts: int, action: str, actor: str) -> str:
    new_end = ts + s.r.randint(7 * DAY, 30 * DAY)
    return s.add(ts, action, actor, {"new_end": s.g.stamp(new_end)})


def _late_extension(g: _Generator, violate: bool) -> None:
    s, r = _enrolment(g), g.r
    kind = _pick(r, violate, ("late", "late", "edge", "unrequested", "after-auto-reject"),
                 ("in-time", "in-time", "edge", "second"))
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


def _kuaishou_noise(g: _Generator, violate: bool) -> None:
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


# --- 004 Juhuasuan ----------------------------------------------------------------------

_FAIL_REASONS = ("样品与描述不符", "样品质量不达标", "包装破损", "资质材料不全")


def _signup(g: _Generator) -> _Scenario:
    signup = f"jhs-{g.serial('signup'):08d}"
    return _Scenario(g, TB_JHS, g.seller("tb", pooled=True), ("juhuasuan_signup", signup))


def _apply(s: _Scenario, submitted: int, shipped: int | None = None) -> None:
    """Submission and first review (within 2 days), then the sample shipped at ``shipped``
    (if given, at least 2 days after ``submitted``)."""
    r = s.r
    first = submitted + r.randint(HOUR, 2 * DAY - HOUR)
    s.add(submitted, "juhuasuan.signup_submitted", "seller", {
        "item_id": str(r.randint(10**11, 10**12 - 1)), "group_price": _money(r, 9.9, 999),
        "planned_quantity": r.randrange(100, 5000, 50)})
    s.add(first, "juhuasuan.first_review_passed", "platform")
    if shipped is not None:
        s.add(shipped, "juhuasuan.sample_shipped", "seller",
              {"tracking_no": f"SF{r.randint(10**11, 10**12 - 1)}"})


def _receive(s: _Scenario, ts: int, reviewed: int | None) -> None:
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


def _fail_review(s: _Scenario, ts: int, returned: int | None) -> None:
    """The second review fails at ``ts``; the sample is due back within 3 days."""
    event_id = s.add(ts, "juhuasuan.second_review_failed", "platform",
                     {"reason": s.r.choice(_FAIL_REASONS)})
    if returned is not None:
        s.add(returned, "juhuasuan.sample_returned", "platform",
              {"tracking_no": f"YT{s.r.randint(10**11, 10**12 - 1)}"})
    if returned is not None and returned - ts <= 3 * DAY:
        outcome = PASS
    elif returned is None and AS_OF - ts < 3 * DAY:
        outcome = PENDING
    else:
        outcome = VIOLATION
    s.expect(SAMPLE_RETURN, event_id, outcome)


def _pass_review(s: _Scenario, approved_before: int) -> None:
    """The whole sample stage, its second review passed in time, before ``approved_before``."""
    reviewed = approved_before - s.r.randint(HOUR, 2 * DAY)
    received = reviewed - s.r.randint(HOUR, DAY - MINUTE)
    _receive(s, received, reviewed)
    s.add(reviewed, "juhuasuan.second_review_passed", "platform")


def _before_approval(s: _Scenario, approved: int) -> None:
    """What precedes an approval: the sample stage, or (when it lies before the export)
    only the submission and first review."""
    if s.r.random() < 0.5:
        _pass_review(s, approved)
    else:
        _apply(s, approved - s.r.randint(3 * DAY, 7 * DAY))


def _approve(s: _Scenario, ts: int, start: int | None, required: float | None) -> None:
    data: dict[str, object] = {"group_price": _money(s.r, 9.9, 999)}
    if required is not None:
        data["required_deposit"] = required
    if start is not None:
        data["campaign_start"] = s.g.stamp(start)
    s.add(ts, "juhuasuan.signup_approved", "platform", data)


def _deposit(s: _Scenario, ts: int, amount: float) -> None:
    s.add(ts, "juhuasuan.deposit_frozen", "system", {"amount": amount, "currency": "CNY"})


def _second_review(g: _Generator, violate: bool) -> None:
    s, r = _signup(g), g.r
    kind = _pick(r, violate, ("late", "late", "edge", "never"),
                 ("in-time", "in-time", "in-time", "edge", "pending"))
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
        _approve(s, approved, approved + r.randint(10 * DAY, 30 * DAY),
                 r.randrange(50, 2000) * 100.0)


def _sample_return(g: _Generator, violate: bool) -> None:
    s, r = _signup(g), g.r
    kind = _pick(r, violate, ("late", "late", "edge", "never"),
                 ("in-time", "in-time", "edge", "pending", "pending-returned"))
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


def _jhs_cancel(g: _Generator, violate: bool) -> None:
    s, r = _signup(g), g.r
    kind = _pick(r, violate, ("unconsented", "unconsented", "unconsented", "same-instant"),
                 ("before-approval", "before-approval", "consented", "consented"))
    t = g.when(20 * DAY, lead=10 * DAY)
    reason = {"reason": r.choice(("库存不足", "价格调整", "供应链问题", "店铺经营调整"))}
    if kind == "before-approval":  # withdrawing while under review is allowed
        _apply(s, t)
        event_id = s.add(t + r.randint(3 * DAY, 6 * DAY), "juhuasuan.signup_cancelled",
                         "seller", reason)
        s.expect(JHS_CANCEL, event_id, PASS)
        return
    _before_approval(s, t)
    _approve(s, t, t + r.randint(10 * DAY, 30 * DAY), r.randrange(50, 2000) * 100.0)
    cancel = t + r.randint(HOUR, 5 * DAY)
    if kind == "consented":
        consent: int | None = t + r.randint(MINUTE, 5 * DAY)
        cancel = consent + r.randint(MINUTE, DAY)
    elif kind == "same-instant":  # consent logged in the cancellation's second: not between
        consent = cancel
    else:
        consent = None
    if consent is not None:
        s.add(consent, "juhuasuan.operator_consented", "operator",
              {"operator": f"小二-{r.randint(100, 999)}", "note": "特殊原因,同意取消"})
    event_id = s.add(cancel, "juhuasuan.signup_cancelled", "seller", reason)
    s.expect(JHS_CANCEL, event_id, VIOLATION if violate else PASS)


def _deposits(g: _Generator, violate: bool) -> None:
    """A campaign start, judged by both deposit rules."""
    s, r = _signup(g), g.r
    kind = _pick(r, violate, ("late-edge", "late", "none", "short", "top-up", "delayed", "tz"),
                 ("early", "early", "early", "edge", "split", "no-start", "no-required",
                  "no-approval", "midnight"))
    approved = g.when(25 * DAY, lead=10 * DAY)
    day = _local_date(approved) + timedelta(days=r.randint(8, 20))  # the campaign's date
    hour = {"midnight": 0, "tz": 10}.get(kind, r.choice((10, 10, 20, 0)))
    start = _on(day, hour)
    started = start + r.randint(0, 90)
    if kind == "delayed":  # went live a day late: the approval's date still counts
        started = start + DAY + r.randint(0, 3 * HOUR)
    required = r.randrange(50, 2000) * 100.0

    def on(days_before: int) -> int:
        return _on(day - timedelta(days=days_before), r.randint(8, 22), r.randint(0, 59),
                   r.randint(0, 59))

    plan: list[tuple[int, float]] = []
    if kind in ("early", "no-start", "no-required", "no-approval"):
        plan = [(on(r.randint(2, 7)), required)]
    elif kind == "edge":
        plan = [(_on(day - timedelta(days=2), 23, 59, r.choice((0, 59))), required)]
    elif kind == "midnight":  # start at 00:00 Beijing: the UTC date is the day before
        plan = [(_on(day - timedelta(days=2), r.randint(20, 23), r.randint(0, 59)), required)]
    elif kind in ("split", "top-up"):
        first = r.randrange(1, int(required // 100)) * 100.0
        second = start + r.randint(HOUR, 2 * DAY) if kind == "top-up" else on(r.randint(1, 2))
        plan = [(on(r.randint(3, 6)), first), (second, required - first)]
    elif kind == "late-edge":
        plan = [(_on(day - timedelta(days=1), 0), required)]
    elif kind in ("late", "delayed"):
        plan = [(on(1), required)]
    elif kind == "tz":  # 06:00 Beijing the day before is still two UTC dates before
        plan = [(_on(day - timedelta(days=1), 6, r.randint(0, 59)), required)]
    elif kind == "short":
        plan = [(on(r.randint(2, 5)), round(required * r.uniform(0.5, 0.95), 2))]

    has_approval = kind != "no-approval"
    if has_approval:
        _before_approval(s, approved)
        _approve(s, approved, None if kind == "no-start" else start,
                 None if kind == "no-required" else required)
    for ts, amount in plan:
        _deposit(s, ts, amount)
    event_id = s.add(started, "juhuasuan.campaign_started", "system")

    reference = start if has_approval and kind != "no-start" else started
    deadline = _local_date(reference) - timedelta(days=2)
    in_time = any(_local_date(ts) <= deadline for ts, _ in plan)
    s.expect(LATE_DEPOSIT, event_id, PASS if in_time else VIOLATION)
    if not has_approval or kind == "no-required":
        s.expect(SHORT_DEPOSIT, event_id, INCONCLUSIVE)
    else:
        frozen = sum(amount for ts, amount in plan if ts < started)
        s.expect(SHORT_DEPOSIT, event_id, VIOLATION if frozen < required else PASS)


def _jhs_noise(g: _Generator, violate: bool) -> None:
    s, r = _signup(g), g.r
    t = g.when(5 * DAY)
    x = r.random()
    if x < 0.4:
        s.add(t, "juhuasuan.signup_submitted", "seller",
              {"item_id": str(r.randint(10**11, 10**12 - 1)), "group_price": _money(r, 9.9, 999)})
    else:
        _apply(s, t, t + 3 * DAY if x < 0.7 else None)


# --- driver -----------------------------------------------------------------------------

_Builder = Callable[[_Generator, bool], None]
# (builder, weight, judged): judged builders are built around a rule and may inject violations
_FAMILIES: tuple[tuple[_Builder, int, bool], ...] = (
    (_early_exit, 3, True), (_after_exit, 4, True), (_missed, 3, True),
    (_affiliate_noise, 2, False),
    (_close_reason, 3, True), (_unreviewed_close, 4, True), (_taobao_noise, 1, False),
    (_cancel_notice, 3, True), (_refund, 3, True), (_jit, 3, True), (_managed_noise, 2, False),
    (_unreviewed_cancel, 5, True), (_late_extension, 3, True), (_kuaishou_noise, 1, False),
    (_jhs_cancel, 3, True), (_deposits, 5, True), (_sample_return, 3, True),
    (_second_review, 3, True), (_jhs_noise, 1, False),
)


def _as_of_text() -> str:
    return datetime.fromtimestamp(AS_OF, _BEIJING).isoformat()


class _TruthWriter:
    """Truth lines, one temporary file per rule: within a rule, event ids are generated in
    increasing order (one id prefix per source, zero-padded counters), so concatenating the
    files in rule order gives the (rule_id, event_id) order without holding the truth."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.parts = {rule: out / f".truth.{rule}.part" for rule in RULE_IDS}
        self.files: dict[str, IO[str]] = {}
        self.counts: dict[str, Counter[str]] = {rule: Counter() for rule in RULE_IDS}
        self.lines = 0

    def __enter__(self) -> _TruthWriter:
        for rule, path in self.parts.items():
            self.files[rule] = path.open("w", encoding="utf-8", newline="\n")
        return self

    def write(self, entries: list[tuple[str, str, str]]) -> None:
        for rule, event_id, outcome in sorted(entries):
            self.files[rule].write(_ENCODER.encode(
                {"rule_id": rule, "event_id": event_id, "outcome": outcome}) + "\n")
            self.counts[rule][outcome] += 1
        self.lines += len(entries)

    def finish(self) -> None:
        for handle in self.files.values():
            handle.close()
        with (self.out / "truth.jsonl").open("w", encoding="utf-8", newline="\n") as sink:
            for rule in RULE_IDS:
                with self.parts[rule].open(encoding="utf-8") as part:
                    shutil.copyfileobj(part, sink)

    def __exit__(self, *exc: object) -> None:
        for handle in self.files.values():
            handle.close()
        for path in self.parts.values():
            path.unlink(missing_ok=True)


def generate(out_dir: str | Path, *, events: int = 5000, seed: int = 1,
             violation_rate: float = 0.2, shuffle: bool = True) -> GenerationSummary:
    """Write ``events.jsonl``, ``truth.jsonl`` and ``manifest.json`` into ``out_dir``.

    About ``events`` events are written (the last scenario may add a few more), each
    scenario with a violation injected with probability ``violation_rate``. The same
    arguments always give byte-identical files. With ``shuffle``, events are shuffled
    within batches of :data:`BATCH_EVENTS`; memory does not grow with ``events``.
    """
    if events < 1:
        raise ValueError(f"events must be at least 1, got {events}")
    if not 0.0 <= violation_rate <= 1.0:
        raise ValueError(f"violation_rate must lie in [0, 1], got {violation_rate}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    g = _Generator(seed)
    shuffler = random.Random(f"policy-checker-shuffle-{seed}")
    builders = [family[0] for family in _FAMILIES]
    judged_by = {family[0]: family[2] for family in _FAMILIES}
    cum_weights = list(accumulate(family[1] for family in _FAMILIES))
    scenarios = judged = violating = 0

    with (out / "events.jsonl").open("w", encoding="utf-8", newline="\n") as sink, \
            _TruthWriter(out) as truth:

        def flush() -> None:
            if shuffle:
                shuffler.shuffle(g.batch)
            sink.writelines(g.batch)
            g.batch.clear()

        while g.made < events - 1:
            builder = g.r.choices(builders, cum_weights=cum_weights)[0]
            violate = judged_by[builder] and g.r.random() < violation_rate
            builder(g, violate)
            scenarios += 1
            judged += judged_by[builder]
            violating += violate
            if any(o == VIOLATION for _, _, o in g.truth) != violate:
                raise AssertionError(f"{builder.__name__} broke its injection: {g.truth}")
            truth.write(g.truth)
            g.truth.clear()
            if len(g.batch) >= BATCH_EVENTS:
                flush()
        # The final event fixes the as-of time that pending outcomes were computed against.
        _create_promotion(_managed(g), AS_OF)
        flush()
        truth.finish()

    rules = {rule: {o: truth.counts[rule][o] for o in OUTCOMES if truth.counts[rule][o]}
             for rule in RULE_IDS}
    manifest = {"seed": seed, "events": g.made, "as_of": _as_of_text(), "rules": rules,
                "violation_rate": violation_rate}
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return GenerationSummary(out, g.made, truth.lines, scenarios, judged, violating,
                             _as_of_text(), rules)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m checker.generator --events N --seed N -o DIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m checker.generator",
        description="Generate synthetic seller-activity events with their ground truth.")
    parser.add_argument("--events", type=int, default=5000, help="about how many events")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--violation-rate", type=float, default=0.2,
                        help="share of scenarios with an injected violation (0..1)")
    parser.add_argument("--no-shuffle", action="store_true",
                        help="write events in generation order")
    parser.add_argument("-o", "--out", required=True, help="output directory")
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be at least 1")
    if not 0.0 <= args.violation_rate <= 1.0:
        parser.error("--violation-rate must lie in [0, 1]")
    summary = generate(args.out, events=args.events, seed=args.seed,
                       violation_rate=args.violation_rate, shuffle=not args.no_shuffle)
    print(f"wrote {summary.events} events and {summary.truth_lines} truth lines "
          f"({summary.violating_scenarios}/{summary.judged_scenarios} scenarios with an "
          f"injected violation) to {summary.out_dir}; as of {summary.as_of}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
