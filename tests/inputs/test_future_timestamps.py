"""Timestamps that cannot shift the run: a record stamped more than a day after the run's now is
rejected as ``future-timestamp``, so one bad record never moves the default as-of time and never
changes another record's outcome (README, Conventions; docs/inputs-and-outputs.md, Limits).
The DuckDB engine's side is tests/engines/duckdb/test_future_intake.py, over the same cases."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

import checker
from checker.inputs.events import events_from_records
from checker.language.times import FUTURE_TOLERANCE, LATEST, parse_instant, zone
from tests.conftest import ROOT, run_cli

SAMPLE = ROOT / "examples" / "sample-events.jsonl"
POLICIES = str(ROOT / "policies")
#: the run's now in these tests: a day after the sample's latest event (2024-07-31T22:00+08:00)
NOW = "2024-08-01T00:00:00+08:00"
NOW_US = parse_instant(NOW, zone("UTC"))
LIMIT_US = NOW_US + FUTURE_TOLERANCE  # 2024-08-02T00:00:00+08:00, accepted; one microsecond more is not
#: the reliability issue's record: 1972 in milliseconds, read as seconds (year 3968)
BAD = {
    "event_id": "z",
    "timestamp": 63072000000,
    "platform": "taobao",
    "seller_id": "x",
    "action": "order.completed",
}

#: (name, timestamp, code under NOW: None = accepted)
CASES: list[tuple[str, Any, str | None]] = [
    ("at-limit-text", "2024-08-02T00:00:00+08:00", None),
    ("over-limit-text-1us", "2024-08-02T00:00:00.000001+08:00", "future-timestamp"),
    ("at-limit-utc", "2024-08-01T16:00:00Z", None),
    ("over-limit-naive-1s", "2024-08-02T00:00:01", "future-timestamp"),
    ("at-limit-epoch-us", LIMIT_US, None),
    ("over-limit-epoch-us", LIMIT_US + 1, "future-timestamp"),
    ("at-limit-epoch-ms", LIMIT_US // 1000, None),
    ("over-limit-epoch-ms", LIMIT_US // 1000 + 1, "future-timestamp"),
    ("at-limit-epoch-s", LIMIT_US // 1_000_000, None),
    ("over-limit-epoch-s", LIMIT_US // 1_000_000 + 1, "future-timestamp"),
    ("epoch-ms-1972-read-as-seconds", 63072000000, "future-timestamp"),
    ("epoch-ms-3968-by-magnitude", 63072000000000, "future-timestamp"),
    ("epoch-ms-2024", 1704445998000, None),
    ("epoch-us-2024", 1704445998000000, None),
    ("year-2100", "2100-01-01T00:00:00Z", "future-timestamp"),
    ("year-8999", "8999-12-31T23:59:59Z", "future-timestamp"),
    ("year-9000-is-out-of-range-first", "9000-01-01T00:00:00Z", "timestamp-out-of-range"),
    ("year-1900", "1900-01-01T00:00:00Z", None),
]


def case_records() -> list[dict[str, Any]]:
    """One record per case, its event_id the case's name."""
    return [
        {
            "event_id": name,
            "timestamp": ts,
            "platform": "aliexpress",
            "seller_id": "s1",
            "action": "affiliate.joined",
        }
        for name, ts, _ in CASES
    ]


def write_cases(path: Path) -> dict[int, str]:
    """The cases as JSON Lines at ``path``; ``{line: code}`` of the rejected ones."""
    path.write_text("".join(json.dumps(r) + "\n" for r in case_records()), encoding="utf-8")
    return {i: code for i, (_, _, code) in enumerate(CASES, start=1) if code}


