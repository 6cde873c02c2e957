"""Baseline and waivers files past the documented limits: located errors, never a traceback.

A baseline is JSON nested at most ``MAX_BASELINE_DEPTH`` (64) levels deep with finite numbers;
a waivers file is YAML nested at most ``MAX_YAML_DEPTH`` (64). Each case gives the file's text,
and the exact problem (code and ``line:column``) or none; ``checker check`` then exits 2 with
that located message instead of an internal error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.language.errors import CheckerError
from checker.language.yamlsafe import MAX_YAML_DEPTH
from checker.results.baseline import MAX_BASELINE_DEPTH, load_baseline
from checker.results.waivers import load_waivers
from tests.conftest import ROOT, run_cli

_TOOL = '{"schema_version": "1.0", "findings": [], "tool": {"name": "policy-checker", "x": '
_FINDING = (
    '{"schema_version": "1.0", "tool": {"name": "policy-checker"}, "findings": [\n'
    '  {"fingerprint": "0123456789abcdef0123456789abcdef", "rule_id": "r", "rule_version": "1.0.0", '
    '"severity": "high", '
    '"platform": "p", "seller_id": "s", "subject": null, "event_id": "e", "timestamp": %s}]}\n'
)


def _nested(levels: int) -> str:
    return "[" * levels + "]" * levels


#: (name, baseline text, expected (code, line, column) or None)
BASELINES: list[tuple[str, str, tuple[str, int, int] | None]] = [
    # the file and "tool" are levels 1 and 2: 62 arrays inside reach the limit exactly
    ("exactly at the depth limit", _TOOL + _nested(MAX_BASELINE_DEPTH - 2) + "}}", None),
    ("one level over", _TOOL + _nested(MAX_BASELINE_DEPTH - 1) + "}}", ("too-deep", 1, len(_TOOL) + 63)),
    (
        "the reliability issue's thousand levels",
        _TOOL + _nested(1000) + "}}",
        ("too-deep", 1, len(_TOOL) + 63),
    ),
    ("a hundred thousand levels", _TOOL + _nested(100_000) + "}}", ("too-deep", 1, len(_TOOL) + 63)),
    ("brackets inside strings do not count", _TOOL + json.dumps("[{" * 1000) + "}}", None),
    ("an unclosed string holding brackets", _TOOL + '"' + "[" * 100, ("baseline", 1, len(_TOOL) + 1)),
    ("NaN", _FINDING % "NaN", ("non-finite-number", 2, 198)),
    ("Infinity", _FINDING % "Infinity", ("non-finite-number", 2, 198)),
    ("-Infinity", _FINDING % "-Infinity", ("non-finite-number", 2, 198)),
    ("a number beyond a double", _FINDING % "1e999", ("non-finite-number", 2, 198)),
    ("the largest double", _FINDING % "1.7976931348623157e308", ("schema", 0, 0)),
    ("NaN inside a string is text", _FINDING % '"NaN"', None),
]


@pytest.mark.parametrize(("name", "text", "expected"), BASELINES, ids=[b[0] for b in BASELINES])
def test_baseline_limits(tmp_path: Path, name: str, text: str, expected: tuple[str, int, int] | None) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(text, "utf-8")
    if expected is None:
        load_baseline(path)
        return
    with pytest.raises(CheckerError) as raised:
        load_baseline(path)
    problem = raised.value.problems[0]
    assert (problem.code, problem.location.line, problem.location.column) == expected


def _waivers(value: str) -> str:
    return f"waivers:\n  - rule: r\n    x: {value}\n"


#: (name, waivers text, expected (code, line, column) or None); "waivers" and its list are levels
#: 1 and 2, the waiver level 3
WAIVERS: list[tuple[str, str, tuple[str, int, int] | None]] = [
    (
        "exactly at the depth limit (refused by the schema only)",
        _waivers(_nested(MAX_YAML_DEPTH - 3)),
        ("schema", 2, 5),
    ),
    ("one level over", _waivers(_nested(MAX_YAML_DEPTH - 2)), ("too-deep", 3, 8 + MAX_YAML_DEPTH - 3)),
    ("five thousand levels", _waivers(_nested(5000)), ("too-deep", 3, 8 + MAX_YAML_DEPTH - 3)),
    ("NaN", _waivers(".nan"), ("non-finite-number", 3, 8)),
]


@pytest.mark.parametrize(("name", "text", "expected"), WAIVERS, ids=[w[0] for w in WAIVERS])
def test_waivers_limits(tmp_path: Path, name: str, text: str, expected: tuple[str, int, int]) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(CheckerError) as raised:
        load_waivers(path)
    located = {(p.code, p.location.line, p.location.column) for p in raised.value.problems}
    assert expected in located
    if expected[0] == "schema":
        assert not {code for code, _, _ in located} & {"too-deep", "non-finite-number"}


@pytest.mark.parametrize("option", ["--baseline", "--waivers"])
def test_check_reports_a_deep_file_located(tmp_path: Path, option: str) -> None:
    """Exit 2 with ``file:line:column: ... [too-deep]``, no traceback, no output written."""
    if option == "--baseline":
        path = tmp_path / "deep.json"
        path.write_text(_TOOL + _nested(1000) + "}}", "utf-8")
    else:
        path = tmp_path / "deep.yaml"
        path.write_text(_waivers(_nested(1000)), "utf-8")
    out = tmp_path / "result.json"
    code, _, err = run_cli(
        "check", str(ROOT / "examples" / "sample-events.jsonl"), option, str(path), "--format", "json",
        "-o", str(out), "-q",
    )  # fmt: skip
    assert code == 2
    assert f"{path}:" in err and "[too-deep]" in err
    assert "internal error" not in err and "Traceback" not in err
    assert not out.exists()
