"""The partitioned reference engine decides exactly what the in-memory one decides.

Every comparison is against :func:`checker.check` on the same input: every
outcome (kind, evidence, message, fingerprint), every count, the rejections
and both JSON forms.
"""

from __future__ import annotations

import gc
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import checker
from checker.engines import spill
from checker.engines.partitioned import partition
from checker.engines.partitioned.partition import PART_BYTES, check_partitioned, part_count
from checker.engines.reference import engine
from checker.engines.spill import SpilledOutcomes
from checker.generator import generate
from tests.conftest import FIXTURES, POLICIES, ROOT, examples, run_cli
from tests.differential import (
    VERSIONED_INVALID,
    VERSIONED_PARAMS,
    VERSIONED_RULE,
    Case,
    assert_same,
    catalogue_cases,
    custom_cases,
    one_input,
    subset,
    write_jsonl,
)
from tests.outputs.conftest import EVENTS, WAIVERS
from tests.worlds import world_with_repeats

CATALOGUE_CASES = catalogue_cases()
CUSTOM_CASES = custom_cases()


@pytest.fixture(scope="module")
def catalogue() -> checker.PolicySet:
    loaded = checker.load_policies([POLICIES])
    assert not loaded.problems
    return loaded


def _compare(
    policy_set: checker.PolicySet,
    paths: list[Path],
    parts: int,
    read: dict[str, Any] | None = None,
    **check_options: Any,
) -> None:
    """``read`` goes to both intakes (profiles...), ``check_options`` to both checks."""
    read = read or {}
    reference = checker.check(policy_set, checker.read_events(paths, **read), **check_options)
    split = check_partitioned(policy_set, paths, parts=parts, **read, **check_options)
    assert_same(reference, split)
    assert split.batch.rejected == reference.batch.rejected
    assert [s.as_dict() for s in split.batch.inputs] == [s.as_dict() for s in reference.batch.inputs]


def _case(policy_set: checker.PolicySet, case: Case, tmp_path: Path, parts: int) -> None:
    path = write_jsonl(tmp_path / "events.jsonl", case.records)
    rules = subset(policy_set, [case.rule_id])
    reference = checker.check(
        rules, checker.read_events([path], timezone=case.timezone), as_of=case.as_of, params=case.params
    )
    split = check_partitioned(
        rules, [path], parts=parts, timezone=case.timezone, as_of=case.as_of, params=case.params
    )
    assert_same(reference, split)


@pytest.mark.parametrize("case", CATALOGUE_CASES, ids=lambda c: c.id)
def test_catalogue_case_in_three_parts(catalogue: checker.PolicySet, case: Case, tmp_path: Path) -> None:
    _case(catalogue, case, tmp_path, parts=3)


@pytest.mark.parametrize("case", CUSTOM_CASES, ids=lambda c: c.id)
def test_custom_policy_case_in_three_parts(case: Case, tmp_path: Path) -> None:
    custom = checker.load_policies([FIXTURES / "custom-policies"])
    _case(custom, case, tmp_path, parts=3)


@pytest.mark.parametrize("params", VERSIONED_PARAMS, ids=["defaults", "both", "own"])
def test_versions_are_judged_with_their_own_parameters(tmp_path: Path, params: dict | None) -> None:
    """Two versions with their own defaults, every case of the rule in one input (the versions of a
    trigger's key meet in one part): the same outcomes, messages and per-version ``params``."""
    custom = subset(checker.load_policies([FIXTURES / "custom-policies"]), [VERSIONED_RULE])
    path = write_jsonl(
        tmp_path / "events.jsonl",
        one_input(c for c in CUSTOM_CASES if c.rule_id == VERSIONED_RULE and not c.params),
    )
    _compare(custom, [path], 3, params=params)


