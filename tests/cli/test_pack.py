"""``checker pack`` and the bundled pack: the default policies outside a checkout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli.pack import DATA_PATHS
from checker.language.loader import DATA_DIR, bundled_pack_path, load_policies
from tests.conftest import POLICIES, ROOT, run_cli

SAMPLE = ROOT / "examples" / "sample-events.jsonl"
NOTE = "using the bundled pack marketplace-seller-rules@"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_the_bundled_pack_is_the_repository_pack() -> None:
    assert _files(bundled_pack_path()) == _files(POLICIES)
    assert _files(DATA_DIR / "profiles") == _files(ROOT / "profiles")
    assert (DATA_DIR / "ci" / "policy-check.sh").read_bytes() == (
        ROOT / "ci" / "policy-check.sh"
    ).read_bytes()


def test_pack_list_names_the_pack_its_revision_and_every_rule_version() -> None:
    code, out, err = run_cli("pack", "list")
    assert code == 0 and err == ""
    policy_set = load_policies([POLICIES])
    lines = out.splitlines()
    assert lines[0].startswith(f"{policy_set.pack.name}@{policy_set.pack.revision} (")
    for policy in policy_set.policies:
        assert any(line.split()[:2] == [policy.id, policy.version] for line in lines[2:]), policy.id


@pytest.mark.parametrize("what", sorted(DATA_PATHS))
def test_pack_path_prints_an_installed_file(what: str) -> None:
    code, out, _ = run_cli("pack", "path", what)
    assert code == 0 and Path(out.strip()).exists()


def test_pack_copy_copies_policies_and_tests_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "my-policies"
    code, out, _ = run_cli("pack", "copy", str(target))
    assert code == 0 and "copied 31 files" in out
    assert _files(target) == _files(POLICIES)
    (target / "pack.yaml").write_text("edited\n", "utf-8")
    code, _, err = run_cli("pack", "copy", str(target))
    assert code == 2 and "nothing copied" in err and "--force" in err
    assert (target / "pack.yaml").read_text("utf-8") == "edited\n"
    code, _, _ = run_cli("pack", "copy", str(target), "--force")
    assert code == 0 and _files(target) == _files(POLICIES)
    code, _, _ = run_cli("validate", str(target))
    assert code == 0


def test_check_outside_a_checkout_runs_the_bundled_pack_and_says_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("check", str(SAMPLE), "--format", "json")
    assert code == 1 and err.count(NOTE) == 1
    result = json.loads(out)
    assert result["pack"]["name"] == "marketplace-seller-rules" and len(result["findings"]) == 29
    # the same result as with the repository's pack named explicitly
    code, named, _ = run_cli("check", str(SAMPLE), "--format", "json", "--policies", str(POLICIES))
    assert json.loads(named)["findings"] == result["findings"]
    assert json.loads(named)["pack"]["content_hash"] == result["pack"]["content_hash"]


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["validate"], 0),
        (["test"], 0),
        (["explain", "juhuasuan.late-deposit"], 0),
        (["baseline", "create", str(SAMPLE), "-o", "baseline.json"], 0),
        (["report", str(SAMPLE), "-o", "report.md"], 0),
    ],
    ids=lambda v: v[0] if isinstance(v, list) else None,
)
def test_every_command_defaults_to_the_bundled_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], code: int
) -> None:
    monkeypatch.chdir(tmp_path)
    got, _, err = run_cli(*argv)
    assert got == code, err
    assert err.count(NOTE) == 1


def test_a_policies_folder_in_the_working_directory_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cli("pack", "copy", str(tmp_path / "policies"))
    (tmp_path / "policies" / "pack.yaml").write_text('name: ours\nrevision: "1"\n', "utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("check", str(SAMPLE), "--format", "json")
    assert code == 1 and NOTE not in err
    assert json.loads(out)["pack"]["name"] == "ours"


def test_a_missing_explicit_policies_folder_is_reported_once_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("check", str(SAMPLE), "--policies", "nope")
    assert code == 2 and out == ""
    assert err.count("nope") == 1 and "1 problem(s)" in err
    assert "hint:" in err and "checker pack" in err and NOTE not in err
