"""The README's examples are real: its policy validates, its policy test passes, its commands are CI's."""

from __future__ import annotations

import re
from pathlib import Path

import checker
from checker.testing import format_report, run_policy_tests

from .conftest import ROOT

README = (ROOT / "README.md").read_text("utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_readme_policy_and_its_test_run(tmp_path: Path) -> None:
    policies = [b for b in _blocks("yaml") if b.startswith("id:")]
    tests = [b for b in _blocks("yaml") if b.startswith("rule:")]
    assert policies and tests
    for i, text in enumerate(policies):
        (tmp_path / f"policy{i}.yaml").write_text(text, "utf-8")
    for i, text in enumerate(tests):
        (tmp_path / f"policy{i}.tests.yaml").write_text(text, "utf-8")
    loaded = checker.load_policies([tmp_path])
    assert not loaded.problems, loaded.problems
    report = run_policy_tests(loaded, [tmp_path])
    assert report.passed, format_report(report)


def test_readme_test_command_is_the_one_ci_runs() -> None:
    commands = _blocks("sh")
    assert len(commands) >= 2
    test_command = commands[1].strip()
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert test_command in ci.splitlines()


def test_ci_runs_the_full_tier_too() -> None:
    test_command = _blocks("sh")[1].strip()
    ci = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    assert f"{test_command} --full" in ci


def test_readme_sample_exists() -> None:
    first = _blocks("sh")[0]
    sample = re.search(r"checker check (\S+)", first)
    assert sample and (ROOT / sample.group(1)).is_file()


def test_readme_library_example_runs() -> None:
    import subprocess
    import sys

    (code,) = _blocks("python")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "aliexpress." in done.stdout or "juhuasuan." in done.stdout
