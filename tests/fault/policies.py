"""Hypothesis strategies for broken policies: a shipped policy, mutated.

A mutation works on the policy's YAML as data (a key dropped, a value of another type, a value
nested deep, an odd expression, an odd duration, an odd message template, an unknown key) or on
its text (truncated, tabs, a duplicate key, an alias, a Python tag, ``.nan``, a flow collection
nested a thousand deep, bytes that are not UTF-8). Each kind is one entry of
:data:`TREE_MUTATIONS` or :data:`TEXT_FAULTS`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from checker.language.yamlsafe import load_yaml
from tests.conftest import POLICIES

#: every policy file of the shipped pack (not its tests), as text
POLICY_TEXTS: tuple[tuple[str, str], ...] = tuple(
    (path.name, path.read_text("utf-8"))
    for path in sorted(POLICIES.rglob("*.yaml"))
    if not path.name.endswith(".tests.yaml") and path.name != "pack.yaml"
)

#: keys whose values are JMESPath expressions (or lists of them)
EXPRESSION_KEYS = frozenset(
    {"violation_if", "when", "where", "value", "of", "after", "before", "correlate_by"}
)

ODD_EXPRESSIONS = (
    "",
    " ",
    "`",
    "trigger ||",
    "trigger.data.x > `1e400`",
    "`NaN`",
    "`Infinity` > `1`",
    "[" * 70 + "trigger" + "]" * 70,
    "(" * 70 + "trigger" + ")" * 70,
    "!" * 200 + "trigger",
    "trigger" + ".a" * 300,
    "duration(params.nope)",
    "duration(`5`)",
    "duration('P1M')",
    "duration('P99999999999999D')",
    "plus(trigger, `1e300`)",
    "minus(trigger, duration(`15`))",
    "add_calendar(trigger, 'P99999999999999D')",
    "sub_calendar(trigger, 'P-1M')",
    "time(`-1e30`)",
    "time('9999-12-31T23:59:59Z')",
    "elapsed(trigger)",
    "nope(trigger)",
    "format_time(`[]`)",
    "format_elapsed(`1e300`)",
    "local_date(`true`)",
    'calendar_days(trigger, `"x"`)',
    "length(@)",
    "&trigger",
    "*",
    'trigger.data."\u202e"',
    'trigger.data."\x00"',
    "null",
    "trigger == trigger == trigger",
    "`123456789012345678901234567890` < trigger.data.amount",
    "sum(`[1e308, 1e308]`)",
    "max_by(@, &a)",
    "is_blank(`5`)",
)

ODD_DURATIONS = (
    "P",
    "P0D",
    "PT0S",
    "-P1D",
    "P1M",
    "P1Y",
    "P1W",
    "P1.5D",
    "PT1e3S",
    "p15d",
    "P15D ",
    " P15D",
    "P36600D",
    "P36601D",
    "P1200M",
    "P1201M",
    "P99999999999999D",
    "PT99999999999999999999H",
    "P１５D",
    15,
    1.5,
    -1,
    True,
    None,
    [],
)

ODD_TEMPLATES = (
    "{{",
    "}}",
    "{{ }}",
    "{{ nope( }}",
    "{{ trigger.data.x }}{{",
    "{{ " + "[" * 80 + "trigger" + "]" * 80 + " }}",
    "{{ params.nope }}",
    "{{ format_elapsed(elapsed(trigger, trigger)) }} \u202e\x00",
    "",
)

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
)
small_values = st.recursive(
    _SCALARS,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=6,
)

Path_ = tuple[Any, ...]


def _data(name: str, text: str) -> dict[str, Any]:
    """A policy's YAML as data, read as the checker reads it (``on`` is a key, not ``True``)."""
    doc, problems = load_yaml(text, name)
    assert doc is not None and isinstance(doc.data, dict), problems
    return dict(doc.data)


def paths(node: Any, here: Path_ = ()) -> list[Path_]:
    """Every position below ``node`` (dict keys and list indices), depth first."""
    out: list[Path_] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        out.append((*here, key))
        out.extend(paths(child, (*here, key)))
    return out


def _get(node: Any, path: Path_) -> Any:
    for key in path:
        node = node[key]
    return node


def _set(node: Any, path: Path_, value: Any) -> None:
    _get(node, path[:-1])[path[-1]] = value


Draw = Callable[[st.SearchStrategy[Any]], Any]


def _drop(draw: Draw, doc: dict[str, Any]) -> None:
    path = draw(st.sampled_from(paths(doc)))
    parent = _get(doc, path[:-1])
    del parent[path[-1]]


def _wrong_type(draw: Draw, doc: dict[str, Any]) -> None:
    _set(doc, draw(st.sampled_from(paths(doc))), draw(small_values))


def _deep(draw: Draw, doc: dict[str, Any]) -> None:
    path = draw(st.sampled_from(paths(doc)))
    value = _get(doc, path)
    for _ in range(draw(st.sampled_from([8, 40, 62, 63, 64, 65, 200]))):
        value = [value] if draw(st.booleans()) else {"k": value}
    _set(doc, path, value)


