"""Inputs are pinned: the SHA-256 in a result is of the bytes judged, and an input that changes
while a run reads or judges it fails the run with ``input-changed``, naming the file.

Each hook changes the input at one moment of a run (while the in-memory engine reads it, after
it was read, between the partitioned engine's passes, while it judges, and on the DuckDB engine
between the hash and DuckDB's own read); each change is applied at each hook, to a file just
written (whose times cannot prove it unchanged, so it is hashed again) and to one an hour old
(whose times can). A change that leaves the bytes as they were (a touch, a copy renamed over it)
is not one: the run's result is the one without it.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import checker
from checker.engines.duckdb import intake as duck_intake
from checker.engines.partitioned.partition import PartitionedOutcomes
from checker.engines.reference import engine as reference_engine
from checker.inputs import files
from checker.inputs.events import Intake
from checker.inputs.files import RACY_NS, read_events
from checker.language.errors import CheckerError
from tests.conftest import ROOT
from tests.differential import subset

SAMPLE = ROOT / "examples" / "sample-events.jsonl"
NOW = "2025-01-01T00:00:00+08:00"
EARLY_EXIT = "aliexpress.affiliate.early-exit"
DEPOSIT = "juhuasuan.late-deposit"


def _other_sellers(data: bytes) -> bytes:
    return data.replace(b"seller-0000", b"seller-9999")


def _same_size(path: Path) -> None:
    """The issue's case: the same ids and lines, other sellers, not one byte longer."""
    path.write_bytes(_other_sellers(path.read_bytes()))


def _append(path: Path) -> None:
    with open(path, "ab") as fh:
        fh.write(b'{"event_id":"late","timestamp":"2024-07-01T00:00:00Z","platform":"taobao",'
                 b'"seller_id":"x","action":"order.completed"}\n')  # fmt: skip


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _renamed_over(path: Path, data: bytes) -> None:
    other = path.with_name("other.jsonl.tmp")
    other.write_bytes(data)
    os.replace(other, path)


def _touch(path: Path) -> None:
    os.utime(path, ns=(time.time_ns(), time.time_ns()))


#: (name, change, whether the bytes change)
CHANGES: list[tuple[str, Callable[[Path], None], bool]] = [
    ("same size, other sellers", _same_size, True),
    ("a record appended", _append, True),
    ("cut in half", _truncate, True),
    ("another file renamed over it", lambda p: _renamed_over(p, _other_sellers(p.read_bytes())), True),
    ("deleted", lambda p: p.unlink(), True),
    ("touched only", _touch, False),
    ("a copy renamed over it", lambda p: _renamed_over(p, p.read_bytes()), False),
]  # fmt: skip


#: the changes that leave the file read alone and give its name to another file, or to none
REPLACED = frozenset({"another file renamed over it", "deleted"})


def _once(path: Path, change: Callable[[Path], None]) -> Callable[[], None]:
    done: list[bool] = []

    def fire() -> None:
        if not done:
            done.append(True)
            change(path)

    return fire


def _wrap(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, fire: Callable[[], None]) -> None:
    original = getattr(owner, name)

    def hooked(*args: Any, **kwargs: Any) -> Any:
        fire()
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, hooked)


def _while_read(mp: pytest.MonkeyPatch, fire: Callable[[], None]) -> None:
    # as the reader hands over its first record (to the intake, or to the partitioned engine's
    # router), before the rest of the file is read
    _wrap(mp, files, "take_record", fire)


def _after_read(mp: pytest.MonkeyPatch, fire: Callable[[], None]) -> None:
    _wrap(mp, reference_engine, "evaluate", fire)


def _between_passes(mp: pytest.MonkeyPatch, fire: Callable[[], None]) -> None:
    _wrap(mp, Intake, "flush", fire)  # pass 2: after pass 1 read and hashed the file


def _while_judged(mp: pytest.MonkeyPatch, fire: Callable[[], None]) -> None:
    _wrap(mp, PartitionedOutcomes, "judge", fire)


def _before_duckdb_reads(mp: pytest.MonkeyPatch, fire: Callable[[], None]) -> None:
    _wrap(mp, duck_intake, "_classify", fire)  # the scan hashed the file; DuckDB has not read it


#: (name, engine, parts, hook, what the error says of when)
HOOKS: list[tuple[str, str, int, Callable[[pytest.MonkeyPatch, Callable[[], None]], None], str]] = [
    ("in memory, while read", "python", 0, _while_read, "while it was read"),
    ("in memory, after the read", "python", 0, _after_read, "during the check"),
    ("partitioned, while read", "python", 2, _while_read, "while it was read"),
    ("partitioned, between the passes", "python", 2, _between_passes, "between the passes"),
    ("partitioned, while judged", "python", 2, _while_judged, "during the check"),
    ("duckdb, between the hash and the read", "duckdb", 0, _before_duckdb_reads, "during the check"),
]


