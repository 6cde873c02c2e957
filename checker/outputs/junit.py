"""``junit``: JUnit XML for CI test-report views (GitLab, Jenkins, ...).

One test case per rule id; one ``<failure>`` per violation that fails the
gate (new, at or above ``--fail-on``), one ``<skipped>`` per other violation
with the reason as its message (``below --fail-on SEVERITY``, ``baselined``,
``waived``); baselined and waived ones are also listed in the case's
``<system-out>``, with the rule's outcome counts. A rule with a failure
fails, one with only skipped violations is skipped, any other passes. The
suite's ``failures`` and ``skipped`` count test cases, as consumers expect.

Text from logs may hold characters XML 1.0 cannot carry at all (control
characters): they are written as ``\\xNN`` so the report always parses.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from ..results.gating import Status
from ..results.outcomes import OUTCOME_ORDER, Outcome
from ..results.result import CheckResult
from .options import RenderOptions, gate_verdict

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """``value`` as text XML 1.0 can hold."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))


def _failure_text(f: Outcome, lang: str) -> str:
    subject = f"{f.subject.get('type')}:{f.subject.get('id')}" if f.subject else "-"
    message = f.message.get(lang) if f.message else ""
    return (
        f"{message}\n"
        f"rule: {f.rule_id} v{f.rule_version} ({f.severity})\n"
        f"seller: {f.seller_id}  subject: {subject}  platform: {f.platform}\n"
        f"event: {f.event_id} at {f.timestamp}\n"
        f"evidence: {', '.join(f.evidence)}\n"
        f"fingerprint: {f.fingerprint}\n"
    )


def render_junit(result: CheckResult, options: RenderOptions) -> str:
    """The result as a JUnit XML document."""
    gate = options.triage
    by_rule: dict[str, list[Outcome]] = defaultdict(list)
    for f in result.finding_heads():  # a test case reads no evidence record
        by_rule[f.rule_id].append(f)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {k.value: 0 for k in OUTCOME_ORDER})
    for row in result.counts():
        for kind in OUTCOME_ORDER:
            counts[row["rule_id"]][kind.value] += row[kind.value]
    rule_ids = sorted({p.id for p in result.policies})
    failing_cases = sum(1 for r in rule_ids if any(gate.fails(f) for f in by_rule[r]))
    skipped_cases = sum(1 for r in rule_ids if by_rule[r] and not any(gate.fails(f) for f in by_rule[r]))
    pack = f"{result.pack.name}@{result.pack.revision}"

    root = ET.Element(
        "testsuites",
        name="policy-checker",
        tests=str(len(rule_ids)),
        failures=str(failing_cases),
        errors="0",
        time="0",
    )
    suite = ET.SubElement(
        root,
        "testsuite",
        name=f"policy-checker {pack}",
        tests=str(len(rule_ids)),
        failures=str(failing_cases),
        errors="0",
        skipped=str(skipped_cases),
        time="0",
    )
    props = ET.SubElement(suite, "properties")
    totals = result.batch.totals()
    for name, value in (
        ("pack", pack),
        ("as_of", result.as_of_text),
        ("timezone", result.batch.timezone),
        *((f"inputs.{k}", str(v)) for k, v in totals.items()),
        ("fail_on", gate.fail_on),
    ):
        ET.SubElement(props, "property", name=name, value=xml_text(value))
    platforms = {p.id: p.platform for p in result.policies}
    for rule_id in rule_ids:
        case = ET.SubElement(
            suite, "testcase", name=rule_id, classname=f"policy-checker.{platforms[rule_id]}", time="0"
        )
        accepted = []
        for f in by_rule[rule_id]:
            status = gate.status(f)
            if status is not Status.NEW:
                accepted.append(
                    f"{status.value}: {f.event_id} seller {f.seller_id} (fingerprint {f.fingerprint})"
                )
            message = f.message.get(options.lang) if f.message else f.rule_id
            verdict = gate_verdict(f, gate)
            if verdict is None:
                failure = ET.SubElement(case, "failure", message=xml_text(message), type=f.severity)
                failure.text = xml_text(_failure_text(f, options.lang))
            else:
                skipped = ET.SubElement(case, "skipped", message=xml_text(f"{verdict}: {message}"))
                skipped.text = xml_text(
                    f"does not fail the gate: {verdict}\n" + _failure_text(f, options.lang)
                )
        summary = ", ".join(f"{n} {k}" for k, n in counts[rule_id].items())
        out = ET.SubElement(case, "system-out")
        out.text = xml_text("\n".join([f"outcomes: {summary}", *accepted]) + "\n")
    if result.batch.rejected:
        out = ET.SubElement(suite, "system-err")
        out.text = xml_text(
            "".join(f"rejected {r.file}:{r.line}: [{r.code}] {r.reason}\n" for r in result.batch.rejected)
        )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
