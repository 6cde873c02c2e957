"""A :class:`~checker.results.result.CheckResult` whose outcomes stay in DuckDB until asked for.

At export scale most triggers pass, and turning millions of them into Python
objects would cost more than deciding them. :class:`SqlCheckResult` counts
outcomes in SQL, builds the findings (violations) when first asked, and
builds every outcome only when something iterates ``outcomes`` (for
instance ``--all-outcomes``). What it returns is what
:func:`checker.api.check` returns for the same input: same outcomes, order,
evidence, messages and fingerprints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from ...inputs.events import EventBatch
from ...language.policy import Policy
from ...results.outcomes import Kind, Outcome
from ...results.result import OutcomeStore, StoredCheckResult
from .sqlbuild import sql, table, tmpl

if TYPE_CHECKING:
    import duckdb

    from .compile import Plan


class Decisions(Protocol):
    """What the store reads from its run (:class:`checker.engines.duckdb.engine.DuckdbRun`): the
    connection holding the decision tables, and the outcomes built from them."""

    con: duckdb.DuckDBPyConnection

    def spill_findings(self, extra: Sequence[Outcome]) -> Sequence[Outcome]:
        """Every violation in result order, ``extra`` (decided outside SQL) included."""
        ...

    def materialise(self, plan: Plan, where: str) -> list[Outcome]:
        """The outcomes of ``plan``'s decision rows that ``where`` selects."""
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
        self._all: tuple[Outcome, ...] | None = None
        self._findings: Sequence[Outcome] | None = None
        self._tally: Counter[tuple[str, str, str]] | None = None

    def add_rule(self, versions: list[Policy], plans: list[Plan]) -> None:
        """Record a rule decided in SQL (its decision tables are ``dec_<tag>``)."""
        self.rules.append((versions, plans))

    def add_outcomes(self, outcomes: Sequence[Outcome]) -> None:
        """Record outcomes decided outside SQL (not applicable, or by the reference engine)."""
        self.extra.extend(outcomes)

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
            self._tally = tally
        return self._tally

    def findings(self) -> Sequence[Outcome]:
        """The violations, in result order: taken from every outcome once those are built, else
        built a chunk at a time into sorted runs on disk (:mod:`checker.engines.duckdb.findings`) and read
        again at each pass: at export scale, held all at once, they were most of the run's memory."""
        if self._findings is None:
            if self._all is not None:
                self._findings = tuple(o for o in self._all if o.kind is Kind.VIOLATION)
            else:
                self._findings = self.run.spill_findings([o for o in self.extra if o.kind is Kind.VIOLATION])
        return self._findings

    def materialised(self) -> tuple[Outcome, ...]:
        """Every outcome, built once."""
        if self._all is None:
            found = list(self.extra)
            for _, plans in self.rules:
                for plan in plans:
                    found.extend(self.run.materialise(plan, "true"))
            self._all = tuple(sorted(found, key=lambda o: o.sort_key))
        return self._all


#: the DuckDB engine's result: a :class:`StoredCheckResult` over a :class:`SqlOutcomeStore`
SqlCheckResult = StoredCheckResult