def test_every_case_is_decided_by_the_runs_now(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    want = write_cases(path)
    batch = checker.read_events([path], now=NOW_US)
    assert {r.line: r.code for r in batch.rejected} == want
    assert batch.latest == LIMIT_US  # the latest accepted instant is the limit itself
    assert batch.now == NOW_US
    memory = events_from_records(case_records(), now=NOW_US)
    assert {r.line: r.code for r in memory.rejected} == want


def test_the_limit_and_the_year_range_both_hold(tmp_path: Path) -> None:
    """With a now at the end of the range the range still ends at 9000: the limits are separate."""
    path = tmp_path / "cases.jsonl"
    write_cases(path)
    batch = checker.read_events([path], now=LATEST)
    codes = {r.line: r.code for r in batch.rejected}
    assert list(codes.values()) == ["timestamp-out-of-range"]


def _sample_with_bad(tmp_path: Path) -> Path:
    path = tmp_path / "with-bad.jsonl"
    path.write_text(SAMPLE.read_text("utf-8") + json.dumps(BAD) + "\n", encoding="utf-8")
    return path


def _decisions(doc: dict[str, Any]) -> dict[str, Any]:
    """What a run decides about the sample's events (everything but the input accounting)."""
    return {k: doc[k] for k in ("as_of", "summary", "outcomes", "findings", "other_outcomes")}


@pytest.mark.parametrize("now", [NOW, None], ids=["--now", "wall-clock"])
def test_one_far_future_record_changes_no_other_outcome(tmp_path: Path, now: str | None) -> None:
    alone = checker.check([POLICIES], [SAMPLE], now=now).to_dict(all_outcomes=True)
    mixed = checker.check([POLICIES], [_sample_with_bad(tmp_path)], now=now).to_dict(all_outcomes=True)
    assert _decisions(mixed) == _decisions(alone)
    assert [(r["line"], r["code"]) for r in mixed["inputs"]["rejected"]] == [(701, "future-timestamp")]
    assert "now" not in alone["inputs"]  # nothing rejected by now: the result does not depend on it
    if now is not None:
        assert mixed["inputs"]["now"] == NOW


def test_the_repro_on_the_command_line_under_strict(tmp_path: Path) -> None:
    path = _sample_with_bad(tmp_path)
    base = ["check", "--policies", POLICIES, "--strict", "--format", "json", "--engine", "python"]
    code_alone, alone, _ = run_cli(*base, str(SAMPLE))
    code_mixed, mixed, _ = run_cli(*base, str(path), "--now", NOW)
    assert (code_alone, code_mixed) == (1, 3)  # the violations; then the rejection under --strict
    assert _decisions(json.loads(mixed) | {"other_outcomes": None}) == _decisions(
        json.loads(alone) | {"other_outcomes": None}
    )
    assert json.loads(mixed)["inputs"]["rejected"][0]["code"] == "future-timestamp"
    again = run_cli(*base, str(path), "--now", NOW)[1]
    assert again == mixed  # same inputs, same --now: byte-identical
    rerun = run_cli(*base, str(path), "--now", json.loads(mixed)["inputs"]["now"])[1]
    assert rerun == mixed  # the recorded now reproduces the run


def test_now_is_checked_and_an_explicit_as_of_does_not_move_the_limit(tmp_path: Path) -> None:
    code, _, err = run_cli("check", str(SAMPLE), "--policies", POLICIES, "--now", "soon")
    assert code == 2 and "'soon' is not an instant" in err
    path = tmp_path / "cases.jsonl"
    want = write_cases(path)
    result = checker.check([POLICIES], [path], now=NOW, as_of="2030-01-01T00:00:00Z")
    assert {r.line: r.code for r in result.batch.rejected} == want


def test_a_profile_with_epoch_ms_reads_1972(tmp_path: Path) -> None:
    """The profile declares the unit, so 63072000000 is 1972-01-01 (accepted: inside
    1900-9000 and before now), not the year 3968."""
    row = {
        "流水号": "tb-jhs-1972",
        "操作时间戳": 63072000000,
        "卖家ID": "tb-seller-1",
        "报名ID": "jhs-1",
        "环节": "提交报名",
        "操作角色": "商家",
        "详情": {"商品ID": "1", "团购价": 1.0, "计划数量": 1},
    }
    path = tmp_path / "juhuasuan-1972.json.gz"
    path.write_bytes(gzip.compress(json.dumps([row], ensure_ascii=False).encode("utf-8")))
    batch = checker.read_events(
        [path], profiles=[str(ROOT / "profiles" / "taobao-juhuasuan.yaml")], now=NOW_US
    )
    assert not batch.rejected
    assert batch.latest == 63072000000 * 1000
