"""Hostile records for the limits tests: ``hostile-records.yaml`` made into JSON Lines text, and a
strict JSON parser for every JSON output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

FIXTURE = Path(__file__).with_name("hostile-records.yaml")


def hostile_records() -> list[tuple[str, str, str | None]]:
    """``(name, line, code)`` of every fixture record: its JSON Lines text and expected code."""
    spec = yaml.safe_load(FIXTURE.read_text("utf-8"))
    out = []
    for item in spec["records"]:
        record: dict[str, Any] = {"event_id": item["name"], **spec["template"], **item.get("set", {})}
        raw = dict(item.get("raw", {}))
        if "nest" in item:
            raw["data"] = '{"x": ' + "[" * item["nest"] + "]" * item["nest"] + "}"
        for key in raw:
            record[key] = f"@@{key}@@"
        text = json.dumps(record, ensure_ascii=False)
        for key, value in raw.items():
            text = text.replace(json.dumps(f"@@{key}@@"), value)
        out.append((item["name"], text, item["code"]))
    return out


def write_hostile(path: Path) -> dict[int, tuple[str, str | None]]:
    """Write the fixture as a JSON Lines file at ``path``; ``{line: (name, code)}``."""
    records = hostile_records()
    path.write_text("".join(text + "\n" for _, text, _ in records), encoding="utf-8")
    return {i: (name, code) for i, (name, _, code) in enumerate(records, start=1)}


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def strict_json(text: str) -> Any:
    """``text`` parsed as strict JSON: NaN, Infinity and -Infinity raise ``ValueError``."""
    return json.loads(text, parse_constant=_refuse)


def strict_jsonl(text: str) -> list[Any]:
    """Every line of JSON Lines ``text``, parsed as strict JSON."""
    return [strict_json(line) for line in text.splitlines() if line.strip()]
