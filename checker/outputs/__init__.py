"""Outputs: every rendering of a result, chosen by name from :data:`RENDERERS`.

Lives here: the options renderers share (:mod:`.options`), one module per
format (:mod:`.text`, :mod:`.jsonresult`, :mod:`.jsonlines`,
:mod:`.csvreport`, :mod:`.junit`, :mod:`.sarif`, :mod:`.github`,
:mod:`.html`, :mod:`.markdown`), the audit report's model, labels and chart
(:mod:`.reportmodel`, :mod:`.reportlabels`, :mod:`.svgchart`), its assets
(``templates/``), and the table of formats (:mod:`.registry`).

May import: :mod:`checker.results`, :mod:`checker.inputs`,
:mod:`checker.language`; never an engine (a renderer reads a result,
whichever engine made it).
"""

from .options import Renderer, RenderOptions, finding_record, safe_terminal
from .registry import RENDERERS, render, write_report

__all__ = [
    "RENDERERS",
    "RenderOptions",
    "Renderer",
    "finding_record",
    "render",
    "safe_terminal",
    "write_report",
]
