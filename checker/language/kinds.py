"""The lookup kinds of the policy language, each declared once.

A binding under ``let`` is either a *lookup* over the trigger's correlated
events (``last``, ``first``, ``count``, ``exists``, ``sum``) or a ``value``
computed from the bindings before it. Everything the language itself knows
about a lookup kind lives in its :class:`LookupKind` entry of
:data:`LOOKUP_KINDS`:

* its name, which is also the binding's key in YAML (``last: order.paid``);
* the other keys a binding of that kind requires or allows, from which
  :func:`binding_schema` generates the ``binding`` definition of
  ``policy.schema.json`` (the committed schema files are compared with it by
  ``tests/language/test_kinds.py``; after changing an entry, rewrite them with
  ``python -c "from checker.language.kinds import write_policy_schemas as w; w()"``);
* its plain words for ``checker explain``;
* what its value is, and whether it folds every matching event of its window.

Every kind takes the same window keys (:data:`WINDOW_KEYS`): ``where`` and the
anchors of :data:`ANCHOR_KEYS`, strict (``after``, ``before``) or inclusive
(``at_or_after``, ``at_or_before``), at most one per end of the window (the
generated schema refuses two, and :mod:`checker.language.schema` reports it at
the second key).

Engines map kind names to their own code in one table each
(:data:`checker.engines.reference.lookups.LOOKUPS`,
:data:`checker.engines.duckdb.lookups.SQL_LOOKUPS`); a kind an engine has no
entry for is an error naming the kind, never a silent default.

To add a lookup kind: declare it here, regenerate the schema, and give it an
evaluator in each of those two tables (``tests/language/test_kinds.py`` fails
until every engine has one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

#: the type of a lookup's value, as expressions see it
ValueType = Literal["event", "boolean", "integer", "number"]

#: which end of a lookup's window an anchor bounds
End = Literal["lower", "upper"]


@dataclass(frozen=True)
class AnchorKey:
    """One key bounding a lookup's window by an anchor (an event or an instant)."""

    #: the key in a binding (``after: trigger``)
    key: str
    #: the end of the window it bounds: ``lower`` (events after it) or ``upper`` (events before it)
    end: End
    #: whether an event at the anchor's own instant is in the window
    inclusive: bool
    #: how ``checker explain`` and the language reference say it ("strictly after trigger")
    words: str


# "before" and "after" are strict: the catalogue's convention (an event at the same instant as
# the trigger is neither before nor after it). The inclusive forms are for logs whose rules count
# from the anchor itself ("within 1 hour of triage", the triage instant included); instants are
# whole microseconds, so an engine may read ``at_or_after t`` as ``after t - 1`` exactly.
_ANCHORS = (
    AnchorKey("after", "lower", inclusive=False, words="strictly after"),
    AnchorKey("at_or_after", "lower", inclusive=True, words="at or after"),
    AnchorKey("before", "upper", inclusive=False, words="strictly before"),
    AnchorKey("at_or_before", "upper", inclusive=True, words="at or before"),
)
#: every anchor key by name, lower end first (read-only); a binding gives at most one per end
ANCHOR_KEYS: Mapping[str, AnchorKey] = MappingProxyType({a.key: a for a in _ANCHORS})

#: the keys every lookup allows besides its own: the events' condition and the window's anchors
WINDOW_KEYS = ("where", *ANCHOR_KEYS)


def anchor_of(spec: Mapping[str, Any], end: End) -> AnchorKey | None:
    """The anchor key a binding's ``spec`` bounds ``end`` of its window with, or None (unbounded).
    The schema allows at most one per end; of a spec with two, the strict one."""
    return next((a for a in ANCHOR_KEYS.values() if a.end == end and a.key in spec), None)


def _exclusive_anchors(keys: Sequence[str]) -> list[dict[str, Any]]:
    """Schema rules refusing a binding that bounds one end of its window twice (``after`` and
    ``at_or_after``); the schema's error explainer shows a rule's ``description`` as its message."""
    rules = []
    for end in ("lower", "upper"):
        pair = [a for a in ANCHOR_KEYS.values() if a.end == end and a.key in keys]
        if len(pair) < 2:
            continue
        strict, inclusive = (next(a for a in pair if a.inclusive is flag) for flag in (False, True))
        rules.append(
            {
                "description": (
                    f"give either '{strict.key}' ({strict.words} its anchor) or '{inclusive.key}' "
                    f"({inclusive.words} it), not both: they bound the same end of the window"
                ),
                "not": {"required": [strict.key, inclusive.key]},
            }
        )
    return rules


