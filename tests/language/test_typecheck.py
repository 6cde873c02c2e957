"""Types checked before the run: the cases of ``typecheck-cases.yaml``, and the tables the
checker is driven by kept complete."""

from __future__ import annotations

import inspect
import re
import typing
from pathlib import Path
from typing import Any

import jmespath.ast
import pytest
import yaml
from jmespath import functions as builtins

import checker
from checker.language import expressions, typecheck
from checker.language.expressions import FUNCTION_TYPES, compile_expression
from checker.language.kinds import ValueType
from checker.language.loader import load_policy_file
from checker.language.schema import validator
from tests.conftest import FIXTURES, POLICIES, run_cli

CASES_FILE = Path(__file__).with_name("typecheck-cases.yaml")
DATA = yaml.safe_load(CASES_FILE.read_text("utf-8"))
HEADER: str = DATA["header"]
CASES: list[dict[str, Any]] = DATA["cases"]
BAD = [c for c in CASES if c["errors"]]


def _write(tmp_path: Path, case: dict[str, Any]) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(HEADER + case["policy"], "utf-8")
    return path


def _shown(problems: Any) -> list[str]:
    """Problems as the fixture writes them: line in the case's own text, column, message."""
    offset = HEADER.count("\n")
    return sorted(f"{p.location.line - offset}:{p.location.column}: {p.message}" for p in problems)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_gives_exactly_its_errors(tmp_path: Path, case: dict[str, Any]) -> None:
    policy, problems = load_policy_file(_write(tmp_path, case))
    assert _shown(problems) == sorted(case["errors"])
    assert {p.code for p in problems} <= {"type"}
    assert (policy is None) == bool(case["errors"])


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_both_engines_refuse_alike_in_validate(tmp_path: Path, engine: str) -> None:
    """``checker validate --engine E``: every bad case refused, exit 2, with the loader's
    located messages (before an engine is asked whether it can run the policy)."""
    for i, case in enumerate(BAD):
        folder = tmp_path / str(i)
        folder.mkdir()
        path = _write(folder, case)
        code, out, err = run_cli("validate", "--engine", engine, str(path))
        assert code == 2, case["name"]
        offset = HEADER.count("\n")
        shown = out + err
        for expected in case["errors"]:
            line, column, message = expected.split(":", 2)
            assert f"{path}:{int(line) + offset}:{column}:{message} [type]" in shown, (case["name"], shown)
        assert "unsupported-sql" not in shown


def test_the_issue_policy_no_longer_runs(tmp_path: Path) -> None:
    """The policy that validated and then made every trigger inconclusive is refused by
    ``check`` too, on both engines, before any event is read."""
    path = _write(tmp_path, BAD[0])
    events = Path(__file__).resolve().parents[2] / "examples" / "sample-events.jsonl"
    for engine in ("python", "duckdb"):
        code, _, err = run_cli("check", str(events), "--policies", str(path), "--engine", engine, "-q")
        assert code == 2
        assert "minus() argument 2 must be an ISO 8601 duration text" in err


def test_every_shipped_policy_type_checks(policy_set: checker.PolicySet) -> None:
    custom = checker.load_policies([FIXTURES / "custom-policies"])
    assert not custom.problems, "\n".join(map(str, custom.problems))
    assert policy_set.policies and custom.policies


def test_every_call_in_the_shipped_policies_is_placed() -> None:
    """The calls and comparisons of every expression are matched to their place in the text
    (else a problem would point at the expression's start)."""
    texts = set()
    for path in [*POLICIES.rglob("*.yaml"), *(FIXTURES / "custom-policies").rglob("*.yaml")]:
        texts.update(re.findall(r"[a-z_]+\([^\n\"]*\)", path.read_text("utf-8")))
    placed = 0
    for text in sorted(texts):
        compiled = compile_expression(text)
        if not isinstance(compiled, expressions.Expression):
            continue
        inference = typecheck._Inference(text)
        inference.locate(compiled.ast)
        calls = sum(1 for kind, _ in typecheck._source_order(compiled.ast) if kind == "call")
        assert len(inference.calls) == calls, text
        placed += calls
    assert placed > 30


def test_every_registered_function_declares_its_types() -> None:
    registered = {n[len("_func_") :] for n in vars(expressions._TimeFunctions) if n.startswith("_func_")}
    assert set(FUNCTION_TYPES) == registered
    for name, (args, result) in FUNCTION_TYPES.items():
        assert len(args) == expressions.FUNCTION_ARITY[name], name
        assert set(args) <= set(typecheck.ARGUMENT_KINDS), name
        assert result in typecheck.RESULT_KINDS, name


def test_every_node_type_of_the_parser_has_a_rule() -> None:
    source = inspect.getsource(jmespath.ast)
    types = set(re.findall(r"""['"]type['"]:\s*['"](\w+)['"]""", source))
    assert types and set(typecheck._NODES) == types


def test_every_builtin_argument_type_is_known() -> None:
    names = {
        type_name
        for entry in builtins.Functions.FUNCTION_TABLE.values()
        for arg in entry["signature"]
        for type_name in arg["types"]
    }
    assert "sort_by" in builtins.Functions.FUNCTION_TABLE
    assert names <= set(typecheck._BUILTIN_TYPES)


def test_every_parameter_and_lookup_type_is_known() -> None:
    schema = validator("policy").schema
    declared = set(schema["properties"]["parameters"]["additionalProperties"]["properties"]["type"]["enum"])
    assert declared == set(typecheck.PARAMETER_KINDS)
    assert set(typing.get_args(ValueType)) == set(typecheck.LOOKUP_VALUE_KINDS)
