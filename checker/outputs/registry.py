"""Every output format by name: the one table that ``--format``, the library and the docs read.

Each renderer takes a :class:`~checker.outputs.options.CheckResult` and its
:class:`~checker.outputs.options.RenderOptions` and returns text, or an
iterable of text pieces when it streams (``json``, ``jsonl``);
:func:`write_report` writes either. To add a format: a module in this folder
with a ``render_<name>`` function, and one entry below.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import IO

from ..results.result import CheckResult
from .csvreport import render_csv
from .github import render_github
from .html import render_html
from .jsonlines import render_jsonl
from .jsonresult import render_json
from .junit import render_junit
from .markdown import render_markdown
from .options import Renderer, RenderOptions
from .sarif import render_sarif
from .text import render_text

#: the output formats by name (the values of ``checker check --format``)
RENDERERS: Mapping[str, Renderer] = MappingProxyType(
    {
        "text": render_text,
        "json": render_json,
        "jsonl": render_jsonl,
        "csv": render_csv,
        "junit": render_junit,
        "sarif": render_sarif,
        "github": render_github,
        "html": render_html,
        "markdown": render_markdown,
    }
)


def _renderer(name: str) -> Renderer:
    try:
        return RENDERERS[name]
    except KeyError:
        raise ValueError(
            f"unknown output format {name!r}: expected one of {', '.join(sorted(RENDERERS))}"
        ) from None


def render(name: str, result: CheckResult, options: RenderOptions) -> str:
    """The whole text of the ``name`` rendering of ``result``."""
    out = _renderer(name)(result, options)
    return out if isinstance(out, str) else "".join(out)


def write_report(name: str, result: CheckResult, options: RenderOptions, stream: IO[str]) -> None:
    """Write the ``name`` rendering of ``result`` to ``stream``, piece by piece when it streams."""
    out = _renderer(name)(result, options)
    if isinstance(out, str):
        stream.write(out)
        return
    for piece in out:
        stream.write(piece)
