"""The HTML report as a person sees it in a real browser: counts, filters, evidence, safety.

Every test also checks that the page made no request beyond loading its own
file and logged no console error (a script error or a Content-Security-Policy
refusal would show there).
"""

from __future__ import annotations

import argparse
import io
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import checker
from checker.cli.report import add_parser, cmd_report
from checker.outputs.html import render_html_report
from checker.outputs.reportmodel import visible
from tests.outputs.data import (
    COMMAND,
    GENERATED,
    HOSTILE,
    ROOT,
    catalogue_doc,
    hostile_records,
    result_of,
    synthetic_doc,
)

from .conftest import ReportPage

# Chromium is an outside program: the full tier (pytest --full) runs these, the fast tier does not
pytestmark = pytest.mark.browser

SCREENSHOT = ROOT / "out" / "report-summary.png"


def _write(tmp_path: Path, doc: dict[str, Any], name: str = "report.html", **kwargs: Any) -> Path:
    path = tmp_path / name
    path.write_text(render_html_report(doc, command=COMMAND, generated=GENERATED, **kwargs), "utf-8")
    return path


def _quiet(page: ReportPage) -> None:
    assert page.outside_requests() == []
    assert page.console_errors() == []


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return catalogue_doc()


def _rows(page: ReportPage) -> list[Any]:
    return page.all("#findings-body > tr:not(.detail)")


def _cells(page: ReportPage, column: int) -> list[str]:
    return [row.find_elements("css selector", "td")[column].text for row in _rows(page)]


def test_summary_shows_the_result_counts(page: ReportPage, tmp_path: Path, doc: dict[str, Any]) -> None:
    page.open(_write(tmp_path, doc))
    summary = doc["summary"]
    assert page.text("#count-total .n") == str(summary["violations"])
    for severity, n in summary["by_severity"].items():
        assert page.text(f"#count-{severity} .n") == str(n)
    outcome_cells = [c.text for c in page.all("#summary table")[0].find_elements("css selector", "tbody td")]
    assert outcome_cells == [
        str(summary["by_outcome"][k])
        for k in ("violation", "pass", "inconclusive", "pending", "not_applicable")
    ]
    assert page.matching() == summary["violations"]
    assert page.text("#findings-count") == f"Showing 1–50 of {summary['violations']} findings"
    assert len(_rows(page)) == 50
    # the chart has one stacked segment per (week, severity) with violations
    assert len(page.all("#trend svg.chart rect title")) > 0
    assert "Generated 2023-11-14T22:13:20Z" in page.text("header.top")
    _quiet(page)


def test_the_sample_report_and_its_screenshot(
    page: ReportPage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's command over the shipped sample; its summary is CI's screenshot artifact."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.chdir(ROOT)
    out = tmp_path / "report.html"
    parser = argparse.ArgumentParser(prog="checker")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["report", "examples/sample-events.jsonl", "-o", str(out)])
    assert cmd_report(args, io.StringIO(), io.StringIO()) == 0
    doc = checker.check(checker.load_policies(["policies"]), ["examples/sample-events.jsonl"]).to_dict()
    page.open(out)
    assert page.text("#count-total .n") == str(doc["summary"]["violations"]) != "0"
    assert page.matching() == doc["summary"]["violations"]
    _quiet(page)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.driver.set_window_size(1280, 1200)
    page.driver.execute_script("window.scrollTo(0, 0)")
    try:
        assert page.driver.save_screenshot(str(SCREENSHOT))
    finally:
        page.driver.set_window_size(1280, 1600)
    assert SCREENSHOT.stat().st_size > 10_000


