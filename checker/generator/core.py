"""Shared machinery of the generator: the span and its constants, the catalogue's rule ids
and outcomes, the five sources, instants and how they are written, the run state
(:class:`Generator`), one entity's events (:class:`Scenario`) and the run summary."""

from __future__ import annotations

import calendar
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Rendering only: Shanghai has kept UTC+8 without daylight saving since 1991.
BEIJING = timezone(timedelta(hours=8))

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
RULE_IDS = tuple(
    sorted(
        (
            EARLY_EXIT,
            AFTER_EXIT,
            MISSED,
            NO_REASON,
            UNREVIEWED_CLOSE,
            NO_NOTICE,
            REFUND,
            NO_EXAM,
            UNREVIEWED_CANCEL,
            LATE_EXTENSION,
            JHS_CANCEL,
            LATE_DEPOSIT,
            SHORT_DEPOSIT,
            SAMPLE_RETURN,
            SECOND_REVIEW,
        )
    )
)

ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


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


def local_date(ts: int) -> date:
    return datetime.fromtimestamp(ts, SHANGHAI).date()


def at_time(day: date, h: int, mi: int = 0, s: int = 0) -> int:
    return int(datetime.combine(day, time(h, mi, s), SHANGHAI).timestamp())


def add_months(ts: int, months: int) -> int:
    """``ts`` plus calendar months in Asia/Shanghai, clamped to the month's last day."""
    d = datetime.fromtimestamp(ts, SHANGHAI)
    y, m0 = divmod(d.month - 1 + months, 12)
    y, m = d.year + y, m0 + 1
    end = d.replace(year=y, month=m, day=min(d.day, calendar.monthrange(y, m)[1]))
    return int(end.timestamp())


class Generator:
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
            return datetime.fromtimestamp(ts, BEIJING).isoformat()
        if x < 0.8:
            return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if x < 0.9:  # naive: Beijing local time, as the platforms export it
            return datetime.fromtimestamp(ts, BEIJING).strftime("%Y-%m-%d %H:%M:%S")
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

    def emit(
        self,
        source: _Source,
        seller: str,
        ts: int,
        action: str,
        actor: str | None,
        subject: tuple[str, str],
        data: Mapping[str, object] | None,
    ) -> str:
        if not _EARLIEST <= ts <= AS_OF:
            raise AssertionError(f"{action} at {ts} lies outside the generated span")
        event_id = f"{source.prefix}-{self.serial(source.prefix):09d}"
        event: dict[str, object] = {
            "event_id": event_id,
            "timestamp": self.stamp(ts),
            "platform": source.platform,
            "seller_id": seller,
            "action": action,
            "subject": {"type": subject[0], "id": subject[1]},
        }
        if actor is not None and self.r.random() >= 0.03:  # a few exports omit the actor
            event["actor"] = actor
        if data is not None:
            event["data"] = data
        self.batch.append(ENCODER.encode(event) + "\n")
        self.made += 1
        return event_id


class Scenario:
    """Events of one entity: a seller and a default subject."""

    __slots__ = ("g", "r", "seller", "source", "subject")

    def __init__(self, g: Generator, source: _Source, seller: str, subject: tuple[str, str]) -> None:
        self.g, self.r, self.source, self.seller, self.subject = g, g.r, source, seller, subject

    def add(
        self,
        ts: int,
        action: str,
        actor: str | None = None,
        data: Mapping[str, object] | None = None,
        subject: tuple[str, str] | None = None,
    ) -> str:
        return self.g.emit(self.source, self.seller, ts, action, actor, subject or self.subject, data)

    def expect(self, rule: str, event_id: str, outcome: str) -> None:
        self.g.truth.append((rule, event_id, outcome))


def pick(r: random.Random, violate: bool, bad: Sequence[str], good: Sequence[str]) -> str:
    """A variant; names repeated in a tuple are proportionally more frequent."""
    return r.choice(bad if violate else good)


def money(r: random.Random, lo: float, hi: float) -> float:
    return round(r.uniform(lo, hi), 2)


def steps_approved(steps: str, tied_last: bool = False) -> bool:
    """For a review flow written as letters (R request, A approval, J rejection) ending with
    the closing event: whether the latest decision after the latest request, and before the
    close, is an approval (False when nothing was requested). ``tied_last``: the step before
    the close happened at the same instant, so it is not before it."""
    body = steps[:-1]
    decisions = [c for c in body[body.rfind("R") + 1 :] if c in "AJ"]
    if tied_last and decisions and body[-1] in "AJ":
        decisions.pop()
    return bool(decisions) and decisions[-1] == "A"
