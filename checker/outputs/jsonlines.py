"""``jsonl``: one finding per line, written as it is rendered.

Each line is the finding's object from the JSON result (``findings[]`` in
``schemas/result.schema.json``), with ``status`` (and ``waiver``) when a
baseline, waivers or ``--fail-on`` are in use.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..results.result import CheckResult
from .options import RenderOptions, finding_record


def render_jsonl(result: CheckResult, options: RenderOptions) -> Iterator[str]:
    """The findings as JSON Lines, in the result's order."""
    for finding in result.findings:
        yield json.dumps(finding_record(finding, options), ensure_ascii=False) + "\n"
