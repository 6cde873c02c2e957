"""The wheel is installable anywhere with its pack: built from the repository, installed into a
fresh virtual environment, ``checker check`` runs from an empty folder with no ``--policies``.

Slow (a build and a venv): the full tier runs it. The build is pip's (with its build isolation,
which fetches setuptools from the package index unless pip's cache has it); the install takes no
index at all: ``--no-deps --no-index``, with the dependencies seen through a ``.pth`` file naming
the test venv's site-packages (whose own ``.pth`` files, the editable install among them, are not
read from there, so ``import checker`` finds only the wheel's copy).
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

SAMPLE = ROOT / "examples" / "sample-events.jsonl"


@pytest.mark.slow
def test_the_installed_wheel_checks_from_an_empty_folder_with_its_bundled_pack(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
    )
    (wheel,) = wheels.glob("policy_checker-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "checker/data/policies/pack.yaml",
        "checker/data/policies/taobao/juhuasuan.late-deposit.yaml",
        "checker/data/policies/taobao/juhuasuan.late-deposit.tests.yaml",
        "checker/data/profiles/kuaishou-distribution.yaml",
        "checker/data/ci/policy-check.sh",
        "checker/schemas/policy.schema.json",
    } <= names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", "utf-8")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)], check=True
    )

    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import checker; print(checker.__file__)"],
        cwd=empty,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert where.startswith(str(venv)), where
    done = subprocess.run(
        [str(venv / "bin" / "checker"), "check", str(SAMPLE), "--format", "json"],
        cwd=empty,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("using the bundled pack marketplace-seller-rules@") == 1
    result = json.loads(done.stdout)
    assert len(result["findings"]) == 29
    assert result["pack"]["name"] == "marketplace-seller-rules"
    script = subprocess.run(
        [str(venv / "bin" / "checker"), "pack", "path", "ci-script"],
        cwd=empty,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert script.startswith(str(venv)) and Path(script).is_file()
