"""The generated parts of the language reference, ``docs/policy-language.md``.

The reference is prose written by hand around sections generated from the
language's own tables, so that it cannot fall behind them:

* ``keys``: every top-level key of a policy, from ``schemas/policy.schema.json``;
* ``test-keys``: every key of a policy test file, from ``schemas/policy-tests.schema.json``;
* ``lookups``: every lookup kind, from :data:`checker.language.kinds.LOOKUP_KINDS`;
* ``anchors``: the window's anchor keys, from :data:`checker.language.kinds.ANCHOR_KEYS`;
* ``functions``: every function an expression may call, from
  :data:`checker.language.expressions.FUNCTION_ARITY` (those JMESPath lacks), with the words, signature and
  example of :data:`FUNCTION_DOCS` (each example's result is checked by the tests).

Each section stands between ``<!-- generated: NAME -->`` and ``<!-- end generated: NAME -->``
in the document. :func:`render_sections` renders them, :func:`rewrite` puts them in a
document's text, and ``python -m checker.language.reference`` rewrites the file
(``tests/language/test_reference.py`` fails while the committed file differs).
A registered function or a schema key without words here is an error naming it.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .expressions import BUILTIN_FUNCTIONS, FUNCTION_ARITY
from .kinds import ANCHOR_KEYS, LOOKUP_KINDS, VALUE_KIND
from .schema import load_schema

#: the language reference, in a checkout
DOC_FILE = Path(__file__).resolve().parents[2] / "docs" / "policy-language.md"
#: the command that rewrites its generated sections
REFRESH = "python -m checker.language.reference"


class StaleTable(LookupError):
    """A registry entry the reference has no words for: add them here, then refresh the doc."""


@dataclass(frozen=True)
class FunctionDoc:
    """How the reference shows one expression function."""

    #: the call with named arguments, e.g. ``plus(t, d)``
    signature: str
    #: what it gives
    words: str
    #: an expression calling it, over literals only
    example: str
    #: what the example gives, as JSON (rule and input timezone Asia/Shanghai)
    result: Any


#: the example's timezone, for the rule's calendar and naive timestamps
EXAMPLE_TIMEZONE = "Asia/Shanghai"

_DOCS = {
    "time": FunctionDoc(
        "time(x)",
        "the instant of `x` (an event, a timestamp text, or an epoch number read by magnitude), "
        "in epoch microseconds",
        "time('2024-03-01T10:00:00+08:00')",
        1709258400000000,
    ),
    "elapsed": FunctionDoc(
        "elapsed(a, b)",
        "microseconds from `a` to `b` (negative when `b` is earlier)",
        "elapsed('2024-03-01T10:00:00+08:00', '2024-03-16T10:00:00+08:00')",
        1296000000000,
    ),
    "duration": FunctionDoc(
        "duration(d)",
        "the exact length of an ISO 8601 duration in microseconds (a day is 24 h); "
        "years and months are refused",
        "duration('PT0.5S')",
        500000,
    ),
    "plus": FunctionDoc(
        "plus(t, d)",
        "`t` moved later by an exact duration",
        "format_time(plus('2024-03-01T10:00:00+08:00', 'PT0.000001S'))",
        "2024-03-01T10:00:00.000001+08:00",
    ),
    "minus": FunctionDoc(
        "minus(t, d)",
        "`t` moved earlier by an exact duration",
        "format_time(minus('2024-03-01T10:00:00+08:00', 'P1DT12H'))",
        "2024-02-28T22:00:00+08:00",
    ),
    "add_calendar": FunctionDoc(
        "add_calendar(t, d)",
        "`t` moved later on the rule's calendar: years and months first (a day past the month's "
        "end becomes its last day), then days keeping the local time, then hours and less as elapsed time",
        "format_time(add_calendar('2024-01-31T10:00:00+08:00', 'P1M'))",
        "2024-02-29T10:00:00+08:00",
    ),
    "sub_calendar": FunctionDoc(
        "sub_calendar(t, d)",
        "`t` moved earlier on the rule's calendar, as `add_calendar` moves it later",
        "format_time(sub_calendar('2024-03-31T10:00:00+08:00', 'P1M'))",
        "2024-02-29T10:00:00+08:00",
    ),
    "local_date": FunctionDoc(
        "local_date(t)",
        "the date of `t` in the rule's timezone, as `YYYY-MM-DD`",
        "local_date('2024-03-01T23:30:00Z')",
        "2024-03-02",
    ),
    "calendar_days": FunctionDoc(
        "calendar_days(a, b)",
        "whole calendar days from the local date of `a` to that of `b`",
        "calendar_days('2024-06-08T23:59:00+08:00', '2024-06-10T00:00:00+08:00')",
        2,
    ),
    "is_blank": FunctionDoc(
        "is_blank(s)",
        "true when `s` is null or only whitespace, full-width spaces too (the example's is U+3000)",
        "is_blank('\u3000')",
        True,
    ),
    "format_time": FunctionDoc(
        "format_time(t)",
        "`t` as RFC 3339 text in the rule's timezone, for messages",
        "format_time('2024-03-01T02:00:00Z')",
        "2024-03-01T10:00:00+08:00",
    ),
    "format_elapsed": FunctionDoc(
        "format_elapsed(us)",
        "an elapsed time in microseconds as text, for messages",
        "format_elapsed(duration('P15DT0.5S'))",
        "15d 0h 0m 0.500000s",
    ),
    "describe": FunctionDoc(
        "describe(v)",
        "a value as a reason shows what a field held: its JSON text and its type",
        "describe('12')",
        '"12" (a string)',
    ),
}
#: the reference's words for each registered function, by name (read-only)
FUNCTION_DOCS: Mapping[str, FunctionDoc] = MappingProxyType(_DOCS)

# Words for the schema keys that carry no description of their own; a key with neither is an error.
_KEY_WORDS = {
    "title": "the rule's name in English and Chinese: `{en, zh}`",
    "description": "the rule in plain words",
    "severity": "how grave a violation is",
    "status": "`disabled` versions are not run; the others are, and their status is shown",
    "tags": "free labels, for reports and filters",
    "source": "`document` (the file the rule encodes) and `quote` (its sentence, verbatim); "
    "optional `section`, `url`",
    "parameters": "`name: {type, default, description}`: values a run may override with "
    "`--param RULE.NAME=VALUE`; each version is judged with its own defaults",
    "on": "the trigger: `action` (one or a list) and an optional `where` over the event",
    "let": "named values, in order, each a lookup or a `value` (see below); each may read the ones before it",
    "inconclusive_if": "a list of `{when, reason}`: the first that holds makes the outcome `inconclusive`",
    "pending_if": "a list of `{when, reason}`: the first that holds makes the outcome `pending`",
    "violation_if": "the expression that makes the outcome `violation` when it holds",
}
# The same for the keys of a policy test file (``*.tests.yaml``) and of each of its cases.
_TEST_KEY_WORDS = {
    "rule": "the id of the rule the cases test (every version of it)",
    "cases": "the cases: each an event sequence and the exact outcomes it must give",
    "name": "what the case shows",
    "description": "more words on the case",
    "as_of": "the as-of time of the run (default: the latest event)",
    "timezone": "the timezone of offset-less timestamps in the events (default Asia/Shanghai)",
    "params": "parameter overrides for the case, `{NAME: VALUE}`",
    "events": "the events, each merged over `defaults`",
    "expect": "`event_id: outcome` (or `{outcome, version}`) for every trigger the rule judges",
}


def _value(spec: Mapping[str, Any]) -> str:
    """A key's value in a few words, from its schema."""
    ref = str(spec.get("$ref", ""))
    named = {
        "text": "`{en, zh}`",
        "instant": "timestamp or date",
        "expression": "expression",
        "actions": "action or list",
    }
    if ref:
        return named.get(ref.rsplit("/", 1)[-1], ref.rsplit("/", 1)[-1])
    if "enum" in spec:
        return " \\| ".join(f"`{v}`" for v in spec["enum"])
    kind = spec.get("type", "any")
    if kind == "array":
        return f"list of {_value(spec.get('items', {}))}"
    return " or ".join(kind) if isinstance(kind, list) else str(kind)


