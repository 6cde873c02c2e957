"""The audit report as one self-contained HTML file.

Inline CSS, JavaScript and SVG only: no URL of any kind, so the file works
from a USB stick and makes no request. A Content-Security-Policy meta with
``default-src 'none'`` and hashes of the one inline script and stylesheet
enforces that, and would stop any injected markup from running even if
escaping failed. Escaping does not fail: every value is HTML-escaped here,
and the findings table's data is an inert JSON block whose ``<``, ``>`` and
``&`` are written as ``\\u003c``... so ``</script>`` in a log cannot end it;
the script writes values with ``textContent`` only.

The page is rendered from the :class:`~checker.outputs.reportmodel.ReportModel` of
the JSON result, so ``checker report --from-json`` and ``checker check
--format html`` give the same bytes for the same result, lang, command and
``SOURCE_DATE_EPOCH``.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

from ..language.times import format_timestamp, zone
from ..results.result import CheckResult
from .options import RenderOptions
from .reportlabels import labels
from .reportmodel import (
    OUTCOMES,
    SEVERITY_ORDER,
    STATUSES,
    Generated,
    ReportModel,
    Tally,
    build_model,
    result_document,
    status_of,
    version_line,
    visible,
)
from .svgchart import bar_svg, weekly_chart_svg

# Above this many bytes of table data the data block is gzip+base64 (about 7x
# smaller); small reports keep plain JSON, readable with "view source".
COMPRESS_ABOVE = 512 * 1024
# The most findings one file holds: about 120 bytes each once compressed, so
# 100,000 findings make a file of about 12 MB and this bound about 25 MB.
MAX_EMBEDDED_FINDINGS = 200_000
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITY_ORDER)}


@cache
def _asset(name: str) -> str:
    return (resources.files("checker.outputs") / "templates" / name).read_text("utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def h(value: object) -> str:
    """``value`` as HTML text or attribute content: escaped, invisible characters made visible."""
    return html.escape(visible(value), quote=True)


def table_data(model: ReportModel) -> dict[str, Any]:
    """The findings table's data: compact rows with interned rules, platforms and sellers,
    and each evidence event once (findings refer to it by index)."""
    findings = list(model.findings)
    if len(findings) > MAX_EMBEDDED_FINDINGS:
        ranked = sorted(
            range(len(findings)), key=lambda i: (SEVERITY_RANK.get(str(findings[i].get("severity")), 9), i)
        )
        findings = [findings[i] for i in sorted(ranked[:MAX_EMBEDDED_FINDINGS])]
    rules: dict[tuple[str, str], int] = {}
    rule_rows: list[list[str]] = []
    platforms: dict[str, int] = {}
    sellers: dict[str, int] = {}
    events: dict[str, int] = {}
    event_rows: list[Any] = []
    rows = []
    words = labels(model.lang, model.words)
    tz = zone(model.timezone)
    for f in findings:
        key = (str(f["rule_id"]), str(f["rule_version"]))
        if key not in rules:
            rules[key] = len(rule_rows)
            rule_rows.append([key[0], key[1], str(f["severity"]), model.rule_title(*key)])
        refs = []
        for event in f.get("evidence_events", []):
            event_id = str(event.get("event_id"))
            if event_id not in events:
                events[event_id] = len(event_rows)
                epoch = model.event_times.get(event_id)
                event_rows.append([None if epoch is None else format_timestamp(epoch, tz), event])
            refs.append(events[event_id])
        subject = f.get("subject")
        subject_text = f"{subject.get('type')}:{subject.get('id')}" if isinstance(subject, Mapping) else None
        rows.append(
            [
                rules[key],
                platforms.setdefault(str(f["platform"]), len(platforms)),
                sellers.setdefault(str(f["seller_id"]), len(sellers)),
                f["event_id"],
                f["timestamp"],
                subject_text,
                model.message(f),
                f["fingerprint"],
                refs,
                STATUSES.index(status_of(f)),
                _waiver_text(f.get("waiver"), words),
            ]
        )
    return {
        "labels": {
            k: words[k]
            for k in (
                "showing",
                "filtered_from",
                "no_match",
                "no_findings",
                "trigger",
                "show_evidence",
                "hide_evidence",
                "evidence",
                "rule",
                "subject",
                "fingerprint",
                "gate",
                *SEVERITY_ORDER,
                *(f"status_{s}" for s in STATUSES),
            )
        },
        "statuses": list(STATUSES),
        "gated": bool(model.statuses),
        "rules": rule_rows,
        "platforms": list(platforms),
        "sellers": list(sellers),
        "f": rows,
        "ev": event_rows,
        "total": len(model.findings),
    }


def _waiver_text(waiver: Any, w: Mapping[str, str]) -> str | None:
    """One line for a finding's waiver: reason, approver, ticket and expiry."""
    if not isinstance(waiver, Mapping):
        return None
    parts = [str(waiver.get("reason", "")), f"{w['approver']}: {waiver.get('approver', '')}"]
    if waiver.get("ticket"):
        parts.append(f"{w['ticket']}: {waiver['ticket']}")
    parts.append(f"{w['expires']}: {waiver.get('expires', '')}")
    return " · ".join(parts)


