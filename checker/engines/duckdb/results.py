"""A :class:`~checker.results.result.CheckResult` whose outcomes stay in DuckDB until asked for.

At export scale most triggers pass, and turning millions of them into Python
objects would cost more than deciding them. :class:`SqlCheckResult` counts
outcomes in SQL, builds the findings (violations) when first asked, and
the other outcomes only when something asks for them (``--all-outcomes``),
both a chunk at a time onto disk, read again at each pass. What it returns is what
:func:`checker.api.check` returns for the same input: same outcomes, order,
evidence, messages and fingerprints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, Protocol

from ...inputs.events import EventBatch
from ...language.policy import Policy
from ...results.outcomes import Kind, Outcome
from ...results.result import OutcomeStore, StoredCheckResult
from ..spill import SpilledOutcomes
from .sqlbuild import sql, table, tmpl

if TYPE_CHECKING:
    import duckdb

    from .compile import Plan


class Decisions(Protocol):
    """What the store reads from its run (:class:`checker.engines.duckdb.engine.DuckdbRun`): the
    connection holding the decision tables, and the outcomes built from them."""

    con: duckdb.DuckDBPyConnection

    def spill_outcomes(
        self, extra: Iterable[Sequence[Outcome]], *, violations: bool, texts: bool = False
    ) -> SpilledOutcomes:
        """Every violation (or, not ``violations``, every other outcome) in result order, ``extra``
        (decided outside SQL, of the same kinds, in batches) included; with ``texts`` each violation
        with its text in the JSON result."""
        ...

    def not_applicable_outcomes(self, chosen: Sequence[tuple[Policy, str]]) -> Iterator[list[Outcome]]:
        """The not-applicable outcomes of the triggers ``chosen`` (version, event id), in batches."""
        ...


@dataclass(frozen=True)
class SqlEventBatch(EventBatch):
    """The intake's account, with the accepted events left in DuckDB: ``events`` is empty and
    :meth:`accepted_after` counts there."""

    count_after: Callable[[int], int] | None = field(default=None, compare=False, repr=False)

    def accepted_after(self, instant: int) -> int:
        """How many accepted events are later than ``instant``."""
        assert self.count_after is not None
        return self.count_after(instant)


class SqlOutcomeStore(OutcomeStore):
    """Every outcome of a run: decision tables in DuckDB plus outcomes already built."""

    def __init__(self, run: Decisions) -> None:
        self.run = run
        self.rules: list[tuple[list[Policy], list[Plan]]] = []
        self.extra: list[Outcome] = []
        # not-applicable triggers (the version reported, the event id): outcomes built on demand
        self.not_applicable: list[tuple[Policy, str]] = []
        self._findings: SpilledOutcomes | None = None
        # whether the findings are built with their texts in the JSON result: asked for by the
        # JSON report (finding_texts) before anything else builds them
        self._texts = False
        self._others: Sequence[Outcome] | None = None
        self._tally: Counter[tuple[str, str, str]] | None = None

    def add_rule(self, versions: list[Policy], plans: list[Plan]) -> None:
        """Record a rule decided in SQL (its decision tables are ``dec_<tag>``)."""
        self.rules.append((versions, plans))

    def add_outcomes(self, outcomes: Sequence[Outcome]) -> None:
        """Record outcomes decided outside SQL (not applicable, or by the reference engine)."""
        self.extra.extend(outcomes)

    def add_not_applicable(self, chosen: Sequence[tuple[Policy, str]]) -> None:
        """Record not-applicable triggers (version reported, event id), counted now and built into
        outcomes only by :meth:`others`."""
        self.not_applicable.extend(chosen)

    def tally(self) -> Counter[tuple[str, str, str]]:
        """Outcome counts per (rule id, version, kind)."""
        if self._tally is None:
            tally: Counter[tuple[str, str, str]] = Counter()
            for _, plans in self.rules:
                for plan in plans:
                    query = tmpl(
                        "SELECT kind, count(*) FROM {t} WHERE NOT hard GROUP BY kind",
                        t=table(f"dec_{plan.tag}"),
                    )
                    rows = self.run.con.execute(sql(query)).fetchall()
                    for kind, n in rows:
                        tally[(plan.policy.id, plan.policy.version, kind)] += n
            for o in self.extra:
                tally[(o.rule_id, o.rule_version, o.kind.value)] += 1
            for policy, _ in self.not_applicable:
                tally[(policy.id, policy.version, Kind.NOT_APPLICABLE.value)] += 1
            self._tally = tally
        return self._tally

    def findings(self) -> SpilledOutcomes:
        """The violations, in result order, built a chunk at a time into sorted runs on disk
        (:mod:`checker.engines.duckdb.findings`) and read again at each pass: at export scale, held
        all at once, they were most of the run's memory."""
        if self._findings is None:
            extra = [o for o in self.extra if o.kind is Kind.VIOLATION]
            self._findings = self.run.spill_outcomes([extra], violations=True, texts=self._texts)
        return self._findings

    def finding_texts(self) -> Iterator[str]:
        """The findings' JSON texts: made where the findings are built (on every core) when this
        (or :meth:`keep_finding_texts`) is the first thing that asks for the findings, else encoded
        from their rows as read."""
        self.keep_finding_texts()
        return self.findings().texts()

    def keep_finding_texts(self) -> None:
        """Make the findings' texts when they are built, unless they are built already."""
        if self._findings is None:
            self._texts = True

    def finding_heads(self) -> Iterator[Outcome]:
        """The findings without their evidence records (:meth:`SpilledOutcomes.heads`)."""
        return self.findings().heads()

    def others(self) -> Sequence[Outcome]:
        """Every other outcome, in result order, built like the violations on first use (at export
        scale they are most triggers: at 1M events, held at once, they took 2.4 GB)."""
        if self._others is None:
            extra = [o for o in self.extra if o.kind is not Kind.VIOLATION]
            batches = chain([extra], self.run.not_applicable_outcomes(self.not_applicable))
            self._others = self.run.spill_outcomes(batches, violations=False)
        return self._others


#: the DuckDB engine's result: a :class:`StoredCheckResult` over a :class:`SqlOutcomeStore`
SqlCheckResult = StoredCheckResult