def _keys_table(schema: Mapping[str, Any], words: Mapping[str, str], what: str) -> str:
    required = set(schema.get("required", ()))
    rows = ["| key | required | value | meaning |", "|---|---|---|---|"]
    for key, spec in schema["properties"].items():
        meaning = spec.get("description") or words.get(key)
        if not meaning:
            raise StaleTable(
                f"{what} key {key!r} has no description in its schema and no words in "
                f"checker/language/reference.py (_KEY_WORDS): add one, then run {REFRESH}"
            )
        rows.append(f"| `{key}` | {'yes' if key in required else ''} | {_value(spec)} | {_cell(meaning)} |")
    return "\n".join(rows)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _keys() -> str:
    return _keys_table(load_schema("policy"), _KEY_WORDS, "policy")


def _test_keys() -> str:
    schema = load_schema("policy-tests")
    case = schema["properties"]["cases"]["items"]
    return "\n\n".join(
        [
            "A test file:",
            _keys_table(schema, _TEST_KEY_WORDS, "policy test file"),
            "Each case:",
            _keys_table(case, _TEST_KEY_WORDS, "policy test case"),
        ]
    )


def _lookups() -> str:
    rows = ["| binding | value | evidence | `explain` says |", "|---|---|---|---|"]
    for kind in LOOKUP_KINDS.values():
        keys = ", ".join([f"{kind.name}: ACTIONS", *(f"{k}: EXPR" for k in kind.requires), *kind.options])
        value = {
            "event": "the event, or null",
            "boolean": "true or false",
            "integer": "an integer",
            "number": "a number (null if any is not a number)",
        }[kind.value_type]
        evidence = "every event of the window" if kind.aggregates else "the one event found"
        rows.append(f"| `{{{keys}}}` | {value} | {evidence} | {kind.words} ACTIONS |")
    rows.append(f"| `{{{VALUE_KIND}: EXPR}}` | the expression's value | none of its own | EXPR |")
    return "\n".join(rows)


