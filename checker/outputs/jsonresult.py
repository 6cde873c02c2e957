"""The ``json`` format: the documented JSON result (``schemas/result.schema.json``), streamed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import repeat

from ..results.gating import GateCount
from ..results.result import JSON_ENCODER, CheckResult, other_outcome_dict
from .options import RenderOptions, finding_record, triaged_text

#: findings encoded per piece handed to the writer: fewer writes, bounded memory
_CHUNK = 512


def render_json(result: CheckResult, options: RenderOptions) -> Iterator[str]:
    """The documented JSON result (``schemas/result.schema.json``), streamed.

    The pieces join to exactly ``json.dumps(doc, ensure_ascii=False, separators=(",", ":"))``
    of the whole document (plus a newline), but each finding's dict (with its evidence records)
    is built only when it is written: at export scale the findings are most of the document.
    """
    # one line per document: json's C encoder only runs without indentation, and
    # results with 100k findings are for machines (use jq to read one)
    # the findings' texts as the engine makes them, where it can (asked for first, so that it makes
    # them as it builds the findings, unless the command line asked before a gate read them); a
    # triage adds each finding's status to its text, read from the finding without its evidence
    texts = result.finding_texts()
    # a triage's summary comes after the findings: they are counted as they are written
    counted = GateCount(options.triage) if options.triage.active else None
    if texts is not None and counted is not None:
        heads = map(counted.add, result.finding_heads())
        texts = map(triaged_text, texts, heads, repeat(options.triage))
    encode = JSON_ENCODER.encode
    sep = "{"
    for key, value in result.head_dict().items():
        yield sep + encode(key) + ":" + encode(value)
        sep = ","
    yield ',"findings":['
    if texts is None:
        findings = result.findings if counted is None else map(counted.add, result.findings)
        texts = map(encode, (finding_record(f, options) for f in findings))
    yield from _joined(texts)
    yield "]"
    if options.all_outcomes:
        # the entries of CheckResult.to_dict(all_outcomes=True), one at a time
        yield ',"other_outcomes":['
        yield from _joined(map(encode, map(other_outcome_dict, result.other_outcomes())))
        yield "]"
    if counted is not None:
        yield ',"gating":' + encode(options.triage.gating_dict(counted))
    yield "}\n"


def _joined(texts: Iterable[str]) -> Iterator[str]:
    """The JSON array elements ``texts``, comma-separated, a chunk of them per piece."""
    chunk: list[str] = []
    first = True
    for text in texts:
        chunk.append(text)
        if len(chunk) == _CHUNK:
            yield ("" if first else ",") + ",".join(chunk)
            first = False
            chunk = []
    if chunk:
        yield ("" if first else ",") + ",".join(chunk)
