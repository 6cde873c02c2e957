"""The audit report condensed as Markdown, for tickets and merge-request comments.

CommonMark with GitHub-style pipe tables. Every value from a log is inert:
identifiers go in code spans (whose content is literal), and free text has
the characters that could start markup backslash-escaped (``<``, ``&``,
``[``, ``*``, ``|``...), URL schemes broken (``http\\://``) and newlines
folded, so a seller id holding ``<script>`` or ``javascript:`` stays text in
any renderer. Every log value sits after other text on its line, so it can
never start a heading, list or quote.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..results.result import CheckResult
from .options import RenderOptions
from .reportlabels import labels
from .reportmodel import (
    OUTCOMES,
    SEVERITY_ORDER,
    Generated,
    ReportModel,
    Tally,
    build_model,
    result_document,
    status_of,
    version_line,
    visible,
)

# The findings listed with their evidence; the rest are counted (the HTML
# report and the JSON result hold them all).
MAX_FINDINGS = 30
MAX_WEEKS = 26
MAX_REJECTED = 20

_MARKUP = re.compile(r"([\\`*_\[\]<>&|~!#@$])")
_SCHEME = re.compile(r"(?i)(?<=[a-z0-9])(:)(?=//)")
_WWW = re.compile(r"(?i)\b(www)\.")
_PIPE = re.compile(r"(?<!\\)\|")


def text(value: object) -> str:
    """Free text from a log or a policy as inline Markdown that renders as exactly that text."""
    folded = " ".join(visible(value).split())
    escaped = _MARKUP.sub(r"\\\1", folded)
    escaped = _SCHEME.sub(r"\\:", escaped)
    return _WWW.sub(r"\1\\.", escaped)


def code(value: object) -> str:
    """A value as a code span: literal content, a backtick fence longer than any run inside."""
    folded = " ".join(visible(value).split()) or " "
    longest = max((len(run) for run in re.findall(r"`+", folded)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if folded.startswith("`") or folded.endswith("`") else ""
    return f"{fence}{pad}{folded}{pad}{fence}"


def _cell(value: str) -> str:
    """A table cell: a GFM table ends a cell at any unescaped ``|``, even inside a code span
    (where GFM then drops the backslash), so every one is escaped."""
    return _PIPE.sub(r"\\|", value)


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: Iterable[int] = ()) -> list[str]:
    nums = set(numeric)
    out = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---:" if i in nums else "---" for i in range(len(headers))) + "|",
    ]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*out, ""]


def _severity_line(counts: Sequence[int], w: Mapping[str, str]) -> str:
    return ", ".join(f"{n} {w[s].lower()}" for s, n in zip(SEVERITY_ORDER, counts, strict=True) if n) or "-"


def _scope(m: ReportModel, w: Mapping[str, str]) -> list[str]:
    span = f"{code(m.span[0])} – {code(m.span[1])}" if m.span else "-"
    out = [
        f"## {w['scope']}",
        "",
        f"- **{w['platforms']}:** {', '.join(code(p) for p in m.platforms) or '-'}",
        f"- **{w['sellers']}:** {m.sellers_judged}",
        f"- **{w['sellers_with_findings']}:** {m.sellers_with_findings}",
        f"- **{w['span']}:** {span}",
        f"- **{w['as_of']}:** {code(m.as_of)} ({text(m.timezone)})",
        "",
    ]
    if not m.complete:
        out += [f"_{w['incomplete']}_", ""]
    return out


def _versions(tally: Tally, w: Mapping[str, str]) -> str:
    """The versions of a rule that found violations, each with its own title."""
    counted = len(tally.versions) > 1
    return "; ".join(text(version_line(v, counted, w)) for v in tally.versions) or text(tally.label)


def _summary(m: ReportModel, w: Mapping[str, str]) -> list[str]:
    out = [f"## {w['summary']}", "", f"**{m.violations}** {w['violations'].lower()}", ""]
    out += _table([w["severity"], w["violations"]], ([w[s], str(n)] for s, n in m.by_severity), [1])
    out += _table([w[k] for k in OUTCOMES], [[str(n) for _, n in m.by_outcome]], range(len(OUTCOMES)))
    out += [f"### {w['by_rule']}", ""]
    out += _table(
        [w["rule"], w["violations"], w["severity"]],
        ([f"{code(t.key)} {_versions(t, w)}", str(t.total), _severity_line(t.counts, w)] for t in m.by_rule),
        [1],
    )
    out += [f"### {w['by_platform']}", ""]
    out += _table(
        [w["platform"], w["violations"], w["severity"]],
        ([code(t.key), str(t.total), _severity_line(t.counts, w)] for t in m.by_platform),
        [1],
    )
    out += [f"### {w['top_sellers']}", ""]
    out += _table(
        [w["seller"], w["violations"], w["severity"]],
        ([code(t.key), str(t.total), _severity_line(t.counts, w)] for t in m.top_sellers),
        [1],
    )
    return out


def _trend(m: ReportModel, w: Mapping[str, str]) -> list[str]:
    out = [f"## {w['trend']}", ""]
    weeks = [wk for wk in m.weeks if wk.total][-MAX_WEEKS:]
    if not weeks:
        return [*out, w["no_trend"], ""]
    peak = max(wk.total for wk in weeks)
    out += ["```text"]
    out += [
        f"{wk.start.isoformat()} {'█' * max(1, round(40 * wk.total / peak)):<40} {wk.total:>6}  "
        f"({_severity_line(wk.counts, w)})"
        for wk in weeks
    ]
    out += ["```", ""]
    return out


def _finding_rows(
    m: ReportModel, w: Mapping[str, str], findings: Sequence[Mapping[str, Any]], waivers: bool = False
) -> list[list[str]]:
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    # the most severe first, then the result's own order (rule, time, event id)
    order = sorted(range(len(findings)), key=lambda i: (rank.get(str(findings[i]["severity"]), 9), i))
    rows = []
    for i in order[:MAX_FINDINGS]:
        f = findings[i]
        evidence = ", ".join(
            f"{code(e.get('event_id', ''))} {text(e.get('action', ''))} {code(e.get('timestamp', ''))}"
            for e in f.get("evidence_events", [])
        )
        row = [
            w[str(f["severity"])],
            f"{code(f['rule_id'])} v{text(f['rule_version'])}",
            code(f["seller_id"]),
            code(f["event_id"]),
            code(f["timestamp"]),
            text(m.message(f)),
            evidence,
        ]
        if waivers:
            waiver = f.get("waiver") if isinstance(f.get("waiver"), Mapping) else {}
            row.append(
                f"{text(waiver.get('reason', ''))} ({text(waiver.get('approver', ''))}, "
                f"{text(waiver.get('expires', ''))})"
                if waiver
                else ""
            )
        rows.append(row)
    return rows


_FINDING_HEADERS = ("severity", "rule", "seller", "event", "time", "message", "evidence")


def _findings(m: ReportModel, w: Mapping[str, str]) -> list[str]:
    out = [f"## {w['findings']}", ""]
    # under CI gating the list is of the new findings; the others have their own section
    listed = [f for f in m.findings if status_of(f) == "new"]
    if not listed:
        return [*out, w["no_findings"], ""]
    out += _table([w[k] for k in _FINDING_HEADERS], _finding_rows(m, w, listed))
    if len(listed) > MAX_FINDINGS:
        out += [f"_{w['more_findings'].format(n=len(listed) - MAX_FINDINGS)}_", ""]
    return out


def _rules(m: ReportModel, w: Mapping[str, str]) -> list[str]:
    out = [f"## {w['rules']}", ""]
    out += _table(
        [w["rule"], w["version"], w["severity"], w["effective"], *[w[k] for k in OUTCOMES]],
        (
            [
                code(r.id),
                code(r.version),
                w.get(r.severity, r.severity),
                f"{text(r.effective_from or w['always'])} – {text(r.effective_until or w['open_end'])}",
                *[str(n) for _, n in r.counts],
            ]
            for r in m.rules
        ),
        range(4, 9),
    )
    for r in m.rules:
        source = text(r.document) + (f" ({text(r.section)})" if r.section else "")
        out += [
            f"- {code(r.id)} {code(r.version)} **{text(r.title)}**: {text(r.description)} "
            f"{w['source']}: {source}, “{text(r.quote)}”"
        ]
    return [*out, ""]


def _set_aside(m: ReportModel, w: Mapping[str, str]) -> list[str]:
    if not m.statuses:
        return []
    gate = m.gating or {}
    out = [f"## {w['set_aside']}", "", w["set_aside_note"], ""]
    out += [f"- **{w['status_' + s]}:** {n}" for s, n in m.statuses]
    if "failing" in gate:
        out += [f"- **{w['failing']}:** {text(gate['failing'])}"]
    out += [""]
    for status in ("waived", "baselined"):
        listed = [f for f in m.findings if status_of(f) == status]
        if not listed:
            continue
        waived = status == "waived"
        out += [f"### {w[status]} ({len(listed)})", ""]
        headers = [w[k] for k in _FINDING_HEADERS] + ([w["reason"]] if waived else [])
        out += _table(headers, _finding_rows(m, w, listed, waivers=waived))
        if len(listed) > MAX_FINDINGS:
            out += [f"_{w['more_findings'].format(n=len(listed) - MAX_FINDINGS)}_", ""]
    return out


def _provenance(m: ReportModel, w: Mapping[str, str]) -> list[str]:
    counts = ("read", "accepted", "duplicates", "rejected")
    out = [f"## {w['provenance']}", "", f"### {w['inputs']}", ""]
    out += _table(
        [w["file"], w["sha256"], *[w[k] for k in counts]],
        [
            *(
                [
                    code(f.get("file", "")),
                    code(f.get("sha256", "")) if f.get("sha256") else "-",
                    *[str(f.get(k, 0)) for k in counts],
                ]
                for f in m.inputs
            ),
            [f"**{w['total']}**", "", *[str(m.totals.get(k, 0)) for k in counts]],
        ],
        range(2, 6),
    )
    if m.events_after_as_of is not None:
        out += [f"{w['after_as_of']}: {m.events_after_as_of}", ""]
    if m.rejected:
        out += [f"### {w['rejected_records']} ({len(m.rejected)})", ""]
        out += [
            f"- {code(r.get('file', ''))}:{r.get('line', '')} {code(r.get('code', ''))} "
            f"{text(r.get('reason', ''))}"
            for r in m.rejected[:MAX_REJECTED]
        ]
        if len(m.rejected) > MAX_REJECTED:
            out += [f"- {w['rejected_more'].format(n=len(m.rejected) - MAX_REJECTED)}"]
        out += [""]
    out += [
        f"### {w['policy_files']}",
        "",
        f"- **{w['pack']}:** {code(m.pack.get('name', ''))}",
        f"- **{w['revision']}:** {code(m.pack.get('revision', ''))}",
        f"- **{w['content_hash']}:** {code(m.pack.get('content_hash', ''))}",
        "",
    ]
    out += _table(
        [w["rule"], w["version"], w["status"], w["file"], w["sha256"]],
        ([code(r.id), code(r.version), text(r.status), code(r.file), code(r.sha256)] for r in m.rules),
    )
    source = w["from_sde"] if m.generated.source == "SOURCE_DATE_EPOCH" else w["from_clock"]
    command = code(shlex.join(m.command)) if m.command else w["not_recorded"]
    out += [
        f"- **{w['tool']}:** {code('policy-checker ' + m.tool_version)}",
        f"- **{w['command']}:** {command}",
        f"- **{w['generated']}:** {code(m.generated.text)} ({source})",
        "",
    ]
    return out


def render_model(model: ReportModel) -> str:
    """The Markdown text of a report model."""
    w = labels(model.lang, model.words)
    head = [
        f"# {w['title']}",
        "",
        f"{w['pack']} {code(str(model.pack.get('name', '')) + '@' + str(model.pack.get('revision', '')))}"
        f" · {w['as_of']} {code(model.as_of)} · {w['generated']} {code(model.generated.text)}",
        "",
    ]
    lines = [
        *head,
        *_scope(model, w),
        *_summary(model, w),
        *_trend(model, w),
        *_findings(model, w),
        *_rules(model, w),
        *_set_aside(model, w),
        *_provenance(model, w),
    ]
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def render_markdown_report(
    doc: Mapping[str, Any],
    *,
    lang: str = "en",
    command: Sequence[str] = (),
    generated: Generated | None = None,
) -> str:
    """The Markdown report of a JSON result (``CheckResult.to_dict(all_outcomes=True)``)."""
    return render_model(build_model(doc, lang=lang, command=command, generated=generated))


def render_markdown(result: CheckResult, options: RenderOptions) -> str:
    """``--format markdown``: the condensed audit report."""
    return render_markdown_report(
        result_document(result, options, digest=True),
        lang=options.lang,
        command=tuple(getattr(options, "command", ()) or ()),
    )
