"""The lookup-kind registry is the one declaration of each kind: the policy model, the schema
and ``explain`` all read it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from checker.language import kinds, policy
from checker.language.explain import explain
from checker.language.kinds import LOOKUP_KINDS, SCHEMA_FILES, LookupKind, binding_schema, policy_schema_text

from .kindcases import LOOKED_UP, binding_of, every_kind, load, load_policy

KINDS = list(LOOKUP_KINDS.values())
REGENERATE = 'python -c "from checker.language.kinds import write_policy_schemas as w; w()"'


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=["package", "repository"])
def test_the_committed_schema_is_what_the_registry_generates(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert json.loads(text)["$defs"]["binding"] == binding_schema(), f"regenerate with: {REGENERATE}"
    # and byte for byte: regenerating the file changes nothing
    assert policy_schema_text(text) == text, f"regenerate with: {REGENERATE}"


def test_the_schema_has_one_branch_per_kind_in_registry_order_then_value() -> None:
    branches = binding_schema()["oneOf"]
    assert [b["required"][0] for b in branches] == [*LOOKUP_KINDS, kinds.VALUE_KIND]


def test_the_policy_model_takes_its_kinds_from_the_registry() -> None:
    assert policy.LOOKUP_KINDS is LOOKUP_KINDS
    assert (*LOOKUP_KINDS, kinds.VALUE_KIND) == policy.BINDING_KINDS


def test_the_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        LOOKUP_KINDS["median"] = LOOKUP_KINDS["sum"]  # type: ignore[index]
    with pytest.raises(AttributeError):  # entries are frozen too
        LOOKUP_KINDS["sum"].words = "the total of"  # type: ignore[misc]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_a_binding_as_declared_loads_as_its_kind(tmp_path: Path, kind: LookupKind) -> None:
    loaded = load_policy(tmp_path, {"x": binding_of(kind, after="trigger")})
    (binding,) = loaded.bindings
    assert binding.kind == kind.name
    assert binding.actions == (LOOKED_UP,)


@pytest.mark.parametrize(
    ("kind", "missing"), [(k, key) for k in KINDS for key in k.requires], ids=lambda x: getattr(x, "name", x)
)
def test_a_binding_without_a_required_key_is_refused(tmp_path: Path, kind: LookupKind, missing: str) -> None:
    spec = binding_of(kind)
    del spec[missing]
    problems = load(tmp_path, {"x": spec}).problems
    assert [p.message for p in problems] == [f"$.let.x: '{missing}' is a required property"]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_a_binding_with_a_key_its_kind_does_not_allow_is_refused(tmp_path: Path, kind: LookupKind) -> None:
    allowed = {kind.name, *kind.requires, *kind.options}
    # a key another lookup kind takes (sum's "of"), else one no kind takes
    elsewhere = {key for other in KINDS for key in (*other.requires, *other.options)}
    stranger = min(elsewhere - allowed, default="limit")
    problems = load(tmp_path, {"x": {**binding_of(kind), stranger: "data.amount"}}).problems
    assert [p.code for p in problems] == ["unknown-key"]
    assert f"unknown key {stranger!r}" in problems[0].message


def test_explain_words_come_from_the_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = load_policy(tmp_path, every_kind())
    for name, kind in LOOKUP_KINDS.items():
        monkeypatch.setitem(kinds._REGISTRY, name, replace(kind, words=f"<words of {name}>"))
    text = explain([loaded])
    for name in LOOKUP_KINDS:
        assert f"Let x_{name} = <words of {name}> {LOOKED_UP}" in text


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_explain_uses_each_kinds_declared_words(tmp_path: Path, kind: LookupKind) -> None:
    loaded = load_policy(tmp_path, {"x": binding_of(kind)})
    assert f"Let x = {kind.words} {LOOKED_UP}" in explain([loaded])


def test_a_kind_added_to_the_registry_gets_a_schema_branch(monkeypatch: pytest.MonkeyPatch) -> None:
    median = LookupKind(
        "median", words="the median of", value_type="number", aggregates=True, requires=("of",)
    )
    monkeypatch.setitem(kinds._REGISTRY, "median", median)
    branch: dict[str, Any] = binding_schema()["oneOf"][-2]  # the last lookup, before ``value``
    assert branch["required"] == ["median", "of"]
    assert list(branch["properties"]) == ["median", "of", *kinds.WINDOW_KEYS]
    assert kinds.WINDOW_KEYS == ("where", "after", "at_or_after", "before", "at_or_before")
    # each end of its window bounded once: a strict or an inclusive anchor, not both
    assert [rule["not"] for rule in branch["allOf"]] == [
        {"required": ["after", "at_or_after"]},
        {"required": ["before", "at_or_before"]},
    ]
    assert branch["additionalProperties"] is False
