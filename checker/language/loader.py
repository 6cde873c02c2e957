"""Finding, validating and loading a pack of policies, in layers.

1. safe YAML with positions (:mod:`checker.language.yamlsafe`);
2. JSON Schema, errors mapped to ``file:line:column`` (:mod:`checker.language.schema`);
   and no line break YAML folds into a space between Chinese characters
   (:mod:`checker.language.folding`);
3. semantics on the built model (:func:`checker.language.policy.build_policy`):
   expressions compile, durations parse, names and parameters exist; then types
   (:mod:`checker.language.typecheck`): no value where it can never fit;
4. across files: one (id, version) once, versions of an id in windows that
   do not overlap.

Every problem of every file is collected; nothing stops at the first.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import Location, Problem
from .folding import folded_cjk_spaces
from .policy import Policy, build_policy
from .schema import validate_document
from .typecheck import check_policy_types
from .yamlsafe import load_yaml

MANIFEST_NAME = "pack.yaml"
TESTS_SUFFIX = ".tests.yaml"
#: package data the wheel carries: ``policies/`` (the pack), ``profiles/``, ``ci/policy-check.sh``
#: (symlinks to the repository's top-level copies in a checkout)
DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def bundled_pack_path() -> Path:
    """The policy pack installed with the package (the repository's ``policies/``)."""
    return DATA_DIR / "policies"


@dataclass(frozen=True)
class Pack:
    """What a run checked against: the pack's name and revision, and a hash of its files."""

    name: str
    revision: str
    content_hash: str
    files: tuple[tuple[str, str], ...]  # (path, sha256) of every policy file run


@dataclass(frozen=True)
class PolicySet:
    """Loaded policies (sorted by id, then version) with their pack and any problems."""

    policies: tuple[Policy, ...]
    pack: Pack
    problems: tuple[Problem, ...]

    def by_id(self, rule_id: str) -> tuple[Policy, ...]:
        """Every version of one rule."""
        return tuple(p for p in self.policies if p.id == rule_id)


def _yaml_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        else:
            found.append(path)
    return sorted(set(found))


def policy_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Policy files under ``paths``: YAML files but manifests and test files."""
    return [p for p in _yaml_files(paths) if p.name != MANIFEST_NAME and not p.name.endswith(TESTS_SUFFIX)]


def test_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Policy test files (``*.tests.yaml``) under ``paths``."""
    return [p for p in _yaml_files(paths) if p.name.endswith(TESTS_SUFFIX)]


def display_path(path: Path) -> str:
    """A path as users typed it: relative to the working directory when under it."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:
        return str(path)


def load_policy_file(path: Path) -> tuple[Policy | None, list[Problem]]:
    """Load and validate one policy file through all per-file layers."""
    shown = display_path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(Location(shown), "io", f"cannot read: {exc.strerror}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(Location(shown), "encoding", f"not UTF-8: {exc}")]
    doc, problems = load_yaml(text, shown)
    if doc is None:
        return None, problems
    if not isinstance(doc.data, dict):
        return None, [Problem(doc.location(()), "schema", "a policy file holds one mapping")]
    # a line break folded into a space between Chinese characters is an error like any other:
    # the text as written does not render as the author meant
    problems = validate_document(doc, "policy") + folded_cjk_spaces(text, shown)
    if problems:
        return None, problems
    policy, problems = build_policy(doc, hashlib.sha256(raw).hexdigest())
    if policy is not None:  # types are inferred over expressions that compile and names that exist
        problems = check_policy_types(doc)
    return (None, problems) if problems else (policy, [])


def _manifest(paths: Sequence[str | os.PathLike[str]]) -> tuple[str, str, list[Problem]]:
    for raw in paths:
        path = Path(raw)
        candidate = path / MANIFEST_NAME if path.is_dir() else path.parent / MANIFEST_NAME
        if candidate.is_file():
            doc, problems = load_yaml(candidate.read_text("utf-8"), display_path(candidate))
            if doc is None:
                return "", "", problems
            problems = validate_document(doc, "pack")
            if problems:
                return "", "", problems
            return str(doc.data["name"]), str(doc.data["revision"]), []
    return "unnamed", "unversioned", []


def load_policies(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> PolicySet:
    """Load every policy under ``paths`` (files or directories, or one of them); collect every
    problem."""
    if isinstance(paths, str | os.PathLike):  # one path, not a sequence of its characters
        paths = [paths]
    policies: list[Policy] = []
    problems: list[Problem] = []
    missing = {Path(raw) for raw in paths if not Path(raw).exists()}
    for raw in paths:
        if Path(raw) in missing:
            problems.append(Problem(Location(str(raw)), "io", "no such file or directory"))
    files = [path for path in policy_files(paths) if path not in missing]  # reported once, above
    if not files and not problems:
        problems.append(
            Problem(Location(", ".join(str(p) for p in paths)), "io", "no policy files (*.yaml) found")
        )
    for path in files:
        policy, found = load_policy_file(path)
        problems.extend(found)
        if policy is not None:
            policies.append(policy)
    problems.extend(_cross_checks(policies))
    name, revision, manifest_problems = _manifest(paths)
    problems.extend(manifest_problems)
    policies.sort(key=lambda p: (p.id, _semver_key(p.version)))
    # paths relative to the pack's root, so the hash is the same from any working directory
    root = Path(os.path.commonpath([Path(p.file).resolve().parent for p in policies])) if policies else None
    hashes = tuple(
        sorted(
            (Path(p.file).resolve().relative_to(root).as_posix() if root else p.file, p.sha256)
            for p in policies
        )
    )
    digest = hashlib.sha256("".join(f"{f}\0{h}\n" for f, h in hashes).encode()).hexdigest()
    return PolicySet(tuple(policies), Pack(name, revision, digest, hashes), tuple(sorted(set(problems))))


def _semver_key(version: str) -> tuple[int, ...]:
    core = version.split("-", 1)[0]
    return tuple(int(x) for x in core.split("."))


def _cross_checks(policies: list[Policy]) -> list[Problem]:
    problems: list[Problem] = []
    by_id: dict[str, list[Policy]] = defaultdict(list)
    for p in policies:
        by_id[p.id].append(p)
    for rule_id, versions in by_id.items():
        seen: dict[str, Policy] = {}
        for p in sorted(versions, key=lambda p: p.file):
            if p.version in seen:
                problems.append(
                    Problem(
                        p.location("version"),
                        "duplicate-id",
                        f"{rule_id} version {p.version} is also defined in {seen[p.version].file}",
                    )
                )
            seen[p.version] = p
        ordered = sorted(seen.values(), key=lambda p: p.effective_from or -(2**63))
        for a, b in itertools.pairwise(ordered):
            a_end = a.effective_until if a.effective_until is not None else 2**63
            b_start = b.effective_from if b.effective_from is not None else -(2**63)
            if b_start < a_end:
                problems.append(
                    Problem(
                        b.location("effective_from"),
                        "overlapping-versions",
                        f"{rule_id} {b.version} takes effect before {a.version} ({a.file}) ends: "
                        "give the older version an effective_until at or before this "
                        "version's effective_from",
                    )
                )
    return problems
