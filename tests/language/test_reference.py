"""The language reference, ``docs/policy-language.md``: its generated sections are what the
language's tables give now, and every function example gives the result it shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import checker
from checker.language import reference
from checker.language.expressions import FUNCTION_ARITY, Expression, compile_expression
from checker.language.kinds import ANCHOR_KEYS, LOOKUP_KINDS
from checker.language.reference import (
    DOC_FILE,
    EXAMPLE_TIMEZONE,
    FUNCTION_DOCS,
    REFRESH,
    StaleTable,
    custom_functions,
    render_sections,
    rewrite,
)
from checker.language.schema import load_schema
from checker.language.times import zone


def test_the_committed_reference_is_what_the_tables_give() -> None:
    text = DOC_FILE.read_text(encoding="utf-8")
    assert rewrite(text) == text, f"docs/policy-language.md is stale: run {REFRESH}"


def test_the_reference_says_how_to_refresh_it() -> None:
    assert REFRESH in DOC_FILE.read_text(encoding="utf-8")


def test_every_key_lookup_anchor_and_function_is_in_the_reference() -> None:
    text = DOC_FILE.read_text(encoding="utf-8")
    names = [
        *load_schema("policy")["properties"],
        *load_schema("policy-tests")["properties"],
        *LOOKUP_KINDS,
        *ANCHOR_KEYS,
    ]
    for name in names:
        assert f"`{name}" in text or f"{{{name}:" in text, name
    for name in custom_functions():
        assert f"`{FUNCTION_DOCS[name].signature}`" in text, name


@pytest.mark.parametrize("name", sorted(FUNCTION_DOCS))
def test_each_function_example_gives_the_result_shown(name: str) -> None:
    doc = FUNCTION_DOCS[name]
    assert re.search(rf"\b{name}\(", doc.example), f"the example of {name}() does not call it"
    assert doc.signature.startswith(f"{name}(")
    arguments = doc.signature[len(name) + 1 : -1]
    assert len([a for a in arguments.split(",") if a.strip()]) == FUNCTION_ARITY[name]
    compiled = compile_expression(doc.example)
    assert isinstance(compiled, Expression), compiled
    tz = zone(EXAMPLE_TIMEZONE)
    got = compiled.evaluate({}, tz, tz)
    assert json.dumps(got) == json.dumps(doc.result)


def test_the_reference_documents_only_registered_functions() -> None:
    assert sorted(FUNCTION_DOCS) == custom_functions()


def test_a_function_without_words_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reference, "FUNCTION_ARITY", {**FUNCTION_ARITY, "weekday": 1})
    with pytest.raises(StaleTable, match=r"function weekday\(\) has no words .*FUNCTION_DOCS"):
        render_sections()


def test_a_key_without_words_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = {**load_schema("policy")}
    schema["properties"] = {**schema["properties"], "retention": {"type": "string"}}
    monkeypatch.setattr(
        reference, "load_schema", lambda name: schema if name == "policy" else load_schema(name)
    )
    with pytest.raises(StaleTable, match="policy key 'retention' has no description"):
        render_sections()


def test_a_missing_section_is_an_error_naming_it() -> None:
    text = DOC_FILE.read_text(encoding="utf-8")
    broken = text.replace("<!-- generated: functions -->", "")
    with pytest.raises(StaleTable, match="generated: functions"):
        rewrite(broken)


def test_a_stale_section_is_rewritten_and_the_prose_kept() -> None:
    text = DOC_FILE.read_text(encoding="utf-8")
    stale = text.replace("| `at_or_before` |", "| `at_or_before_old` |")
    assert stale != text
    assert rewrite(stale) == text


_SKELETON = """\
id: doc.fragment
version: 1.0.0
title: {en: Fragment, zh: 片段}
platform: clinic
severity: low
source: {document: docs.md, quote: fragment}
timezone: UTC
correlate_by: [seller_id]
on: {action: triage.sepsis}
violation_if: "`false`"
"""
_DEFAULTS = {"message": "message: {en: m, zh: m}\n", "let": ""}


@pytest.mark.parametrize("doc", [DOC_FILE, DOC_FILE.parents[1] / "README.md"], ids=["reference", "readme"])
def test_the_yaml_fragments_of_the_docs_load_in_a_policy(doc: Path, tmp_path: Path) -> None:
    """Each ``let:`` or ``message:`` fragment of the docs, put in a policy, loads without problems."""
    fragments = [
        b
        for b in re.findall(r"```yaml\n(.*?)```", doc.read_text("utf-8"), re.S)
        if b.startswith(("let:", "message:"))
    ]
    assert fragments
    for i, fragment in enumerate(fragments):
        key = fragment.split(":", 1)[0]
        parts = {**_DEFAULTS, key: fragment}
        path = tmp_path / f"fragment{i}.yaml"
        path.write_text(_SKELETON + "".join(parts.values()), "utf-8")
        loaded = checker.load_policies([path])
        assert not loaded.problems, (fragment, [str(p) for p in loaded.problems])