# visible() applied to every string of a JSON text at once: the characters json.dumps leaves
# raw, and its escapes of control characters. Escapes are read left to right, so "\\\\t" (an
# escaped backslash, then "t") is never taken for a tab. A newline stays a newline.
_RAW_INVISIBLE = re.compile(r"[\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")
_CONTROL_ESCAPES = {"t": "u0009", "b": "u0008", "f": "u000c", "r": "u000d"}


def _visible_escape(match: re.Match[str]) -> str:
    code = match.group(1)
    code = _CONTROL_ESCAPES.get(code, code).lower()
    if code.startswith("u00") and int(code[1:], 16) < 0x20 and code != "u000a":
        return "\\\\" + code  # the backslash itself escaped: the text shows \uXXXX
    return match.group()


def visible_json(text: str) -> str:
    """A JSON text whose strings (keys too) are those of ``text`` passed through ``visible``."""
    text = _RAW_INVISIBLE.sub(lambda m: f"\\\\u{ord(m.group()):04x}", text)
    return _ESCAPE.sub(_visible_escape, text) if "\\" in text else text


def embed_json(data: Any, compress_above: int = COMPRESS_ABOVE) -> tuple[str, str]:
    """The attributes and text of an inert ``<script>`` data block holding ``data``.

    Plain JSON has ``<``, ``>`` and ``&`` escaped as ``\\u003c``... (legal
    JSON, and no ``</script>`` or ``<!--`` can appear); above
    ``compress_above`` bytes it is gzip (fixed mtime: reproducible) in
    base64, which holds no markup character at all.
    """
    text = visible_json(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    raw = text.encode("utf-8")
    if len(raw) <= compress_above:
        safe = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return 'type="application/json"', safe
    packed = base64.b64encode(gzip.compress(raw, compresslevel=6, mtime=0)).decode("ascii")
    lines = "\n".join(packed[i : i + 120] for i in range(0, len(packed), 120))
    return 'type="application/octet-stream" data-encoding="gzip+base64"', lines


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: Iterable[int] = (), cls: str = ""
) -> str:
    """A table from already-escaped cells; ``numeric`` columns are right-aligned."""
    nums = set(numeric)
    head = "".join(f"<th{' class=num' if i in nums else ''}>{c}</th>" for i, c in enumerate(headers))
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=num' if i in nums else ''}>{c}</td>" for i, c in enumerate(row))
        + "</tr>\n"
        for row in rows
    )
    attrs = f' class="{cls}"' if cls else ""
    return f"<table{attrs}><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>"


def _hash(value: object) -> str:
    """A SHA-256 or other long hex value: monospace, and free to wrap anywhere."""
    return f'<code class="hash">{h(value)}</code>'


def _facts(pairs: Iterable[tuple[str, str]], cls: str = "facts") -> str:
    return f'<dl class="{cls}">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"


