"""Policy validation: every problem at once, each at file:line:column, with a stable code."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import checker
from checker.language.loader import load_policy_file
from tests.conftest import FIXTURES, POLICIES

INVALID = sorted((FIXTURES / "invalid-policies").glob("*.yaml"))


def _expected(path: Path) -> set[tuple[str, int, int]]:
    found = re.findall(r"^# expect: ([\w-]+) (\d+):(\d+)$", path.read_text("utf-8"), re.M)
    return {(code, int(line), int(col)) for code, line, col in found}


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_broken_policy_is_reported_at_its_position(path: Path) -> None:
    expected = _expected(path)
    assert expected, f"{path.name} has no '# expect:' line"
    _, problems = load_policy_file(path)
    got = {(p.code, p.location.line, p.location.column) for p in problems}
    assert got == expected
    for p in problems:
        assert str(p).startswith(f"{p.location.file}:{p.location.line}:{p.location.column}: ")


def test_every_catalogue_rule_ships_with_its_id_and_severity(policy_set: checker.PolicySet) -> None:
    lines = (FIXTURES / "catalogue-ids.txt").read_text("utf-8").splitlines()
    catalogue = dict(line.split() for line in lines if line and not line.startswith("#"))
    shipped = {p.id: p.severity for p in policy_set.policies}
    assert shipped == catalogue


def test_every_policy_cites_a_seed_and_a_quote(policy_set: checker.PolicySet) -> None:
    for p in policy_set.policies:
        assert re.fullmatch(r"00[0-4]_[0-9a-f]{16}\.txt", p.source.document), p.id
        assert len(p.source.quote) >= 8, p.id
        assert p.title.en and p.title.zh and p.message.en and p.message.zh


def test_pack_has_a_revision_and_a_content_hash(policy_set: checker.PolicySet) -> None:
    assert policy_set.pack.name == "marketplace-seller-rules"
    assert re.fullmatch(r"[0-9a-f]{64}", policy_set.pack.content_hash)
    assert len(policy_set.pack.files) == len(policy_set.policies)


def test_content_hash_changes_with_any_policy_file(tmp_path: Path) -> None:
    copy = tmp_path / "policies"
    shutil.copytree(POLICIES, copy)
    before = checker.load_policies([copy]).pack.content_hash
    target = copy / "aliexpress" / "aliexpress.affiliate.early-exit.yaml"
    target.write_text(target.read_text("utf-8").replace("severity: high", "severity: critical"))
    after = checker.load_policies([copy]).pack.content_hash
    assert before != after


def _write_version(directory: Path, version: str, start: str | None, end: str | None) -> None:
    source = (POLICIES / "aliexpress" / "aliexpress.jit.order-without-exam.yaml").read_text("utf-8")
    text = source.replace("version: 1.0.0", f"version: {version}")
    window = "".join(f'{k}: "{v}"\n' for k, v in (("effective_from", start), ("effective_until", end)) if v)
    (directory / f"jit-{version}.yaml").write_text(window + text, "utf-8")


def test_overlapping_versions_are_refused(tmp_path: Path) -> None:
    _write_version(tmp_path, "1.0.0", None, "2024-06-01")
    _write_version(tmp_path, "2.0.0", "2024-05-01", None)
    problems = checker.load_policies([tmp_path]).problems
    assert [p.code for p in problems] == ["overlapping-versions"]
    assert "2.0.0" in problems[0].message


def test_duplicate_id_and_version_is_refused(tmp_path: Path) -> None:
    _write_version(tmp_path, "1.0.0", None, None)
    shutil.copy(tmp_path / "jit-1.0.0.yaml", tmp_path / "jit-copy.yaml")
    codes = sorted(p.code for p in checker.load_policies([tmp_path]).problems)
    assert "duplicate-id" in codes


def test_adjacent_versions_are_accepted(tmp_path: Path) -> None:
    _write_version(tmp_path, "1.0.0", None, "2024-06-01")
    _write_version(tmp_path, "2.0.0", "2024-06-01", None)
    loaded = checker.load_policies([tmp_path])
    assert not loaded.problems
    assert [p.version for p in loaded.policies] == ["1.0.0", "2.0.0"]


def test_missing_path_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    problems = checker.load_policies([tmp_path / "nope"]).problems
    assert problems and problems[0].code == "io"


def test_a_billion_laughs_never_expands(tmp_path: Path) -> None:
    bomb = "a: &a [x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(9)
    )
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb, "utf-8")
    _, problems = load_policy_file(path)
    assert [p.code for p in problems] == ["unsafe-yaml"]


def test_one_path_is_one_path_not_its_characters() -> None:
    """``load_policies("policies")`` loads the folder, as ``load_policies(["policies"])`` does."""
    from checker.language.loader import load_policies
    from tests.conftest import ROOT

    one, listed = load_policies(str(ROOT / "policies")), load_policies([ROOT / "policies"])
    assert not one.problems and [p.id for p in one.policies] == [p.id for p in listed.policies]
    assert len(one.policies) >= 15
