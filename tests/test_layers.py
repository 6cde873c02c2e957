"""The package's layout holds: layers (``.importlinter``), no cycles, no private names taken
across modules, a small top level, and complete tables after ``import checker``."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import checker

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "checker"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` over the ``checker`` package found under ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / ".importlinter"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(PACKAGE, tmp_path / "checker", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_layer_contracts_hold() -> None:
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout and done.stdout.count("KEPT") == 4


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # the policy language reaching up into the outputs
        ("language/errors.py", "from ..outputs import registry as upward", "Layers of the package"),
        # a result reaching into an engine
        ("results/result.py", "from ..engines.reference import engine as upward", "Layers of the package"),
        # the shared engine set-up importing an engine
        ("engines/setup.py", "from .duckdb import engine as upward", "Engines: the shared"),
        # a cycle inside one package: events <-> files
        ("inputs/events.py", "from . import files as cycle", "No import cycles"),
    ],
)
def test_an_upward_import_fails_the_build(tmp_path: Path, module: str, line: str, broken: str) -> None:
    root = _copy(tmp_path)
    with (root / "checker" / module).open("a", encoding="utf-8") as fh:
        fh.write(f"\n{line}  # noqa: E402\n")
    done = _lint_imports(root)
    assert done.returncode != 0
    broken_lines = [x for x in done.stdout.splitlines() if x.rstrip().endswith("BROKEN")]
    assert broken_lines and broken_lines[0].startswith(broken), done.stdout


def test_the_top_level_is_the_public_face() -> None:
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= 8, modules


def _private_imports() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                found += [
                    f"{path.relative_to(ROOT)}:{node.lineno} {a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    return found


def test_no_private_name_is_imported_across_modules() -> None:
    assert _private_imports() == []


def test_the_tables_are_complete_after_import_checker() -> None:
    assert sorted(checker.RENDERERS) == sorted(
        ["text", "json", "jsonl", "csv", "junit", "sarif", "github", "html", "markdown"]
    )
    assert list(checker.ENGINES) == ["python", "duckdb", "spark"]
    for name, entry in checker.ENGINES.items():
        assert entry.load().name == name