def _sev(severity: str, words: Mapping[str, str]) -> str:
    return f'<span class="sev sev-{h(severity)}">{h(words.get(severity, severity))}</span>'


def _header(m: ReportModel, w: Mapping[str, str]) -> str:
    source = w["from_sde"] if m.generated.source == "SOURCE_DATE_EPOCH" else w["from_clock"]
    return (
        f'<header class="top"><h1>{h(w["title"])}</h1><p>{h(w["pack"])} '
        f"<code>{h(m.pack.get('name', ''))}@{h(m.pack.get('revision', ''))}</code> · "
        f"{h(w['as_of'])} <code>{h(m.as_of)}</code> · {h(w['generated'])} "
        f"<code>{h(m.generated.text)}</code> ({h(source)})</p></header>\n"
        '<nav class="toc" aria-label="'
        + h(w["nav"])
        + '">'
        + "".join(
            f'<a href="#{k}">{h(w[k])}</a>'
            for k in (
                "scope",
                "summary",
                "trend",
                "findings",
                "rules",
                *(["set_aside"] if m.statuses else []),
                "provenance",
            )
        )
        + "</nav>\n"
    )


def _scope(m: ReportModel, w: Mapping[str, str]) -> str:
    span = f"<code>{h(m.span[0])}</code> – <code>{h(m.span[1])}</code>" if m.span else "-"
    out = [
        '<section id="scope">',
        f"<h2>{h(w['scope'])}</h2>",
        _facts(
            cls="facts two",
            pairs=[
                # read across two columns: what was judged on the left, against what on the right
                (h(w["platforms"]), h(", ".join(m.platforms)) or "-"),
                (h(w["as_of"]), f"<code>{h(m.as_of)}</code>"),
                (h(w["sellers"]), str(m.sellers_judged)),
                (h(w["timezone"]), h(m.timezone)),
                (h(w["sellers_with_findings"]), str(m.sellers_with_findings)),
                (h(w["pack"]), f"<code>{h(m.pack.get('name', ''))}@{h(m.pack.get('revision', ''))}</code>"),
                (h(w["span"]), span),
            ],
        ),
    ]
    if not m.complete:
        out.append(f'<p class="note">{h(w["incomplete"])}</p>')
    out.append("</section>")
    return "\n".join(out)


def _tally_table(
    title: str, key: str, tallies: Sequence[Tally], w: Mapping[str, str], *, filter_key: str, mono: bool
) -> str:
    peak = max((t.total for t in tallies), default=0)
    rows = []
    for t in tallies:
        label = f"<code>{h(t.key)}</code>" if mono else h(t.key)
        if t.versions:  # a rule: each version that found violations, with its own title
            label += "".join(
                f'<br><span class="note rule-version">{h(version_line(v, len(t.versions) > 1, w))}</span>'
                for v in t.versions
            )
        elif t.label != t.key:
            label += f'<br><span class="note">{h(t.label)}</span>'
        button = (
            f'<button type="button" class="link" data-filter-key="{filter_key}" '
            f'data-filter-value="{h(t.key)}">{h(w["filter"])}</button>'
        )
        rows.append([label, str(t.total), f"{bar_svg(t.counts, peak)} {button}"])
    table = _table([h(key), h(w["violations"]), ""], rows, numeric=[1]) if rows else "<p>-</p>"
    return f"<div><h3>{h(title)}</h3>{table}</div>"


