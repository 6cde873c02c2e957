"""Events and windows at their anchors' boundaries, for tests that run every lookup kind with every
anchor key: each seller has its trigger at ``T`` and one looked-up event a microsecond (or an hour)
off it, and each window says which of those offsets it holds."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.language.kindcases import LOOKED_UP

#: the trigger's instant, in epoch microseconds (read as such: it is above 10^14)
T = 1_700_000_000_000_000
#: ``T`` as a timestamp text in the trigger's data, for an anchor computed from data
T_TEXT = "2023-11-14T22:13:20.000000Z"
HOUR = 3_600_000_000
#: where each seller's one looked-up event lies, relative to its trigger
OFFSETS = (-HOUR - 1, -HOUR, -HOUR + 1, -1, 0, 1)


@dataclass(frozen=True)
class Window:
    """A binding's anchor keys and which offsets from the trigger its window holds."""

    name: str
    anchors: dict[str, str]
    holds: Callable[[int], bool]
    #: False if an anchor is null for every trigger (the lookup's value is then null)
    defined: bool = True


WINDOWS = (
    Window("after", {"after": "trigger"}, lambda o: o > 0),
    Window("at_or_after", {"at_or_after": "trigger"}, lambda o: o >= 0),
    Window("before", {"before": "trigger"}, lambda o: o < 0),
    Window("at_or_before", {"at_or_before": "trigger"}, lambda o: o <= 0),
    # both ends, one inclusive and one strict; anchors that are instants, not events
    Window(
        "hour_open_end",
        {"at_or_after": "minus(trigger, 'PT1H')", "before": "trigger"},
        lambda o: -HOUR <= o < 0,
    ),
    Window(
        "hour_open_start",
        {"after": "minus(trigger, 'PT1H')", "at_or_before": "trigger"},
        lambda o: -HOUR < o <= 0,
    ),
    Window(
        "both_inclusive",
        {"at_or_after": "minus(trigger, 'PT1H')", "at_or_before": "trigger"},
        lambda o: -HOUR <= o <= 0,
    ),
    # an instant read from the trigger's data
    Window("data_anchor", {"at_or_after": "time(trigger.data.at)"}, lambda o: o >= 0),
    # an inclusive anchor that is null makes the lookup null, as a strict one does
    Window("null_anchor", {"at_or_after": "time(trigger.data.missing)"}, lambda o: False, defined=False),
)


def seller(offset: int) -> str:
    """The seller whose looked-up event lies ``offset`` microseconds from its trigger."""
    return f"s{offset}".replace("-", "m")


def write_events(directory: Path) -> Path:
    """For each offset, a seller with a refund (amount 5) at ``T + offset`` and a trigger at ``T``
    whose data holds ``T`` as text (``at``)."""
    rows: list[dict[str, Any]] = []
    for offset in OFFSETS:
        base = {"platform": "aliexpress", "seller_id": seller(offset)}
        rows.append(
            {
                **base,
                "event_id": f"r_{seller(offset)}",
                "timestamp": T + offset,
                "action": LOOKED_UP,
                "data": {"amount": 5},
            }
        )
        rows.append(
            {
                **base,
                "event_id": f"t_{seller(offset)}",
                "timestamp": T,
                "action": "order.completed",
                "data": {"at": T_TEXT},
            }
        )
    path = directory / "events.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path
