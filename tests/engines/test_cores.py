"""The cores a run uses follow a cgroup CPU quota (a container's ``--cpus``), in v1 and v2.

Each case is a cgroup file system written under a temporary directory: the process's membership
(``/proc/self/cgroup``) and the quota files of its group and the groups above it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.engines import cores as cores_module
from checker.engines.cores import cores, quota_cores

#: (membership, {file under the mount: text}, cores the quota allows)
CASES = {
    "v2, no quota": ("0::/\n", {"cpu.max": "max 100000\n"}, None),
    "v2, two cpus": ("0::/\n", {"cpu.max": "200000 100000\n"}, 2),
    "v2, a cpu and a half rounds up": ("0::/\n", {"cpu.max": "150000 100000\n"}, 2),
    "v2, a tenth of a cpu is one": ("0::/\n", {"cpu.max": "10000 100000\n"}, 1),
    "v2, the group's own quota": (
        "0::/box/run\n",
        {"cpu.max": "max 100000", "box/cpu.max": "max 100000", "box/run/cpu.max": "300000 100000"},
        3,
    ),
    "v2, an enclosing group's quota is the least": (
        "0::/box/run\n",
        {"box/cpu.max": "100000 100000", "box/run/cpu.max": "400000 100000"},
        1,
    ),
    "v2, no cpu.max anywhere": ("0::/box\n", {"box/cgroup.procs": "1"}, None),
    "v2, a file that says nothing readable": ("0::/\n", {"cpu.max": "lots\n"}, None),
    "v1, cpu,cpuacct": (
        "12:cpu,cpuacct:/docker/abc\n0::/\n",
        {
            "cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "50000\n",
            "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
        },
        1,
    ),
    "v1, no quota (-1)": (
        "3:cpu:/\n",
        {"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"},
        None,
    ),
    "v1 and v2 both: the least": (
        "1:cpu:/\n0::/\n",
        {"cpu/cpu.cfs_quota_us": "600000", "cpu/cpu.cfs_period_us": "100000", "cpu.max": "200000 100000"},
        2,
    ),
    "v2 beside v1 (the hybrid layout: v2 under unified/)": (
        "1:cpu:/\n0::/run\n",
        {
            "cpu/cpu.cfs_quota_us": "-1",
            "cpu/cpu.cfs_period_us": "100000",
            "unified/run/cpu.max": "100000 100000",
        },
        1,
    ),
    "v2, a group named unified on a v2 mount is a group": (
        "0::/unified\n",
        {"cgroup.controllers": "cpu", "unified/cpu.max": "100000 100000", "cpu.max": "max 100000"},
        1,
    ),
    "v2, a group outside the mount: only the mount's quota": (
        "0::/../outside\n",
        {"cpu.max": "300000 100000", "../outside/cpu.max": "100000 100000"},
        3,
    ),
    "v2, a quota past a float's range": ("0::/\n", {"cpu.max": "1" + "0" * 400 + " 100000\n"}, 10**395),
    "membership lines that are not cgroups": ("garbage\n\n", {"cpu.max": "100000 100000"}, None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_quota(tmp_path: Path, case: str) -> None:
    membership, files, want = CASES[case]
    root = tmp_path / "cgroup"
    root.mkdir()
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")
    (tmp_path / "membership").write_text(membership, "utf-8")
    assert quota_cores(root, tmp_path / "membership") == want


def test_bytes_that_are_not_text(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    (root / "caf\udce9").mkdir(parents=True)  # the group b"caf\xe9", as the file system names it
    (root / "caf\udce9" / "cpu.max").write_text("200000 100000", "utf-8")
    (root / "other").mkdir()
    (root / "other" / "cpu.max").write_bytes(b"\xff 100000\n")
    (tmp_path / "membership").write_bytes(b"0::/caf\xe9\n")
    assert quota_cores(root, tmp_path / "membership") == 2
    (tmp_path / "membership").write_bytes(b"0::/other\n")
    assert quota_cores(root, tmp_path / "membership") is None


def test_a_mount_that_may_not_be_searched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # as root (CI), permissions are not enforced: the error is made where Path meets it
    def refused(self: Path) -> bool:
        raise PermissionError(13, "Permission denied", str(self))

    (tmp_path / "membership").write_text("1:cpu:/x\n0::/x\n", "utf-8")
    monkeypatch.setattr(Path, "exists", refused)
    assert quota_cores(tmp_path / "cgroup", tmp_path / "membership") is None


def test_nothing_escapes_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> int:
        raise UnicodeDecodeError("ascii", b"\xff", 0, 1, "not text")

    monkeypatch.setattr(cores_module, "quota_cores", broken)
    assert cores() >= 1


def test_no_cgroup_file_system(tmp_path: Path) -> None:
    assert quota_cores(tmp_path / "absent", tmp_path / "absent-too") is None


def test_the_quota_caps_the_cores_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cores_module.os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    monkeypatch.setattr(cores_module, "quota_cores", lambda: 2)
    assert cores() == 2
    monkeypatch.setattr(cores_module, "quota_cores", lambda: None)
    assert cores() == 64
    monkeypatch.setattr(cores_module, "quota_cores", lambda: 128)  # a quota above the CPUs seen
    assert cores() == 64
