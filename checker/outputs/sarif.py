"""``sarif``: SARIF 2.1.0, for code-scanning views (GitHub) and SARIF tools.

* one reporting descriptor per rule id, with its title, description, help
  text quoting the source document, severity and default level;
* one result per finding: ``level`` from the gate (``error`` for a finding
  that fails it, ``note`` for one below ``--fail-on``, baselined or waived,
  with the reason in ``properties.gate``; the severity is in
  ``properties.severity`` and the rule's default level), the message, the
  input file and line of the triggering event as its physical location, the
  seller and the subject as logical locations, and the finding's fingerprint
  as a partial fingerprint;
* results in gate order: failing findings first, then by severity, most
  severe first, then in the result's order; at most
  ``RenderOptions.sarif_max_results`` of them (GitHub code scanning refuses
  a run with more than 25,000), the number left out in the run's
  ``properties["policy-checker/omittedResults"]`` and, when any, a
  ``results-omitted`` notification;
* with a baseline, ``baselineState`` (``new`` or ``unchanged``); waived
  findings carry an accepted external suppression with the waiver's reason;
* rejected input records and expired waivers as notifications.

Tests validate the output against the official OASIS schema.
"""

from __future__ import annotations

import heapq
import json
import os
from typing import Any
from urllib.parse import quote, urlsplit

from .._version import __version__
from ..inputs.files import is_uri
from ..language.policy import Policy
from ..results.gating import Status
from ..results.outcomes import Outcome
from ..results.result import CheckResult
from .options import RenderOptions, gate_rank, gate_verdict

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "policyCheckerFingerprint/v1"
#: a rule's default level, from its severity (a result's level comes from the gate)
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
#: a result's level: a finding that fails the gate is an error, any other a note
FAILING_LEVEL, PASSING_LEVEL = "error", "note"
OMITTED_KEY = "policy-checker/omittedResults"
MAX_NOTIFICATIONS = 1000


def artifact_uri(file: str) -> str | None:
    """The URI of an input file (relative paths stay relative; an input named by a URI, such as
    ``s3a://bucket/x.jsonl``, is its own), or None for standard input."""
    if not file or file == "-" or file.startswith("<"):
        return None
    if is_uri(file):
        parts = urlsplit(file)
        return f"{parts.scheme}://{parts.netloc}{quote(parts.path, safe='/')}"
    posix = file.replace(os.sep, "/")
    if os.path.isabs(file):
        return "file://" + quote(posix if posix.startswith("/") else "/" + posix, safe="/:")
    return quote(posix, safe="/")


def _physical(file: str, line: int) -> dict[str, Any] | None:
    uri = artifact_uri(file)
    if uri is None:
        return None
    location: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if line > 0:
        location["region"] = {"startLine": line}
    return location


def _descriptor(versions: list[Policy]) -> dict[str, Any]:
    p = versions[-1]  # the latest version describes the rule
    quote_text = p.source.quote.strip()
    help_text = (
        f"{p.description or p.title.en}\n\nSource: {p.source.document}"
        f"{' (' + p.source.section + ')' if p.source.section else ''}: \u201c{quote_text}\u201d"
    )
    help_md = (
        f"{p.description or p.title.en}\n\n**Source**: `{p.source.document}`"
        f"{' (' + p.source.section + ')' if p.source.section else ''}\n\n> {quote_text}"
    )
    return {
        "id": p.id,
        "name": p.id,
        "shortDescription": {"text": p.title.en},
        "fullDescription": {"text": p.description or p.title.en},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": LEVELS[p.severity]},
        "properties": {
            "severity": p.severity,
            "platform": p.platform,
            "tags": list(p.tags),
            "title_zh": p.title.zh,
            "versions": [v.version for v in versions],
            "source": {"document": p.source.document, "quote": quote_text, "section": p.source.section},
        },
    }


