"""The CI templates run as written: the shell steps of ``action.yml`` (the composite GitHub
Action) and ``ci/gitlab-ci.yml``, taken from the YAML, with their inputs and variables set to local
values, run with bash in an empty folder (no ``./policies``: the bundled pack) against the sample
and the platform exports.

The install steps are not run here (they pip-install the repository; the slow test in
``test_wheel.py`` installs a built wheel): the repository's ``.venv/bin`` is put first on PATH
instead, and the install steps are checked to install this checkout (``github.action_path``) or
``$POLICY_CHECKER_PIP_SPEC``, never a package name from an index.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

SAMPLE = ROOT / "examples" / "sample-events.jsonl"
EXPORTS = ROOT / "examples" / "exports"
#: the platform exports (not their canonical twins), each read through its bundled profile by name
EXPORT_INPUTS = " ".join(
    str(p)
    for p in [
        *sorted((EXPORTS / "kuaishou").glob("*.csv")),
        EXPORTS / "aliexpress" / "aliexpress-affiliate.tsv",
        EXPORTS / "juhuasuan" / "juhuasuan-signups.json.gz",
    ]
)
EXPORT_PROFILES = (
    "*.csv=kuaishou-distribution.yaml *.tsv=aliexpress-affiliate.yaml *.gz=taobao-juhuasuan.yaml"
)
BIN = Path(sys.executable).parent  # the venv the tests run in, with the checker installed
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: the checker on PATH and nothing of the caller's CI settings."""
    env = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")}
    env["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"
    env.update(extra)
    return env


def _sarif_results(path: Path) -> list[dict[str, Any]]:
    doc = json.loads(path.read_text("utf-8"))
    assert doc["version"] == "2.1.0"
    results: list[dict[str, Any]] = doc["runs"][0]["results"]
    return results


def _junit_failures(path: Path) -> int:
    root = ET.parse(path).getroot()
    return sum(1 for _ in root.iter("failure"))


# --- the GitHub Action -----------------------------------------------------------------------


class Action:
    """Runs the composite action's steps as the runner would: ``${{ }}`` expressions of inputs,
    ``github.action_path`` and earlier steps' outputs, ``bash --noprofile --norc -eo pipefail``,
    ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY`` files."""

    def __init__(self, tmp_path: Path, inputs: dict[str, str]) -> None:
        self.doc = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
        self.tmp = tmp_path
        self.work = tmp_path / "work"
        self.work.mkdir()
        self.inputs = {name: str(spec.get("default", "")) for name, spec in self.doc["inputs"].items()}
        unknown = set(inputs) - set(self.inputs)
        assert not unknown, f"action.yml has no inputs {unknown}"
        self.inputs.update(inputs)
        self.outputs: dict[str, dict[str, str]] = {}
        self.summary = tmp_path / "step-summary.md"
        self.codes: dict[str, int] = {}
        self.uses: dict[str, dict[str, str]] = {}

    def value(self, expression: str) -> str:
        if expression == "github.action_path":
            return str(ROOT)
        if expression.startswith("inputs."):
            return self.inputs[expression.removeprefix("inputs.")]
        match = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
        if match:
            return self.outputs.get(match.group(1), {}).get(match.group(2), "")
        raise AssertionError(f"an expression the test cannot evaluate: {expression}")

    def substitute(self, text: str) -> str:
        return EXPRESSION.sub(lambda m: self.value(m.group(1)), text)

    def run(self) -> None:
        assert self.doc["runs"]["using"] == "composite"
        for step in self.doc["runs"]["steps"]:
            name = step["name"]
            if "uses" in step:
                self.uses[step["uses"]] = {
                    k: self.substitute(str(v)) for k, v in step.get("with", {}).items()
                }
                continue
            assert step["shell"] == "bash", name
            script = self.substitute(step["run"])
            if "pip install" in script:
                assert str(ROOT) in script, "the action installs the checkout it lives in"
                continue
            output = self.tmp / f"output-{len(self.codes)}"
            output.touch()
            env = _environment(
                self.tmp,
                GITHUB_ACTIONS="true",
                GITHUB_OUTPUT=str(output),
                GITHUB_STEP_SUMMARY=str(self.summary),
                **{k: self.substitute(str(v)) for k, v in step.get("env", {}).items()},
            )
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                cwd=self.work,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            self.codes[name] = done.returncode
            if "id" in step:
                lines = output.read_text("utf-8").splitlines()
                self.outputs[step["id"]] = dict(line.split("=", 1) for line in lines if "=" in line)


def test_the_action_checks_the_sample_with_the_bundled_pack_and_fails_by_the_gate(tmp_path: Path) -> None:
    action = Action(tmp_path, {"paths": str(SAMPLE), "output-dir": str(tmp_path / "out")})
    action.run()
    assert action.codes == {"Check exports": 0, "Write the job summary": 0, "Gate": 1}
    assert action.outputs["check"] == {"exit-code": "1"}
    out = tmp_path / "out"
    assert len(_sarif_results(out / "report.sarif")) == 29
    assert _junit_failures(out / "report.xml") == 29
    assert json.loads((out / "report.json").read_text("utf-8"))["pack"]["name"] == "marketplace-seller-rules"
    summary = action.summary.read_text("utf-8")
    assert summary.startswith("# Compliance report") and "**29** violations" in summary
    upload = action.uses["github/codeql-action/upload-sarif@v3"]
    assert upload["sarif_file"] == str(out / "report.sarif")
    assert not (action.work / "policy-reports").exists()  # output-dir was honoured


def test_the_action_reads_the_platform_exports_through_bundled_profiles(tmp_path: Path) -> None:
    action = Action(
        tmp_path,
        {
            "paths": EXPORT_INPUTS,
            "profile": EXPORT_PROFILES,
            "fail-on": "critical",
            "output-dir": str(tmp_path / "out"),
        },
    )
    action.run()
    # no critical violation: the gate passes, every finding is still reported
    assert action.codes == {"Check exports": 0, "Write the job summary": 0, "Gate": 0}
    results = _sarif_results(tmp_path / "out" / "report.sarif")
    assert results and {r["level"] for r in results} == {"note"}
    result = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert {f["platform"] for f in result["findings"]} == {"aliexpress", "kuaishou", "taobao"}
    assert "violations" in action.summary.read_text("utf-8")


def test_the_action_writes_a_summary_and_fails_when_nothing_could_be_checked(tmp_path: Path) -> None:
    action = Action(tmp_path, {"paths": str(tmp_path / "missing.jsonl"), "output-dir": str(tmp_path / "out")})
    action.run()
    assert action.codes == {"Check exports": 0, "Write the job summary": 0, "Gate": 2}
    assert "wrote no result (exit 2)" in action.summary.read_text("utf-8")


def test_the_workflow_template_uses_the_action_with_its_inputs() -> None:
    workflow = yaml.safe_load((ROOT / "ci" / "github-actions.yml").read_text("utf-8"))
    steps = workflow["jobs"]["policy-check"]["steps"]
    step = next(s for s in steps if str(s.get("uses", "")).startswith("OWNER/policy-checker@"))
    inputs = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))["inputs"]
    assert set(step["with"]) <= set(inputs)
    assert "pip install" not in (ROOT / "ci" / "github-actions.yml").read_text("utf-8")