def _summary(m: ReportModel, w: Mapping[str, str]) -> str:
    cards = [
        f'<div class="card total" id="count-total"><span class="n">{m.violations}</span>'
        f'<span class="k">{h(w["violations"])}</span></div>'
    ]
    cards += [
        f'<div class="card sev-card-{s}" id="count-{s}"><span class="n">{n}</span>'
        f'<span class="k">{h(w[s])}</span></div>'
        for s, n in m.by_severity
    ]
    outcome_row = [[str(n) for _, n in m.by_outcome]]
    if m.statuses:
        cards += [
            f'<div class="card" id="count-status-{s}"><span class="n">{n}</span>'
            f'<span class="k">{h(w["status_" + s])}</span></div>'
            for s, n in m.statuses
        ]
    return "\n".join(
        [
            '<section id="summary">',
            f"<h2>{h(w['summary'])}</h2>",
            f'<div class="cards" aria-label="{h(w["by_severity"])}">{"".join(cards)}</div>',
            f"<h3>{h(w['by_outcome'])}</h3>",
            _table([h(w[k]) for k in OUTCOMES], outcome_row, numeric=range(len(OUTCOMES))),
            _trend(m, w),
            _tally_table(w["by_rule"], w["rule"], m.by_rule, w, filter_key="rule", mono=True),
            '<div class="grid3">',
            _tally_table(
                w["by_platform"], w["platform"], m.by_platform, w, filter_key="platform", mono=False
            ),
            _tally_table(w["top_sellers"], w["seller"], m.top_sellers, w, filter_key="seller", mono=True),
            "</div>",
            "</section>",
        ]
    )


def _trend(m: ReportModel, w: Mapping[str, str]) -> str:
    if not m.weeks:
        return f'<div id="trend"><h3>{h(w["trend"])}</h3><p>{h(w["no_trend"])}</p></div>'
    rows = [[h(str(wk.start)), *[str(n) for n in wk.counts], str(wk.total)] for wk in m.weeks if wk.total]
    table = _table(
        [h(w["week"]), *[h(w[s]) for s in SEVERITY_ORDER], h(w["total"])], rows, numeric=range(1, 7)
    )
    return "\n".join(
        [
            f'<div id="trend"><h3>{h(w["trend"])}</h3>',
            weekly_chart_svg(m.weeks, {s: w[s] for s in SEVERITY_ORDER}, w["week_of"], w["chart_label"]),
            f'<details class="no-print"><summary>{h(w["chart_label"])}</summary>{table}</details></div>',
        ]
    )


def _options(values: Iterable[tuple[str, str]], all_label: str) -> str:
    return f'<option value="">{h(all_label)}</option>' + "".join(
        f'<option value="{h(v)}">{h(text)}</option>' for v, text in values
    )


def _status_filter(m: ReportModel, w: Mapping[str, str]) -> str:
    """The gate-status filter, opening on the new findings, when the result carries statuses."""
    if not m.statuses:
        return '<input type="hidden" id="filter-status" value="">'
    options = "".join(
        f'<option value="{s}"{" selected" if s == "new" else ""}>{h(w["status_" + s])}</option>'
        for s in STATUSES
    )
    return (
        f'<label>{h(w["gate"])}<select id="filter-status"><option value="">{h(w["all"])}</option>'
        f"{options}</select></label>"
    )


def _findings(m: ReportModel, w: Mapping[str, str], embedded: int) -> str:
    rule_ids = sorted({r.id for r in m.rules})
    sortable = [
        ("severity", w["severity"]),
        ("time", w["time"]),
        ("rule", w["rule"]),
        ("seller", w["seller"]),
        ("platform", w["platform"]),
        ("event", w["event"]),
    ]
    head = "".join(f'<th data-sort="{k}"><button type="button">{h(t)}</button></th>' for k, t in sortable)
    head += f'<th>{h(w["message"])}</th><th class="toggle-cell">{h(w["evidence"])}</th>'
    omitted = ""
    if embedded < len(m.findings):
        omitted = f'<p class="note">{h(w["omitted"].format(k=embedded, n=len(m.findings)))}</p>'
    return "\n".join(
        [
            '<section id="findings">',
            f"<h2>{h(w['findings'])}</h2>",
            omitted,
            '<div class="controls">',
            f'<label>{h(w["rule"])}<select id="filter-rule">'
            f"{_options(((r, f'{r} — {m.rule_title(r)}') for r in rule_ids), w['all'])}</select></label>",
            f'<label>{h(w["severity"])}<select id="filter-severity">'
            f"{_options(((s, w[s]) for s in SEVERITY_ORDER), w['all'])}</select></label>",
            f'<label>{h(w["platform"])}<select id="filter-platform">'
            f"{_options(((p, p) for p in m.platforms), w['all'])}</select></label>",
            f'<label>{h(w["seller"])}<input id="filter-seller" list="seller-list" autocomplete="off">'
            '<datalist id="seller-list"></datalist></label>',
            f'<label>{h(w["search"])}<input type="search" id="filter-search" autocomplete="off" '
            f'placeholder="{h(w["search_hint"])}"></label>',
            _status_filter(m, w),
            f'<button type="button" id="filter-clear">{h(w["clear"])}</button>',
            "</div>",
            '<p id="findings-count" role="status" aria-live="polite"></p>',
            f'<p id="findings-status" class="note" data-failed="{h(w["load_failed"])}">{h(w["loading"])}</p>',
            f"<noscript><p>{h(w['noscript'])}</p></noscript>",
            f'<p class="print-only note">{h(w["print_note"])}</p>',
            f'<div class="scroll"><table class="findings" id="findings-table"><thead><tr>{head}</tr></thead>'
            '<tbody id="findings-body"></tbody></table></div>',
            f'<div class="pager"><button type="button" id="page-prev">{h(w["previous"])}</button>'
            f'<span id="page-info"></span><button type="button" id="page-next">{h(w["next"])}</button>'
            f'<label>{h(w["page_size"])} <select id="page-size">'
            + "".join(
                f'<option value="{n}"{" selected" if n == 50 else ""}>{n}</option>'
                for n in (25, 50, 100, 250)
            )
            + "</select></label></div>",
            "</section>",
        ]
    )


