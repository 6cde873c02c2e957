"""The synthetic data generator: determinism, the canonical shape of what it writes, and a
ground truth that covers the whole catalogue and agrees with the events it describes."""

from __future__ import annotations

import calendar
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from checker.generator import RULE_IDS, GenerationSummary, generate, main

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = 86400
FILES = ("events.jsonl", "truth.jsonl", "manifest.json")
CATALOGUE = Path(__file__).resolve().parent.parent / "fixtures" / "catalogue-ids.txt"
OBLIGATIONS = ("juhuasuan.sample-return-overdue", "juhuasuan.second-review-overdue")
# rules whose catalogue entry names a case of missing history
WITH_INCONCLUSIVE = (
    "aliexpress.affiliate.early-exit",
    "aliexpress.affiliate.commission-after-exit",
    "kuaishou.distribution.unreviewed-cancel",
    "juhuasuan.insufficient-deposit",
)
# the "On ..." clause of each rule whose trigger is the action alone
TRIGGERS = {
    "affiliate.exit_requested": ("aliexpress.affiliate.early-exit",),
    "plan.close_requested": ("taobao.affiliate.close-without-reason",),
    "plan.closed": ("taobao.affiliate.unreviewed-close",),
    "promotion.cancelled": ("aliexpress.promotion.cancel-without-notice",),
    "jit.order_confirmed": ("aliexpress.jit.order-without-exam",),
    "distribution.cancelled": ("kuaishou.distribution.unreviewed-cancel",),
    "distribution.extension_approved": ("kuaishou.distribution.late-extension-approval",),
    "juhuasuan.signup_cancelled": ("juhuasuan.cancel-after-approval",),
    "juhuasuan.campaign_started": ("juhuasuan.late-deposit", "juhuasuan.insufficient-deposit"),
    "juhuasuan.second_review_failed": ("juhuasuan.sample-return-overdue",),
    "juhuasuan.sample_received": ("juhuasuan.second-review-overdue",),
}
ACTORS = {"seller", "leader", "platform", "operator", "system", "customer"}
ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


@dataclass(frozen=True)
class Generated:
    summary: GenerationSummary
    events: list[dict[str, Any]]
    truth: list[dict[str, str]]
    manifest: dict[str, Any]


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def _load(out: Path, summary: GenerationSummary) -> Generated:
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    return Generated(summary, _jsonl(out / "events.jsonl"), _jsonl(out / "truth.jsonl"), manifest)


def _instant(value: str | int) -> float:
    if isinstance(value, int):
        return value / 1000
    parsed = datetime.fromisoformat(value)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)).timestamp()


def _triggered(event: dict[str, Any]) -> set[str]:
    """The rules whose "On ..." clause (filter included) matches the event."""
    data = event.get("data", {})
    rules = set(TRIGGERS.get(event["action"], ()))
    if event["action"] == "order.completed":
        commission = data.get("commission_amount")
        if commission is not None and commission > 0:
            rules.add("aliexpress.affiliate.commission-after-exit")
        if data.get("affiliate_attributed") is True and not commission:
            rules.add("aliexpress.affiliate.commission-missed")
    if (
        event["action"] == "order.refunded"
        and data.get("managed_mode") == "full"
        and data.get("borne_by") == "seller"
    ):
        rules.add("aliexpress.choice.refund-charged-to-seller")
    return rules


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    out = tmp_path_factory.mktemp("generated")
    return _load(out, generate(out, events=20_000, seed=11))


