"""Outcomes from SQL decisions: bound values rebuilt in Python, messages rendered as the
reference engine renders them.

SQL decides each trigger's outcome and which events it bound; this module
reads those rows back, a chunk at a time (:mod:`checker.engines.duckdb.findings`),
rebuilds the decision context (the trigger, the bound events as
:class:`~checker.language.expressions.EventView`, counts and sums, then each
``value`` binding evaluated by the same JMESPath code), and renders reasons
and messages from the policy's templates exactly as :mod:`checker.engines.reference.engine` does.

At export scale this is most of the Python work, so: records are parsed as the project's
reader parses them (orjson, then json); a record's text is read again from its file and
line (the event table does not hold it); and a part shared by a message's two languages is
evaluated once per decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
from sqlglot import exp

from ...inputs.events import Event
from ...inputs.readers import loads
from ...language.errors import CheckerError, Location, Problem
from ...language.expressions import EventView, Expression
from ...language.kinds import VALUE_KIND
from ...language.policy import Policy, Template, Text
from ...language.times import zone
from ...results.outcomes import Kind, Outcome
from ..reference.engine import build_outcome, render_template
from ..setup import not_applicable_reason
from .compile import Plan
from .convert import LineFiles, line_source
from .intake import read_lines
from .jmes import BIG
from .lookups import Lookup, sql_lookup
from .sqlbuild import and_, col, lit, sql, tmpl
from .sqlbuild import table as sql_table

PASS_REASON = "no violation condition holds"


def render(template: Template, values: Mapping[str, Any], policy: Policy, input_tz: ZoneInfo) -> str:
    """A template rendered against a decision context, exactly as the reference engine does."""
    return render_template(template, values, policy, input_tz)


def parse_record(text: str) -> Any:
    """A record's JSON text read as the project's reader reads a line
    (:func:`checker.inputs.readers.read_jsonl`): orjson, and the json module for what orjson refuses."""
    return loads(text)  # NaN and Infinity as json reads them: a Parquet row's to_json writes them


def fetch_events(
    con: duckdb.DuckDBPyConnection,
    table: str,
    files: Mapping[int, LineFiles],
    cache: dict[str, Event] | None = None,
    *,
    names: Sequence[str],
) -> dict[str, Event]:
    """Events whose ids are in the one-column temporary table ``table``, as Python events
    (but the exotic ones DuckDB does not hold, which the intake keeps as Python events).
    ``files`` are the intake's line-read files, whose lines hold the records ``ev`` points at;
    ``names`` every input's name by index, the file an event reports (as the reference engine's).

    With ``cache``, an event already built is reused (its record is not parsed again) and every
    event built is added: rules share evidence events, and one object serves all their findings."""
    known = cache if cache is not None else {}
    query = tmpl(
        "SELECT e.eid, e.ts, e.platform, e.seller_id, e.action, e.rec, e.fi, e.line FROM ev e "
        "SEMI JOIN {w} w ON e.eid = w.eid WHERE NOT e.exotic",
        w=sql_table(table),
    )
    rows = con.execute(sql(query)).fetchall()
    todo = [row for row in rows if row[0] not in known]
    texts: dict[tuple[int, int], str] = {}
    if any(rec is None for *_, rec, _fi, _line in todo):
        # the records of lines read by DuckDB are not in ``ev``: read them again from their files
        query = tmpl(
            "CREATE OR REPLACE TEMP TABLE ev_lines AS SELECT e.fi, e.line FROM ev e "
            "SEMI JOIN {w} w ON e.eid = w.eid WHERE NOT e.exotic AND e.rec IS NULL",
            w=sql_table(table),
        )
        con.execute(sql(query))
        texts = read_lines(con, files, "ev_lines", names)
        con.execute("DROP TABLE ev_lines")
    for eid, ts, platform, seller_id, action, rec, fi, line in todo:
        text = rec if rec is not None else texts.get((fi, line))
        known[eid] = read_event(eid, ts, platform, seller_id, action, text, files, fi, line, names)
    return {row[0]: known[row[0]] for row in rows}


def read_event(
    eid: str,
    ts: int,
    platform: str,
    seller_id: str,
    action: str,
    text: str | None,
    files: Mapping[int, LineFiles],
    fi: int | None,
    line: int | None,
    names: Sequence[str],
) -> Event:
    """The event of an ``ev`` row, its record parsed from ``text`` (read again from file ``fi``,
    ``line``; ``names[fi]`` is the file the event reports); an error if that line no longer holds
    the event."""
    record = parse_record(text) if text is not None else None
    # a file read twice must still hold the event where the intake found it
    if not isinstance(record, dict) or record.get("event_id") != eid:
        raise input_changed(files, names, fi, line, eid)
    file = names[fi] if fi is not None and 0 <= fi < len(names) else ""
    return Event(eid, ts, platform, seller_id, action, record, file, line or 0)


def input_changed(
    files: Mapping[int, LineFiles], names: Sequence[str], fi: int | None, line: int | None, eid: str
) -> CheckerError:
    """The error of an event no longer found where the intake read it: at the input and line the
    result gives the event (:func:`.convert.line_source`)."""
    name, copy = line_source(files, names, fi)
    if copy is None:
        message = f"line {line} no longer holds event {eid!r}: the input changed during the check"
    else:
        message = (
            f"line {line} of the run's converted copy of this input ({copy}) no longer holds event "
            f"{eid!r}: the copy changed during the check"
        )
    return CheckerError([Problem(Location(name, line or 0), "input-changed", message)])


def outcome(
    policy: Policy, trigger: Event, kind: Kind, reason: str, message: Text | None, evidence: Sequence[Event]
) -> Outcome:
    """An :class:`Outcome` built exactly as the reference engine builds it."""
    return build_outcome(policy, trigger, kind, reason, message, evidence)


class _Memo:
    """A template part that remembers its value for one decision: a message's English and Chinese
    templates mostly read the same parts (``format_time(trigger)``, the subject), and an expression
    gives the same value for the same context. Rendered by :func:`render` like the part itself."""

    __slots__ = ("part", "seen", "text")

    def __init__(self, part: Expression, seen: dict[str, Any]) -> None:
        self.part = part
        self.text = part.text
        self.seen = seen  # shared by the parts of one plan, cleared per decision

    def evaluate(self, data: Any, rule_tz: ZoneInfo, input_tz: ZoneInfo) -> Any:
        """The part's value in this decision's context, evaluated once."""
        try:
            return self.seen[self.text]
        except KeyError:
            value = self.part.evaluate(data, rule_tz, input_tz)
            if type(value) is int:
                # the renderer writes a number as JSON, and an int's JSON is its str: giving the
                # text saves a json.dumps per part (bools, floats and the rest are left to it)
                value = str(value)
            self.seen[self.text] = value
            return value


def _memo_template(template: Template, seen: dict[str, Any]) -> Template:
    """``template`` with each expression part remembered in ``seen``."""
    parts = tuple(p if isinstance(p, str) else _Memo(p, seen) for p in template.parts)
    return Template(template.text, parts)  # type: ignore[arg-type]  # a _Memo evaluates as its Expression


class _Templates:
    """A policy's templates for one materialisation, their parts remembered per decision."""

    def __init__(self, policy: Policy) -> None:
        self.seen: dict[str, Any] = {}
        self.inconclusive = [_memo_template(c.reason, self.seen) for c in policy.inconclusive_if]
        self.pending = [_memo_template(c.reason, self.seen) for c in policy.pending_if]
        self.message = [_memo_template(t, self.seen) for t in policy.message_templates]


