"""``checker pack``: the policy pack installed with the checker.

The wheel carries the pack (the repository's ``policies/``), the field-mapping
profiles (``profiles/``) and the CI script (``ci/policy-check.sh``) as package
data under ``checker/data/`` (symlinks to the top-level copies in a checkout).
``checker check`` and the other commands run that pack when there is no
``./policies`` folder; ``checker pack`` shows it (``list``), copies it for teams
that keep their own (``copy``) and prints where its files are (``path``), which
is how the CI templates find the script and the profiles of an installed checker.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import IO

from ..language.loader import DATA_DIR, bundled_pack_path, load_policies
from .common import EXIT_ERROR, EXIT_OK, Subparsers, UsageError, print_problems

#: what ``checker pack path`` prints: the installed files, by name
DATA_PATHS = {
    "policies": Path("policies"),
    "profiles": Path("profiles"),
    "ci-script": Path("ci") / "policy-check.sh",
}


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``pack`` subcommand (``list``, ``copy``, ``path``) to ``checker``'s subparsers."""
    p = subparsers.add_parser(
        "pack",
        help="the policy pack installed with the checker: list, copy, path",
        description="The policy pack installed with the checker, which every command runs when "
        "there is no ./policies folder and no policies are named. Exit 0: done; 2: a usage error, "
        "an invalid pack or files that would be overwritten.",
    )
    sub = p.add_subparsers(dest="pack_command", required=True, metavar="{list,copy,path}")
    sub.add_parser(
        "list",
        help="the bundled pack's name, revision and rule versions",
        description="Print the bundled pack's name, revision and folder, then every rule version "
        "with its severity and platform. Exit 0: listed; 2: the installed pack is invalid.",
    )
    cp = sub.add_parser(
        "copy",
        help="copy the bundled policies and their tests to a folder",
        description="Copy the bundled pack (pack.yaml, every policy and its *.tests.yaml) to DIR, "
        "keeping its layout, for a team that keeps its own policies: run them with "
        "'--policies DIR'. Existing files are not overwritten without --force. Exit 0: copied; "
        "2: a file exists (nothing is copied) or cannot be written.",
    )
    cp.add_argument("dir", metavar="DIR", help="the folder to copy to (created if missing)")
    cp.add_argument("--force", action="store_true", help="overwrite files that already exist in DIR")
    pa = sub.add_parser(
        "path",
        help="print where an installed file is (the CI script, profiles, policies)",
        description="Print the path of the installed policies folder, profiles folder or CI "
        'script, e.g. sh "$(checker pack path ci-script)" exports/. Exit 0: printed; 2: the '
        "file is missing from the installation.",
    )
    pa.add_argument(
        "what",
        nargs="?",
        choices=tuple(DATA_PATHS),
        default="policies",
        help="which file or folder (default: policies)",
    )
    return p


def cmd_pack(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    """Run ``checker pack list|copy|path``."""
    if args.pack_command == "list":
        return _list(stdout, stderr)
    if args.pack_command == "copy":
        return _copy(Path(args.dir), args.force, stdout, stderr)
    return _path(args.what, stdout, stderr)


def _list(stdout: IO[str], stderr: IO[str]) -> int:
    folder = bundled_pack_path()
    policy_set = load_policies([folder])
    if policy_set.problems:
        print_problems(policy_set.problems, stderr)
        return EXIT_ERROR
    pack = policy_set.pack
    rules = {p.id for p in policy_set.policies}
    print(f"{pack.name}@{pack.revision} ({folder})", file=stdout)
    print(f"{len(rules)} rules, {len(policy_set.policies)} rule versions", file=stdout)
    width = max(len(p.id) for p in policy_set.policies)
    for policy in policy_set.policies:
        print(
            f"  {policy.id:<{width}}  {policy.version:<8} {policy.severity:<8} {policy.platform}", file=stdout
        )
    return EXIT_OK


def _copy(target: Path, force: bool, stdout: IO[str], stderr: IO[str]) -> int:
    source = bundled_pack_path()
    files = sorted(p for p in source.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml"))
    if not files:
        print(f"checker pack copy: no pack installed at {source}", file=stderr)
        return EXIT_ERROR
    if target.exists() and not target.is_dir():
        raise UsageError(f"checker pack copy: {target} exists and is not a folder")
    relative = [p.relative_to(source) for p in files]
    existing = [r for r in relative if (target / r).exists()]
    if existing and not force:
        for r in existing:
            print(f"{target / r}: exists", file=stderr)
        print(
            f"checker pack copy: {len(existing)} file(s) exist in {target}; nothing copied "
            "(--force overwrites them)",
            file=stderr,
        )
        return EXIT_ERROR
    for src, rel in zip(files, relative, strict=True):
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target / rel)
    print(f"copied {len(files)} files of the bundled pack to {target}", file=stdout)
    return EXIT_OK


def _path(what: str, stdout: IO[str], stderr: IO[str]) -> int:
    path = DATA_DIR / DATA_PATHS[what]
    if not path.exists():
        print(f"checker pack path: {path} is missing from this installation", file=stderr)
        return EXIT_ERROR
    print(path, file=stdout)
    return EXIT_OK
