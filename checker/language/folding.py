"""Spaces YAML puts between Chinese characters when it folds a line, found where they are.

A folded block (``>``, ``>-``) or a plain or quoted scalar written over several
lines is joined with a space at each line break. In English that is the word
gap the author meant; between two Chinese characters or punctuation marks it is
a stray gap in the rendered text (``创建于 ...+08:00， 此时``). Policy texts are
shown to people as they are, so :func:`folded_cjk_spaces` reports each such
break as a located problem, with the ways to write the text that do not add it:
a double-quoted scalar whose line ends with ``\\`` (an escaped line break joins
without a space), or the sentence on one line.

It reads the source text, not the loaded value: the value no longer says which
of its spaces the author typed and which YAML added.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Location, Problem
from .yamlsafe import Path, json_path

#: CJK punctuation, ideographs (with extension A) and full-width forms: a space between two of
#: them is never the author's intent in Chinese text
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")

CODE = "folded-cjk-space"

_HOW = (
    "YAML joins the lines of a folded (>) or multi-line scalar with a space: write the text on one "
    "line, or double-quoted with a \\ at the end of the line (an escaped line break adds nothing)"
)


def folded_cjk_spaces(text: str, file: str) -> list[Problem]:
    """Every line break of a string scalar in YAML ``text`` that the loader turns into a space
    between two CJK characters (or punctuation marks), located at the line's end. ``text`` must
    already load safely (:func:`checker.language.yamlsafe.load_yaml`)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:  # the safe loader has reported it already
        return []
    if root is None:
        return []
    lines = text.split("\n")
    problems = []
    for path, node in _scalars(root, ()):
        for line, column, left, right in _folds(node, lines):
            if f"{left} {right}" in node.value:  # the join really put a space there
                problems.append(
                    Problem(
                        Location(file, line, column, json_path(path)),
                        CODE,
                        f"{json_path(path)}: the line break after {left!r} becomes a space before "
                        f"{right!r}, a stray gap in Chinese text. {_HOW}",
                    )
                )
    return problems


def _scalars(node: Node, path: Path) -> Iterator[tuple[Path, ScalarNode]]:
    """Every string scalar value under ``node`` with its path (keys are not texts)."""
    if isinstance(node, ScalarNode):
        if node.tag == "tag:yaml.org,2002:str" and node.start_mark.line != node.end_mark.line:
            yield path, node
    elif isinstance(node, SequenceNode):
        for i, child in enumerate(node.value):
            yield from _scalars(child, (*path, i))
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            yield from _scalars(value, (*path, str(key.value)))


def _folds(node: ScalarNode, lines: list[str]) -> Iterator[tuple[int, int, str, str]]:
    """(line, column, last character, next character) of each line break of ``node`` that folds
    into a space, lines and columns 1-based; the column is just after the last character."""
    first, last = node.start_mark.line, node.end_mark.line
    style = node.style
    if style == "|":
        return  # a literal block keeps its line breaks
    body = [(i, lines[i].rstrip("\r")) for i in range(first, min(last, len(lines) - 1) + 1)]
    if style == ">":
        yield from _block_folds(body[1:])  # the first line is the header (">-")
        return
    # a flow scalar (plain, '...' or "..."): its first line starts at the scalar, its last ends there
    start = node.start_mark.column
    end = node.end_mark.column
    body = [(i, s[start:] if i == first else s[:end] if i == last else s) for i, s in body]
    for (i, line), (_, following) in itertools.pairwise(body):
        ending, opening = line.rstrip(" \t"), following.lstrip(" \t")
        if not ending or not opening:
            continue  # a blank line: the break is kept as a line break, not a space
        if style == '"' and (len(ending) - len(ending.rstrip("\\"))) % 2 == 1:
            continue  # an escaped line break: joined without a space
        if CJK.match(ending[-1]) and CJK.match(opening[0]):
            column = len(ending) + (start if i == first else 0)  # of the last character
            yield i + 1, column + 1, ending[-1], opening[0]


def _block_folds(body: list[tuple[int, str]]) -> Iterator[tuple[int, int, str, str]]:
    """The folds of a ``>`` block's content lines: a break between two non-empty lines at the
    block's indentation (more-indented lines and blank lines keep their breaks). The block's
    indentation is its first non-empty line's; it ends at a line indented less."""
    content = [s for _, s in body if s.strip()]
    if not content:
        return
    indent = len(content[0]) - len(content[0].lstrip(" "))
    block: list[tuple[int, str]] = []
    for i, line in body:
        if line.strip() and len(line) - len(line.lstrip(" ")) < indent:
            break  # the next key (the scalar's end mark lies on its line)
        block.append((i, line))
    for (i, line), (_, following) in itertools.pairwise(block):
        if not line.strip() or not following.strip():
            continue
        if line[indent : indent + 1] in (" ", "\t") or following[indent : indent + 1] in (" ", "\t"):
            continue  # a more-indented line keeps its break
        ending, opening = line.rstrip(" \t"), following[indent:]
        if CJK.match(ending[-1]) and CJK.match(opening[0]):
            yield i + 1, len(ending) + 1, ending[-1], opening[0]