def _outcomes(generated: Generated) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {rule: Counter() for rule in RULE_IDS}
    for row in generated.truth:
        counts[row["rule_id"]][row["outcome"]] += 1
    return counts


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    generate(tmp_path / "a", events=2000, seed=5)
    generate(tmp_path / "b", events=2000, seed=5)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_different_seeds_give_different_files(tmp_path: Path) -> None:
    generate(tmp_path / "a", events=2000, seed=5)
    generate(tmp_path / "b", events=2000, seed=6)
    for name in ("events.jsonl", "truth.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes(), name


def test_shuffling_only_reorders_the_events(tmp_path: Path) -> None:
    generate(tmp_path / "a", events=2000, seed=5)
    generate(tmp_path / "b", events=2000, seed=5, shuffle=False)
    shuffled = (tmp_path / "a" / "events.jsonl").read_text("utf-8").splitlines()
    ordered = (tmp_path / "b" / "events.jsonl").read_text("utf-8").splitlines()
    assert shuffled != ordered
    assert sorted(shuffled) == sorted(ordered)
    for name in ("truth.jsonl", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


@pytest.mark.parametrize("events", [300, 5000, 60_000])  # 60k spans two shuffle batches
def test_event_count_is_within_ten_percent(tmp_path: Path, events: int) -> None:
    summary = generate(tmp_path, events=events, seed=3)
    lines = (tmp_path / "events.jsonl").read_text("utf-8").splitlines()
    assert abs(len(lines) - events) <= events / 10
    assert summary.events == len(lines)
    assert json.loads((tmp_path / "manifest.json").read_text("utf-8"))["events"] == len(lines)


def test_events_are_canonical_with_unique_ids(generated: Generated) -> None:
    ids = Counter(event["event_id"] for event in generated.events)
    assert [event_id for event_id, n in ids.items() if n > 1] == []
    for event in generated.events:
        assert isinstance(event["event_id"], str) and event["event_id"], event
        assert isinstance(event["timestamp"], str | int), event
        assert event["platform"] in {"aliexpress", "taobao", "kuaishou"}, event
        assert isinstance(event["seller_id"], str) and event["seller_id"], event
        assert ACTION.fullmatch(event["action"]), event
        assert set(event["subject"]) == {"type", "id"}, event
        assert event.get("actor", "seller") in ACTORS, event
        assert isinstance(event.get("data", {}), dict), event
        assert set(event) <= {
            "event_id",
            "timestamp",
            "platform",
            "seller_id",
            "action",
            "subject",
            "actor",
            "data",
        }, event
    platforms = Counter(event["platform"] for event in generated.events)
    assert min(platforms.values()) > len(generated.events) / 10
    assert {e["platform"] for e in generated.events if e["action"].startswith("juhuasuan.")} == {"taobao"}


def test_timestamps_take_every_form_and_end_at_the_as_of_time(generated: Generated) -> None:
    def form(value: str | int) -> str:
        if isinstance(value, int):
            return "epoch-ms"
        if value.endswith("Z"):
            return "utc"
        return "offset" if value.endswith("+08:00") else "naive"

    forms = Counter(form(event["timestamp"]) for event in generated.events)
    assert set(forms) == {"epoch-ms", "utc", "offset", "naive"}
    assert forms["offset"] > len(generated.events) / 2  # mostly RFC 3339 with +08:00
    instants = [_instant(event["timestamp"]) for event in generated.events]
    assert max(instants) == _instant(generated.manifest["as_of"])
    assert generated.manifest["as_of"] == generated.summary.as_of


def test_truth_is_sorted_and_names_existing_events(generated: Generated) -> None:
    ids = {event["event_id"] for event in generated.events}
    keys = [(row["rule_id"], row["event_id"]) for row in generated.truth]
    assert keys == sorted(set(keys))
    assert {event_id for _, event_id in keys} <= ids
    for row in generated.truth:
        assert list(row) == ["rule_id", "event_id", "outcome"]
        assert row["outcome"] in {"violation", "pass", "inconclusive", "pending", "not_applicable"}


def test_truth_has_a_line_for_every_triggering_event(generated: Generated) -> None:
    expected = {(rule, event["event_id"]) for event in generated.events for rule in _triggered(event)}
    assert {(row["rule_id"], row["event_id"]) for row in generated.truth} == expected


def test_every_catalogue_rule_has_a_violation_and_a_pass(generated: Generated) -> None:
    catalogue = {
        line.split()[0]
        for line in CATALOGUE.read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    }
    assert set(RULE_IDS) == catalogue
    counts = _outcomes(generated)
    for rule in RULE_IDS:
        assert counts[rule]["violation"] and counts[rule]["pass"], (rule, counts[rule])


def test_the_other_outcomes_occur_where_the_catalogue_allows_them(generated: Generated) -> None:
    counts = _outcomes(generated)
    for rule in RULE_IDS:
        assert counts[rule]["pending"] > 0 if rule in OBLIGATIONS else not counts[rule]["pending"]
        if rule in WITH_INCONCLUSIVE:
            assert counts[rule]["inconclusive"], rule
    assert counts["kuaishou.distribution.unreviewed-cancel"]["not_applicable"]
    assert (
        sum(c["not_applicable"] for c in counts.values())
        == counts["kuaishou.distribution.unreviewed-cancel"]["not_applicable"]
    )


def test_not_applicable_cancellations_precede_the_announcement(generated: Generated) -> None:
    effective = datetime(2023, 9, 16, tzinfo=SHANGHAI).timestamp()
    when = {event["event_id"]: _instant(event["timestamp"]) for event in generated.events}
    for row in generated.truth:
        if row["rule_id"] == "kuaishou.distribution.unreviewed-cancel":
            assert (when[row["event_id"]] < effective) == (row["outcome"] == "not_applicable")


def test_pending_triggers_are_within_their_deadline_of_the_as_of_time(generated: Generated) -> None:
    as_of = _instant(generated.manifest["as_of"])
    when = {event["event_id"]: _instant(event["timestamp"]) for event in generated.events}
    deadline = dict(zip(OBLIGATIONS, (3 * DAY, DAY), strict=True))
    for row in generated.truth:
        if row["outcome"] == "pending":
            assert 0 < as_of - when[row["event_id"]] < deadline[row["rule_id"]], row


def test_boundary_cases_are_present(generated: Generated) -> None:
    by_id = {event["event_id"]: event for event in generated.events}
    outcome = {(row["rule_id"], row["event_id"]): row["outcome"] for row in generated.truth}
    history: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for event in generated.events:
        history.setdefault((event["seller_id"], event["subject"]["id"]), []).append(event)

    def gaps(trigger: str, related: str) -> Counter[tuple[int, str]]:
        """(seconds from each ``related`` event of the same entity to the trigger, outcome)."""
        found: Counter[tuple[int, str]] = Counter()
        for (_, event_id), result in outcome.items():
            event = by_id[event_id]
            if event["action"] != trigger:
                continue
            for other in history[(event["seller_id"], event["subject"]["id"])]:
                if other["action"] == related:
                    gap = _instant(event["timestamp"]) - _instant(other["timestamp"])
                    found[(int(gap), result)] += 1
        return found

    assert gaps("affiliate.exit_requested", "affiliate.joined")[(15 * DAY, "pass")]
    assert gaps("affiliate.exit_requested", "affiliate.joined")[(15 * DAY - 1, "violation")]
    assert gaps("distribution.extension_approved", "distribution.extension_requested")[(3 * DAY, "pass")]
    assert gaps("juhuasuan.second_review_failed", "juhuasuan.sample_returned")[(-3 * DAY, "pass")]
    assert gaps("juhuasuan.sample_received", "juhuasuan.second_review_passed")[(-DAY, "pass")]
    enrolled = {
        event["subject"]["id"]: _instant(event["timestamp"])
        for event in generated.events
        if event["action"] == "distribution.enrolled"
    }
    assert any(
        _instant(event["timestamp"]) - enrolled.get(event["subject"]["id"], 0) == 30 * DAY
        for event in generated.events
        if event["action"] == "distribution.cancel_requested"
    )

    refunds = [
        (by_id[event_id], result)
        for (rule, event_id), result in outcome.items()
        if rule == "aliexpress.choice.refund-charged-to-seller"
    ]

    def window_end(paid: float) -> float:  # 3 calendar months in Asia/Shanghai, clamped
        d = datetime.fromtimestamp(paid, SHANGHAI)
        y, m = divmod(d.month + 2, 12)
        y, m = d.year + y, m + 1
        return d.replace(year=y, month=m, day=min(d.day, calendar.monthrange(y, m)[1])).timestamp()

    at_end = {
        result
        for event, result in refunds
        if _instant(event["timestamp"]) == window_end(_instant(event["data"]["order_paid_at"]))
    }
    assert at_end == {"pass"}

    deposits_at_2359 = [
        event
        for event in generated.events
        if event["action"] == "juhuasuan.deposit_frozen"
        and datetime.fromtimestamp(_instant(event["timestamp"]), SHANGHAI).strftime("%H:%M") == "23:59"
    ]
    assert deposits_at_2359


def test_injected_violation_share_tracks_the_requested_rate(tmp_path: Path, generated: Generated) -> None:
    summary = generated.summary
    assert summary.judged_scenarios > 500
    assert abs(summary.violation_share - 0.2) < 0.05
    violations = sum(row["outcome"] == "violation" for row in generated.truth)
    # a violating scenario holds one violation or two, and some passes around it
    assert summary.violating_scenarios <= violations < 2 * summary.violating_scenarios
    half = generate(tmp_path, events=5000, seed=11, violation_rate=0.5)
    assert abs(half.violation_share - 0.5) < 0.05


@pytest.mark.parametrize("rate", [0.0, 1.0])
def test_extreme_rates(tmp_path: Path, rate: float) -> None:
    summary = generate(tmp_path, events=3000, seed=2, violation_rate=rate)
    assert summary.violating_scenarios == round(rate * summary.judged_scenarios)
    violations = sum(counts.get("violation", 0) for counts in summary.rules.values())
    assert (violations > 0) == bool(rate)


def test_manifest_counts_equal_the_truth(generated: Generated) -> None:
    counts = _outcomes(generated)
    assert generated.manifest["rules"] == {rule: dict(counts[rule]) for rule in RULE_IDS}
    assert generated.manifest["rules"] == generated.summary.rules
    assert generated.manifest["seed"] == 11
    assert generated.manifest["violation_rate"] == 0.2
    assert generated.manifest["events"] == len(generated.events)
    assert generated.summary.truth_lines == len(generated.truth)


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    assert (
        main(["--events", "400", "--seed", "4", "--violation-rate", "0.3", "--no-shuffle", "-o", str(out)])
        == 0
    )
    assert "events" in capsys.readouterr().out
    for name in FILES:
        assert (out / name).is_file()
    assert json.loads((out / "manifest.json").read_text("utf-8"))["violation_rate"] == 0.3
    with pytest.raises(SystemExit) as exit_info:
        main(["--violation-rate", "1.5", "-o", str(out)])
    assert exit_info.value.code == 2


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"events": 0}, "events"), ({"violation_rate": -0.1}, "violation_rate")]
)
def test_invalid_arguments_are_refused(tmp_path: Path, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate(tmp_path, **kwargs)