@dataclass
class Selected:
    """The decision rows of one plan chosen for outcomes (``columns`` name their values), and the
    events each trigger's counting windows hold (``counted``: by binding, then trigger id)."""

    plan: Plan
    columns: list[str]
    rows: list[tuple[Any, ...]]
    counted: dict[str, dict[str, list[str]]]


def bound_queries(plan: Plan, want: str, carry: Sequence[str] = ()) -> list[exp.Expression]:
    """Queries listing, as ``eid`` after the columns ``carry``, the events the outcomes of the rows
    of the table ``want`` (rows of ``plan``'s decision table) read besides those counted
    (:func:`window_queries`): their triggers, and the events their lookups bound."""
    parts: list[exp.Expression] = [
        exp.select(*(col(c) for c in carry), exp.column("eid")).from_(sql_table(want))
    ]
    for lk in plan.lookups:
        column = sql_lookup(lk.binding.kind).bound_column(lk.binding.name)
        if column is not None:
            parts.append(
                exp.select(*(col(c) for c in carry), exp.alias_(col(column), "eid"))
                .from_(sql_table(want))
                .where(tmpl("{b} IS NOT NULL", b=col(column)))
            )
    return parts


def windowed(plan: Plan) -> list[Lookup]:
    """The lookups of ``plan`` whose windows an outcome reads back (counts, sums), in the order
    :func:`window_queries` numbers them (``w``)."""
    return [lk for lk in plan.lookups if sql_lookup(lk.binding.kind).reads_window]