def test_an_override_invalid_for_one_version_fails_alike(tmp_path: Path) -> None:
    custom = subset(checker.load_policies([FIXTURES / "custom-policies"]), [VERSIONED_RULE])
    path = write_jsonl(
        tmp_path / "events.jsonl", one_input(c for c in CUSTOM_CASES if c.rule_id == VERSIONED_RULE)
    )
    with pytest.raises(checker.CheckerError) as reference:
        checker.check(custom, [path], params=VERSIONED_INVALID)
    with pytest.raises(checker.CheckerError) as split:
        check_partitioned(custom, [path], parts=3, params=VERSIONED_INVALID, directory=str(tmp_path))
    assert split.value.problems == reference.value.problems
    assert [p.code for p in split.value.problems] == ["parameter"]
    assert [p.name for p in tmp_path.iterdir()] == ["events.jsonl"]  # it failed before writing parts


@pytest.mark.parametrize("parts", [1, 2, 16])
def test_generated_export(catalogue: checker.PolicySet, tmp_path: Path, parts: int) -> None:
    generate(tmp_path, events=4000, seed=3, violation_rate=0.4)
    _compare(catalogue, [tmp_path / "events.jsonl"], parts)


def test_generated_export_with_as_of_and_params(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    generate(tmp_path, events=3000, seed=11)
    params = {
        "aliexpress.affiliate.early-exit": {"min_membership": "P20D"},
        "juhuasuan.late-deposit": {"lead_days": 3},
    }
    _compare(catalogue, [tmp_path / "events.jsonl"], 5, as_of="2024-05-01T00:00:00+08:00", params=params)


def test_overlapping_files_duplicates_conflicts_and_bad_records(
    catalogue: checker.PolicySet, tmp_path: Path
) -> None:
    """Every version of an id meets the others in one part, whichever file it is in."""
    generate(tmp_path / "g", events=2000, seed=5)
    lines = (tmp_path / "g" / "events.jsonl").read_text("utf-8").splitlines()
    changed = [json.dumps({**json.loads(line), "actor": "someone-else"}) for line in lines[100:110]]
    (tmp_path / "a.jsonl").write_text("\n".join(lines[:1500]) + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(
        "\n".join(
            [
                *lines[1000:],
                *changed,
                "{not json",
                "[1, 2]",
                "",
                '{"event_id": 5}',
                '{"event_id": ["x"]}',
                lines[3],
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    reference = checker.read_events([tmp_path / "a.jsonl", tmp_path / "b.jsonl"])
    assert {r.code for r in reference.rejected} >= {"conflict", "bad-json", "invalid-event"}
    _compare(catalogue, [tmp_path / "a.jsonl", tmp_path / "b.jsonl"], 7)


def test_platform_exports_through_profiles(catalogue: checker.PolicySet) -> None:
    """Records that are not their line's JSON (CSV, TSV, gzip JSON arrays, profiles) travel whole."""
    exports = ROOT / "examples" / "exports"
    profiles = [ROOT / "profiles" / name for name in sorted(os.listdir(ROOT / "profiles"))]
    _compare(catalogue, [exports], 4, read={"profiles": profiles})


def test_one_part_at_a_time(
    catalogue: checker.PolicySet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine never sees more than one part: what memory is bounded by."""
    generate(tmp_path, events=4000, seed=9)
    seen: list[int] = []
    original = engine.evaluate

    def spy(policies: Any, batch: checker.EventBatch, **kwargs: Any) -> Any:
        seen.append(len(batch.events))
        return original(policies, batch, **kwargs)

    monkeypatch.setattr(partition, "evaluate", spy)
    result = check_partitioned(catalogue, [tmp_path / "events.jsonl"], parts=8)
    kept = result.batch.totals()["accepted"]
    assert len(seen) == 8
    assert sum(seen) <= kept  # each kept event is judged in one part only
    assert max(seen) < kept / 4


def test_parts_are_removed_with_the_result(catalogue: checker.PolicySet, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    result = check_partitioned(
        catalogue, [ROOT / "examples" / "sample-events.jsonl"], parts=3, directory=str(work)
    )
    assert len(result.findings) == 29
    assert len(list(work.iterdir())) == 1
    assert len(list(result.outcomes)) == sum(result.store.tally().values())  # judged again on demand
    assert result.store._all is None  # and streamed from disk, never held at once
    others = result.other_outcomes()
    assert isinstance(others, SpilledOutcomes) and len(others.runs) == 3
    assert len(others) + len(result.findings) == sum(result.store.tally().values())
    del result, others
    gc.collect()
    assert list(work.iterdir()) == []


def test_a_full_disk_is_a_clear_error(
    catalogue: checker.PolicySet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(spill.pickle, "dump", full)
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(checker.CheckerError) as caught:  # 700 records, 1 part: pass 1 writes
        check_partitioned(
            catalogue, [ROOT / "examples" / "sample-events.jsonl"], parts=1, directory=str(work)
        )
    (problem,) = caught.value.problems
    assert problem.code == "parts-disk"
    assert "No space left on device" in problem.message and "TMPDIR" in problem.message
    assert list(work.iterdir()) == []


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=world_with_repeats(),
    parts=st.sampled_from([2, 5]),
    as_of=st.sampled_from([None, "2024-02-15T00:00:00+08:00"]),
    timezone=st.sampled_from(["Asia/Shanghai", "America/New_York"]),
)
def test_hypothesis_worlds(
    catalogue: checker.PolicySet,
    tmp_path_factory: pytest.TempPathFactory,
    events: list[dict[str, Any]],
    parts: int,
    as_of: str | None,
    timezone: str,
) -> None:
    path = write_jsonl(tmp_path_factory.mktemp("world") / "events.jsonl", events)
    _compare(catalogue, [path], parts, read={"timezone": timezone}, as_of=as_of)


@pytest.mark.parametrize(
    ("size", "parts"),
    [
        (None, 64),
        (0, 1),
        (1, 1),
        (PART_BYTES, 1),
        (PART_BYTES + 1, 2),
        (PART_BYTES * 100, 100),
        (PART_BYTES * 10**6, 512),
    ],
)
def test_part_count(size: int | None, parts: int) -> None:
    assert part_count(size) == parts


def test_every_report_is_the_same_in_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Findings read back from disk give every format, the baseline and the gate byte for byte."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    sample = (ROOT / "examples" / "sample-events.jsonl").read_text("utf-8").splitlines()
    export = write_jsonl(tmp_path / "events.jsonl", [*EVENTS, *map(json.loads, sample)])
    (tmp_path / "waivers.yaml").write_text(WAIVERS, "utf-8")
    outputs = []
    for parts in ("0", "3"):
        out = tmp_path / f"p{parts}"
        out.mkdir()
        base = ("--parts", parts, "--policies", str(POLICIES))
        assert run_cli("baseline", "create", str(export), *base, "-o", str(out / "baseline.json"))[0] == 0
        reports = [
            arg
            for fmt in ("text", "json", "jsonl", "csv", "junit", "sarif", "github")
            for arg in ("--format", fmt, "-o", str(out / f"r.{fmt}"))
        ]
        code, _, _ = run_cli(
            "check",
            str(export),
            *base,
            "--waivers",
            str(tmp_path / "waivers.yaml"),
            "--today",
            "2024-02-01",
            "--fail-on",
            "high",
            *reports,
        )
        code_all, _, _ = run_cli(
            "check", str(export), *base, "--all-outcomes", "--format", "json", "-o", str(out / "all.json")
        )
        for fmt in ("html", "markdown"):
            assert run_cli("report", str(export), *base, "--format", fmt, "-o", str(out / f"r.{fmt}"))[0] == 0
        # the audit reports quote their command line: the only difference allowed
        quoted = (f"--parts {parts}".encode(), str(out).encode())
        outputs.append(
            (
                code,
                code_all,
                {
                    p.name: p.read_bytes().replace(quoted[0], b"--parts N").replace(quoted[1], b"OUT")
                    for p in sorted(out.iterdir())
                },
            )
        )
    assert outputs[0][:2] == outputs[1][:2] == (1, 1)
    assert sorted(outputs[0][2]) == sorted(outputs[1][2])
    for name, data in outputs[0][2].items():
        assert outputs[1][2][name] == data, name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--parts", "-1"], "--parts -1: expected 0 or more"),
        (["--parts", "2", "--engine", "duckdb"], "--parts is for --engine python"),
    ],
)
def test_cli_parts_refused(args: list[str], message: str) -> None:
    code, _, err = run_cli("check", str(ROOT / "examples" / "sample-events.jsonl"), *args)
    assert code == 2
    assert message in err