def _rules(m: ReportModel, w: Mapping[str, str]) -> str:
    matrix = _table(
        [h(w["rule"]), h(w["version"]), h(w["severity"]), *[h(w[k]) for k in OUTCOMES], h(w["triggers"])],
        (
            [
                f'<a href="#rule-{i}"><code>{h(r.id)}</code></a>',
                h(r.version),
                _sev(r.severity, w),
                *[str(n) for _, n in r.counts],
                str(r.triggers),
            ]
            for i, r in enumerate(m.rules)
        ),
        numeric=range(3, 9),
    )
    out = ['<section id="rules">', f"<h2>{h(w['rules'])}</h2>", matrix]
    for i, r in enumerate(m.rules):
        window = f"{h(r.effective_from or w['always'])} – {h(r.effective_until or w['open_end'])}"
        source = h(r.document) + (f" ({h(r.section)})" if r.section else "")
        facts = [
            (h(w["rule"]), f"<code>{h(r.id)}</code>"),
            (h(w["version"]), f"<code>{h(r.version)}</code>"),
            (h(w["status"]), h(r.status)),
            (h(w["severity"]), _sev(r.severity, w)),
            (h(w["platform"]), h(r.platform)),
            (h(w["effective"]), f"{window} ({h(r.timezone)})"),
            (h(w["file"]), f"<code>{h(r.file)}</code>"),
            (h(w["sha256"]), _hash(r.sha256)),
        ]
        if r.params:
            facts.append((h(w["params"]), ", ".join(f"<code>{h(k)}={h(v)}</code>" for k, v in r.params)))
        if r.tags:
            facts.append((h(w["tags"]), h(", ".join(r.tags))))
        counts = ", ".join(f"{h(w[k])} {n}" for k, n in r.counts)
        out.append(
            f'<article class="rule" id="rule-{i}"><h3>{h(r.title)}</h3>'
            f"<p>{h(r.description)}</p>"
            f"<blockquote><p>{h(r.quote)}</p><footer>{h(w['source'])}: <cite>{source}</cite>"
            f"</footer></blockquote>{_facts(facts)}<p>{counts}</p></article>"
        )
    out.append("</section>")
    return "\n".join(out)


def _waiver_scope(waiver: Mapping[str, Any]) -> str:
    subject = waiver.get("subject")
    parts = [f"<code>{h(waiver.get('rule', ''))}</code>"]
    for key in ("platform", "seller"):
        if waiver.get(key):
            parts.append(f"<code>{h(waiver[key])}</code>")
    if isinstance(subject, Mapping):
        parts.append(f"<code>{h(subject.get('type', ''))}:{h(subject.get('id', ''))}</code>")
    return " ".join(parts)