# --- GitLab CI --------------------------------------------------------------------------------


def _gitlab_job() -> dict[str, Any]:
    job: dict[str, Any] = yaml.safe_load((ROOT / "ci" / "gitlab-ci.yml").read_text("utf-8"))["policy-check"]
    return job


@pytest.mark.parametrize(
    ("inputs", "variables", "code", "findings"),
    [
        (str(SAMPLE), {"FAIL_ON": "info", "PROFILES": ""}, 1, 29),
        (EXPORT_INPUTS, {"FAIL_ON": "critical", "PROFILES": EXPORT_PROFILES}, 0, None),
    ],
    ids=["sample", "platform-exports"],
)
def test_the_gitlab_job_runs_as_written(
    tmp_path: Path, inputs: str, variables: dict[str, str], code: int, findings: int | None
) -> None:
    job = _gitlab_job()
    installs = "\n".join(job["before_script"])
    assert 'pip install --quiet --disable-pip-version-check "$POLICY_CHECKER_PIP_SPEC"' in installs
    assert job["variables"]["POLICY_CHECKER_PIP_SPEC"].startswith("git+https://example.invalid/")
    out_default = job["variables"]["OUT"]
    assert job["artifacts"]["reports"]["junit"] == f"{out_default}/report.xml"
    work = tmp_path / "work"
    work.mkdir()
    out = tmp_path / "out"
    env = _environment(tmp_path, **{k: str(v) for k, v in job["variables"].items()})
    env.update(variables, INPUTS=inputs, OUT=str(out))
    done = subprocess.run(
        ["bash", "-e", "-c", "\n".join(job["script"])],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == code, done.stderr
    results = _sarif_results(out / "report.sarif")
    assert results
    failures = _junit_failures(out / "report.xml")
    assert failures == (findings if findings is not None else 0)
    assert "violation(s)" in done.stdout  # the text report is printed to the job log