def window_queries(plan: Plan, want: str, carry: Sequence[str] = ()) -> list[exp.Expression]:
    """Queries joining each row of the table ``want`` (rows of ``plan``'s decision table) with the
    events in its counting windows: one per count or sum binding, numbered ``w`` in binding order,
    as (``w``, ``trig``, ``eid``) and the columns ``carry`` of the row."""
    windows: list[exp.Expression] = []
    for lk in windowed(plan):
        name = lk.binding.name
        on = and_(
            *(tmpl("{c} = {w}", c=col(f"k{j + 1}", "c"), w=col(f"k{j + 1}", "w")) for j in range(plan.keys)),
            tmpl("c.ts > coalesce({lo}, {m})", lo=col(f"{name}__lo", "w"), m=lit(-BIG)),
            tmpl("c.ts < coalesce({hi}, {m})", hi=col(f"{name}__hi", "w"), m=lit(BIG)),
        )
        query = tmpl(
            "SELECT {i} AS w, w.eid AS trig, c.eid AS eid FROM {want} w "
            "JOIN {cand} c ON {on} WHERE {defined}",
            i=lit(len(windows)),
            want=sql_table(want),
            cand=sql_table(lk.table),
            on=on,
            defined=col(f"{name}__def", "w"),
        )
        if carry:
            assert isinstance(query, exp.Select)
            query = query.select(*(exp.alias_(col(c, "w"), c, quoted=True) for c in carry), copy=False)
        windows.append(query)
    return windows


def build(
    selected: Selected, events: Mapping[str, Event], *, as_of: int, params: Mapping[str, Any], input_tz: str
) -> list[Outcome]:
    """The outcomes of ``selected``'s rows, every event they need being in ``events``."""
    plan = selected.plan
    tz = zone(input_tz)
    views: dict[str, EventView] = {}

    def view(e: Event) -> EventView:
        v = views.get(e.event_id)
        if v is None:
            v = views[e.event_id] = EventView(e.record, e.epoch)
        return v

    templates = _Templates(plan.policy)
    columns = selected.columns
    out = []
    for row in selected.rows:
        r = dict(zip(columns, row, strict=True))
        templates.seen.clear()
        out.append(_one(plan.policy, templates, r, events, selected.counted, view, as_of, params, tz))
    return out


def _one(
    policy: Policy,
    templates: _Templates,
    r: dict[str, Any],
    events: Mapping[str, Event],
    counted: Mapping[str, Mapping[str, list[str]]],
    view: Any,
    as_of: int,
    params: Mapping[str, Any],
    tz: ZoneInfo,
) -> Outcome:
    trigger = events[r["eid"]]
    values: dict[str, Any] = {"trigger": view(trigger), "params": params, "as_of": as_of}
    used: dict[str, Event] = {trigger.event_id: trigger}
    for b in policy.bindings:
        if b.kind == VALUE_KIND:
            assert b.value is not None
            values[b.name] = b.value.evaluate(values, policy.tz, tz)
            continue
        if not r[f"{b.name}__def"]:
            values[b.name] = None
            continue
        hooks = sql_lookup(b.kind)
        # the events the lookup read: the one it bound, or every event of its window
        column = hooks.bound_column(b.name)
        if column is not None:
            eid = r[column]
            read = [events[eid]] if eid is not None else []
        else:
            read = [events[e] for e in counted.get(b.name, {}).get(trigger.event_id, [])]
        for e in read:
            used[e.event_id] = e
        values[b.name] = hooks.rebuild(b.name, r, read, view)
    kind = Kind(r["kind"])
    message = None
    if kind is Kind.INCONCLUSIVE:
        reason = render(templates.inconclusive[r["ridx"]], values, policy, tz)
    elif kind is Kind.PENDING:
        reason = render(templates.pending[r["ridx"]], values, policy, tz)
    elif kind is Kind.VIOLATION:
        en, zh = (render(t, values, policy, tz) for t in templates.message)
        message, reason = Text(en, zh), en
    else:
        reason = PASS_REASON
    evidence = sorted(used.values(), key=lambda e: e.sort_key)
    return outcome(policy, trigger, kind, reason, message, evidence)


def not_applicable(policy: Policy, trigger: Event) -> Outcome:
    """The outcome of a trigger outside every version's effective window (as the engine words it)."""
    reason = not_applicable_reason(policy, trigger.epoch)
    return outcome(policy, trigger, Kind.NOT_APPLICABLE, reason, None, (trigger,))


def ids_table(con: duckdb.DuckDBPyConnection, name: str, ids: Iterable[str]) -> None:
    """A one-column temporary table of event ids (for joins)."""
    con.execute(sql(tmpl("CREATE OR REPLACE TEMP TABLE {t} (eid VARCHAR)", t=sql_table(name))))
    batch = [[i] for i in ids]
    if batch:
        con.executemany(sql(tmpl("INSERT INTO {t} VALUES (?)", t=sql_table(name))), batch)
