"""The Markdown report: a valid CommonMark document (checked with markdown-it-py), whose log
values render as exactly themselves, never as markup or links."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from checker.outputs import RENDERERS, RenderOptions, markdown
from checker.outputs.markdown import code, render_markdown, render_markdown_report, text
from checker.outputs.reportmodel import visible

from .data import COMMAND, GENERATED, HOSTILE, catalogue_doc, catalogue_records, hostile_records, result_of

COMMONMARK = MarkdownIt("commonmark")
GFM = MarkdownIt("gfm-like")  # tables, strikethrough and autolinks, as ticket and MR comments render


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return catalogue_doc()


def _flat(tokens: list[Token]) -> list[Token]:
    out = []
    for token in tokens:
        out.append(token)
        out += _flat(token.children or [])
    return out


def _tables(tokens: list[Token]) -> list[list[list[str]]]:
    """Each table as rows of cells, a cell being its rendered inline text."""
    tables: list[list[list[str]]] = []
    row: list[str] = []
    for i, token in enumerate(tokens):
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type in ("th_open", "td_open"):
            inline = tokens[i + 1]
            row.append("".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline")))
        elif token.type == "tr_close":
            tables[-1].append(row)
    return tables


def _shown(md: str) -> str:
    """The text a reader sees once the Markdown is rendered."""
    return html.unescape(re.sub(r"<[^>]+>", "", GFM.render(md)))


def test_the_report_is_commonmark_with_the_sections_in_order(doc: dict[str, Any]) -> None:
    md = render_markdown_report(doc, command=COMMAND, generated=GENERATED)
    tokens = COMMONMARK.parse(md)
    kinds = {t.type for t in _flat(tokens)}
    assert not kinds & {"html_block", "html_inline", "link_open", "image"}
    headings = [
        tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"
    ]
    assert headings == ["Scope", "Summary", "Violations over time", "Findings", "Rules applied", "Provenance"]
    assert sum(1 for t in tokens if t.type == "heading_open" and t.tag == "h1") == 1


def test_tables_keep_their_shape_and_counts(doc: dict[str, Any]) -> None:
    md = render_markdown_report(doc, command=COMMAND, generated=GENERATED)
    tables = _tables(GFM.parse(md))
    assert len(tables) >= 8
    for table in tables:
        assert len({len(row) for row in table}) == 1, table[0]
    severity = next(t for t in tables if t[0] == ["Severity", "Violations"])
    assert {row[0].lower(): int(row[1]) for row in severity[1:]} == doc["summary"]["by_severity"]
    findings = next(t for t in tables if t[0][:2] == ["Severity", "Rule"])
    assert len(findings) - 1 == markdown.MAX_FINDINGS < len(doc["findings"])
    assert f"and {len(doc['findings']) - markdown.MAX_FINDINGS} more findings" in md
    inputs = next(t for t in tables if t[0][0] == "File" and "Accepted" in t[0])
    assert inputs[-1][-4:] == [
        str(doc["inputs"]["totals"][k]) for k in ("read", "accepted", "duplicates", "rejected")
    ]
    shown = _shown(md)
    assert all(
        p["sha256"] in shown and p["source"]["document"] in shown and p["source"]["quote"] in shown
        for p in doc["policies"]
    )
    assert "checker report export.jsonl -o report.html" in shown


def test_hostile_values_render_as_their_own_text() -> None:
    doc = result_of(hostile_records()).to_dict(all_outcomes=True)
    md = render_markdown_report(doc, generated=GENERATED)
    for parser in (COMMONMARK, GFM):
        rendered = parser.render(md)
        assert "<script" not in rendered and "<img" not in rendered and "<b>" not in rendered
        assert "href=" not in rendered and "<a " not in rendered
    sellers = next(t for t in _tables(GFM.parse(md)) if t[0][0] == "Seller")
    assert sorted(row[0] for row in sellers[1:]) == sorted(visible(v) for v in HOSTILE)
    findings = next(t for t in _tables(GFM.parse(md)) if t[0][:2] == ["Severity", "Rule"])
    assert sorted(row[2] for row in findings[1:]) == sorted(visible(v) for v in HOSTILE)


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)


@given(_TEXT)
def test_any_text_renders_as_itself(value: str) -> None:
    rendered = COMMONMARK.render(f"x {text(value)}")
    folded = " ".join(visible(value).split())
    expected = f"<p>{html.escape(('x ' + folded).strip(), quote=False)}</p>\n"
    assert html.unescape(rendered) == html.unescape(expected)
    assert rendered.count("<") == 2  # <p> and </p>: nothing else


@given(_TEXT)
def test_any_value_renders_as_itself_in_a_code_span(value: str) -> None:
    tokens = _flat(COMMONMARK.parse(f"x {code(value)}"))
    spans = [t.content for t in tokens if t.type == "code_inline"]
    assert spans == [" ".join(visible(value).split()) or " "]


@pytest.mark.parametrize(
    ("value", "span"),
    [
        ("plain", "`plain`"),
        ("a`b", "``a`b``"),
        ("`x`", "`` `x` ``"),
        ("a``b", "```a``b```"),
        ("", "` `"),
    ],
)
def test_code_spans_fence_backticks(value: str, span: str) -> None:
    assert code(value) == span


def test_no_autolink_in_gfm() -> None:
    md = f"x {text('see http://evil.example/x, www.evil.example and mail a@b.co or javascript:alert(1)')}"
    assert "<a " not in GFM.render(md)


def test_gated_results_list_new_findings_and_set_the_rest_aside(doc: dict[str, Any]) -> None:
    gated = dict(doc)
    waiver = {"rule": "x", "reason": "accepted <risk>", "approver": "ops", "expires": "2099-01-01"}
    gated["findings"] = [
        {**f, "status": "waived", "waiver": waiver}
        if i < 2
        else {**f, "status": "baselined"}
        if i < 5
        else {**f, "status": "new"}
        for i, f in enumerate(doc["findings"])
    ]
    md = render_markdown_report(gated, generated=GENERATED)
    assert "## Set aside" in md and "### Waived findings (2)" in md and "### Baselined findings (3)" in md
    assert "accepted \\<risk\\> (ops, 2099-01-01)" in md
    assert f"- **New:** {len(doc['findings']) - 5}" in md
    tables = _tables(GFM.parse(md))
    waived = next(t for t in tables if t[0][-1] == "Reason")
    assert len(waived) == 3 and waived[1][-1] == "accepted <risk> (ops, 2099-01-01)"


def test_deterministic_bilingual_and_registered(doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    first = render_markdown_report(doc, command=COMMAND, generated=GENERATED)
    assert first == render_markdown_report(catalogue_doc(), command=COMMAND, generated=GENERATED)
    zh = render_markdown_report(doc, lang="zh", generated=GENERATED)
    most_severe = next(f for f in doc["findings"] if f["severity"] == "high")  # listed first
    assert zh.startswith("# 合规检查报告\n") and most_severe["message_zh"] in _shown(zh)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = result_of(catalogue_records())
    assert RENDERERS["markdown"] is render_markdown
    assert render_markdown(result, RenderOptions()) == render_markdown_report(
        result.to_dict(all_outcomes=True), generated=GENERATED
    )


def test_an_empty_result() -> None:
    md = render_markdown_report(result_of([]).to_dict(all_outcomes=True), generated=GENERATED)
    assert "No violation was found." in md and "No violation to chart." in md
