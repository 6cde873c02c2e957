"""The ``reads`` block: declared data fields, checked at load time and compiled into the
constructs both engines run (the outcomes themselves: the policies' tests and
tests/engines/duckdb/test_unknown_values.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import checker
from checker.language.expressions import describe_value
from checker.language.reads import FieldRead, expand
from tests.conftest import POLICIES

SOURCE = POLICIES / "taobao" / "taobao.affiliate.close-without-reason.yaml"
DECLARED = """reads:
  trigger:
    data.reason: {type: string, absent: allowed}
"""


def _problems(tmp_path: Path, reads: str) -> list[tuple[int, str, str]]:
    text = SOURCE.read_text("utf-8")
    assert DECLARED in text
    (tmp_path / "p.yaml").write_text(text.replace(DECLARED, reads), "utf-8")
    loaded = checker.load_policies([tmp_path])
    return [(p.location.line, p.code, p.message) for p in loaded.problems]


@pytest.mark.parametrize(
    ("reads", "code", "words"),
    [
        ("reads:\n  nothing:\n    data.reason: string\n", "unknown-name", "'nothing' is not the trigger"),
        (
            'reads:\n  trigger:\n    data.reason: {type: string, when: "as_of != `null`"}\n',
            "unknown-name",
            "'as_of' is not visible here",
        ),
        ("reads:\n  trigger:\n    data.reason: text\n", "schema", ""),
        ("reads:\n  trigger:\n    data.reason: {type: string, absent: zero}\n", "schema", ""),
        ("reads:\n  trigger:\n    data['reason']: string\n", "schema", ""),
    ],
    ids=["unknown source", "trigger when reads the context", "unknown type", "unknown absent", "not a path"],
)
def test_a_wrong_declaration_is_a_located_problem(tmp_path: Path, reads: str, code: str, words: str) -> None:
    problems = _problems(tmp_path, reads)
    assert problems, "expected a problem"
    line = SOURCE.read_text("utf-8").splitlines().index("reads:") + 1
    assert any(c == code and words in m and n >= line for n, c, m in problems), problems


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "nothing (missing or null)"),
        ("2", '"2" (a string)'),
        (2, "2 (a number)"),
        (2.5, "2.5 (a number)"),
        (False, "false (a boolean)"),
        ([], "[] (a list)"),
        ({"b": 1, "a": [True]}, '{"a": [true], "b": 1} (an object)'),
        ("x" * 70, '"' + "x" * 58 + "… (a string)"),
    ],
)
def test_describe_shows_the_json_text_and_type(value: Any, shown: str) -> None:
    assert describe_value(value) == shown


def test_a_trigger_read_widens_the_trigger_condition_by_its_when() -> None:
    reads = (
        FieldRead("trigger", "data.a", "boolean", when="data.b != `1`"),
        FieldRead("trigger", "data.b", "number", absent_allowed=True),
    )
    expansion = expand(reads, {"trigger": "event"}, "data.a == `true`")
    assert expansion.trigger_where == (
        "(data.a == `true`) || ((data.b != `1`) && (type(data.a) != 'boolean')) "
        "|| (data.b != `null` && (type(data.b) != 'number'))"
    )
    assert [c.when for c in expansion.checks] == [
        "(trigger | (data.b != `1`)) && (type(trigger.data.a) != 'boolean')",
        "trigger.data.b != `null` && (type(trigger.data.b) != 'number')",
    ]


def test_a_window_read_adds_a_first_lookup_for_the_earliest_unknown() -> None:
    expansion = expand(
        (FieldRead("orders", "data.via", "boolean", when="!late"),),
        {"orders": "window", "late": "event"},
        None,
    )
    assert [(w.source, w.name, w.where) for w in expansion.windows] == [
        ("orders", "orders__unknown", "type(data.via) != 'boolean'")
    ]
    assert [c.when for c in expansion.checks] == ["(!late) && (orders__unknown)"]
    assert expansion.trigger_where is None


def test_the_catalogue_declares_what_its_rules_read(policy_set: checker.PolicySet) -> None:
    declared = {
        p.id: sorted(f"{r.source}.{r.path}:{r.type}" for r in p.reads) for p in policy_set.policies if p.reads
    }
    assert declared["kuaishou.distribution.unreviewed-cancel"] == [
        "enrolled.data.base_paid_orders:number",
        "leader_orders.data.via_leader:boolean",
    ]
    assert len(declared) == 7