def _anchors() -> str:
    rows = ["| key | bounds | an event at the anchor's instant | `explain` says |", "|---|---|---|---|"]
    for a in ANCHOR_KEYS.values():
        end = "the start (events after it)" if a.end == "lower" else "the end (events before it)"
        rows.append(f"| `{a.key}` | {end} | {'included' if a.inclusive else 'excluded'} | {a.words} |")
    return "\n".join(rows)


def _functions() -> str:
    rows = ["| function | gives | example | result |", "|---|---|---|---|"]
    for name in custom_functions():
        doc = FUNCTION_DOCS.get(name)
        if doc is None:
            raise StaleTable(
                f"function {name}() has no words in checker/language/reference.py (FUNCTION_DOCS): "
                f"add its signature, words and an example, then run {REFRESH}"
            )
        result = json.dumps(doc.result, ensure_ascii=False)
        rows.append(f"| `{doc.signature}` | {_cell(doc.words)} | `{doc.example}` | `{result}` |")
    builtins = ", ".join(f"`{name}`" for name in sorted(set(FUNCTION_ARITY) & BUILTIN_FUNCTIONS))
    rows += ["", f"JMESPath's own functions may be called too: {builtins}."]
    return "\n".join(rows)


def custom_functions() -> list[str]:
    """The functions the checker adds to JMESPath's own, by name."""
    return sorted(set(FUNCTION_ARITY) - BUILTIN_FUNCTIONS)


#: every generated section by its marker name, in document order
SECTIONS = {
    "keys": _keys,
    "lookups": _lookups,
    "anchors": _anchors,
    "functions": _functions,
    "test-keys": _test_keys,
}


def render_sections() -> dict[str, str]:
    """Every generated section's text, by its marker name."""
    return {name: render() for name, render in SECTIONS.items()}


def _marker(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- generated: {re.escape(name)} -->\n).*?(<!-- end generated: {re.escape(name)} -->)", re.S
    )


def rewrite(text: str) -> str:
    """``text`` with every generated section replaced by what the tables give now; a section whose
    markers are missing is an error naming it."""
    for name, body in render_sections().items():
        found = _marker(name).search(text)
        if found is None:
            raise StaleTable(f"the reference has no '<!-- generated: {name} -->' section")
        text = text[: found.end(1)] + body + "\n" + text[found.start(2) :]
    return text


def write_reference(path: Path = DOC_FILE) -> bool:
    """Rewrite the generated sections of the reference at ``path``; True if the file changed."""
    current = path.read_text(encoding="utf-8")
    text = rewrite(current)
    if text != current:
        path.write_text(text, encoding="utf-8")
    return text != current


if __name__ == "__main__":
    changed = write_reference()
    print(f"{DOC_FILE}: {'rewritten' if changed else 'up to date'}", file=sys.stderr)
