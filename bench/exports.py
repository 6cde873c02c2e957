"""The generated events in the other forms the benchmark times, event for event.

* ``events.csv``: canonical CSV (a header of canonical field names, dotted for nested ones, as
  docs/inputs-and-outputs.md describes), UTF-8;
* ``events-gb18030.csv``: a platform-style export, CSV in GB18030 with Chinese headers, times as
  Beijing wall-clock text, read through the profile ``generated-gb18030.yaml`` this module
  writes beside it (the data columns and their types depend on the generated events).

Both hold the same events as ``events.jsonl``: the benchmark compares their times with the JSON
Lines run. Written once per dataset, beside it.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

TOP = ("event_id", "timestamp", "platform", "seller_id", "action", "actor", "subject.type", "subject.id")
CHINESE = {
    "event_id": "记录ID",
    "timestamp": "操作时间",
    "platform": "平台",
    "seller_id": "商家ID",
    "action": "操作类型",
    "actor": "操作方",
    "subject.type": "对象类型",
    "subject.id": "对象ID",
}
TZ = ZoneInfo("Asia/Shanghai")
WALL = "%Y-%m-%d %H:%M:%S.%f"


def _instant(value: Any) -> datetime:
    """The instant a generated timestamp names (RFC 3339 text, with or without an offset, or epoch
    milliseconds or seconds)."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000 if abs(value) >= 10**11 else value, UTC)
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    # an offset-less time is in the run's timezone (the checker's default), not the machine's
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=TZ)


def _data_types(source: Path) -> dict[str, str]:
    """Every data key of ``source`` and the profile type that reads its values back."""
    seen: dict[str, set[str]] = {}
    with open(source, encoding="utf-8") as fh:
        for line in fh:
            for key, value in (json.loads(line).get("data") or {}).items():
                kind = (
                    "boolean"
                    if isinstance(value, bool)
                    else "integer"
                    if isinstance(value, int)
                    else "number"
                    if isinstance(value, float)
                    else "string"
                )
                seen.setdefault(key, set()).add(kind)
    out = {}
    for key, kinds in sorted(seen.items()):
        out[key] = (
            # mixed kinds (an instant given as text or as epoch milliseconds): cells hold JSON
            kinds.pop() if len(kinds) == 1 else "number" if kinds <= {"integer", "number"} else "json"
        )
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def write_exports(source: Path) -> tuple[Path, Path, Path]:
    """Write ``events.csv``, ``events-gb18030.csv`` and its profile beside ``source`` (once)."""
    canonical = source.with_name("events.csv")
    chinese = source.with_name("events-gb18030.csv")
    profile = source.with_name("generated-gb18030.yaml")
    if canonical.exists() and chinese.exists() and profile.exists():
        return canonical, chinese, profile
    types = _data_types(source)
    data_columns = [f"data.{k}" for k in types]
    with (
        open(source, encoding="utf-8") as src,
        open(canonical, "w", encoding="utf-8", newline="") as plain_fh,
        open(chinese, "w", encoding="gb18030", newline="") as zh_fh,
    ):
        plain, zh = csv.writer(plain_fh, lineterminator="\n"), csv.writer(zh_fh, lineterminator="\n")
        plain.writerow([*TOP, *data_columns])
        zh.writerow([*(CHINESE[k] for k in TOP), *(f"数据.{k}" for k in types)])
        for line in src:
            record = json.loads(line)
            subject = record.get("subject") or {}
            data = record.get("data") or {}
            top = [
                record["event_id"],
                _cell(record["timestamp"]),
                record["platform"],
                record["seller_id"],
                record["action"],
                _cell(record.get("actor")),
                _cell(subject.get("type")),
                _cell(subject.get("id")),
            ]
            plain.writerow([*top, *(_cell(data.get(k)) for k in types)])
            top[1] = _instant(record["timestamp"]).astimezone(TZ).strftime(WALL)
            zh.writerow(
                [
                    *top,
                    *(
                        json.dumps(data[k], ensure_ascii=False)
                        if t == "json" and k in data
                        else _cell(data.get(k))
                        for k, t in types.items()
                    ),
                ]
            )
    document = {
        "profile": "generated-gb18030",
        "description": "the benchmark's generated events as a GB18030 CSV with Chinese headers",
        "input": {"format": "csv", "encoding": "gb18030"},
        "timezone": "Asia/Shanghai",
        "fields": {
            "event_id": CHINESE["event_id"],
            "timestamp": {"column": CHINESE["timestamp"], "format": WALL},
            "platform": CHINESE["platform"],
            "seller_id": CHINESE["seller_id"],
            "action": CHINESE["action"],
            "actor": CHINESE["actor"],
            "subject.type": CHINESE["subject.type"],
            "subject.id": CHINESE["subject.id"],
        },
        "data": {k: {"column": f"数据.{k}", "type": t} for k, t in types.items()},
    }
    profile.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return canonical, chinese, profile
