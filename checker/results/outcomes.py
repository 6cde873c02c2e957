"""What a rule decides for one triggering event.

Five outcomes (the catalogue's): ``violation`` (a finding), ``pass``,
``inconclusive`` (the export cannot decide; the reason says why), ``pending``
(an obligation whose deadline has not come at the as-of time) and
``not_applicable`` (the trigger lies outside the rule's effective dates).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from ..inputs.events import Event
from ..language.policy import Text


class Kind(StrEnum):
    """The outcome of one rule for one triggering event."""

    VIOLATION = "violation"
    PASS = "pass"
    INCONCLUSIVE = "inconclusive"
    PENDING = "pending"
    NOT_APPLICABLE = "not_applicable"


OUTCOME_ORDER = tuple(Kind)


def fingerprint(rule_id: str, platform: str, seller_id: str, event_id: str) -> str:
    """A finding's identity across runs and input orders (not across rule versions:
    a new version of a rule judging the same event is the same finding)."""
    text = "\x1f".join(("policy-checker/1", rule_id, platform, seller_id, event_id))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Outcome:
    """One rule version's decision on one triggering event, with the evidence behind it."""

    rule_id: str
    rule_version: str
    kind: Kind
    event_id: str
    epoch: int
    timestamp: str  # RFC 3339 in the rule's timezone
    platform: str
    seller_id: str
    subject: dict[str, Any] | None
    severity: str
    reason: str = ""
    message: Text | None = None
    evidence: tuple[str, ...] = ()
    evidence_events: tuple[Event, ...] = field(default=(), compare=False, repr=False)

    @cached_property
    def fingerprint(self) -> str:
        """Stable identity of this (rule, event) decision (a SHA-256, made once: a gate reads it
        two or three times a finding)."""
        return fingerprint(self.rule_id, self.platform, self.seller_id, self.event_id)

    @property
    def sort_key(self) -> tuple[str, int, str, str]:
        """Results are listed by rule, then time, then event id."""
        return (self.rule_id, self.epoch, self.event_id, self.rule_version)
