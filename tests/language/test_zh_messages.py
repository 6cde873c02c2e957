"""Chinese texts of the catalogue carry no space between two Chinese characters.

A folded YAML scalar (``>``, ``>-``, or a plain or quoted scalar over several
lines) joins its lines with a space: right for English, a stray gap in Chinese
(``创建于 ...+08:00， 此时``). The catalogue's multi-line ``zh`` messages are
double-quoted scalars whose lines end with ``\\`` (an escaped line break, which
joins without a space); these tests hold every rendered message to that, over
the sample export and the events of every policy test case.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

import checker
from tests.conftest import POLICIES, ROOT

CJK = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"
STRAY_SPACE = re.compile(rf"{CJK}\s+{CJK}")


def _case_results(policy_set: checker.PolicySet) -> Iterator[tuple[str, checker.CheckResult]]:
    """The result of every policy test case, each checked as the test runner checks it."""
    for path in sorted(POLICIES.rglob("*.tests.yaml")):
        doc: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
        defaults = doc.get("defaults") or {}
        for case in doc["cases"]:
            timezone = case.get("timezone", "Asia/Shanghai")
            records = [{**defaults, **event} for event in case["events"]]
            batch = checker.events_from_records(records, source=path.name, timezone=timezone)
            if not batch.events:
                continue  # a case of unreadable records only judges nothing
            result = checker.check(
                policy_set,
                batch,
                as_of=str(case["as_of"]) if "as_of" in case else None,
                params={doc["rule"]: case["params"]} if case.get("params") else None,
                timezone=timezone,
            )
            yield f"{path.name}: {case['name']}", result


def test_catalogue_zh_titles_have_no_stray_space(policy_set: checker.PolicySet) -> None:
    bad = [(p.id, p.version, p.title.zh) for p in policy_set.policies if STRAY_SPACE.search(p.title.zh)]
    assert not bad


def test_sample_zh_messages_have_no_stray_space(policy_set: checker.PolicySet) -> None:
    result = checker.check(policy_set, [str(ROOT / "examples" / "sample-events.jsonl")])
    messages = [f.message.zh for f in result.findings]
    assert len(messages) >= 20
    assert [m for m in messages if STRAY_SPACE.search(m)] == []


def test_policy_test_case_zh_messages_have_no_stray_space(policy_set: checker.PolicySet) -> None:
    seen: set[str] = set()
    bad = []
    for name, result in _case_results(policy_set):
        for f in result.findings:
            seen.add(f.rule_id)
            if STRAY_SPACE.search(f.message.zh):
                bad.append((name, f.message.zh))
    assert seen == {p.id for p in policy_set.policies}  # every rule's message rendered at least once
    assert bad == []


@pytest.mark.parametrize(
    "text",
    ["创建于 2024-03-01T00:00:00+08:00， 此时", "免责期内 （至", "已于 x 报名成功，\u3000却在", "单；\n团长"],
)
def test_the_pattern_finds_folded_spaces(text: str) -> None:
    assert STRAY_SPACE.search(text)


@pytest.mark.parametrize("text", ["商家 s1 的订单", "后 3d 8h 即申请退出", "确认JIT订单 o1，此前"])
def test_the_pattern_keeps_spaces_around_values(text: str) -> None:
    assert not STRAY_SPACE.search(text)
