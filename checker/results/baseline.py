"""Baselines: the findings a team has accepted as known, recorded by fingerprint.

``checker baseline create`` writes the current findings
(``schemas/baseline.schema.json``); ``checker check --baseline FILE`` then
reports findings whose fingerprint is in it as *baselined*, apart from new
ones, and does not fail on them. A fingerprint names a rule, platform,
seller and triggering event, so a finding stays baselined across runs, input
orders and rule versions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._version import __version__
from ..language.errors import CheckerError, Location, Problem
from ..language.loader import display_path
from ..language.schema import validator
from ..language.yamlsafe import json_path
from .result import CheckResult

BASELINE_SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class Baseline:
    """Accepted findings by fingerprint, and the file they came from."""

    file: str
    entries: Mapping[str, Mapping[str, Any]]

    def __contains__(self, fingerprint: object) -> bool:
        return fingerprint in self.entries


def baseline_document(result: CheckResult) -> dict[str, Any]:
    """The baseline of a result's findings: stable order, no run-dependent values."""
    # one finding per fingerprint: only one rule version judges a given event
    entries = {
        f.fingerprint: {
            "fingerprint": f.fingerprint,
            "rule_id": f.rule_id,
            "rule_version": f.rule_version,
            "severity": f.severity,
            "platform": f.platform,
            "seller_id": f.seller_id,
            "subject": f.subject,
            "event_id": f.event_id,
            "timestamp": f.timestamp,
        }
        for f in result.findings
    }
    return {
        "schema_version": BASELINE_SCHEMA_VERSION,
        "tool": {"name": "policy-checker", "version": __version__},
        "pack": {
            "name": result.pack.name,
            "revision": result.pack.revision,
            "content_hash": result.pack.content_hash,
        },
        "findings": [entries[k] for k in sorted(entries)],
    }


def write_baseline(result: CheckResult, path: str | os.PathLike[str]) -> int:
    """Write the baseline of ``result`` to ``path``; returns the number of findings recorded."""
    doc = baseline_document(result)
    Path(path).write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return len(doc["findings"])


def load_baseline(path: str | os.PathLike[str]) -> Baseline:
    """Read and validate a baseline file; raises :class:`CheckerError` with every problem."""
    shown = display_path(Path(path))
    try:
        doc = json.loads(Path(path).read_text("utf-8-sig"))
    except OSError as exc:
        raise CheckerError(
            [Problem(Location(shown), "io", f"cannot read the baseline: {exc.strerror}")]
        ) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", 0)
        raise CheckerError(
            [
                Problem(
                    Location(shown, line, getattr(exc, "colno", 0)),
                    "baseline",
                    f"the baseline is not JSON: {exc}",
                )
            ]
        ) from exc
    problems = [
        Problem(
            Location(shown, 0, 0, json_path(tuple(e.absolute_path))),
            "schema",
            f"{json_path(tuple(e.absolute_path))}: {e.message}",
        )
        for e in validator("baseline").iter_errors(doc)
    ]
    if problems:
        raise CheckerError(sorted(problems))
    return Baseline(shown, {e["fingerprint"]: e for e in doc["findings"]})
