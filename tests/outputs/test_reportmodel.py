"""The report model: every count agrees with the JSON result, weeks and ties are deterministic."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

import pytest

from checker.language.errors import CheckerError
from checker.outputs import RenderOptions, render
from checker.outputs.reportlabels import LABELS
from checker.outputs.reportmodel import (
    OUTCOMES,
    SEVERITY_ORDER,
    Generated,
    build_model,
    generation_time,
    result_document,
    status_of,
    visible,
)
from checker.results.baseline import Baseline
from checker.results.gating import triage

from .data import GENERATED, catalogue_doc, catalogue_records, hostile_records, result_of


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return catalogue_doc()


def test_counts_agree_with_the_result(doc: dict[str, Any]) -> None:
    m = build_model(doc, generated=GENERATED)
    findings = doc["findings"]
    assert m.violations == len(findings) == sum(n for _, n in m.by_severity) > 100
    assert dict(m.by_severity) == {s: doc["summary"]["by_severity"][s] for s in SEVERITY_ORDER}
    assert dict(m.by_outcome) == doc["summary"]["by_outcome"]
    assert {t.key: t.total for t in m.by_rule} == Counter(f["rule_id"] for f in findings)
    assert {t.key: t.total for t in m.by_platform} == Counter(f["platform"] for f in findings)
    assert sum(wk.total for wk in m.weeks) == len(findings)
    per_rule = {(r.id, r.version): dict(r.counts) for r in m.rules}
    for row in doc["outcomes"]:
        assert per_rule[(row["rule_id"], row["rule_version"])] == {k: row[k] for k in OUTCOMES}
    assert m.sellers_judged == len(
        {f["seller_id"] for f in findings} | {o["seller_id"] for o in doc["other_outcomes"]}
    )
    assert m.platforms == ("aliexpress", "kuaishou", "taobao")
    assert m.complete and m.statuses == () and m.gating is None


def test_top_sellers_are_ranked_by_count_then_id(doc: dict[str, Any]) -> None:
    m = build_model(doc, generated=GENERATED)
    counts = Counter(f["seller_id"] for f in doc["findings"])
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert [(t.key, t.total) for t in m.top_sellers] == expected


def test_weeks_run_monday_to_sunday_in_the_result_timezone() -> None:
    def early_exit(n: int, joined: str, exit_at: str) -> list[dict[str, Any]]:
        base = {"platform": "aliexpress", "seller_id": f"s{n}"}
        return [
            {**base, "event_id": f"j{n}", "timestamp": joined, "action": "affiliate.joined"},
            {**base, "event_id": f"x{n}", "timestamp": exit_at, "action": "affiliate.exit_requested"},
        ]

    # Sunday 23:30 and Monday 00:30 Beijing time (Sunday 16:30 UTC): two weeks, a gap week, a third
    records = [
        *early_exit(1, "2024-03-01T00:00:00+08:00", "2024-03-10T23:30:00+08:00"),
        *early_exit(2, "2024-03-01T00:00:00+08:00", "2024-03-10T16:30:00Z"),
        *early_exit(3, "2024-03-20T00:00:00+08:00", "2024-03-26T12:00:00+08:00"),
    ]
    doc = result_of(records).to_dict(all_outcomes=True)
    m = build_model(doc, generated=GENERATED)
    assert [(wk.start, wk.total) for wk in m.weeks] == [
        (date(2024, 3, 4), 1),
        (date(2024, 3, 11), 1),
        (date(2024, 3, 18), 0),
        (date(2024, 3, 25), 1),
    ]
    assert m.weeks[0].counts == (0, 1, 0, 0, 0)  # early exits are high
    assert m.span == ("2024-03-01T00:00:00+08:00", "2024-03-26T12:00:00+08:00")


def test_an_empty_result_and_one_saved_without_all_outcomes() -> None:
    empty = build_model(result_of([]).to_dict(all_outcomes=True), generated=GENERATED)
    assert (empty.violations, empty.weeks, empty.span, empty.sellers_judged) == (0, (), None, 0)
    partial = build_model(result_of([]).to_dict(), generated=GENERATED)
    assert not partial.complete


def test_language_picks_titles_and_messages(doc: dict[str, Any]) -> None:
    zh = build_model(doc, lang="zh", generated=GENERATED)
    first = doc["findings"][0]
    assert zh.message(first) == first["message_zh"]
    assert zh.rule_title(first["rule_id"]) == next(
        p["title"]["zh"] for p in doc["policies"] if p["id"] == first["rule_id"]
    )
    assert build_model(doc, generated=GENERATED).message(first) == first["message"]
    with pytest.raises(ValueError):
        build_model(doc, lang="fr", generated=GENERATED)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"SOURCE_DATE_EPOCH": "1700000000"}, Generated(1_700_000_000, "SOURCE_DATE_EPOCH")),
        ({"SOURCE_DATE_EPOCH": "0"}, Generated(0, "SOURCE_DATE_EPOCH")),
        ({}, Generated(1234, "clock")),
        ({"SOURCE_DATE_EPOCH": ""}, Generated(1234, "clock")),
    ],
)
def test_generation_time(environ: dict[str, str], expected: Generated) -> None:
    assert generation_time(environ, clock=lambda: 1234.9) == expected


@pytest.mark.parametrize("bad", ["-1", "1.5", "soon", " 17"])
def test_a_malformed_source_date_epoch_is_an_error(bad: str) -> None:
    with pytest.raises(CheckerError) as info:
        generation_time({"SOURCE_DATE_EPOCH": bad})
    assert info.value.problems[0].code == "bad-source-date-epoch"


def test_generated_text_is_utc() -> None:
    assert GENERATED.text == "2023-11-14T22:13:20Z"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain <b>", "plain <b>"),
        ("a\u202eb", "a\\u202eb"),
        ("esc\x1b[31m", "esc\\u001b[31m"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("line\nbreak", "line\nbreak"),
        ("中文", "中文"),
    ],
)
def test_visible(raw: str, shown: str) -> None:
    assert visible(raw) == shown


def test_gate_statuses_and_waivers_come_from_the_findings(doc: dict[str, Any]) -> None:
    gated = dict(doc)
    waiver = {
        "rule": doc["findings"][0]["rule_id"],
        "reason": "known",
        "approver": "ops",
        "expires": "2099-01-01",
        "ticket": "OPS-1",
        "file": "waivers.yaml",
    }
    gated["findings"] = [
        {**f, "status": "waived", "waiver": waiver}
        if i < 3
        else {**f, "status": "baselined"}
        if i < 10
        else {**f, "status": "new"}
        for i, f in enumerate(doc["findings"])
    ]
    m = build_model(gated, generated=GENERATED)
    assert m.statuses == (("new", len(doc["findings"]) - 10), ("baselined", 7), ("waived", 3))
    assert m.waivers == ((waiver, 3),)
    assert status_of({}) == "new" and status_of({"status": "odd"}) == "new"


def test_result_document_carries_the_gate_as_the_json_result_does() -> None:
    base = {"platform": "aliexpress", "action": "affiliate.joined", "timestamp": "2024-03-01T00:00:00+08:00"}
    records = [{**base, "event_id": f"j{s}", "seller_id": s} for s in ("s1", "s2")]
    records += [
        {
            **base,
            "event_id": f"x{s}",
            "seller_id": s,
            "action": "affiliate.exit_requested",
            "timestamp": "2024-03-02T00:00:00+08:00",
        }
        for s in ("s1", "s2")
    ]
    result = result_of(records)
    plain = result_document(result)
    assert "gating" not in plain and all("status" not in f for f in plain["findings"])
    first = result.findings[0]
    gate = triage(result, baseline=Baseline("b.json", {first.fingerprint: {}}))
    options = RenderOptions(triage=gate)
    gated = result_document(result, options)
    assert [f["status"] for f in gated["findings"]] == ["baselined", "new"]
    assert gated["gating"]["by_status"] == {"new": 1, "baselined": 1, "waived": 0}
    # exactly what --format json writes
    assert gated == json.loads(render("json", result, RenderOptions(all_outcomes=True, triage=gate)))


@pytest.mark.parametrize("extra", [(), ("hostile",)])
def test_the_reports_digest_of_other_outcomes_gives_the_same_model(extra: tuple[str, ...]) -> None:
    """The reports read of the other outcomes only the sellers and the time span: the digest
    (each seller's earliest and the latest of all) gives the very model every outcome gives,
    with one entry a seller at most."""
    records = [*catalogue_records(), *(hostile_records() if extra else ())]
    result = result_of(records)
    full = result_document(result)
    digest = result_document(result, digest=True)
    assert {k: v for k, v in digest.items() if k != "other_outcomes"} == {
        k: v for k, v in full.items() if k != "other_outcomes"
    }
    sellers = {o["seller_id"] for o in full["other_outcomes"]}
    assert len(full["other_outcomes"]) > 2 * len(digest["other_outcomes"])
    assert len(digest["other_outcomes"]) <= len(sellers) + 1
    assert all(o in full["other_outcomes"] for o in digest["other_outcomes"])
    for lang in ("en", "zh"):
        assert build_model(digest, lang=lang, generated=GENERATED) == build_model(
            full, lang=lang, generated=GENERATED
        )


def test_every_label_exists_in_both_languages() -> None:
    assert LABELS["en"].keys() == LABELS["zh"].keys()
    assert all(v.strip() for lang in LABELS.values() for v in lang.values())
