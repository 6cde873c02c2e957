"""Results to render in report tests: real checks over the shipped catalogue, hostile log
values, and a synthetic result of any size.

Every builder is deterministic, so tests may compare bytes.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml

import checker
from checker.outputs.reportmodel import Generated

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
GENERATED = Generated(1_700_000_000, "SOURCE_DATE_EPOCH")  # 2023-11-14T22:13:20Z
COMMAND = ("checker", "report", "export.jsonl", "-o", "report.html")

# Log values that must stay inert text in every report
HOSTILE = (
    "<script>window.__pwned = 'script'</script>",
    '"><img src=x onerror="window.__pwned = \'img\'">',
    "javascript:window.__pwned = 'href'",
    "</script><script>window.__pwned = 'breakout'</script><!--",
    "' onmouseover='window.__pwned = 1' x='",
    "[click](javascript:alert(1)) <b>bold</b> **x** | a | b & &amp; `tick`",
    "evil\u202eexe.txt\x1b[31m",
)


@cache
def catalogue_records() -> tuple[dict[str, Any], ...]:
    """The events of every shipped policy test case, made unique per case, in one export.

    Checked together they give every rule's violations, passes, inconclusive and
    not-applicable outcomes, over 23 sellers and 18 months.
    """
    records: list[dict[str, Any]] = []
    for i, path in enumerate(sorted(POLICIES.rglob("*.tests.yaml"))):
        doc = yaml.safe_load(path.read_text("utf-8"))
        defaults = doc.get("defaults") or {}
        for j, case in enumerate(doc["cases"]):
            if case.get("timezone") or case.get("params") or case.get("as_of"):
                continue
            prefix = f"r{i}c{j}-"
            for event in case["events"]:
                record = {**defaults, **copy.deepcopy(event)}
                record["event_id"] = prefix + str(record["event_id"])
                record["seller_id"] = f"s{(i * 7 + j) % 23:02d}"
                if isinstance(record.get("subject"), dict):
                    record["subject"]["id"] = prefix + str(record["subject"]["id"])
                records.append(record)
    return tuple(records)


def hostile_records() -> list[dict[str, Any]]:
    """Early exits (violations) whose seller, event, subject and data hold hostile values."""
    records = []
    for n, value in enumerate(HOSTILE):
        base = {
            "platform": "aliexpress",
            "seller_id": value,
            "subject": {"type": "affiliate_program", "id": value},
        }
        records.append(
            {
                **base,
                "event_id": f"join-{n}{value}",
                "action": "affiliate.joined",
                "timestamp": f"2024-03-0{n + 1}T10:00:00+08:00",
                "data": {"note": value, value: "key"},
            }
        )
        records.append(
            {
                **base,
                "event_id": f"exit-{n}{value}",
                "action": "affiliate.exit_requested",
                "timestamp": f"2024-03-0{n + 2}T10:00:00+08:00",
                "actor": value,
            }
        )
    return records


@cache
def _policy_set() -> checker.PolicySet:
    loaded = checker.load_policies([POLICIES])
    assert not loaded.problems, loaded.problems
    return loaded


def result_of(records: Any, **kwargs: Any) -> checker.CheckResult:
    """Check ``records`` against the shipped catalogue."""
    return checker.check(
        _policy_set(), checker.events_from_records(list(records), source="export.jsonl"), **kwargs
    )


def catalogue_doc() -> dict[str, Any]:
    """The JSON result (all outcomes) of the catalogue export."""
    return result_of(catalogue_records()).to_dict(all_outcomes=True)


def hostile_doc() -> dict[str, Any]:
    """The JSON result of the catalogue export plus the hostile records."""
    return result_of([*catalogue_records(), *hostile_records()]).to_dict(all_outcomes=True)


def synthetic_doc(findings: int, sellers: int = 5000) -> dict[str, Any]:
    """A result with ``findings`` findings cloned from the catalogue's, each with its own ids,
    seller and evidence events: for size and speed bounds."""
    doc = catalogue_doc()
    base = doc["findings"]
    out = []
    for i in range(findings):
        f = copy.deepcopy(base[i % len(base)])
        suffix = f"-{i:06d}"
        seller = f"seller-{(i * 7919) % sellers:05d}"
        f["seller_id"] = seller
        f["event_id"] += suffix
        f["fingerprint"] = f"{i:032x}"
        f["evidence"] = [e + suffix for e in f["evidence"]]
        for event in f["evidence_events"]:
            event["event_id"] += suffix
            event["seller_id"] = seller
        f["message"] = f"{f['message']} [{suffix}]"
        out.append(f)
    doc["findings"] = out
    doc["summary"]["violations"] = findings
    return doc
