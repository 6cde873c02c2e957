"""Waivers: accepted exceptions to a rule, for a seller and/or a subject, until a date.

A waivers file (YAML, ``schemas/waivers.schema.json``) lists exceptions, each
with the rule id, the seller and/or subject it covers, the reason, who
approved it and the last day it applies. Waived findings are reported as
waived and do not fail a run. A waiver past its expiry date no longer
applies (its findings count again) and is itself reported, so exceptions do
not outlive their approval silently.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..language.configfiles import read_document
from ..language.errors import CheckerError, Location, Problem
from .outcomes import Outcome


@dataclass(frozen=True)
class Waiver:
    """One accepted exception, with where it is written."""

    rule: str
    reason: str
    approver: str
    expires: date
    location: Location
    seller: str | None = None
    subject: tuple[str, str] | None = None  # (type, id)
    platform: str | None = None
    ticket: str = ""

    def covers(self, finding: Outcome) -> bool:
        """Whether this waiver names ``finding`` (whatever its expiry)."""
        if finding.rule_id != self.rule:
            return False
        if self.platform is not None and finding.platform != self.platform:
            return False
        if self.seller is not None and finding.seller_id != self.seller:
            return False
        if self.subject is not None:
            subject = finding.subject or {}
            if (str(subject.get("type")), str(subject.get("id"))) != self.subject:
                return False
        return True

    def active(self, today: date) -> bool:
        """A waiver applies through its expiry date."""
        return today <= self.expires

    def as_dict(self) -> dict[str, Any]:
        """The JSON form used in results."""
        return {
            "rule": self.rule,
            "platform": self.platform,
            "seller": self.seller,
            "subject": {"type": self.subject[0], "id": self.subject[1]} if self.subject else None,
            "reason": self.reason,
            "approver": self.approver,
            "ticket": self.ticket,
            "expires": self.expires.isoformat(),
            "file": self.location.file,
            "line": self.location.line,
        }


@dataclass(frozen=True)
class Waivers:
    """The waivers of one file."""

    file: str
    waivers: tuple[Waiver, ...]


def load_waivers(path: str | os.PathLike[str]) -> Waivers:
    """Read and validate a waivers file; raises :class:`CheckerError` with every problem."""
    doc, _, problems = read_document(path, "waivers", "waivers file")
    if doc is None:
        raise CheckerError(problems)
    waivers = []
    for i, item in enumerate(doc.data["waivers"]):
        where = ("waivers", i)
        try:
            expires = date.fromisoformat(item["expires"])
        except ValueError:
            problems.append(
                Problem(
                    doc.location((*where, "expires")), "waiver", f"{item['expires']!r} is not a calendar date"
                )
            )
            continue
        subject = item.get("subject")
        waivers.append(
            Waiver(
                rule=item["rule"],
                reason=item["reason"].strip(),
                approver=item["approver"].strip(),
                expires=expires,
                location=doc.location(where),
                seller=item.get("seller"),
                subject=(str(subject["type"]), str(subject["id"])) if subject else None,
                platform=item.get("platform"),
                ticket=item.get("ticket", ""),
            )
        )
    if problems:
        raise CheckerError(problems)
    return Waivers(doc.file, tuple(waivers))
