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