def _input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: bool) -> Path:
    """The sample, written now; ``old``: read as if an hour later (a file's change time cannot be
    set back, so the run's clock is moved on instead)."""
    path = tmp_path / "events.jsonl"
    path.write_bytes(SAMPLE.read_bytes())
    if old:
        later = SimpleNamespace(time_ns=lambda: time.time_ns() + 3600 * 10**9)
        monkeypatch.setattr(files, "time", later)
    return path


@pytest.fixture(scope="module")
def policies() -> checker.PolicySet:
    """Two rules of the catalogue (loading and judging all of them a hundred times is slow)."""
    return subset(checker.load_policies([ROOT / "policies"]), [EARLY_EXIT, DEPOSIT])


def _check(policies: checker.PolicySet, path: Path, engine: str, parts: int) -> checker.CheckResult:
    return checker.check(policies, [path], engine=engine, parts=parts or None, now=NOW)


@pytest.fixture(scope="module")
def unchanged(tmp_path_factory: pytest.TempPathFactory, policies: checker.PolicySet) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("unchanged") / "events.jsonl"
    path.write_bytes(SAMPLE.read_bytes())
    result = _check(policies, path, "python", 0).to_dict(all_outcomes=True)
    assert {o["rule_id"] for o in result["outcomes"]} == {EARLY_EXIT, DEPOSIT}
    assert result["findings"]
    return result


def _judged(result: dict[str, Any]) -> tuple[Any, ...]:
    """What a run decided, apart from where its input was."""
    return result["outcomes"], sorted(f["fingerprint"] for f in result["findings"])


def _matrix() -> list[Any]:
    """Every hook with every change, at both ages. The fast tier runs each hook with the issue's
    change and with a touch at both ages, and the rest on the in-memory engine after the read;
    the full tier (``slow``) runs the whole matrix (it takes about half a minute)."""
    fast_changes = {"same size, other sellers", "touched only"}
    params = []
    for hook in HOOKS:
        for change in CHANGES:
            for old in (False, True):
                slow = change[0] not in fast_changes and hook[0] != "in memory, after the read"
                params.append(
                    pytest.param(
                        *hook,
                        *change,
                        old,
                        id=f"{hook[0]}-{change[0]}-{'an hour old' if old else 'just written'}",
                        marks=[pytest.mark.slow] if slow else [],
                    )
                )
    return params


@pytest.mark.parametrize(
    ("hook_name", "engine", "parts", "hook", "when", "change_name", "change", "changes", "old"), _matrix()
)
def test_a_changed_input_fails_the_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    unchanged: dict[str, Any],
    policies: checker.PolicySet,
    hook_name: str,
    engine: str,
    parts: int,
    hook: Callable[[pytest.MonkeyPatch, Callable[[], None]], None],
    when: str,
    change_name: str,
    change: Callable[[Path], None],
    changes: bool,
    old: bool,
) -> None:
    path = _input(tmp_path, monkeypatch, old)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    hook(monkeypatch, _once(path, change))
    if engine == "duckdb" and change_name in REPLACED:
        # DuckDB reads the input through a hard link made before the hash (a snapshot): the file
        # the name now points to, or its absence, changes nothing
        changes = False
    if not changes:
        result = _check(policies, path, engine, parts)
        assert _judged(result.to_dict(all_outcomes=True)) == _judged(unchanged)
        assert [f["sha256"] for f in result.to_dict()["inputs"]["files"]] == [sha]
        return
    with pytest.raises(CheckerError) as raised:
        _check(policies, path, engine, parts)
    (problem,) = raised.value.problems
    assert (problem.code, problem.location.file) == ("input-changed", str(path))
    assert f"the input changed {when}" in problem.message
    if hook is not _while_read:  # else the bytes read were partly the new ones, and so is their hash
        assert f"read bytes with the SHA-256 {sha}" in problem.message


def test_read_events_fails_on_an_input_changed_while_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library's reader pins what it reads too (``checker.read_events``)."""
    path = _input(tmp_path, monkeypatch, old=True)
    _while_read(monkeypatch, _once(path, _same_size))
    with pytest.raises(CheckerError) as raised:
        read_events([path])
    assert [p.code for p in raised.value.problems] == ["input-changed"]


def test_an_old_unchanged_file_is_not_hashed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policies: checker.PolicySet
) -> None:
    """A file last changed more than ``RACY_NS`` before it was read is proved unchanged by its
    times and size alone: the run reads it once."""
    assert RACY_NS == 3 * 10**9
    path = _input(tmp_path, monkeypatch, old=True)
    opened: list[str] = []
    real_open = open

    def counting_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(file) == str(path):
            opened.append("open")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", counting_open)
    _check(policies, path, "python", 0)
    assert opened == ["open"]
