"""Source 000, the AliExpress affiliate program: scenarios for the early-exit,
commission-after-exit and commission-missed rules, and affiliate noise."""

from __future__ import annotations

import random

from .core import (
    AE_AFF,
    AFTER_EXIT,
    DAY,
    EARLY_EXIT,
    HOUR,
    INCONCLUSIVE,
    MINUTE,
    MISSED,
    PASS,
    VIOLATION,
    Generator,
    Scenario,
    money,
    pick,
)

_PROGRAM = ("affiliate_program", "ae-affiliate")


def _affiliate(g: Generator) -> Scenario:
    return Scenario(g, AE_AFF, g.seller("ae", pooled=False), _PROGRAM)


def _join(s: Scenario, ts: int) -> None:
    rate = s.r.choice((0.03, 0.05, 0.06, 0.08, 0.1))
    s.add(ts, "affiliate.joined", "seller", {"default_commission_rate": rate} if s.r.random() < 0.8 else None)


def _request_exit(s: Scenario, ts: int, joined: int | None) -> None:
    """An exit request; ``joined`` is the latest join before it, if any."""
    event_id = s.add(ts, "affiliate.exit_requested", "seller")
    if joined is None:
        s.expect(EARLY_EXIT, event_id, INCONCLUSIVE)
        return
    s.expect(EARLY_EXIT, event_id, VIOLATION if ts - joined < 15 * DAY else PASS)


def _leave(s: Scenario, joined: int, not_before: int) -> int:
    """A timely exit request (no earlier than ``not_before``); return when the exit took effect."""
    req = max(joined + 15 * DAY, not_before) + s.r.randint(MINUTE, 5 * DAY)
    _request_exit(s, req, joined)
    done = req + s.r.randint(HOUR, 2 * DAY)
    s.add(done, "affiliate.exited", "system")
    return done


def _order(
    s: Scenario,
    created: int,
    completed: int,
    *,
    attributed: bool,
    commission: float | None,
    member: bool | None,
) -> None:
    """A completed order; ``member``: the latest membership event before ``created`` is a join
    (None: there is none)."""
    data: dict[str, object] = {
        "order_created_at": s.g.stamp(created),
        "affiliate_attributed": attributed,
        "order_amount": money(s.r, 3, 400),
        "currency": "USD",
    }
    if commission is not None:
        data["commission_amount"] = commission
    event_id = s.add(completed, "order.completed", "customer", data, ("order", s.g.order_id()))
    if commission is not None and commission > 0:
        s.expect(AFTER_EXIT, event_id, INCONCLUSIVE if member is None else PASS if member else VIOLATION)
    elif attributed:
        if member is None:  # the catalogue gives no outcome for this case: never built
            raise AssertionError("commission-missed without membership history")
        s.expect(MISSED, event_id, VIOLATION if member else PASS)


def _commission(r: random.Random) -> float:
    return max(0.01, money(r, 0.1, 40))


def _stray_order(s: Scenario, after: int) -> None:
    """An order outside the affiliate program: no commission, triggers nothing."""
    created = after + s.r.randint(HOUR, 10 * DAY)
    _order(
        s,
        created,
        created + s.r.randint(DAY, 10 * DAY),
        attributed=False,
        commission=s.r.choice((0, 0.0)),
        member=None,
    )


def scenario_early_exit(g: Generator, violate: bool) -> None:
    s, r = _affiliate(g), g.r
    t = g.when(80 * DAY)
    kind = pick(r, violate, ("short", "short", "edge", "rejoin"), ("long", "long", "long", "edge", "no-join"))
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


def scenario_after_exit(g: Generator, violate: bool) -> None:
    s, r = _affiliate(g), g.r
    t = g.when(110 * DAY)
    kind = pick(
        r,
        violate,
        ("exited", "exited", "exited", "gap"),
        ("member", "member", "open", "instant", "tie", "rejoined", "unknown", "unknown"),
    )
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
    _order(
        s,
        created,
        created + r.randint(2 * DAY, 20 * DAY),
        attributed=True,
        commission=_commission(r),
        member=member,
    )
    if r.random() < 0.3:
        _stray_order(s, t)


def scenario_missed(g: Generator, violate: bool) -> None:
    s, r = _affiliate(g), g.r
    t = g.when(80 * DAY)
    kind = pick(r, violate, ("member", "member", "exiting", "instant"), ("exited",))
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
    _order(
        s,
        created,
        created + r.randint(2 * DAY, 15 * DAY),
        attributed=True,
        commission=r.choice((0, 0.0, None)),
        member=member,
    )
    if r.random() < 0.3:
        _stray_order(s, t)


def scenario_affiliate_noise(g: Generator, violate: bool) -> None:
    s = _affiliate(g)
    t = g.when(30 * DAY)
    if g.r.random() < 0.5:
        _join(s, t)
    for _ in range(g.r.randint(1, 3)):
        _stray_order(s, t)