def test_filters_sorting_and_paging_narrow_the_table(
    page: ReportPage, tmp_path: Path, doc: dict[str, Any]
) -> None:
    findings = doc["findings"]
    page.open(_write(tmp_path, doc))
    by_rule = Counter(f["rule_id"] for f in findings)
    rule, count = by_rule.most_common(1)[0]
    page.choose("filter-rule", rule)
    assert page.matching() == count
    assert set(_cells(page, 2)) == {f"{rule} v1.0.0"} or all(c.startswith(rule) for c in _cells(page, 2))
    assert f"(filtered from {len(findings)})" in page.text("#findings-count")

    page.choose("filter-severity", "low")  # the rule is not low: nothing matches
    expected = sum(1 for f in findings if f["rule_id"] == rule and f["severity"] == "low")
    assert page.matching() == expected == 0
    assert page.text("#findings-count").startswith("No finding matches the filters.")

    page.driver.find_element("id", "filter-clear").click()
    assert page.matching() == len(findings)

    seller = Counter(f["seller_id"] for f in findings).most_common(1)[0][0]
    page.type("filter-seller", seller)
    assert page.matching() == sum(1 for f in findings if f["seller_id"] == seller)
    assert set(_cells(page, 3)) == {seller}
    page.type("filter-seller", "")

    page.choose("filter-platform", "kuaishou")
    assert page.matching() == sum(1 for f in findings if f["platform"] == "kuaishou")
    page.choose("filter-platform", "")

    target = findings[17]
    page.type("filter-search", target["event_id"].upper())  # search ignores case
    assert page.matching() == 1
    assert _cells(page, 5) == [target["event_id"]]
    page.type("filter-search", "")

    # sorting by time: ascending, then descending on a second click
    page.driver.find_element("css selector", "th[data-sort=time] button").click()
    first = min(findings, key=lambda f: (f["timestamp"], findings.index(f)))
    assert _cells(page, 1)[0] == first["timestamp"]
    page.driver.find_element("css selector", "th[data-sort=time] button").click()
    assert _cells(page, 1)[0] == max(f["timestamp"] for f in findings)

    page.driver.find_element("id", "page-next").click()
    assert page.text("#findings-count").startswith(f"Showing 51–100 of {len(findings)}")
    page.choose("page-size", "250")
    assert len(_rows(page)) == min(250, len(findings))

    # a summary table's "Filter" button narrows the table to that rule
    page.driver.find_element(
        "css selector", f'button[data-filter-key=rule][data-filter-value="{rule}"]'
    ).click()
    assert page.matching() == count
    _quiet(page)


def test_evidence_timeline_opens_with_the_events_in_time_order(
    page: ReportPage, tmp_path: Path, doc: dict[str, Any]
) -> None:
    finding = next(f for f in doc["findings"] if f["rule_id"] == "aliexpress.affiliate.commission-after-exit")
    page.open(_write(tmp_path, doc))
    page.type("filter-search", finding["fingerprint"])
    assert page.matching() == 1
    button = page.driver.find_element("css selector", "#findings-body button.toggle")
    assert button.get_attribute("aria-expanded") == "false"
    assert page.all("ol.timeline") == []
    button.click()
    button = page.driver.find_element("css selector", "#findings-body button.toggle")
    assert button.get_attribute("aria-expanded") == "true"
    items = page.all("ol.timeline > li")
    events = finding["evidence_events"]
    assert len(items) == len(events) >= 2
    assert [li.find_elements("css selector", "code")[1].text for li in items] == finding["evidence"]
    trigger = page.all("ol.timeline > li.is-trigger")
    assert len(trigger) == 1 and finding["event_id"] in trigger[0].text and "trigger" in trigger[0].text
    fields = dict(
        zip(
            [dt.text for dt in trigger[0].find_elements("css selector", "dt")],
            [dd.text for dd in trigger[0].find_elements("css selector", "dd")],
            strict=True,
        )
    )
    data = next(e for e in events if e["event_id"] == finding["event_id"])["data"]
    assert fields["data.commission_amount"] == str(data["commission_amount"])
    assert fields["data.order_created_at"] == data["order_created_at"]
    assert fields["seller_id"] == finding["seller_id"]
    detail = page.text("tr.detail")
    assert finding["message"] in detail and finding["fingerprint"] in detail
    button.click()
    assert page.all("ol.timeline") == []
    _quiet(page)


