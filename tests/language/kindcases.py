"""Policies built from the lookup-kind registry, for tests that must cover every kind."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import checker
from checker.language.kinds import LOOKUP_KINDS, LookupKind
from checker.language.policy import Policy

#: the action every lookup of these policies reads, and the field ``of`` keys add up
LOOKED_UP = "order.refunded"
AMOUNT = "data.amount"

_POLICY = """\
id: demo.kinds
version: 1.0.0
title: {{en: Every lookup kind, zh: 每种查找}}
message: {{en: {message}, zh: "演示"}}
platform: aliexpress
severity: low
source: {{document: demo.txt, quote: demo}}
timezone: Asia/Shanghai
correlate_by: [seller_id]
on: {{action: order.completed}}
let:
{let}
violation_if: {violation_if}
"""


def binding_of(kind: LookupKind, **extra: str) -> dict[str, str]:
    """A binding of ``kind`` as the registry declares it: its actions and every key it requires."""
    return {kind.name: LOOKED_UP, **{key: AMOUNT for key in kind.requires}, **extra}


def every_kind() -> dict[str, dict[str, str]]:
    """One binding per registered lookup kind, named ``x_<kind>``, each before the trigger."""
    return {f"x_{name}": binding_of(kind, before="trigger") for name, kind in LOOKUP_KINDS.items()}


def write_policy(
    directory: Path,
    bindings: Mapping[str, Mapping[str, str]],
    *,
    message: str = "demo",
    violation_if: str = "`false`",
) -> Path:
    """A policy file in ``directory`` whose ``let`` holds ``bindings`` (in order), with the given
    English message template and violation condition."""
    let = "\n".join(f"  {name}: {json.dumps(dict(spec))}" for name, spec in bindings.items())
    text = _POLICY.format(let=let, message=json.dumps(message), violation_if=json.dumps(violation_if))
    path = directory / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load(directory: Path, bindings: Mapping[str, Mapping[str, str]], **texts: str) -> checker.PolicySet:
    """The policy set of :func:`write_policy`'s file (problems included, not raised)."""
    return checker.load_policies([write_policy(directory, bindings, **texts)])


def load_policy(directory: Path, bindings: Mapping[str, Mapping[str, str]], **texts: str) -> Policy:
    """The one policy of :func:`write_policy`'s file; it must load without problems."""
    loaded = load(directory, bindings, **texts)
    assert not loaded.problems, "\n".join(str(p) for p in loaded.problems)
    (policy,) = loaded.policies
    return policy