def _waiver_row(waiver: Mapping[str, Any]) -> list[str]:
    return [
        _waiver_scope(waiver),
        h(waiver.get("reason", "")),
        h(waiver.get("approver", "")),
        h(waiver.get("ticket", "")),
        h(waiver.get("expires", "")),
        f"<code>{h(waiver.get('file', ''))}</code>",
    ]


def _set_aside(m: ReportModel, w: Mapping[str, str]) -> str:
    """Waived and baselined findings: how many, under which waivers and baseline, and the gate."""
    if not m.statuses:
        return ""
    gate = m.gating or {}
    buttons = "".join(
        f'<button type="button" class="link" data-filter-key="status" data-filter-value="{s}">'
        f"{h(w['status_' + s])} ({n})</button> "
        for s, n in m.statuses
    )
    facts = [(h(w[f"status_{s}"]), str(n)) for s, n in m.statuses]
    if "failing" in gate:
        facts.append((h(w["failing"]), h(gate["failing"])))
    if gate.get("fail_on"):
        facts.append((h(w["fail_on"]), h(w.get(str(gate["fail_on"]), gate["fail_on"]))))
    out = [
        '<section id="set_aside">',
        f"<h2>{h(w['set_aside'])}</h2>",
        f'<p class="note">{h(w["set_aside_note"])}</p>',
        _facts(facts),
        f'<p class="no-print">{h(w["show_in_table"])}: {buttons}</p>',
    ]
    head = [h(w[k]) for k in ("rule", "reason", "approver", "ticket", "expires", "file")]
    if m.waivers:
        out.append(f"<h3>{h(w['waivers_applied'])}</h3>")
        out.append(
            _table([*head, h(w["covered"])], ([*_waiver_row(wv), str(n)] for wv, n in m.waivers), numeric=[6])
        )
    listed_waivers = gate.get("waivers")
    waivers = listed_waivers if isinstance(listed_waivers, Mapping) else {}
    for key in ("expired", "unused"):
        listed = [x for x in waivers.get(key) or () if isinstance(x, Mapping)]
        if listed:
            out.append(f"<h3>{h(w[key + '_waivers'])} ({len(listed)})</h3>")
            out.append(_table(head, (_waiver_row(wv) for wv in listed)))
    baseline = gate.get("baseline")
    if isinstance(baseline, Mapping):
        out.append(f"<h3>{h(w['baseline'])}</h3>")
        out.append(
            _facts(
                [
                    (h(w["file"]), f"<code>{h(baseline.get('file', ''))}</code>"),
                    (h(w["status_baselined"]), h(baseline.get("entries", ""))),
                    (h(w["baseline_absent"]), str(len(baseline.get("absent") or ()))),
                ]
            )
        )
    out.append("</section>")
    return "\n".join(out)


def _provenance(m: ReportModel, w: Mapping[str, str]) -> str:
    counts = ("read", "accepted", "duplicates", "rejected")
    inputs = _table(
        [h(w["file"]), h(w["sha256"]), *[h(w[k]) for k in counts]],
        [
            *(
                [
                    f"<code>{h(f.get('file', ''))}</code>",
                    _hash(f.get("sha256", "")),
                    *[str(f.get(k, 0)) for k in counts],
                ]
                for f in m.inputs
            ),
            [h(w["total"]), "", *[str(m.totals.get(k, 0)) for k in counts]],
        ],
        numeric=range(2, 6),
    )
    out = [
        '<section id="provenance">',
        f"<h2>{h(w['provenance'])}</h2>",
        f"<h3>{h(w['inputs'])}</h3>",
        inputs,
    ]
    if m.events_after_as_of is not None:
        out.append(f"<p>{h(w['after_as_of'])}: {m.events_after_as_of}</p>")
    if m.rejected:
        shown = m.rejected[:100]
        out.append(f"<h3>{h(w['rejected_records'])} ({len(m.rejected)})</h3>")
        out.append(
            _table(
                [h(w["file"]), "#", h(w["reason"])],
                (
                    [
                        f"<code>{h(r.get('file', ''))}</code>",
                        str(r.get("line", "")),
                        f"<code>{h(r.get('code', ''))}</code> {h(r.get('reason', ''))}",
                    ]
                    for r in shown
                ),
            )
        )
        if len(m.rejected) > len(shown):
            out.append(f'<p class="note">{h(w["rejected_more"].format(n=len(m.rejected) - len(shown)))}</p>')
    out.append(f"<h3>{h(w['policy_files'])}</h3>")
    out.append(
        _facts(
            [
                (h(w["pack"]), f"<code>{h(m.pack.get('name', ''))}</code>"),
                (h(w["revision"]), f"<code>{h(m.pack.get('revision', ''))}</code>"),
                (h(w["content_hash"]), _hash(m.pack.get("content_hash", ""))),
            ]
        )
    )
    out.append(
        _table(
            [h(w["rule"]), h(w["version"]), h(w["status"]), h(w["file"]), h(w["sha256"])],
            (
                [
                    f"<code>{h(r.id)}</code>",
                    f"<code>{h(r.version)}</code>",
                    h(r.status),
                    f"<code>{h(r.file)}</code>",
                    _hash(r.sha256),
                ]
                for r in m.rules
            ),
        )
    )
    source = w["from_sde"] if m.generated.source == "SOURCE_DATE_EPOCH" else w["from_clock"]
    command = f'<code class="wrap">{h(shlex.join(m.command))}</code>' if m.command else h(w["not_recorded"])
    out.append(
        _facts(
            [
                (h(w["tool"]), f"<code>policy-checker {h(m.tool_version)}</code>"),
                (h(w["command"]), command),
                (h(w["as_of"]), f"<code>{h(m.as_of)}</code>"),
                (h(w["timezone"]), h(m.timezone)),
                (h(w["generated"]), f"<code>{h(m.generated.text)}</code> ({h(source)})"),
            ]
        )
    )
    out.append("</section>")
    return "\n".join(out)


def render_model(model: ReportModel, *, compress_above: int = COMPRESS_ABOVE) -> str:
    """The HTML page of a report model."""
    w = labels(model.lang, model.words)
    style, script = _asset("report.css"), _asset("report.js")
    data = table_data(model)
    attrs, payload = embed_json(data, compress_above)
    csp = (
        f"default-src 'none'; script-src {_csp_hash(script)}; style-src {_csp_hash(style)}; "
        "img-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'"
    )
    title = f"{w['title']}: {model.pack.get('name', '')}@{model.pack.get('revision', '')}, {model.as_of}"
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if model.lang == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{h(csp)}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="policy-checker {h(model.tool_version)}">',
        f"<title>{h(title)}</title>",
        f"<style>{style}</style>",
        "</head>",
        "<body>",
        _header(model, w),
        "<main>",
        _scope(model, w),
        _summary(model, w),
        _findings(model, w, len(data["f"])),
        _rules(model, w),
        _set_aside(model, w),
        _provenance(model, w),
        "</main>",
        f'<script id="report-data" {attrs}>{payload}</script>',
        f"<script>{script}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def render_html_report(
    doc: Mapping[str, Any],
    *,
    lang: str = "en",
    command: Sequence[str] = (),
    generated: Generated | None = None,
    compress_above: int = COMPRESS_ABOVE,
) -> str:
    """The HTML report of a JSON result (``CheckResult.to_dict(all_outcomes=True)``).

    ``command`` is the command line to record (the caller passes it; the
    library never reads ``sys.argv``); ``generated`` defaults to
    ``SOURCE_DATE_EPOCH`` or the clock.
    """
    return render_model(
        build_model(doc, lang=lang, command=command, generated=generated), compress_above=compress_above
    )


def render_html(result: CheckResult, options: RenderOptions) -> str:
    """``--format html``: the self-contained audit report (always with every outcome counted)."""
    return render_html_report(
        result_document(result, options, digest=True),
        lang=options.lang,
        command=tuple(getattr(options, "command", ()) or ()),
    )