def _expression(draw: Draw, doc: dict[str, Any]) -> None:
    places = [p for p in paths(doc) if any(k in EXPRESSION_KEYS for k in p if isinstance(k, str))]
    places = [p for p in places if isinstance(_get(doc, p), str)] or [("violation_if",)]
    _set(doc, draw(st.sampled_from(places)), draw(st.sampled_from(ODD_EXPRESSIONS)))


def _duration(draw: Draw, doc: dict[str, Any]) -> None:
    params = doc.get("parameters")
    places = [("parameters", name, "default") for name in params] if isinstance(params, dict) else []
    if not places:  # a parameter of its own, used where a duration is expected
        doc["parameters"] = {"x": {"type": "duration", "default": "P1D", "description": "fuzz"}}
        doc["violation_if"] = "elapsed(trigger, trigger) < duration(params.x)"
        places = [("parameters", "x", "default")]
    if draw(st.booleans()):
        _set(
            doc,
            (*draw(st.sampled_from(places))[:2], "type"),
            draw(st.sampled_from(["number", "string", "nope"])),
        )
    _set(doc, draw(st.sampled_from(places)), draw(st.sampled_from(ODD_DURATIONS)))


def _template(draw: Draw, doc: dict[str, Any]) -> None:
    lang = draw(st.sampled_from(["en", "zh"]))
    doc.setdefault("message", {})
    if isinstance(doc["message"], dict):
        doc["message"][lang] = draw(st.sampled_from(ODD_TEMPLATES))


def _unknown_key(draw: Draw, doc: dict[str, Any]) -> None:
    dicts = [()] + [p for p in paths(doc) if isinstance(_get(doc, p), dict)]
    where = _get(doc, draw(st.sampled_from(dicts)))
    where[draw(st.text(min_size=1, max_size=6))] = draw(small_values)


#: mutations of a policy's data, by name
TREE_MUTATIONS: dict[str, Callable[[Draw, dict[str, Any]], None]] = {
    "drop-key": _drop,
    "wrong-type": _wrong_type,
    "deep-nesting": _deep,
    "odd-expression": _expression,
    "odd-duration": _duration,
    "odd-template": _template,
    "unknown-key": _unknown_key,
}


def _truncate(draw: Draw, text: bytes) -> bytes:
    return text[: draw(st.integers(min_value=0, max_value=len(text)))]


def _tab(draw: Draw, text: bytes) -> bytes:
    lines = text.split(b"\n")
    i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
    lines[i] = b"\t" + lines[i]
    return b"\n".join(lines)


def _append(extra: bytes) -> Callable[[Draw, bytes], bytes]:
    return lambda draw, text: text + b"\n" + extra + b"\n"


def _not_utf8(draw: Draw, text: bytes) -> bytes:
    at = draw(st.integers(min_value=0, max_value=len(text)))
    return text[:at] + b"\xff\xfe" + text[at:]


#: faults of a policy's YAML text, by name
TEXT_FAULTS: dict[str, Callable[[Draw, bytes], bytes]] = {
    "truncated": _truncate,
    "tab-indent": _tab,
    "duplicate-key": _append(b"id: other.rule"),
    "alias": _append(b"x-anchor: &a [1, 2]\nx-alias: *a"),
    "python-tag": _append(b"x-tag: !!python/object/apply:os.system ['true']"),
    "nan": _append(b"x-nan: .nan"),
    "deep-flow": _append(b"x-deep: " + b"[" * 1000 + b"]" * 1000),
    "unclosed-flow": _append(b"x-deep: " + b"{a: " * 500),
    "bom-inside": _append(b"\xef\xbb\xbfx-bom: 1"),
    "not-utf8": _not_utf8,
    "raw-nul": _append(b"x-nul: a\x00b"),
    "raw-escape": _append(b'x-esc: "a\x1bb"'),
}


# --- odd but well-formed: what the schema accepts and only the semantics can refuse ----------

_FIELDS = ("amount", "commission_amount", "order_created_at", "via_leader", "reason", "base_paid_orders", "x")
_LITERALS = (
    "`0`",
    "`-1`",
    "`1e308`",
    "`-1e308`",
    "`123456789012345678901234567890`",
    "`0.1`",
    '`"x"`',
    "`[]`",
    "`{}`",
    "`null`",
    "`true`",
    "'P15D'",
    "'2024-02-29T24:00:00Z'",
    "'9999-12-31T23:59:59Z'",
    "'\u202e'",
)
_DURATIONS = ("'P0D'", "'PT0S'", "'PT1S'", "'P36600D'", "'P1M'", "'P1200M'", "'PT0.000001S'")
_ATOMS = st.sampled_from(
    [
        "trigger",
        "trigger.timestamp",
        "trigger.seller_id",
        "as_of",
        "@",
        *(f"trigger.data.{f}" for f in _FIELDS),
        *_LITERALS,
    ]
)


