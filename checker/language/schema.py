"""JSON Schema validation whose errors point at YAML lines.

The schemas in ``schemas/`` are normative. Validation collects every error
(python-jsonschema's ``iter_errors``), maps each to the YAML node it is about,
and rewrites the few messages that read badly (unknown keys, which binding
kind was meant) into what the user should change.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .errors import Location, Problem
from .yamlsafe import Document, Path, json_path


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A schema shipped in ``schemas/`` (``policy``, ``event``, ``result``...)."""
    text = resources.files("checker").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def validator(name: str) -> Draft202012Validator:
    """A compiled validator for a shipped schema, with format checks on."""
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def validate_document(doc: Document, schema_name: str) -> list[Problem]:
    """Every schema error of ``doc`` as a located :class:`Problem`, in file order."""
    problems: list[Problem] = []
    for error in validator(schema_name).iter_errors(doc.data):
        problems.extend(_explain(doc, error))
    return sorted(set(problems))


def _explain(doc: Document, error: ValidationError) -> list[Problem]:
    path: Path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(_schema(error).get("properties", {}))
        out = []
        for key in sorted(set(error.instance) - allowed):
            hint = difflib.get_close_matches(key, sorted(allowed), n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            out.append(
                Problem(
                    doc.location((*path, key), key=True),
                    "unknown-key",
                    f"unknown key {key!r}{suggestion}; allowed here: {', '.join(sorted(allowed))}",
                )
            )
        return out
    if error.validator == "oneOf" and error.context:
        return _explain_one_of(doc, error, path)
    if error.validator == "required":
        return [Problem(doc.location(path), "schema", f"{_where(path)}{error.message}")]
    if error.validator == "not" and "description" in _schema(error):
        # a rule refusing keys given together (a window's ``after`` and ``at_or_after``): its
        # description says what to change; the location is the last of those keys
        refused = error.validator_value
        keys = (
            [k for k in refused.get("required", []) if isinstance(k, str)]
            if isinstance(refused, dict)
            else []
        )
        at = (*path, keys[-1]) if keys and isinstance(error.instance, dict) else path
        message = f"{_where(path)}{_schema(error)['description']}"
        return [Problem(doc.location(at, key=at != path), "conflicting-keys", message)]
    return [Problem(doc.location(path), "schema", f"{_where(path)}{_short(error)}")]


def _explain_one_of(doc: Document, error: ValidationError, path: Path) -> list[Problem]:
    """Pick the branch the author meant (the one whose required key is present)."""
    instance = error.instance
    branches: dict[int | str, list[ValidationError]] = {}  # keyed by the branch's index in oneOf
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    if isinstance(instance, dict):
        options = _schema(error).get("oneOf", [])
        meant = [
            i
            for i, branch in enumerate(options)
            if any(key in instance for key in branch.get("required", [])[:1])
        ]
        if len(meant) == 1:
            out: list[Problem] = []
            for sub in branches.get(meant[0], []):
                out.extend(_explain(doc, sub))
            return out
        kinds = [b.get("required", ["?"])[0] for b in options if b.get("required")]
        if len(meant) > 1:
            # ``meant`` indexes every branch, ``kinds`` only those with a required key
            found = ", ".join(options[i]["required"][0] for i in meant)
            return [
                Problem(
                    doc.location(path),
                    "schema",
                    f"{_where(path)}give exactly one of {', '.join(kinds)}; found {found}",
                )
            ]
        return [
            Problem(doc.location(path), "schema", f"{_where(path)}needs one of the keys {', '.join(kinds)}")
        ]
    best = min(branches.values(), key=len)
    out = []
    for sub in best:
        out.extend(_explain(doc, sub))
    return out


def _schema(error: ValidationError) -> Mapping[str, Any]:
    """The (sub)schema whose keyword failed: an object for every keyword explained here."""
    return error.schema if isinstance(error.schema, Mapping) else {}


def _where(path: Path) -> str:
    return f"{json_path(path)}: " if path else ""


def _short(error: ValidationError) -> str:
    text = error.message
    return text if len(text) <= 200 else text[:197] + "..."


def validate_record(record: Any, schema_name: str, file: str, line: int) -> list[Problem]:
    """Schema errors of one input record (events, profiles' rows) at ``file:line``."""
    problems = []
    for error in validator(schema_name).iter_errors(record):
        path = json_path(tuple(error.absolute_path))
        problems.append(Problem(Location(file, line, 0, path), "schema", f"{path}: {_short(error)}"))
    return sorted(problems)
