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

#: characters JSON leaves as they are inside a string but that many line readers (Python's
#: str.splitlines, JavaScript) take for a line break: written escaped, one finding stays one line
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def render_jsonl(result: CheckResult, options: RenderOptions) -> Iterator[str]:
    """The findings as JSON Lines, in the result's order."""
    for finding in result.findings:
        # json.dumps writes these characters only inside strings, where the escape means the same
        yield json.dumps(finding_record(finding, options), ensure_ascii=False).translate(_LINE_BREAKS) + "\n"