def _calls(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    one = st.sampled_from(
        ["time", "local_date", "is_blank", "format_time", "format_elapsed", "length", "abs"]
    )
    two = st.sampled_from(["elapsed", "calendar_days"])
    shifts = st.sampled_from(["plus", "minus", "add_calendar", "sub_calendar"])
    ops = st.sampled_from(["&&", "||", "<", "<=", "==", "!=", ">", ">="])
    return st.one_of(
        st.builds(lambda f, a: f"{f}({a})", one, inner),
        st.builds(lambda f, a, b: f"{f}({a}, {b})", two, inner, inner),
        st.builds(lambda f, a, d: f"{f}({a}, {d})", shifts, inner, st.sampled_from(_DURATIONS)),
        st.builds(lambda d: f"duration({d})", st.sampled_from(_DURATIONS)),
        st.builds(lambda a, op, b: f"({a} {op} {b})", inner, ops, inner),
        st.builds(lambda a: f"!{a}", inner),
    )


#: well-formed JMESPath over a decision's context, with the time functions given odd values
expressions = st.recursive(_ATOMS, _calls, max_leaves=6)


def _odd_condition(draw: Draw, doc: dict[str, Any]) -> None:
    places = [p for p in paths(doc) if p and p[-1] in ("violation_if", "when", "value", "where")]
    places = [p for p in places if isinstance(_get(doc, p), str)] or [("violation_if",)]
    _set(doc, draw(st.sampled_from(places)), draw(expressions))


def _odd_default(draw: Draw, doc: dict[str, Any]) -> None:
    params = doc.get("parameters")
    if not isinstance(params, dict) or not params:
        return
    name = draw(st.sampled_from(sorted(params)))
    kind = params[name].get("type")
    values = {
        "duration": st.sampled_from(["P0D", "PT0S", "PT0.000001S", "P36600D", "P1200M", "P1D"]),
        "number": st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats(allow_nan=False, allow_infinity=False),
        "integer": st.integers(min_value=-(2**70), max_value=2**70),
    }.get(kind, st.text(max_size=5))
    params[name]["default"] = draw(values)


def _odd_window(draw: Draw, doc: dict[str, Any]) -> None:
    dates = st.sampled_from(["1900-01-01", "2024-02-29", "8999-12-31", "2024-03-31T00:00:00+14:00"])
    doc[draw(st.sampled_from(["effective_from", "effective_until"]))] = draw(dates)


#: zones at the ends of the offsets (+14:00, -12:00), a half-hour one, UTC, and two with daylight
#: saving time until 2100 (where calendar arithmetic once made the DuckDB engine's zone macros
#: exhaust the machine: docs/reliability.md, "Found by the suite")
ODD_ZONES = (
    "Pacific/Kiritimati",
    "Etc/GMT+12",
    "Asia/Kolkata",
    "UTC",
    "America/St_Johns",
    "Europe/Amsterdam",
)


def _odd_zone(draw: Draw, doc: dict[str, Any]) -> None:
    doc["timezone"] = draw(st.sampled_from(ODD_ZONES))


def _odd_message(draw: Draw, doc: dict[str, Any]) -> None:
    if isinstance(doc.get("message"), dict):
        doc["message"][draw(st.sampled_from(["en", "zh"]))] = "{{ " + draw(expressions) + " }} \u202e"


#: mutations that keep a policy well-formed, by name
SEMANTIC_MUTATIONS: dict[str, Callable[[Draw, dict[str, Any]], None]] = {
    "odd-condition": _odd_condition,
    "odd-default": _odd_default,
    "odd-window": _odd_window,
    "odd-timezone": _odd_zone,
    "odd-message": _odd_message,
}


@st.composite
def odd_policies(draw: Draw) -> tuple[str, bytes, str]:
    """``(file name, YAML bytes, what was done)``: a shipped policy with one or two
    well-formed but odd changes (conditions, defaults, windows, time zones, messages)."""
    name, text = draw(st.sampled_from(POLICY_TEXTS))
    doc = _data(name, text)
    done = []
    for _ in range(draw(st.integers(min_value=1, max_value=2))):
        kind = draw(st.sampled_from(sorted(SEMANTIC_MUTATIONS)))
        SEMANTIC_MUTATIONS[kind](draw, doc)
        done.append(kind)
    return (
        name,
        yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=1 << 20).encode(),
        "+".join(done),
    )


@st.composite
def broken_policies(draw: Draw) -> tuple[str, bytes, str]:
    """``(file name, YAML bytes, what was done)``: a shipped policy with one to three
    mutations of its data, then perhaps one fault of its text."""
    name, text = draw(st.sampled_from(POLICY_TEXTS))
    doc = _data(name, text)
    done = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(st.sampled_from(sorted(TREE_MUTATIONS)))
        if isinstance(doc, dict) and doc:
            TREE_MUTATIONS[kind](draw, doc)
            done.append(kind)
    out = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=1 << 20).encode("utf-8")
    if draw(st.booleans()):
        fault = draw(st.sampled_from(sorted(TEXT_FAULTS)))
        out = TEXT_FAULTS[fault](draw, out)
        done.append(fault)
    return name, out, "+".join(done)


def write_policy(folder: Path, name: str, text: bytes) -> Path:
    """The policy as the only file of a pack folder."""
    path = folder / name
    path.write_bytes(text)
    return path
