"""Hypothesis-generated broken policies through the loader, the validator and both engines.

A shipped policy with keys dropped, values of other types, values nested deep, odd
expressions, durations and templates, or YAML text that is truncated, tabbed, aliased, tagged,
``.nan``, nested a thousand deep, NUL or not UTF-8, either:

* fails to load with problems that are each located (``file:line:col``; a file that is not
  UTF-8 at all, at the file) and say what is wrong, never a traceback; or
* loads, and then runs on both engines over the sample without an internal error: a result, or
  a located refusal from the DuckDB engine of a construct it does not compile. When both run,
  their JSON results are the same text.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings

import checker
from checker.engines.duckdb import check_duckdb
from checker.language.errors import CheckerError, Problem
from tests.conftest import ROOT, examples

from .policies import broken_policies, odd_policies, write_policy
from .records import NOW

SAMPLE = ROOT / "examples" / "sample-events.jsonl"
#: problems that carry no line: a file that could not be read as text at all; a construct the
#: DuckDB engine does not compile, named by the policy key that holds it (``on.where``)
UNLINED = frozenset({"encoding", "io", "unsupported-sql"})


def _assert_located(problem: Problem, path: Path) -> None:
    text = str(problem)
    assert problem.location.file.endswith(path.name), text
    assert problem.location.line >= 1 or problem.code in UNLINED, text
    assert problem.message.strip() and problem.code, text
    assert "Traceback" not in text, text


@settings(
    max_examples=examples(120),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=broken_policies() | odd_policies())
def test_a_broken_policy_is_a_located_error_or_runs_on_both_engines(case: tuple[str, bytes, str]) -> None:
    name, text, _ = case
    with tempfile.TemporaryDirectory() as folder:
        path = write_policy(Path(folder), name, text)
        loaded = checker.load_policies([path])
        for problem in loaded.problems:
            _assert_located(problem, path)
        if loaded.problems:
            event(f"refused: {loaded.problems[0].code}")
            return
        reference = checker.check(loaded, [SAMPLE], engine="python", now=NOW)
        options = checker.RenderOptions(all_outcomes=True)
        try:
            duck = check_duckdb(loaded, [SAMPLE], now=NOW)
        except CheckerError as exc:  # a construct the SQL engine does not compile: said, located
            for problem in exc.problems:
                _assert_located(problem, path)
            event("loaded; refused by the DuckDB engine")
            return
        event("loaded; run on both engines")
        assert checker.render("json", reference, options) == checker.render("json", duck, options)
