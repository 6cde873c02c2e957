"""The per-rule table names the versions that found violations, each with its own title.

A rule's older version keeps judging the triggers before its successor takes
effect, so a report over such a period may hold violations of the older version
only: the table must not show them under the newest version's title. The
fixture rule ``shop.membership.early-exit`` has 1.0.0 ("less than 15 days",
until 2024-06-01) and 2.0.0 ("less than 30 days", from then on).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from markdown_it import MarkdownIt

import checker
from checker.outputs.html import render_html_report, table_data
from checker.outputs.markdown import render_markdown_report
from checker.outputs.reportmodel import VersionTally, build_model

from .data import GENERATED, ROOT

CUSTOM = ROOT / "tests" / "fixtures" / "custom-policies"
RULE = "shop.membership.early-exit"
V1 = "Membership left less than 15 days after joining"
V2 = "Membership left less than 30 days after joining"
V1_ZH, V2_ZH = "加入未满15天即退出", "加入未满30天即退出"


def _exit(n: int, joined: str, exit_at: str) -> list[dict[str, Any]]:
    base = {"platform": "shop", "seller_id": f"s{n}"}
    return [
        {**base, "event_id": f"j{n}", "timestamp": joined, "action": "membership.joined"},
        {**base, "event_id": f"x{n}", "timestamp": exit_at, "action": "membership.exit_requested"},
    ]


# violations of 1.0.0 only: exits 9 and 10 days after joining, before 2024-06-01
OLD_ONLY = [
    *_exit(1, "2024-03-01T10:00:00+08:00", "2024-03-10T10:00:00+08:00"),
    *_exit(2, "2024-04-01T10:00:00+08:00", "2024-04-11T10:00:00+08:00"),
]
# and one of 2.0.0: an exit 20 days after joining, under the 30-day minimum
BOTH = [*OLD_ONLY, *_exit(3, "2024-06-05T10:00:00+08:00", "2024-06-25T10:00:00+08:00")]


def _doc(records: list[dict[str, Any]]) -> dict[str, Any]:
    versions = checker.load_policies([CUSTOM / "membership-exit.v1.yaml", CUSTOM / "membership-exit.v2.yaml"])
    assert not versions.problems
    result = checker.check(versions, checker.events_from_records(records))
    return result.to_dict(all_outcomes=True)


@pytest.fixture(scope="module")
def old_only() -> dict[str, Any]:
    doc = _doc(OLD_ONLY)
    assert {f["rule_version"] for f in doc["findings"]} == {"1.0.0"} and len(doc["findings"]) == 2
    assert [p["version"] for p in doc["policies"]] == ["1.0.0", "2.0.0"]  # 2.0.0 is the newest
    return doc


@pytest.fixture(scope="module")
def both() -> dict[str, Any]:
    doc = _doc(BOTH)
    assert sorted(f["rule_version"] for f in doc["findings"]) == ["1.0.0", "1.0.0", "2.0.0"]
    return doc


def test_the_model_names_the_version_that_fired(old_only: dict[str, Any], both: dict[str, Any]) -> None:
    (tally,) = build_model(old_only, generated=GENERATED).by_rule
    assert (tally.key, tally.total, tally.label) == (RULE, 2, V1)
    assert tally.versions == (VersionTally("1.0.0", V1, 2),)
    (tally,) = build_model(both, generated=GENERATED).by_rule
    assert tally.total == 3 and tally.label == V2  # the newest version with violations
    assert tally.versions == (VersionTally("1.0.0", V1, 2), VersionTally("2.0.0", V2, 1))
    (zh,) = build_model(old_only, lang="zh", generated=GENERATED).by_rule
    assert zh.versions == (VersionTally("1.0.0", V1_ZH, 2),)


def _by_rule_cell(html: str) -> str:
    """The rule cell of the HTML "Violations by rule" table, as text."""
    heading = "<h3>Violations by rule</h3>" if 'lang="en"' in html else "<h3>按规则</h3>"
    start = html.index(heading)
    table = html[start : html.index("</table>", start)]
    (row,) = re.findall(r"<tbody>\n<tr><td>(.*?)</td>", table, re.S)
    return re.sub(r"<br>", "\n", row)


def test_html_by_rule_table_shows_the_older_title(old_only: dict[str, Any]) -> None:
    cell = _by_rule_cell(render_html_report(old_only, generated=GENERATED))
    assert f'<span class="note rule-version">v1.0.0: {V1}</span>' in cell
    assert V2 not in cell and "2.0.0" not in cell
    zh = _by_rule_cell(render_html_report(old_only, lang="zh", generated=GENERATED))
    assert f"v1.0.0：{V1_ZH}" in zh and V2_ZH not in zh


def test_html_by_rule_table_lists_every_version_with_its_count(both: dict[str, Any]) -> None:
    cell = _by_rule_cell(render_html_report(both, generated=GENERATED))
    assert cell.index(f"v1.0.0 (2): {V1}") < cell.index(f"v2.0.0 (1): {V2}")


def test_findings_table_titles_each_finding_with_its_version(both: dict[str, Any]) -> None:
    data = table_data(build_model(both, generated=GENERATED))
    assert sorted(data["rules"]) == [[RULE, "1.0.0", "medium", V1], [RULE, "2.0.0", "high", V2]]


def _markdown_by_rule(md: str) -> list[list[str]]:
    tokens = MarkdownIt("gfm-like").parse(md)
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
    return next(t for t in tables if t[0][:2] == ["Rule", "Violations"])


def test_markdown_by_rule_table_shows_the_older_title(old_only: dict[str, Any], both: dict[str, Any]) -> None:
    table = _markdown_by_rule(render_markdown_report(old_only, generated=GENERATED))
    assert table[1][:2] == [f"{RULE} v1.0.0: {V1}", "2"]
    table = _markdown_by_rule(render_markdown_report(both, generated=GENERATED))
    assert table[1][:2] == [f"{RULE} v1.0.0 (2): {V1}; v2.0.0 (1): {V2}", "3"]
