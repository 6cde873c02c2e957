"""Safe YAML loading that remembers where every value came from.

PyYAML's ``safe_load`` is safe against code execution but still merges
duplicate keys silently, expands aliases (the "billion laughs" bomb) and
forgets positions. Policies are small hand-written files, so this loader is
stricter: it composes the node graph with the safe loader, refuses aliases,
merge keys, custom tags and duplicate keys, and returns the plain data with a
map from JSON path to ``(line, column)``.

YAML timestamps (``effective_from: 2023-09-16``) are kept as their text: the
policy schema wants strings, and the checker parses them with its own rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Location, Problem

Path = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_PLAIN_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    _STR,
}
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
#: the deepest nesting of mappings and sequences in a policy, waiver, profile or test file: the
#: shipped files stay below 10; deeper is a ``too-deep`` error at the node that goes past it
MAX_YAML_DEPTH = 64


@dataclass(frozen=True)
class Document:
    """A loaded YAML document: its data and where each value and key starts."""

    file: str
    data: Any
    values: dict[Path, tuple[int, int]]
    keys: dict[Path, tuple[int, int]]
    styles: dict[Path, str | None]

    def location(self, path: Path, *, key: bool = False) -> Location:
        """The location of the value at ``path`` (or of its key), else its nearest parent."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe and probe not in table:
            probe = probe[:-1]
        line, col = table.get(probe, self.values.get((), (1, 1)))
        return Location(self.file, line, col, json_path(path))

    def text_location(self, path: Path, offset: int) -> Location:
        """The location of character ``offset`` inside the scalar string at ``path``.

        Exact for single-line plain and quoted scalars; for block scalars
        (``|``, ``>``) the first line of the block is given.
        """
        loc = self.location(path)
        style = self.styles.get(tuple(path))
        if style is None:
            return Location(loc.file, loc.line, loc.column + offset, loc.json_path)
        if style in ("'", '"'):
            return Location(loc.file, loc.line, loc.column + 1 + offset, loc.json_path)
        return Location(loc.file, loc.line + 1, 1, loc.json_path)


def json_path(path: Path) -> str:
    """``('let', 'joined', 'before')`` -> ``$.let.joined.before``."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class _NoAliasLoader(yaml.SafeLoader):
    """A safe loader whose composer refuses anchors' aliases."""

    depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # unannotated in types-PyYAML
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in policy files", event.start_mark
            )
        if self.depth >= MAX_YAML_DEPTH and not self.check_event(yaml.ScalarEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # unannotated in types-PyYAML
            raise _TooDeep(
                None,
                None,
                f"mappings and lists nested more than {MAX_YAML_DEPTH} levels deep",
                event.start_mark,
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _TooDeep(yaml.composer.ComposerError):
    """A YAML document nested deeper than :data:`MAX_YAML_DEPTH`."""


def load_yaml(text: str, file: str) -> tuple[Document | None, list[Problem]]:
    """Parse one YAML document; return it, or ``None`` and the problems found."""
    try:
        # the reader checks every character when it is made: a raw control character (NUL, ESC)
        # fails here, before parsing starts
        loader = _NoAliasLoader(text)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - text.rfind("\n", 0, exc.position)
        message = (
            f"the character U+{exc.character:04X} cannot appear in YAML as it is; "
            "write it escaped in a double-quoted string (\\u00XX) or remove it"
            if isinstance(exc.character, int)
            else str(exc)
        )
        return None, [Problem(Location(file, line, col), "yaml-syntax", message)]
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        code = "unsafe-yaml" if "alias" in str(exc.problem) else "yaml-syntax"
        if isinstance(exc, _TooDeep):
            code = "too-deep"
        message = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        return None, [Problem(Location(file, line, col), code, message)]
    except yaml.YAMLError as exc:
        return None, [Problem(Location(file, 1, 1), "yaml-syntax", str(exc))]
    except RecursionError:  # not expected within MAX_YAML_DEPTH: still a located error, not a crash
        return None, [Problem(Location(file, 1, 1), "too-deep", "the document is nested too deep to read")]
    finally:
        loader.dispose()
    if node is None:
        return None, [Problem(Location(file, 1, 1), "yaml-syntax", "the file is empty")]
    values: dict[Path, tuple[int, int]] = {}
    keys: dict[Path, tuple[int, int]] = {}
    styles: dict[Path, str | None] = {}
    problems: list[Problem] = []
    constructor = yaml.SafeLoader("")
    data = _build(node, (), file, values, keys, styles, problems, constructor)
    if problems:
        return None, problems
    return Document(file, data, values, keys, styles), []


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _build(
    node: Node,
    path: Path,
    file: str,
    values: dict[Path, tuple[int, int]],
    keys: dict[Path, tuple[int, int]],
    styles: dict[Path, str | None],
    problems: list[Problem],
    constructor: yaml.SafeLoader,
) -> Any:
    values[path] = _mark(node)
    if isinstance(node, ScalarNode):
        styles[path] = node.style
        if node.tag == _TIMESTAMP:
            return node.value
        if node.tag not in _PLAIN_TAGS:
            problems.append(_unsafe(node, file, path, f"the tag {node.tag!r} is not allowed"))
            return None
        value = constructor.construct_object(node, deep=True)
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(
                Problem(
                    Location(file, *_mark(node), json_path(path)),
                    "non-finite-number",
                    f"{node.value} is not a finite number: JSON results cannot hold NaN or infinities",
                )
            )
            return None
        return value
    if isinstance(node, SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            problems.append(_unsafe(node, file, path, f"the tag {node.tag!r} is not allowed"))
            return None
        return [
            _build(child, (*path, i), file, values, keys, styles, problems, constructor)
            for i, child in enumerate(node.value)
        ]
    if isinstance(node, MappingNode):
        if node.tag != "tag:yaml.org,2002:map":
            problems.append(_unsafe(node, file, path, f"the tag {node.tag!r} is not allowed"))
            return None
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(_unsafe(key_node, file, path, "merge keys (<<) are not allowed"))
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _PLAIN_TAGS:
                problems.append(
                    Problem(
                        Location(file, *_mark(key_node), json_path(path)),
                        "schema",
                        "mapping keys must be plain scalars",
                    )
                )
                continue
            key = str(key_node.value)
            child = (*path, key)
            if key in out:
                first = keys[child]
                problems.append(
                    Problem(
                        Location(file, *_mark(key_node), json_path(child)),
                        "duplicate-key",
                        f"duplicate key {key!r} (first defined at line {first[0]}); "
                        "YAML would silently keep only the last one",
                    )
                )
                continue
            keys[child] = _mark(key_node)
            out[key] = _build(value_node, child, file, values, keys, styles, problems, constructor)
        return out
    problems.append(_unsafe(node, file, path, "unsupported YAML node"))
    return None


def _unsafe(node: Node, file: str, path: Path, message: str) -> Problem:
    return Problem(Location(file, *_mark(node), json_path(path)), "unsafe-yaml", message)
