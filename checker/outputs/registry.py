"""Every output format by name: the one table that ``--format``, the library and the docs read.

Each renderer takes a :class:`~checker.outputs.options.CheckResult` and its
:class:`~checker.outputs.options.RenderOptions` and returns text, or an
iterable of text pieces when it streams (``json``, ``jsonl``);
:func:`write_report` writes either, to a stream or to a file (whole or not at
all: :mod:`checker.language.atomic`). To add a format: a module in this folder
with a ``render_<name>`` function, and one entry below.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import IO

from ..language.atomic import atomic_write
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


#: the formats that write the findings' JSON texts (:meth:`CheckResult.finding_texts`): a run
#: writing one asks for them before anything else reads the findings
#: (:meth:`CheckResult.keep_finding_texts`), so that an engine that builds its findings late
#: makes each text where it builds the finding, on every core
READS_FINDING_TEXTS = frozenset({"json"})


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


def write_report(
    name: str, result: CheckResult, options: RenderOptions, stream: IO[str] | str | os.PathLike[str]
) -> None:
    """Write the ``name`` rendering of ``result`` to ``stream``, piece by piece when it streams.

    Given a path instead of a stream, the report goes to a temporary file beside it that
    replaces the path only once complete (missing folders are created); on any error the
    path is left as it was.
    """
    if isinstance(stream, str | os.PathLike):
        renderer = _renderer(name)
        with atomic_write(stream, encoding="utf-8", newline="") as fh:
            _write(renderer(result, options), fh)
        return
    _write(_renderer(name)(result, options), stream)


def _write(out: str | Iterable[str], stream: IO[str]) -> None:
    if isinstance(out, str):
        stream.write(out)
        return
    for piece in out:
        stream.write(piece)