def test_hostile_log_values_stay_inert_text(page: ReportPage, tmp_path: Path) -> None:
    bad = {
        "event_id": "bad-1",
        "timestamp": "<script>window.__pwned='rejected'</script>",
        "platform": "aliexpress",
        "seller_id": HOSTILE[0],
        "action": "affiliate.joined",
    }
    doc = result_of([*hostile_records(), bad]).to_dict(all_outcomes=True)
    assert doc["inputs"]["rejected"], "the bad record is rejected with its reason"
    page.open(_write(tmp_path, doc))
    assert page.driver.execute_script("return window.__pwned === undefined")
    assert page.all("img") == [] and page.all("a[href^='javascript']") == [] and page.all("b") == []
    assert len(page.all("script")) == 2  # the data block and the report's own script
    # server-rendered: the top sellers table shows each hostile seller id as text
    sellers = [c.text for c in page.all("#summary table")[-1].find_elements("css selector", "tbody td code")]
    assert sorted(sellers) == sorted(visible(v) for v in HOSTILE)
    for value in HOSTILE:
        page.type("filter-seller", visible(value))  # what the page shows is what one types
        assert page.matching() == 1, value
        assert _cells(page, 3) == [visible(value)]
    page.type("filter-seller", "")
    # clicking the top-sellers "Filter" of a hostile seller goes through a data attribute
    page.all("button[data-filter-key=seller]")[0].click()
    assert page.matching() == 1
    first = min(HOSTILE)  # the top-sellers table lists ties by seller id
    assert _cells(page, 3) == [visible(first)]
    page.driver.find_element("css selector", "#findings-body button.toggle").click()
    timeline = page.text("ol.timeline")
    assert timeline.count(first) >= 4  # seller_id, subject.id, data.note, a data key, actor...
    # the bidi override is shown, not obeyed
    assert "evil\\u202eexe.txt\\u001b[31m" in page.driver.find_element("id", "summary").text
    assert page.driver.execute_script("return window.__pwned === undefined")
    _quiet(page)


def test_compressed_data_gives_the_same_page(page: ReportPage, tmp_path: Path, doc: dict[str, Any]) -> None:
    path = _write(tmp_path, doc, compress_above=0)
    assert 'data-encoding="gzip+base64"' in path.read_text("utf-8")
    page.open(path)
    assert page.matching() == doc["summary"]["violations"]
    page.choose("filter-rule", doc["findings"][0]["rule_id"])
    assert page.matching() == sum(1 for f in doc["findings"] if f["rule_id"] == doc["findings"][0]["rule_id"])
    page.driver.find_element("css selector", "#findings-body button.toggle").click()
    assert len(page.all("ol.timeline > li")) == len(doc["findings"][0]["evidence_events"])
    _quiet(page)


def test_chinese_report(page: ReportPage, tmp_path: Path, doc: dict[str, Any]) -> None:
    page.open(_write(tmp_path, doc, lang="zh"))
    assert page.driver.find_element("css selector", "html").get_attribute("lang") == "zh-CN"
    assert page.text("header.top h1") == "合规检查报告"
    first = doc["findings"][0]
    assert page.all("#findings-body td.msg")[0].text == first["message_zh"]
    assert page.text("#findings-count") == f"第 1–50 条，共 {len(doc['findings'])} 条违规"
    _quiet(page)


def test_print_shows_the_report_without_its_controls(
    page: ReportPage, tmp_path: Path, doc: dict[str, Any]
) -> None:
    page.open(_write(tmp_path, doc))
    page.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:

        def shown(css: str) -> bool:
            return bool(page.driver.find_element("css selector", css).is_displayed())

        assert not shown(".controls") and not shown("nav.toc") and not shown(".pager")
        assert shown(".print-only") and shown("#summary") and shown("#findings-table")
        pdf = page.driver.execute_cdp_cmd("Page.printToPDF", {"printBackground": True})
        assert len(pdf["data"]) > 10_000
    finally:
        page.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    _quiet(page)


