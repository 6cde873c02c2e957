"""A finding's evidence is read again from the input after the rules are decided, through a
hard link the intake made (a snapshot): the input may be removed or replaced meanwhile, and an
input edited in place since intake is an ``input-changed`` error, never evidence the decision was
not made on.

The event id at the line is not proof enough: a record edited in place (its id and the file's
size kept) would read back as the same event with other content. The inputs' pins (identity,
and the SHA-256 of the bytes read) are checked once the evidence has been read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import checker
from checker.engines.duckdb.convert import Snapshot
from checker.engines.duckdb.engine import check_duckdb
from checker.engines.duckdb.results import SqlOutcomeStore
from checker.generator import generate
from tests.conftest import POLICIES

AS_OF = "2024-08-01T00:00:00+08:00"


@pytest.fixture(scope="module")
def catalogue() -> checker.PolicySet:
    return checker.load_policies(POLICIES)


def _edit_in_place(path: Path, event_id: str) -> None:
    """Change one character of ``event_id``'s seller id, keeping every length."""
    lines = path.read_text("utf-8").splitlines()
    for n, text in enumerate(lines):
        record = json.loads(text)
        if record["event_id"] == event_id:
            seller = record["seller_id"]
            other = seller[:-1] + ("1" if seller[-1] != "1" else "2")
            lines[n] = text.replace(json.dumps(seller), json.dumps(other))
            assert len(lines[n]) == len(text) and lines[n] != text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("which", ["findings", "other outcomes"])
def test_a_record_edited_in_place_is_never_evidence(
    catalogue: checker.PolicySet, tmp_path: Path, which: str
) -> None:
    generate(tmp_path, events=1500, seed=11, violation_rate=0.5)
    path = tmp_path / "events.jsonl"
    duck = check_duckdb(catalogue, [path], as_of=AS_OF)
    reference = checker.check(catalogue, [path], as_of=AS_OF)
    outcomes = list(reference.findings if which == "findings" else reference.other_outcomes())
    assert outcomes
    _edit_in_place(path, outcomes[-1].event_id)
    with pytest.raises(checker.CheckerError) as caught:
        list(duck.findings if which == "findings" else duck.other_outcomes())
    [problem] = caught.value.problems
    assert problem.code == "input-changed"
    assert problem.location.file == str(path)


def test_an_unchanged_input_reads_as_before(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    """The check costs a stat per input, and finds nothing on an input left alone."""
    generate(tmp_path, events=800, seed=3, violation_rate=0.5)
    path = tmp_path / "events.jsonl"
    duck = check_duckdb(catalogue, [path], as_of=AS_OF)
    reference = checker.check(catalogue, [path], as_of=AS_OF)
    assert json.dumps(duck.to_dict(all_outcomes=True)) == json.dumps(reference.to_dict(all_outcomes=True))


@pytest.mark.parametrize("change", ["removed", "replaced"])
def test_an_input_removed_or_replaced_after_intake_keeps_its_evidence(
    catalogue: checker.PolicySet, tmp_path: Path, change: str
) -> None:
    """DuckDB reads a JSON Lines input through a hard link in the run's directory (a snapshot), and
    the findings read their evidence from it: the input itself may go, or be replaced by a new
    file, once the check has started."""
    generate(tmp_path, events=1500, seed=11, violation_rate=0.5)
    path = tmp_path / "events.jsonl"
    duck = check_duckdb(catalogue, [path], as_of=AS_OF)
    reference = checker.check(catalogue, [path], as_of=AS_OF)
    store = duck.outcomes
    assert isinstance(store, SqlOutcomeStore)
    snapshot = store.run.intake.files[0]
    assert isinstance(snapshot, Snapshot) and os.path.samefile(snapshot, path)
    if change == "removed":
        path.unlink()
    else:  # written anew and renamed over it, as export jobs and editors do
        fresh = tmp_path / "fresh.jsonl"
        fresh.write_text(path.read_text("utf-8").replace("seller", "vendor"), encoding="utf-8")
        os.replace(fresh, path)
    assert json.dumps(duck.to_dict(all_outcomes=True)) == json.dumps(reference.to_dict(all_outcomes=True))


def test_without_a_link_the_input_itself_is_read(
    catalogue: checker.PolicySet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where no hard link can be made (another file system), DuckDB reads the input itself, with
    the same results; an edit in place is still an input-changed error."""

    def refuse(*args: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", refuse)
    generate(tmp_path, events=800, seed=3, violation_rate=0.5)
    path = tmp_path / "events.jsonl"
    duck = check_duckdb(catalogue, [path], as_of=AS_OF)
    store = duck.outcomes
    assert isinstance(store, SqlOutcomeStore)
    assert store.run.intake.files[0] == str(path) and not isinstance(store.run.intake.files[0], Snapshot)
    reference = checker.check(catalogue, [path], as_of=AS_OF)
    _edit_in_place(path, list(reference.findings)[-1].event_id)
    with pytest.raises(checker.CheckerError) as caught:
        list(duck.findings)
    assert [p.code for p in caught.value.problems] == ["input-changed"]
