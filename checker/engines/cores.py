"""How many cores a run may use: the CPUs it may run on, or fewer when a cgroup quota says so.

A container started with ``--cpus 2`` on a 64-core host sees 64 CPUs in its affinity mask but
gets two cores' worth of time: forking a worker per visible CPU there would only make the
workers wait for each other. The quota is read from the cgroup file system the way the kernel
applies it: the least of the process's own group's and every enclosing group's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

#: where the cgroup file system is mounted, and where the kernel says which groups a process is in
CGROUP_ROOT = Path("/sys/fs/cgroup")
MEMBERSHIP = Path("/proc/self/cgroup")


def cores() -> int:
    """The cores this process may use: the CPUs it may run on (its affinity), fewer when a cgroup
    CPU quota allows less (:func:`quota_cores`)."""
    try:
        visible = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux: no affinity, no cgroups
        return os.cpu_count() or 1
    try:
        quota = quota_cores()
    except (OSError, ValueError):  # a cgroup file system that cannot be read says no quota
        quota = None
    return max(1, min(visible, quota)) if quota is not None else visible


def quota_cores(root: Path = CGROUP_ROOT, membership: Path = MEMBERSHIP) -> int | None:
    """The cores a cgroup CPU quota allows this process, rounded up (1.5 CPUs: 2), or None when
    no quota is set or none can be read. cgroup v2 (``cpu.max``) and v1 (``cpu.cfs_quota_us``
    over ``cpu.cfs_period_us``) are both read, in the process's group and every group above it."""
    try:
        # a group's name may hold any bytes: kept as the file system's names are (os.fsdecode)
        lines = os.fsdecode(membership.read_bytes()).splitlines()
    except OSError:
        return None
    limits: list[int] = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, group = parts
        if ".." in group.split("/"):  # a group outside the mount (another cgroup namespace's):
            group = "/"  # only the mount's own quota is in sight
        if controllers == "":  # the v2 hierarchy: the mount itself, or unified/ beside v1's
            v2 = [root] if _exists(root / "cgroup.controllers") else [root / "unified", root]
            limits += _limits(v2, group, _v2_quota)
        elif "cpu" in controllers.split(","):
            limits += _limits([root / controllers, root / "cpu"], group, _v1_quota)
    return min(limits) if limits else None


def _limits(mounts: list[Path], group: str, read: Callable[[Path], int | None]) -> list[int]:
    """The quotas ``read`` finds in ``group`` and its enclosing groups, under the first of
    ``mounts`` that is mounted."""
    for mount in mounts:
        if _exists(mount):
            return [n for d in _groups(mount, group) if (n := read(d)) is not None]
    return []


def _groups(mount: Path, group: str) -> Iterator[Path]:
    """The directory of ``group`` under ``mount``, then each enclosing one up to the mount."""
    here = mount / group.strip("/")
    while True:
        yield here
        if here == mount or mount not in here.parents:
            return
        here = here.parent


def _v2_quota(directory: Path) -> int | None:
    words = _read(directory / "cpu.max").split()
    if len(words) != 2 or words[0] == "max":
        return None
    return _ratio(words[0], words[1])


def _v1_quota(directory: Path) -> int | None:
    quota, period = _read(directory / "cpu.cfs_quota_us"), _read(directory / "cpu.cfs_period_us")
    return _ratio(quota.strip(), period.strip())


def _ratio(quota: str, period: str) -> int | None:
    try:
        q, p = int(quota), int(period)
    except ValueError:  # absent, "-1" is handled below, anything else is not a quota
        return None
    if q <= 0 or p <= 0:  # -1: no quota
        return None
    return max(1, -(-q // p))  # rounded up, in integers (a float overflows on a huge quota)


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("ascii", "replace")  # numbers, or "max"
    except OSError:
        return ""


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a directory that may not be searched (EACCES): as good as absent here
        return False
