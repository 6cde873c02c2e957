"""Limits of policy, waiver and profile files: nesting too deep for YAML or JMESPath, numbers
JSON cannot hold, durations too long to compute: a located error, never a traceback."""

from __future__ import annotations

import pytest

from checker.language.durations import MAX_DURATION_DAYS, DurationError, parse_duration
from checker.language.expressions import ExpressionError, compile_expression
from checker.language.policy import Parameter, parameter_problem
from checker.language.yamlsafe import MAX_YAML_DEPTH, load_yaml

DEEP_YAML = [
    "a: " + "[" * 500 + "]" * 500,
    "a: " + "{b: " * 300 + "1" + "}" * 300,
    "a:\n" + "".join("  " * i + "k:\n" for i in range(1, 400)),
    "- " * 300 + "x",
    "a: " + "[" * 5000,  # unclosed as well
]


@pytest.mark.parametrize("text", DEEP_YAML)
def test_yaml_nested_too_deep_is_a_located_error(text: str) -> None:
    doc, problems = load_yaml(text, "deep.yaml")
    assert doc is None
    assert [p.code for p in problems] == ["too-deep"]
    assert problems[0].location.line >= 1 and problems[0].location.column >= 1


def test_yaml_at_the_depth_limit_loads() -> None:
    n = MAX_YAML_DEPTH - 1
    doc, problems = load_yaml("a: " + "[" * n + "]" * n, "ok.yaml")
    assert not problems and doc is not None


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", "+.Inf"])
def test_yaml_non_finite_numbers_are_refused(value: str) -> None:
    doc, problems = load_yaml(f"parameters:\n  limit:\n    default: {value}\n", "p.yaml")
    assert doc is None
    assert [(p.code, p.location.line, p.location.json_path) for p in problems] == [
        ("non-finite-number", 3, "$.parameters.limit.default")
    ]


DEEP_EXPRESSIONS = [
    "(" * 300 + "a" + ")" * 300,
    "[" * 300 + "a" + "]" * 300,
    "!" * 500 + "a",
    "a || " * 400 + "a",
    "{a: " * 200 + "b" + "}" * 200,
    "(" * 5000,
]


@pytest.mark.parametrize("text", DEEP_EXPRESSIONS)
def test_jmespath_nested_too_deep_is_an_error(text: str) -> None:
    result = compile_expression(text)
    assert isinstance(result, ExpressionError)
    assert "deep" in result.message


@pytest.mark.parametrize("literal", ["`NaN`", "`Infinity`", "`[1, -Infinity]`", '`{"a": NaN}`'])
def test_jmespath_non_finite_literals_are_refused(literal: str) -> None:
    result = compile_expression(f"data.x == {literal}")
    assert isinstance(result, ExpressionError)
    assert "NaN or an infinity" in result.message


@pytest.mark.parametrize("text", ["P99999999999999D", "P101Y", "P1201M", "P36601D", "PT878401H", "P5229W"])
def test_durations_past_a_century_are_refused(text: str) -> None:
    with pytest.raises(DurationError, match="longer than 100 years"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["P100Y", "P1200M", f"P{MAX_DURATION_DAYS}D", "PT878400H", "P15D", "P3M"])
def test_durations_up_to_a_century_are_read(text: str) -> None:
    assert parse_duration(text).text == text


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_number_parameters_must_be_finite(value: float) -> None:
    problem = parameter_problem(Parameter("limit", "number", 1.0), value)
    assert problem is not None and "finite" in problem


def test_duration_parameters_past_the_limit_are_refused() -> None:
    problem = parameter_problem(Parameter("window", "duration", "P15D"), "P99999999999999D")
    assert problem is not None and "longer than 100 years" in problem
