"""A result with findings of every gate status, rendered by the format tests."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

import checker
from checker.outputs import RenderOptions
from checker.results.baseline import Baseline
from checker.results.gating import Triage, triage
from checker.results.waivers import load_waivers

EVIL = 's\x1b[31m=HYPERLINK("http://x")\n::set-env name=A::b,c:%'
EVENTS = [
    {
        "event_id": "j1",
        "timestamp": "2024-03-01T10:00:00+08:00",
        "platform": "aliexpress",
        "seller_id": "s1",
        "action": "affiliate.joined",
    },
    {
        "event_id": "x1",
        "timestamp": "2024-03-10T10:00:00+08:00",
        "platform": "aliexpress",
        "seller_id": "s1",
        "action": "affiliate.exit_requested",
    },
    {
        "event_id": "j2",
        "timestamp": "2024-03-01T10:00:00+08:00",
        "platform": "aliexpress",
        "seller_id": "s2",
        "action": "affiliate.joined",
    },
    {
        "event_id": "x2",
        "timestamp": "2024-03-11T10:00:00+08:00",
        "platform": "aliexpress",
        "seller_id": "s2",
        "action": "affiliate.exit_requested",
    },
    {
        "event_id": "j3",
        "timestamp": "2024-03-01T10:00:00+08:00",
        "platform": "aliexpress",
        "seller_id": EVIL,
        "action": "affiliate.joined",
    },
    {
        "event_id": "x3",
        "timestamp": "2024-03-12T10:00:00+08:00",
        "platform": "aliexpress",
        "seller_id": EVIL,
        "action": "affiliate.exit_requested",
    },
    {
        "event_id": "c1",
        "timestamp": "2024-03-12T10:00:00+08:00",
        "platform": "taobao",
        "seller_id": "t1",
        "action": "plan.close_requested",
        "subject": {"type": "affiliate_plan", "id": "p9"},
        "data": {"reason": " "},
    },
]
WAIVERS = """\
waivers:
  - rule: aliexpress.affiliate.early-exit
    seller: s2
    reason: 经平台小二同意提前退出
    approver: li.si
    expires: 2024-12-31
  - rule: taobao.affiliate.close-without-reason
    subject: {type: affiliate_plan, id: p9}
    reason: old plan
    approver: wang.wu
    expires: 2024-01-31
"""


@pytest.fixture()
def scenario(tmp_path: Path, policy_set: checker.PolicySet) -> tuple[checker.CheckResult, RenderOptions]:
    """Findings: x1 baselined, x2 waived, x3 new (hostile seller id), c1 new (its waiver expired);
    one rejected record."""
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in EVENTS) + "{broken\n", "utf-8")
    result = checker.check(policy_set, checker.read_events([path]))
    waivers_file = tmp_path / "waivers.yaml"
    waivers_file.write_text(WAIVERS, "utf-8")
    x1 = next(f for f in result.findings if f.event_id == "x1")
    gate: Triage = triage(
        result,
        baseline=Baseline("baseline.json", {x1.fingerprint: {}}),
        waivers=load_waivers(waivers_file),
        fail_on="medium",
        today=date(2024, 6, 1),
    )
    return result, RenderOptions(triage=gate)
