"""The HTML report file: self-contained, deterministic, escaped, and bounded in size.

What a person sees in a browser is tested in ``tests/browser``; these tests
read the file itself.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import checker
import checker.outputs.html as htmlreport
from checker.outputs import RENDERERS, RenderOptions
from checker.outputs.html import embed_json, render_html, render_html_report, table_data, visible_json
from checker.outputs.reportmodel import build_model, visible

from .data import COMMAND, GENERATED, HOSTILE, ROOT, catalogue_doc, catalogue_records, hostile_doc, result_of


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return catalogue_doc()


@pytest.fixture(scope="module")
def page(doc: dict[str, Any]) -> str:
    return render_html_report(doc, command=COMMAND, generated=GENERATED)


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in self.raw else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.raw[self._in].append(data)


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def test_the_page_is_self_contained(page: str) -> None:
    parsed = _parse(page)
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            assert name not in ("src", "srcset", "action", "formaction", "xlink:href", "background"), tag
            if name == "href":
                assert value and value.startswith("#"), value  # in-page anchors only
    # no URL of any kind anywhere in the file: nothing to fetch, nothing to leak
    assert not re.search(r"(?i)(https?|ftp|file|data|javascript|blob):|//[a-z0-9.-]+\.[a-z]", page)
    assert [t for t, _ in parsed.tags].count("script") == 2
    assert [t for t, _ in parsed.tags].count("link") == 0


def test_the_csp_allows_exactly_the_inline_script_and_style(page: str) -> None:
    parsed = _parse(page)
    csp = next(
        a["content"]
        for t, a in parsed.tags
        if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    )
    assert csp is not None
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    script = parsed.raw["script"][-1]
    style = "".join(parsed.raw["style"])
    assert directives["script-src"] == digest(script)
    assert directives["style-src"] == digest(style)
    # no inline handlers or style attributes, which these directives would refuse
    assert not any(name.startswith("on") or name == "style" for _, a in parsed.tags for name in a)


def test_the_same_result_gives_the_same_bytes(doc: dict[str, Any], page: str) -> None:
    assert render_html_report(catalogue_doc(), command=COMMAND, generated=GENERATED) == page
    # and in other processes, whatever the hash seed, with the time from SOURCE_DATE_EPOCH
    script = (
        "import sys; from tests.outputs.data import catalogue_doc, COMMAND; "
        "from checker.outputs.html import render_html_report; "
        "sys.stdout.buffer.write(render_html_report(catalogue_doc(), command=COMMAND).encode())"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": "1700000000"}
        run = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, check=True
        )
        outputs.add(run.stdout)
    assert outputs == {page.encode()}


def test_the_compressed_form_is_deterministic_too(doc: dict[str, Any]) -> None:
    first = render_html_report(doc, generated=GENERATED, compress_above=0)
    assert first == render_html_report(doc, generated=GENERATED, compress_above=0)
    assert 'data-encoding="gzip+base64"' in first


def test_provenance_is_in_the_page(doc: dict[str, Any], page: str) -> None:
    text = re.sub(r"<[^>]+>", "", page)
    for policy in doc["policies"]:
        assert policy["sha256"] in page and policy["file"] in page
    assert doc["pack"]["content_hash"] in page
    assert "checker report export.jsonl -o report.html" in text
    assert f"policy-checker {doc['tool']['version']}" in text
    assert "2023-11-14T22:13:20Z (from SOURCE_DATE_EPOCH)" in text
    totals = doc["inputs"]["totals"]
    assert f"<td class=num>{totals['accepted']}</td>" in page


def test_rules_show_their_words_source_version_and_counts(doc: dict[str, Any], page: str) -> None:
    for policy in doc["policies"]:
        assert policy["source"]["quote"] in page
        assert policy["title"]["en"].replace("'", "&#x27;") in page
        assert policy["source"]["document"] in page
    zh = render_html_report(doc, lang="zh", generated=GENERATED)
    assert all(p["title"]["zh"] in zh for p in doc["policies"])
    assert '<html lang="zh-CN">' in zh and "来源与可追溯信息" in zh


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        (None, [["min_membership=P15D"], ["exempt_actor=platform", "min_membership=P30D"]]),
        (
            {"min_membership": "P20D"},
            [["min_membership=P20D"], ["exempt_actor=platform", "min_membership=P20D"]],
        ),
    ],
)
def test_each_rule_version_shows_its_own_parameters(
    params: dict[str, Any] | None, shown: list[list[str]]
) -> None:
    custom = ROOT / "tests" / "fixtures" / "custom-policies"
    versions = checker.load_policies([custom / "membership-exit.v1.yaml", custom / "membership-exit.v2.yaml"])
    batch = checker.events_from_records(
        [
            {
                "event_id": "j1",
                "timestamp": "2024-03-01T10:00:00+08:00",
                "platform": "shop",
                "seller_id": "s1",
                "action": "membership.joined",
            },
            {
                "event_id": "x1",
                "timestamp": "2024-06-02T10:00:00+08:00",
                "platform": "shop",
                "seller_id": "s1",
                "action": "membership.exit_requested",
            },
        ]
    )
    result = checker.check(versions, batch, params={"shop.membership.early-exit": params} if params else None)
    html = render_html_report(result.to_dict(all_outcomes=True), generated=GENERATED)
    articles = re.findall(r'<article class="rule" id="rule-\d+">.*?</article>', html, re.S)
    assert [re.findall(r"<code>(\w+=[^<]*)</code>", a) for a in articles] == shown


def test_hostile_values_are_escaped_everywhere() -> None:
    html = render_html_report(hostile_doc(), generated=GENERATED)
    parsed = _parse(html)
    assert sorted({t for t, _ in parsed.tags}) == sorted(
        {t for t, _ in _parse(render_html_report(catalogue_doc(), generated=GENERATED)).tags}
    )  # no new kind of element
    start = html.index('<script id="report-data"')
    end = html.index("</script>", start)
    block, markup = html[html.index(">", start) + 1 : end], html[:start] + html[end:]
    assert not set(block) & set("<>&")  # the data block holds no markup character at all
    for value in HOSTILE:
        if set(value) & set("<>\"'&"):
            assert value not in markup  # text like "javascript:x" may appear, as inert text
    assert "</script><script>" not in html and "<img" not in html
    assert html.lower().count("<script") == 2
    assert "\u202e" not in html and "\x1b" not in html


def test_embedded_json_cannot_end_its_script_block() -> None:
    data = {"x": "</script><script>alert(1)</script><!-- & -->", "y": ["<", ">", "&"]}
    attrs, text = embed_json(data)
    assert attrs == 'type="application/json"'
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == data


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("tab\t", "tab\\u0009"),
        ("esc\x1b[31m", "esc\\u001b[31m"),
        ("bidi\u202eexe", "bidi\\u202eexe"),
        ("del\x7f", "del\\u007f"),
        ("keep\nnewline", "keep\nnewline"),
        ("back\\tslash", "back\\tslash"),
    ],
)
def test_embedded_strings_show_invisible_characters(value: str, shown: str) -> None:
    """A tab-only reason (what a rule flags) shows as \u0009 in the table, never as nothing."""
    _, text = embed_json({value: [value]})
    assert json.loads(text) == {shown: [shown]}


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
def test_visible_json_is_visible_on_every_string(value: str) -> None:
    text = json.dumps({value: [value, {"k": value}]}, ensure_ascii=False)
    shown = visible(value)
    assert json.loads(visible_json(text)) == {shown: [shown, {"k": shown}]}


def test_compressed_embedding_round_trips() -> None:
    data = {"x": "</script>" * 1000, "n": list(range(1000))}
    attrs, text = embed_json(data, compress_above=100)
    assert 'data-encoding="gzip+base64"' in attrs
    assert re.fullmatch(r"[A-Za-z0-9+/=\n]+", text)
    assert json.loads(gzip.decompress(base64.b64decode(text.replace("\n", "")))) == data


def test_table_data_interns_and_shares_evidence_events(doc: dict[str, Any]) -> None:
    model = build_model(doc, generated=GENERATED)
    data = table_data(model)
    assert len(data["f"]) == len(doc["findings"]) == data["total"]
    assert len(data["ev"]) == len({e["event_id"] for f in doc["findings"] for e in f["evidence_events"]})
    for row, finding in zip(data["f"], doc["findings"], strict=True):
        rule = data["rules"][row[0]]
        assert rule[:3] == [finding["rule_id"], finding["rule_version"], finding["severity"]]
        assert data["sellers"][row[2]] == finding["seller_id"]
        # as read, each after its time in the report's timezone
        events = [data["ev"][i] for i in row[8]]
        assert [e[1] for e in events] == finding["evidence_events"]
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", e[0]) for e in events)
        trigger = next(e for e in events if e[1]["event_id"] == finding["event_id"])
        assert trigger[0] == finding["timestamp"]


def test_more_findings_than_the_bound_keep_the_most_severe(
    doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(htmlreport, "MAX_EMBEDDED_FINDINGS", 20)
    model = build_model(doc, generated=GENERATED)
    data = table_data(model)
    assert len(data["f"]) == 20 and data["total"] == len(doc["findings"])
    assert {data["rules"][row[0]][2] for row in data["f"]} == {"high"}
    html = htmlreport.render_model(model)
    assert f"This file holds the first 20 of {len(doc['findings'])} findings" in html


@pytest.mark.slow  # about 15 s to render
def test_size_bound_for_100000_findings() -> None:
    """The documented bound (docs/report.md): about 12 MB for 100,000 findings."""
    from .data import synthetic_doc

    html = render_html_report(synthetic_doc(100_000), generated=GENERATED)
    size = len(html.encode())
    assert 5_000_000 < size < 16_000_000, size


def test_the_registered_renderer_is_the_same_code_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = result_of(catalogue_records())
    assert RENDERERS["html"] is render_html
    options = RenderOptions(lang="zh")
    assert render_html(result, options) == render_html_report(
        result.to_dict(all_outcomes=True), lang="zh", generated=GENERATED
    )
