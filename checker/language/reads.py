"""Declared reads: the data fields a rule reads, their JSON types, and what absence means.

A policy's ``reads`` block names, for the trigger and for each binding whose events it
reads, every data field its conditions use::

    reads:
      enrolled:
        data.base_paid_orders: {type: number, absent: allowed, when: "!within_window"}
      leader_orders:
        data.via_leader: {type: boolean, when: "!within_window"}

A declared field is *unknown* when it holds another JSON type than declared (a number given
as text, a list, an object, a boolean) or, unless ``absent: allowed``, when it is missing
or null. A decision that needs an unknown value is ``inconclusive``, with a generated reason
naming the field, the event and what it held (``data.base_paid_orders of enrolled
(distribution.enrolled e1) held "2" (a string), expected a number``). ``when`` says when the
decision needs the field (default: always), so one that holds whatever the field holds is
still taken; a trigger's ``when`` reads the trigger's fields, as ``on.where`` does, and a
binding's reads the decision context.

Where the check looks depends on what the name holds:

* ``trigger``: the triggering event. An event whose ``on.where`` cannot be read is judged,
  not skipped: the trigger condition becomes ``where || (when && unknown)``.
* a binding holding one event (``last``, ``first``, an event ``value``): that event, when
  there is one (no event is the policy's own case, ``!enrolled``).
* a binding folding a window (``count``, ``sum``, ``exists``): every event of its actions in
  its window, whatever its ``where`` says (``where`` may be what reads the field).

The block is compiled into constructs both engines already run, so they judge it alike: a
``first`` lookup per window field finding the earliest event holding an unknown value, and
one ``inconclusive_if`` condition per field, tried before the policy's own conditions. This
module writes their JMESPath texts; :func:`checker.language.policy.build_policy` compiles them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

#: what a source name holds: the trigger or one event, or a window of events
SourceKind = Literal["event", "window"]

#: the JSON types a field may be declared with, and the test (JMESPath over the value ``{x}``)
#: that is true when the value is not of that type; ``time()`` reads what a timestamp may be
READ_TYPES: Mapping[str, str] = {
    "number": "type({x}) != 'number'",
    "string": "type({x}) != 'string'",
    "boolean": "type({x}) != 'boolean'",
    "timestamp": "time({x}) == `null`",
}

#: how a reason names the expected type
_TYPE_WORDS = {
    "number": "a number",
    "string": "a string",
    "boolean": "a boolean",
    "timestamp": "a timestamp (RFC 3339 text or epoch number)",
}

#: the values of ``absent``: missing is unknown (the default), or a value the policy handles
ABSENT_VALUES = ("unknown", "allowed")


@dataclass(frozen=True)
class FieldRead:
    """One declared field: where it is read (``trigger`` or a binding), its path within that
    event (``data.base_paid_orders``), its JSON type, whether absence is allowed, and the
    condition under which the decision needs it (JMESPath text, or None for always)."""

    source: str
    path: str
    type: str
    absent_allowed: bool = False
    when: str | None = None


@dataclass(frozen=True)
class WindowCheck:
    """A ``first`` lookup to add after binding ``source``, over its actions and window: the
    earliest event whose field is unknown (``where`` is JMESPath over one event)."""

    source: str
    name: str
    where: str


@dataclass(frozen=True)
class Check:
    """A generated ``inconclusive_if`` condition: its JMESPath text over the decision
    context and its reason, as text parts and JMESPath texts to render (``(text, is_expr)``)."""

    when: str
    reason: tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class Expansion:
    """What a ``reads`` block adds to a policy: the trigger condition (None: unchanged), the
    window lookups, and the conditions, in declaration order."""

    trigger_where: str | None
    windows: tuple[WindowCheck, ...]
    checks: tuple[Check, ...]


def unknown_test(value: str, read: FieldRead) -> str:
    """JMESPath text, true when ``value`` (an expression text) is unknown for ``read``."""
    wrong = READ_TYPES[read.type].format(x=value)
    return f"{value} != `null` && ({wrong})" if read.absent_allowed else wrong


def _needed(read: FieldRead, test: str) -> str:
    return test if read.when is None else f"({read.when}) && ({test})"


def expand(
    reads: tuple[FieldRead, ...], sources: Mapping[str, SourceKind], trigger_where: str | None
) -> Expansion:
    """The constructs ``reads`` compiles to. ``sources`` says what each binding name holds
    (``trigger`` holds an event); ``trigger_where`` is the policy's ``on.where`` text or None."""
    windows: list[WindowCheck] = []
    checks: list[Check] = []
    trigger_terms: list[str] = []
    taken = set(sources)
    expected = ""
    reason: tuple[tuple[str, bool], ...]
    for read in reads:
        expected = f", expected {_TYPE_WORDS[read.type]}"
        if read.source == "trigger":
            test = unknown_test(read.path, read)
            trigger_terms.append(_needed(read, test))
            # the trigger's ``when`` reads the trigger's fields: evaluated on the trigger (pipe)
            when = unknown_test(f"trigger.{read.path}", read)
            if read.when is not None:
                when = f"(trigger | ({read.when})) && ({when})"
            reason = ((f"{read.path} of the trigger held ", False), (f"describe(trigger.{read.path})", True))
            checks.append(Check(when, (*reason, (expected, False))))
        elif sources[read.source] == "event":
            source = read.source
            test = f"{source} && ({unknown_test(f'{source}.{read.path}', read)})"
            reason = (
                (f"{read.path} of {source} (", False),
                (f"{source}.action", True),
                (" ", False),
                (f"{source}.event_id", True),
                (") held ", False),
                (f"describe({source}.{read.path})", True),
                (expected, False),
            )
            checks.append(Check(_needed(read, test), reason))
        else:
            name = _fresh(f"{read.source}__unknown", taken)
            windows.append(WindowCheck(read.source, name, unknown_test(read.path, read)))
            reason = (
                (f"{read.path} of ", False),
                (f"{name}.action", True),
                (" ", False),
                (f"{name}.event_id", True),
                (f" (read by {read.source}) held ", False),
                (f"describe({name}.{read.path})", True),
                (expected, False),
            )
            checks.append(Check(_needed(read, name), reason))
    where = trigger_where
    if trigger_where is not None and trigger_terms:
        where = " || ".join([f"({trigger_where})", *(f"({t})" for t in trigger_terms)])
    return Expansion(where, tuple(windows), tuple(checks))


def _fresh(stem: str, taken: set[str]) -> str:
    """A binding name not yet taken: ``stem``, else ``stem2``, ``stem3``..."""
    name, n = stem, 1
    while name in taken:
        n += 1
        name = f"{stem}{n}"
    taken.add(name)
    return name