def _result(f: Outcome, index: int, options: RenderOptions) -> dict[str, Any]:
    gate = options.triage
    logical = [
        {"name": f.seller_id, "kind": "seller", "fullyQualifiedName": f"{f.platform}/seller/{f.seller_id}"}
    ]
    if f.subject:
        kind, sid = str(f.subject.get("type")), str(f.subject.get("id"))
        logical.append(
            {
                "name": sid,
                "kind": kind,
                "fullyQualifiedName": f"{f.platform}/seller/{f.seller_id}/{kind}/{sid}",
            }
        )
    location: dict[str, Any] = {"logicalLocations": logical}
    trigger = next((e for e in f.evidence_events if e.event_id == f.event_id), None)
    physical = _physical(trigger.file, trigger.line) if trigger else None
    if physical:
        location["physicalLocation"] = physical
    message = f.message.get(options.lang) if f.message else f.rule_id
    verdict = gate_verdict(f, gate)
    out: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": FAILING_LEVEL if verdict is None else PASSING_LEVEL,
        "kind": "fail",
        "message": {"text": message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {
            "rule_version": f.rule_version,
            "severity": f.severity,
            "platform": f.platform,
            "seller_id": f.seller_id,
            "event_id": f.event_id,
            "timestamp": f.timestamp,
            "evidence": list(f.evidence),
            "message_zh": f.message.zh if f.message else "",
            "status": gate.status(f).value,
            "gate": "fail" if verdict is None else verdict,
        },
    }
    if gate.baseline is not None:
        out["baselineState"] = "unchanged" if f.fingerprint in gate.baseline else "new"
    waiver = gate.waived_by.get(f.fingerprint)
    if waiver is not None and gate.status(f) is Status.WAIVED:
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": waiver.reason,
                "properties": {
                    "approver": waiver.approver,
                    "expires": waiver.expires.isoformat(),
                    "ticket": waiver.ticket,
                    "waiver": str(waiver.location),
                },
            }
        ]
    return out


def sarif_document(result: CheckResult, options: RenderOptions) -> dict[str, Any]:
    """The SARIF log of ``result`` as a dict."""
    by_id: dict[str, list[Policy]] = {}
    for p in result.policies:  # sorted by id, then version
        by_id.setdefault(p.id, []).append(p)
    rule_ids = sorted(by_id)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    rejected = result.batch.rejected
    notifications = []
    for r in rejected[:MAX_NOTIFICATIONS]:
        note: dict[str, Any] = {
            "level": "warning",
            "descriptor": {"id": r.code},
            "message": {"text": f"rejected input record: {r.reason}"},
        }
        physical = _physical(r.file, r.line)
        if physical:
            note["locations"] = [{"physicalLocation": physical}]
        notifications.append(note)
    if len(rejected) > MAX_NOTIFICATIONS:
        notifications.append(
            {
                "level": "warning",
                "message": {
                    "text": f"... and {len(rejected) - MAX_NOTIFICATIONS} more rejected records "
                    "(see the JSON result or --rejects)"
                },
            }
        )
    findings = result.findings
    limit = options.sarif_max_results
    # gate order (failing first, most severe first), stable: the position breaks ties
    ranked = ((gate_rank(f, options.triage), i, f) for i, f in enumerate(findings))
    kept = sorted(ranked) if limit is None else heapq.nsmallest(limit, ranked)
    omitted = len(findings) - len(kept)
    if omitted:
        notifications.append(
            {
                "level": "warning",
                "descriptor": {"id": "results-omitted"},
                "message": {
                    "text": f"{omitted} of {len(findings)} results left out (at most {limit} per run; "
                    "the least severe and non-failing go first); the JSON result lists every finding"
                },
            }
        )
    configuration = []
    for w in options.triage.expired:
        note = {
            "level": "warning",
            "descriptor": {"id": "waiver-expired"},
            "message": {
                "text": f"waiver for {w.rule} expired on {w.expires.isoformat()}; its findings count again"
            },
        }
        physical = _physical(w.location.file, w.location.line)
        if physical:
            note["locations"] = [{"physicalLocation": physical}]
        configuration.append(note)
    invocation: dict[str, Any] = {
        "executionSuccessful": True,
        "properties": {
            "as_of": result.as_of_text,
            "timezone": result.batch.timezone,
            "inputs": result.batch.totals(),
        },
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    if configuration:
        invocation["toolConfigurationNotifications"] = configuration
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "policy-checker",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_descriptor(by_id[r]) for r in rule_ids],
                    }
                },
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "properties": {
                    "pack": {
                        "name": result.pack.name,
                        "revision": result.pack.revision,
                        "content_hash": result.pack.content_hash,
                    },
                    OMITTED_KEY: omitted,
                },
                "results": [_result(f, index[f.rule_id], options) for _, _, f in kept],
            }
        ],
    }


def render_sarif(result: CheckResult, options: RenderOptions) -> str:
    """The result as a SARIF 2.1.0 log."""
    return json.dumps(sarif_document(result, options), ensure_ascii=False, indent=2) + "\n"
