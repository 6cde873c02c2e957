"""Constructs the compiler cannot reproduce are refused by name; nothing runs differently."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import checker
from checker.engines import Inputs, choose_engine
from checker.engines.duckdb import check_duckdb, unsupported
from checker.engines.duckdb.compile import compile_policy
from checker.language.errors import CheckerError
from tests.conftest import ROOT
from tests.engines.duckdb.differential import assert_same, run_both

SAMPLE = ROOT / "examples" / "sample-events.jsonl"

POLICY = """\
id: demo.rule
version: 1.0.0
title: {{en: Demo, zh: 演示}}
message: {{en: "demo {{{{ trigger.event_id }}}}", zh: "演示"}}
platform: aliexpress
severity: low
source: {{document: demo.txt, quote: demo}}
timezone: Asia/Shanghai
correlate_by: [seller_id]
on: {{action: affiliate.joined}}
let:
  earlier: {{last: affiliate.joined, before: trigger}}
violation_if: "{condition}"
"""


def _policy(tmp_path: Path, condition: str) -> checker.PolicySet:
    (tmp_path / "demo.yaml").write_text(POLICY.format(condition=condition), encoding="utf-8")
    loaded = checker.load_policies([tmp_path / "demo.yaml"])
    assert not loaded.problems, loaded.problems
    return loaded


@pytest.mark.parametrize(
    ("condition", "construct"),
    [
        ("length(trigger.data.items) > `2`", "function length()"),
        ("trigger.data.items[0] == 'x'", "JMESPath subexpression other than a field path"),
        ("trigger.data.items[?x == `1`]", "JMESPath filter projection"),
        ("format_time(trigger) == 'x'", "function format_time()"),
        ("trigger.data | length(@) > `1`", "JMESPath pipe"),
        (
            "duration(trigger.data.window) > `0`",
            "duration() with a duration that is not a literal or a parameter",
        ),
    ],
)
def test_refused_with_the_construct_named(tmp_path: Path, condition: str, construct: str) -> None:
    policy_set = _policy(tmp_path, condition)
    problems = unsupported(policy_set.policies[0])
    assert len(problems) == 1
    assert construct in problems[0].message
    assert "demo.yaml" in str(problems[0].location)
    assert "violation_if" in problems[0].message
    path = tmp_path / "e.jsonl"
    path.write_text('{"event_id":"a","timestamp":1,"platform":"aliexpress","seller_id":"s","action":"x.y"}\n')
    with pytest.raises(CheckerError) as raised:
        check_duckdb(policy_set, [path])
    assert construct in str(raised.value)


def test_the_catalogue_and_custom_fixtures_compile(
    catalogue: checker.PolicySet, custom: checker.PolicySet
) -> None:
    for p in (*catalogue.policies, *custom.policies):
        assert unsupported(p) == [], p.id


def test_values_never_enter_sql_as_text(tmp_path: Path) -> None:
    """A literal with a quote and SQL in it is a quoted SQL literal, compared as a value."""
    policy_set = _policy(tmp_path, "trigger.data.reason == 'x\\\\' OR 1=1; DROP TABLE ev; --'")
    plan = compile_policy(policy_set.policies[0], "q", params={}, input_tz="Asia/Shanghai")
    assert "'x'' OR 1=1; DROP TABLE ev; --'" in plan.statements["dec_q"]
    path = tmp_path / "e.jsonl"
    path.write_text(
        '{"event_id":"a","timestamp":1700000000,"platform":"aliexpress","seller_id":"s",'
        '"action":"affiliate.joined","data":{"reason":"x\' OR 1=1; DROP TABLE ev; --"}}\n'
        '{"event_id":"b","timestamp":1700000001,"platform":"aliexpress","seller_id":"s",'
        '"action":"affiliate.joined","data":{"reason":"y"}}\n',
        encoding="utf-8",
    )
    result = check_duckdb(policy_set, [path])
    assert [(o.event_id, o.kind.value) for o in result.outcomes] == [("a", "violation"), ("b", "pass")]


def test_choose_engine_by_size(tmp_path: Path) -> None:
    small = tmp_path / "s.jsonl"
    small.write_text("{}\n")
    assert choose_engine([small]) == "python"
    assert choose_engine([small], threshold=1) == "duckdb"
    assert choose_engine([tmp_path / "missing.jsonl"]) == "python"


@pytest.mark.parametrize(
    ("name", "size", "read", "engine"),
    [
        # JSON Lines and Parquet, which DuckDB reads itself, from the threshold (here 300 bytes)
        ("e.jsonl", 299, {}, "python"),
        ("e.jsonl", 300, {}, "duckdb"),
        ("e.parquet", 300, {}, "duckdb"),
        # what the project's readers convert for DuckDB, from two thirds of it
        ("e.csv", 199, {}, "python"),
        ("e.csv", 200, {}, "duckdb"),
        ("e.tsv", 200, {}, "duckdb"),
        ("e.json", 200, {}, "duckdb"),
        ("e.jsonl", 200, {"encoding": "gb18030"}, "duckdb"),
        ("e.jsonl", 200, {"input_format": "csv"}, "duckdb"),
        ("e.jsonl", 199, {"input_format": "csv"}, "python"),
    ],
)
def test_auto_cross_over_by_form(
    tmp_path: Path, name: str, size: int, read: dict[str, str], engine: str
) -> None:
    """The cross-over measured for each form (BENCHMARKS.md): converted inputs at 2/3 the bytes."""
    path = tmp_path / name
    path.write_bytes(b"x" * size)
    assert choose_engine(Inputs.of([path], **read), threshold=300) == engine


def test_auto_reads_gzip_by_its_uncompressed_size(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl.gz"
    path.write_bytes(gzip.compress(b"\n" * 10_000))  # a few dozen bytes on disk
    assert path.stat().st_size < 100
    assert choose_engine([path], threshold=6_667) == "duckdb"  # 10,000 bytes converted: 15,000
    assert choose_engine([path], threshold=15_001) == "python"


def test_auto_runs_standard_input_on_the_reference_engine() -> None:
    assert choose_engine(["-"], threshold=0) == "python"


def test_auto_runs_a_policy_duckdb_cannot_compile_on_the_reference_engine(tmp_path: Path) -> None:
    """``auto`` would pick DuckDB by size; one policy it cannot compile sends the whole check to
    the reference engine instead of refusing it."""
    policy_set = _policy(tmp_path, "length(trigger.data.items) > `2`")
    path = tmp_path / "e.jsonl"
    path.write_text("{}\n", encoding="utf-8")
    assert choose_engine([path], threshold=1) == "duckdb"
    assert choose_engine([path], threshold=1, policies=policy_set) == "python"
    catalogue = checker.load_policies([ROOT / "policies"])
    assert choose_engine([path], threshold=1, policies=catalogue) == "duckdb"


def _shifts(n: int) -> str:
    """``n`` calendar shifts of the trigger, each of the one before."""
    expr = "trigger"
    for _ in range(n):
        expr = f"add_calendar({expr}, 'P1M')"
    return expr


_EITHER = "trigger.data.a || trigger.data.b || trigger.data.c || trigger.data.d"


@pytest.mark.parametrize(
    ("zone", "condition", "refused"),
    [
        # five calendar shifts nested in each other: 2,559 column reads to bind (12 s in St_Johns)
        ("America/St_Johns", f"!{_shifts(5)}", True),
        ("Asia/Shanghai", f"local_date({_shifts(5)}) == '2024-01-01'", True),
        # refused while the zone macros held one CASE branch per change of offset (68,000 copies
        # for one shift in a zone with daylight saving time, 28,561 for two in Asia/Shanghai)
        ("America/St_Johns", "!add_calendar(trigger, 'P1M')", False),
        ("Europe/Amsterdam", "local_date(add_calendar(trigger, 'P1M')) == '2024-01-01'", False),
        ("Asia/Shanghai", f"!{_shifts(2)}", False),
        ("America/St_Johns", f"!{_shifts(4)}", False),
        ("America/St_Johns", "local_date(trigger) == '2024-01-01'", False),
        ("Asia/Shanghai", "!add_calendar(trigger, 'P3M')", False),
        # an instant beyond BIGINT reaches the zone macros as HUGEINT (it bound no list index once)
        ("America/New_York", "local_date(`100000000000000000000`) == '2024-01-01'", False),
        # many column reads outside the zone macros expand nothing: not refused
        ("America/New_York", f"is_blank({_EITHER})", False),
        ("America/New_York", f"time({_EITHER}) > `0`", False),
    ],
)
def test_macro_expansion_that_would_exhaust_the_machine_is_refused(
    tmp_path: Path, zone: str, condition: str, refused: bool
) -> None:
    text = POLICY.format(condition=condition).replace("timezone: Asia/Shanghai", f"timezone: {zone}")
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    policy_set = checker.load_policies([tmp_path / "demo.yaml"])
    assert not policy_set.problems, policy_set.problems
    problems = unsupported(policy_set.policies[0])
    if refused:
        assert len(problems) == 1 and "column reads in its zone macros" in problems[0].message
        big = tmp_path / "big.jsonl"  # auto would pick DuckDB for its size, and runs the reference
        big.write_bytes(b"\n" * (64 * 1024 * 1024))
        assert choose_engine([big], policies=policy_set) == "python"
    else:  # and DuckDB judges it as the reference engine does
        assert problems == []
        assert_same(*run_both(policy_set, [SAMPLE], timezone=zone, now="2026-01-01T00:00:00Z"))
