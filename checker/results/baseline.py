"""Baselines: the findings a team has accepted as known, recorded by fingerprint.

``checker baseline create`` writes the current findings
(``schemas/baseline.schema.json``); ``checker check --baseline FILE`` then
reports findings whose fingerprint is in it as *baselined*, apart from new
ones, and does not fail on them. A fingerprint names a rule, platform,
seller and triggering event, so a finding stays baselined across runs, input
orders and rule versions. The file also records the tool and the pack
(name, revision, content hash) it was made with, which :class:`Baseline`
keeps so that the gate can warn when it is applied to another pack
(:func:`checker.results.gating.baseline_warnings`).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .._version import __version__
from ..language.atomic import atomic_write
from ..language.errors import CheckerError, Location, Problem
from ..language.loader import display_path
from ..language.schema import validator
from ..language.yamlsafe import json_path
from .result import CheckResult

BASELINE_SCHEMA_VERSION = "1.0"
#: the deepest nesting of arrays and objects a baseline may have (the file is level 1; a baseline
#: written by the checker has 4): deeper is a ``too-deep`` error at the bracket that goes past it,
#: before the JSON is parsed (a few thousand levels made the parser raise RecursionError)
MAX_BASELINE_DEPTH = 64
#: what the scan before parsing steps over or looks at: strings (brackets inside do not count),
#: brackets, the constants Python's json reads but JSON has not, and numbers
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]|-?Infinity|NaN|-?[0-9][0-9.]*(?:[eE][+-]?[0-9]+)?')


@dataclass(frozen=True)
class Baseline:
    """Accepted findings by fingerprint, the file they came from, and the pack they were made
    with (``name``, ``revision``, ``content_hash``; None when the file does not say)."""

    file: str
    entries: Mapping[str, Mapping[str, Any]]
    pack: Mapping[str, Any] | None = None

    def __contains__(self, fingerprint: object) -> bool:
        return fingerprint in self.entries


def baseline_document(result: CheckResult) -> dict[str, Any]:
    """The baseline of a result's findings: stable order, no run-dependent values."""
    # one finding per fingerprint: only one rule version judges a given event; a baseline reads
    # no evidence, so neither does the pass over the findings (finding_heads)
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
        for f in result.finding_heads()
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


def write_baseline(result: CheckResult, path: str | os.PathLike[str] | IO[str]) -> int:
    """Write the baseline of ``result`` to ``path`` (whole or not at all: through a temporary
    file, :func:`checker.language.atomic.atomic_write`) or to a text stream; returns the
    number of findings recorded."""
    doc = baseline_document(result)
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if isinstance(path, str | os.PathLike):
        with atomic_write(path, encoding="utf-8", newline="") as fh:
            fh.write(text)
    else:
        path.write(text)
    return len(doc["findings"])


def load_baseline(path: str | os.PathLike[str]) -> Baseline:
    """Read and validate a baseline file; raises :class:`CheckerError` with every problem."""
    shown = display_path(Path(path))
    try:
        text = Path(path).read_text("utf-8-sig")
        problem = _unsafe_json(text, shown)
        if problem is not None:
            raise CheckerError([problem])
        doc = json.loads(text)
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
    return Baseline(shown, {e["fingerprint"]: e for e in doc["findings"]}, doc.get("pack"))


def _unsafe_json(text: str, file: str) -> Problem | None:
    """The first thing in a baseline's JSON ``text`` that parsing must not meet: nesting deeper
    than :data:`MAX_BASELINE_DEPTH`, or a number that is not finite (``NaN``, ``Infinity``,
    ``1e999``, which Python's json reads and JSON has not), located; None when there is none."""
    depth = 0
    for m in _TOKENS.finditer(text):
        token = m.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_BASELINE_DEPTH:
                return _at(
                    text,
                    m.start(),
                    file,
                    "too-deep",
                    f"arrays and objects nested more than {MAX_BASELINE_DEPTH} levels deep "
                    "(the limit for a baseline; the checker writes 4)",
                )
        elif token in ("]", "}"):
            depth = max(depth - 1, 0)
        elif token[0] != '"' and (token.endswith(("Infinity", "NaN")) or not _finite(token)):
            return _at(
                text,
                m.start(),
                file,
                "non-finite-number",
                f"{token[:40]} is not a finite JSON number: recreate the baseline with "
                "checker baseline create",
            )
    return None


def _finite(number: str) -> bool:
    try:
        return math.isfinite(float(number))
    except ValueError:  # not a number at all: the parser says where
        return True


def _at(text: str, offset: int, file: str, code: str, message: str) -> Problem:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Problem(Location(file, line, column), code, message)
