"""A raw control character in a YAML file (a policy, profile, waivers...) is a located error, not
an internal one: PyYAML refuses it while making its reader, before parsing starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.language.yamlsafe import load_yaml
from tests.conftest import run_cli

CASES = [
    ("id: x\nx: \x00\n", 2, 4, "U+0000"),
    ('id: x\ntitle: "a\x1bb"\n', 2, 10, "U+001B"),
    ("\x07id: x\n", 1, 1, "U+0007"),
]


@pytest.mark.parametrize(("text", "line", "column", "named"), CASES)
def test_located(text: str, line: int, column: int, named: str) -> None:
    document, problems = load_yaml(text, "p.yaml")
    assert document is None
    [problem] = problems
    assert (problem.location.file, problem.location.line, problem.location.column) == ("p.yaml", line, column)
    assert problem.code == "yaml-syntax" and named in problem.message


def test_validate_reports_it_with_its_location(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("id: x\nx: \x00\n", encoding="utf-8")
    code, out, err = run_cli("validate", str(tmp_path))
    assert code == 2 and "Traceback" not in err
    assert f"{tmp_path / 'x.yaml'}:2:4" in out + err