_ACTIONS = {"$ref": "#/$defs/actions"}
_EXPRESSION = {"$ref": "#/$defs/expression"}


@dataclass(frozen=True)
class LookupKind:
    """One lookup kind of the language: its name, schema, words and value."""

    #: the kind's name, and its key in a binding (``count: order.refunded``), whose value is
    #: the action or actions the lookup reads
    name: str
    #: how ``checker explain`` introduces the lookup: "<binding> = <words> <actions> ..."
    words: str
    #: what the lookup's value is when its window is defined (null otherwise)
    value_type: ValueType
    #: True if the value folds every matching event of the window (and all of them are the
    #: decision's evidence); False if one event decides it (the latest or the first)
    aggregates: bool
    #: keys a binding of this kind must give besides the kind's own (each a JMESPath expression
    #: over one event, e.g. what ``sum`` adds up)
    requires: tuple[str, ...] = ()
    #: optional keys (JMESPath expressions)
    options: tuple[str, ...] = WINDOW_KEYS

    def schema(self) -> dict[str, Any]:
        """This kind's branch of the binding's ``oneOf`` in ``policy.schema.json``: an object with
        the kind's key (actions) and its required keys, and no key it does not know."""
        properties: dict[str, Any] = {self.name: dict(_ACTIONS)}
        properties.update({key: dict(_EXPRESSION) for key in (*self.requires, *self.options)})
        schema: dict[str, Any] = {
            "type": "object",
            "additionalProperties": False,
            "required": [self.name, *self.requires],
            "properties": properties,
        }
        exclusive = _exclusive_anchors(self.options)
        if exclusive:
            schema["allOf"] = exclusive
        return schema


# The order is the order of the schema's ``oneOf``, which error messages list the kinds in
# ("needs one of the keys last, first, count, exists, sum, value").
_REGISTRY: dict[str, LookupKind] = {
    kind.name: kind
    for kind in (
        LookupKind("last", words="the latest", value_type="event", aggregates=False),
        LookupKind("first", words="the first", value_type="event", aggregates=False),
        LookupKind("count", words="the number of", value_type="integer", aggregates=True),
        LookupKind("exists", words="whether there is any", value_type="boolean", aggregates=False),
        LookupKind("sum", words="the sum over", value_type="number", aggregates=True, requires=("of",)),
    )
}

#: every lookup kind, by name, in declaration order (read-only)
LOOKUP_KINDS: Mapping[str, LookupKind] = MappingProxyType(_REGISTRY)

#: the binding that is not a lookup: an expression over the bindings before it
VALUE_KIND = "value"

_BINDING_DESCRIPTION = (
    "One named value: a window lookup over the trigger's correlated events, or a computed value."
)


def binding_schema() -> dict[str, Any]:
    """The ``binding`` definition (``$defs/binding``) of ``policy.schema.json``: one branch per
    lookup kind, in registry order, then the ``value`` binding."""
    value_branch = {
        "type": "object",
        "additionalProperties": False,
        "required": [VALUE_KIND],
        "properties": {VALUE_KIND: dict(_EXPRESSION)},
    }
    return {
        "description": _BINDING_DESCRIPTION,
        "oneOf": [*(kind.schema() for kind in LOOKUP_KINDS.values()), value_branch],
    }


def policy_schema_text(current: str) -> str:
    """The text of a policy schema file (``current``) with its ``binding`` definition generated
    from the registry, written the way the committed files are (2-space JSON, UTF-8, final newline)."""
    schema = json.loads(current)
    schema["$defs"]["binding"] = binding_schema()
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


#: the committed policy schema, as the package ships it and at the repository's root (in a checkout
#: the package's ``schemas`` is a link to the root's, so both name one file)
SCHEMA_FILES = (
    Path(__file__).resolve().parent.parent / "schemas" / "policy.schema.json",
    Path(__file__).resolve().parents[2] / "schemas" / "policy.schema.json",
)


def write_policy_schemas(paths: Sequence[Path] = SCHEMA_FILES) -> list[Path]:
    """Regenerate the ``binding`` definition in each schema file of ``paths`` (in a checkout);
    return the files that changed."""
    changed = []
    for path in dict.fromkeys(p.resolve() for p in paths):  # each file once, links followed
        current = path.read_text(encoding="utf-8")
        text = policy_schema_text(current)
        if text != current:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed
