"""A rule in plain words: what it checks, where it comes from, which versions exist."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from .kinds import ANCHOR_KEYS, LOOKUP_KINDS, VALUE_KIND
from .policy import Binding, Policy


def _binding_words(b: Binding) -> str:
    if b.kind == VALUE_KIND:
        return f"{b.name} = {b.value.text if b.value else ''}"
    actions = " or ".join(b.actions)
    # each lookup kind's words are declared with the kind (checker.language.kinds)
    words = f"{b.name} = {LOOKUP_KINDS[b.kind].words} {actions}"
    if b.of is not None:
        words += f" (of {b.of.text})"
    if b.where is not None:
        words += f" where {b.where.text}"
    # the anchors' words are declared with their keys (checker.language.kinds.ANCHOR_KEYS)
    if b.after is not None:
        words += f", {ANCHOR_KEYS['at_or_after' if b.after_inclusive else 'after'].words} {b.after.text}"
    if b.before is not None:
        words += f", {ANCHOR_KEYS['at_or_before' if b.before_inclusive else 'before'].words} {b.before.text}"
    return words + ", among the trigger's correlated events"


def explain(versions: Sequence[Policy], lang: str = "en") -> str:
    """Describe every version of one rule, newest first."""
    ordered = sorted(versions, key=lambda p: p.effective_from or -(2**63), reverse=True)
    latest = ordered[0]
    wrap = textwrap.TextWrapper(width=88, initial_indent="  ", subsequent_indent="  ")
    out = [
        f"{latest.id}: {latest.title.get(lang)}",
        f"  severity {latest.severity}, platform {latest.platform}, tags: {', '.join(latest.tags) or '-'}",
        "",
    ]
    out += [*wrap.wrap(latest.description), ""]
    out.append(
        f"  Source: {latest.source.document}"
        + (f" ({latest.source.section})" if latest.source.section else "")
    )
    out.append(f"    「{latest.source.quote}」")
    out.append("")
    for p in ordered:
        window = f"{p.effective_from_text or 'always'} .. {p.effective_until_text or 'open'}"
        out.append(f"  Version {p.version} [{p.status}], effective {window} ({p.timezone}), {p.file}")
        out.append(
            f"    Triggered by: {' or '.join(p.trigger.actions)}"
            + (f" where {p.trigger.where.text}" if p.trigger.where else "")
        )
        out.append(f"    Correlated by: {', '.join(e.text for e in p.correlate_by)}")
        for b in p.bindings:
            out.append(f"    Let {_binding_words(b)}")
        for c in p.inconclusive_if:
            out.append(f"    Inconclusive if {c.when.text}: {c.reason.text.strip()}")
        for c in p.pending_if:
            out.append(f"    Pending if {c.when.text}")
        out.append(f"    Violation if {p.violation_if.text}; otherwise pass.")
        for name, param in p.parameters.items():
            out.append(f"    Parameter {name} ({param.type}) = {param.default}: {param.description}")
        out.append("")
    return "\n".join(out)
