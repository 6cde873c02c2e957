"""Reading the checker's own YAML files (profiles, waivers) safely and with positions.

Every such file goes through :func:`checker.language.yamlsafe.load_yaml` (no tags, no
aliases, no duplicate keys) and then its JSON Schema, so that each problem is
reported at ``file:line:column``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .errors import Location, Problem
from .loader import display_path
from .schema import validate_document
from .yamlsafe import Document, load_yaml


def read_document(
    path: str | os.PathLike[str], schema_name: str, what: str
) -> tuple[Document | None, str, list[Problem]]:
    """Load ``path`` as YAML, check it against ``schemas/<schema_name>.schema.json``.

    Returns the document (None when there are problems), the file's SHA-256
    and the problems found. ``what`` names the kind of file in messages.
    """
    shown = display_path(Path(path))
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return None, "", [Problem(Location(shown), "io", f"cannot read the {what}: {exc.strerror}")]
    sha = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, sha, [Problem(Location(shown), "encoding", f"the {what} is not UTF-8: {exc}")]
    doc, problems = load_yaml(text, shown)
    if doc is None:
        return None, sha, problems
    if not isinstance(doc.data, dict):
        return None, sha, [Problem(doc.location(()), "schema", f"a {what} holds one mapping")]
    problems = validate_document(doc, schema_name)
    return (None if problems else doc), sha, problems
