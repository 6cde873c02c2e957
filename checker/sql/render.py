"""Outcomes from SQL decisions: bound values rebuilt in Python, messages rendered as the
reference engine renders them.

SQL decides each trigger's outcome and which events it bound; this module
reads those rows back for the outcomes a caller needs (findings at once,
the rest on demand), rebuilds the decision context (the trigger, the bound
events as :class:`~checker.expressions.EventView`, counts and sums, then each
``value`` binding evaluated by the same JMESPath code), and renders reasons
and messages from the policy's templates exactly as :mod:`checker.engine` does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from ..engine import build_outcome, render_template
from ..events import Event
from ..expressions import EventView
from ..outcomes import Kind, Outcome
from ..policy import Policy, Template, Text
from ..times import format_timestamp, zone
from .compile import Plan

PASS_REASON = "no violation condition holds"


def render(template: Template, values: Mapping[str, Any], policy: Policy, input_tz: ZoneInfo) -> str:
    """A template rendered against a decision context, exactly as the reference engine does."""
    return render_template(template, values, policy, input_tz)


def fetch_events(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, Event]:
    """Events whose ids are in the one-column temporary table ``table``, as Python events
    (but the exotic ones DuckDB does not hold, which the intake keeps as Python events)."""
    rows = con.execute(
        f'SELECT e.eid, e.ts, e.platform, e.seller_id, e.action, e.rec FROM ev e SEMI JOIN "{table}" w '
        "ON e.eid = w.eid WHERE NOT e.exotic").fetchall()
    return {eid: Event(eid, ts, platform, seller_id, action, json.loads(rec))
            for eid, ts, platform, seller_id, action, rec in rows}


def outcome(policy: Policy, trigger: Event, kind: Kind, reason: str, message: Text | None,
            evidence: Sequence[Event]) -> Outcome:
    """An :class:`Outcome` built exactly as the reference engine builds it."""
    return build_outcome(policy, trigger, kind, reason, message, evidence)


def materialise(con: duckdb.DuckDBPyConnection, plan: Plan, where: str, *, as_of: int,
                params: Mapping[str, Any], input_tz: str) -> list[Outcome]:
    """The outcomes of the decision rows of ``plan`` selected by ``where`` (fixed SQL text
    over the decision table's columns), hard rows excluded."""
    dec = f"dec_{plan.tag}"
    want = f"want_{plan.tag}"
    con.execute(f'CREATE OR REPLACE TEMP TABLE "{want}" AS SELECT * FROM "{dec}" '
                f"WHERE NOT hard AND ({where})")
    nkeys = plan.keys
    lookups = plan.lookups
    # every event to read: triggers, bound events, and the events counted or summed
    parts = [f'SELECT eid FROM "{want}"']
    for lk in lookups:
        b = lk.binding
        if b.kind in ("last", "first", "exists"):
            parts.append(f'SELECT "{b.name}__eid" AS eid FROM "{want}" WHERE "{b.name}__eid" IS NOT NULL')
    windows = []
    for lk in lookups:
        b = lk.binding
        if b.kind in ("count", "sum"):
            on = " AND ".join([f'c."k{j + 1}" = w."k{j + 1}"' for j in range(nkeys)] + [
                f'c.ts > coalesce(w."{b.name}__lo", -4611686018427387904)',
                f'c.ts < coalesce(w."{b.name}__hi", 4611686018427387904)'])
            windows.append((b.name, f'SELECT w.eid AS trig, c.eid AS eid FROM "{want}" w JOIN "{lk.table}" c '
                                    f'ON {on} WHERE w."{b.name}__def"'))
    counted: dict[str, dict[str, list[str]]] = {}
    for name, query in windows:
        per: dict[str, list[str]] = {}
        for trig, eid in con.execute(query).fetchall():
            per.setdefault(trig, []).append(eid)
        counted[name] = per
        parts.append(f"SELECT eid FROM ({query})")
    need = f"need_{plan.tag}"
    union = " UNION ALL ".join(parts)
    con.execute(f'CREATE OR REPLACE TEMP TABLE "{need}" AS SELECT DISTINCT eid FROM ({union})')
    events = fetch_events(con, need)
    columns = [d[0] for d in con.execute(f'SELECT * FROM "{want}" LIMIT 0').description]
    rows = con.execute(f'SELECT * FROM "{want}"').fetchall()
    con.execute(f'DROP TABLE "{need}"')
    con.execute(f'DROP TABLE "{want}"')
    tz = zone(input_tz)
    views: dict[str, EventView] = {}

    def view(e: Event) -> EventView:
        v = views.get(e.event_id)
        if v is None:
            v = views[e.event_id] = EventView(e.record, e.epoch)
        return v

    out = []
    for row in rows:
        r = dict(zip(columns, row, strict=True))
        out.append(_one(plan.policy, r, events, counted, view, as_of, params, tz))
    return out


def _one(policy: Policy, r: dict[str, Any], events: Mapping[str, Event],
         counted: Mapping[str, Mapping[str, list[str]]], view: Any, as_of: int,
         params: Mapping[str, Any], tz: ZoneInfo) -> Outcome:
    trigger = events[r["eid"]]
    values: dict[str, Any] = {"trigger": view(trigger), "params": params, "as_of": as_of}
    used: dict[str, Event] = {trigger.event_id: trigger}
    for b in policy.bindings:
        if b.kind == "value":
            assert b.value is not None
            values[b.name] = b.value.evaluate(values, policy.tz, tz)
            continue
        if not r[f"{b.name}__def"]:
            values[b.name] = None
            continue
        if b.kind in ("last", "first", "exists"):
            eid = r[f"{b.name}__eid"]
            bound = events[eid] if eid is not None else None
            if bound is not None:
                used[bound.event_id] = bound
            if b.kind == "exists":
                values[b.name] = bound is not None
            else:
                values[b.name] = view(bound) if bound is not None else None
            continue
        found = [events[e] for e in counted.get(b.name, {}).get(trigger.event_id, [])]
        for e in found:
            used[e.event_id] = e
        if b.kind == "count":
            values[b.name] = len(found)
        else:
            if r[f"{b.name}__v"] is None:
                values[b.name] = None
            else:
                values[b.name] = float(r[f"{b.name}__f"]) if r[f"{b.name}__isf"] else int(r[f"{b.name}__v"])
    kind = Kind(r["kind"])
    message = None
    if kind is Kind.INCONCLUSIVE:
        reason = render(policy.inconclusive_if[r["ridx"]].reason, values, policy, tz)
    elif kind is Kind.PENDING:
        reason = render(policy.pending_if[r["ridx"]].reason, values, policy, tz)
    elif kind is Kind.VIOLATION:
        en, zh = (render(t, values, policy, tz) for t in policy.message_templates)
        message, reason = Text(en, zh), en
    else:
        reason = PASS_REASON
    evidence = sorted(used.values(), key=lambda e: e.sort_key)
    return outcome(policy, trigger, kind, reason, message, evidence)


def not_applicable(policy: Policy, trigger: Event) -> Outcome:
    """The outcome of a trigger outside every version's effective window (as the engine words it)."""
    window = f"[{policy.effective_from_text or '-'}, {policy.effective_until_text or '-'})"
    reason = (f"{format_timestamp(trigger.epoch, policy.tz)} is outside the effective "
              f"window {window} ({policy.timezone}) of every version of {policy.id}")
    return outcome(policy, trigger, Kind.NOT_APPLICABLE, reason, None, (trigger,))


def ids_table(con: duckdb.DuckDBPyConnection, name: str, ids: Iterable[str]) -> None:
    """A one-column temporary table of event ids (for joins)."""
    con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" (eid VARCHAR)')
    batch = [[i] for i in ids]
    if batch:
        con.executemany(f'INSERT INTO "{name}" VALUES (?)', batch)
