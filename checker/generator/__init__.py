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

May import: nothing of the checker (it writes what the checker reads, and must not share its
code, so that it can check it); the standard library only.
"""

from __future__ import annotations

from .core import AS_OF, RULE_IDS, GenerationSummary
from .run import generate, main

__all__ = ["AS_OF", "RULE_IDS", "GenerationSummary", "generate", "main"]
