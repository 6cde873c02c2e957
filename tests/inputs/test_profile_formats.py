"""The profile schema names exactly the formats the readers read (a new reader needs both)."""

from __future__ import annotations

import json

from checker.inputs.readers import READERS
from tests.conftest import ROOT


def test_the_profile_schema_lists_every_reader() -> None:
    schema = json.loads((ROOT / "schemas" / "profile.schema.json").read_text(encoding="utf-8"))
    listed = schema["properties"]["input"]["properties"]["format"]["enum"]
    assert sorted(listed) == sorted(READERS)