def test_a_report_of_100000_findings_opens_and_filters(page: ReportPage, tmp_path: Path) -> None:
    doc = synthetic_doc(100_000)
    path = _write(tmp_path, doc)
    size = path.stat().st_size
    assert size < 20_000_000, f"{size} bytes"
    started = time.monotonic()
    page.open(path)
    assert time.monotonic() - started < 30
    assert page.matching() == 100_000
    assert len(_rows(page)) == 50
    seller = doc["findings"][12_345]["seller_id"]
    page.type("filter-seller", seller)
    assert page.matching() == sum(1 for f in doc["findings"] if f["seller_id"] == seller)
    page.type("filter-seller", "")
    page.type("filter-search", doc["findings"][99_999]["event_id"])
    assert page.matching() == 1
    page.driver.find_element("css selector", "#findings-body button.toggle").click()
    assert len(page.all("ol.timeline > li")) == len(doc["findings"][99_999]["evidence_events"])
    _quiet(page)


def test_an_empty_result_says_so(page: ReportPage, tmp_path: Path) -> None:
    page.open(_write(tmp_path, result_of([]).to_dict(all_outcomes=True)))
    assert page.text("#count-total .n") == "0"
    assert page.text("#findings-count") == "No violation was found."
    assert page.text("#trend p") == "No violation to chart."
    _quiet(page)


def test_the_watchers_see_requests_script_errors_and_csp_refusals(
    page: ReportPage, tmp_path: Path, doc: dict[str, Any]
) -> None:
    """Negative controls: the checks above would notice a request, an error or an injected script."""
    html = render_html_report(doc, generated=GENERATED)
    leaky = tmp_path / "leaky.html"
    csp_start = html.index('<meta http-equiv="Content-Security-Policy"')
    without_csp = html[:csp_start] + html[html.index(">", csp_start) + 1 :]
    pixel = '<img src="http://127.0.0.1:9/pixel.png"></main>'
    leaky.write_text(without_csp.replace("</main>", pixel), "utf-8")
    page.open(leaky)
    assert page.outside_requests() == ["http://127.0.0.1:9/pixel.png"]

    injected = tmp_path / "injected.html"
    injected.write_text(html.replace("</main>", "<script>window.__pwned = 'csp'</script></main>"), "utf-8")
    page.open(injected)
    assert page.driver.execute_script("return window.__pwned === undefined")
    errors = page.console_errors()
    assert errors and "Content Security Policy" in errors[0]["message"]


def test_waived_and_baselined_findings_are_set_aside(
    page: ReportPage, tmp_path: Path, doc: dict[str, Any]
) -> None:
    waiver = {
        "rule": doc["findings"][0]["rule_id"],
        "reason": "refund policy <agreed>",
        "approver": "ops-lead",
        "ticket": "OPS-42",
        "expires": "2099-12-31",
        "file": "waivers.yaml",
    }
    gated = {
        **doc,
        "gating": {
            "fail_on": "high",
            "failing": 7,
            "baseline": {"file": "baseline.json", "entries": 5, "absent": ["f" * 32]},
        },
    }
    gated["findings"] = [
        {**f, "status": "waived", "waiver": waiver}
        if i < 3
        else {**f, "status": "baselined"}
        if i < 8
        else {**f, "status": "new"}
        for i, f in enumerate(doc["findings"])
    ]
    total = len(doc["findings"])
    page.open(_write(tmp_path, gated))
    assert page.matching() == total - 8  # the table opens on the new findings
    assert f"(filtered from {total})" in page.text("#findings-count")
    assert page.text("#count-status-waived .n") == "3" and page.text("#count-status-baselined .n") == "5"
    section = page.text("#set_aside")
    assert "refund policy <agreed>" in section and "OPS-42" in section and "baseline.json" in section
    page.driver.find_element("css selector", "#set_aside button[data-filter-value=waived]").click()
    assert page.matching() == 3
    assert all("Waived" in row.text for row in _rows(page))
    page.driver.find_element("css selector", "#findings-body button.toggle").click()
    assert "Waived: refund policy <agreed> · Approved by: ops-lead" in page.text("tr.detail")
    page.choose("filter-status", "")
    assert page.matching() == total
    _quiet(page)
