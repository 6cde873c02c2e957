"""``checker validate`` checks each folder it is given as its own pack: two alternative folders for
the same rule ids validate together, while ``checker check`` still refuses them as one set."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from checker.cli.common import pack_groups

from ..conftest import ROOT, run_cli

EXAMPLE = ROOT / "examples" / "emergency-care"
ABX = "care.antibiotics-within-1h.yaml"


@pytest.fixture
def packs(tmp_path: Path) -> tuple[Path, Path]:
    """The example's pack twice: ``strict/`` as shipped, ``lenient/`` with a 2-hour deadline."""
    strict, lenient = tmp_path / "strict", tmp_path / "lenient"
    shutil.copytree(EXAMPLE / "policies", strict)
    shutil.copytree(EXAMPLE / "policies", lenient)
    text = (lenient / ABX).read_text("utf-8").replace("default: PT1H", "default: PT2H")
    (lenient / ABX).write_text(text, "utf-8")
    return strict, lenient


def test_alternative_folders_for_the_same_rules_validate_together(packs: tuple[Path, Path]) -> None:
    code, out, err = run_cli("validate", *map(str, packs))
    assert (code, err) == (0, "")
    assert out == "3 policies valid (pack emergency-care-example@2024.03)\n" * 2


def test_a_duplicate_within_one_folder_is_still_an_error(packs: tuple[Path, Path]) -> None:
    strict, lenient = packs
    shutil.copy(lenient / ABX, strict / "copy.yaml")
    code, _, err = run_cli("validate", str(strict), str(lenient))
    assert code == 2
    assert err.count("[duplicate-id]") == 1 and f"{strict / 'copy.yaml'}:2:10:" in err


def test_files_of_one_folder_are_still_checked_against_each_other(packs: tuple[Path, Path]) -> None:
    strict, _ = packs
    v2 = strict / "care.lactic-acid-after-triage.v2.yaml"
    v2.write_text(
        v2.read_text("utf-8").replace("effective_from: 2024-03-01", "effective_from: 2024-02-29"), "utf-8"
    )
    files = [str(strict / "care.lactic-acid-after-triage.v1.yaml"), str(v2)]
    code, _, err = run_cli("validate", *files)
    assert code == 2 and "[overlapping-versions]" in err


def test_check_refuses_the_same_rule_version_from_two_folders(packs: tuple[Path, Path]) -> None:
    strict, lenient = packs
    code, _, err = run_cli(
        "check", str(EXAMPLE / "events.csv"), "--profile", str(EXAMPLE / "profile.yaml"),
        "--policies", str(strict), "--policies", str(lenient),
    )  # fmt: skip
    assert code == 2
    assert err.count("[duplicate-id]") == 3
    assert "folders holding alternative versions of the same rules are run one at a time" in err
    for folder in packs:
        code, _, _ = run_cli("check", str(EXAMPLE / "events.csv"), "--profile", str(EXAMPLE / "profile.yaml"),
                             "--policies", str(folder), "-q")  # fmt: skip
        assert code == 1


def test_pack_groups(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    (a / "sub").mkdir(parents=True)
    b.mkdir()
    for f in (a / "x.yaml", a / "sub" / "y.yaml", b / "z.yaml", b / "w.yaml"):
        f.write_text("", "utf-8")
    given = [str(b / "z.yaml"), str(a), str(a / "sub" / "y.yaml"), str(b / "w.yaml")]
    # a file inside a folder given goes with that folder; other files with their own folder's
    assert pack_groups(given) == [[str(b / "z.yaml"), str(b / "w.yaml")], [str(a), str(a / "sub" / "y.yaml")]]
