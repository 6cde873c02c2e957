"""Inputs: files, directories and globs; salted files lose nothing; the rejects file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import checker
from checker.inputs.files import expand, fetched_copies, local_path, write_rejects
from checker.language.errors import CheckerError
from tests.conftest import ROOT

TWIN = ROOT / "examples" / "exports" / "kuaishou" / "kuaishou.canonical.jsonl"
KUAISHOU_PROFILE = ROOT / "profiles" / "kuaishou-distribution.yaml"
KUAISHOU_CSV = sorted((ROOT / "examples" / "exports" / "kuaishou").glob("*.csv"))[0]


def test_expand_files_directories_globs_and_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("a/x.jsonl", "a/b/y.csv.gz", "a/notes.txt", "a/.hidden/z.jsonl", "c.json"):
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text("", "utf-8")
    assert expand(["c.json", "a", "-", "./c.json"]) == ["-", "a/b/y.csv.gz", "a/x.jsonl", "c.json"]
    assert expand(["**/*.jsonl"]) == ["a/x.jsonl"]
    with pytest.raises(CheckerError) as info:
        expand(["missing.jsonl", "*.parquet", "a/notes.txt/.."])
    assert [(p.location.file, p.code) for p in info.value.problems] == [
        ("missing.jsonl", "no-input"),
        ("*.parquet", "no-input"),
        ("a/notes.txt/..", "no-input"),
    ]


def test_a_uri_is_an_input_once_an_engine_fetched_it(tmp_path: Path) -> None:
    """A URI (``s3a://...``) names no local file: only a run that fetched it (the Spark engine,
    through Spark's file systems) reads it, from its copy, under its own name."""
    uri = "s3a://exports/2026-11/week 1.jsonl"
    with pytest.raises(CheckerError) as info:
        expand([uri, "hdfs://nn:8020/x.jsonl"])
    assert [(p.location.file, p.code) for p in info.value.problems] == [
        (uri, "no-input"),
        ("hdfs://nn:8020/x.jsonl", "no-input"),
    ]
    assert "read by --engine spark" in info.value.problems[0].message
    copy = tmp_path / "week 1.jsonl"
    copy.write_bytes(TWIN.read_bytes())
    with fetched_copies({uri: str(copy)}):
        assert expand([uri, uri]) == [uri]
        assert local_path(uri) == str(copy)
        batch = checker.read_events([uri])
    assert local_path(uri) == uri
    assert {s.file for s in batch.inputs} == {uri} and batch.totals()["accepted"] > 0
    assert batch.totals() == checker.read_events([copy]).totals()
    # a file:// URI of this machine is the path it names, on any engine
    assert expand([copy.as_uri(), f"file://localhost{copy}"]) == [str(copy)]


def test_the_result_does_not_depend_on_the_order_inputs_are_given(
    tmp_path: Path, policy_set: checker.PolicySet
) -> None:
    lines = TWIN.read_text("utf-8").splitlines(keepends=True)
    (tmp_path / "a.jsonl").write_text("".join(lines[:200]), "utf-8")
    (tmp_path / "b.jsonl").write_text("".join(lines[150:]), "utf-8")
    docs = []
    for order in (["a.jsonl", "b.jsonl"], ["b.jsonl", "a.jsonl"]):
        batch = checker.read_events([tmp_path / n for n in order])
        docs.append(json.dumps(checker.check(policy_set, batch).to_dict(), sort_keys=True))
    assert docs[0] == docs[1]


# --- a JSON Lines file salted with malformed lines ----------------------------------------------


def _salts(twin: list[str]) -> list[tuple[bytes, str | None]]:
    """(line, expected rejection code or None when it is not rejected on its own)."""
    first = json.loads(twin[9])
    conflicting = dict(first, actor="platform")
    unknown = dict(first, event_id="new-1", action="distribution.something_new")
    return [
        (b"{not json", "bad-json"),
        (
            json.dumps({k: v for k, v in first.items() if k != "seller_id"} | {"event_id": "m1"}).encode(),
            "invalid-event",
        ),
        (
            json.dumps(first | {"event_id": "t1", "timestamp": "2024-02-30T10:00:00"}).encode(),
            "bad-timestamp",
        ),
        (json.dumps(first | {"event_id": "w1", "seller_id": 123}).encode(), "invalid-event"),
        (b"[1, 2]", "invalid-event"),
        (b"\xff\xfe{}", "encoding"),
        (twin[4].rstrip("\n").encode(), None),  # an exact duplicate of line 5
        (json.dumps(conflicting, ensure_ascii=False).encode(), "conflict"),
        (json.dumps(unknown, ensure_ascii=False).encode(), None),  # unknown actions are kept
    ]


def test_a_salted_file_loses_nothing(tmp_path: Path, policy_set: checker.PolicySet) -> None:
    twin = TWIN.read_text("utf-8").splitlines(keepends=True)
    salts = _salts(twin)
    lines: list[bytes] = [t.encode() for t in twin]
    expected: dict[int, str] = {}
    for i, (salt, _) in enumerate(salts):
        at = 20 + i * 37
        lines.insert(at, salt + b"\n")
        lines.insert(at, b"   \n")  # blank lines are not records
    for number, raw in enumerate(lines, start=1):
        for salt, code in salts:
            if raw == salt + b"\n" and code:
                expected[number] = code
    conflict_id = json.loads(twin[9])["event_id"]
    expected[next(n for n, raw in enumerate(lines, 1) if raw == twin[9].encode())] = "conflict"
    path = tmp_path / "salted.jsonl"
    path.write_bytes(b"".join(lines))

    batch = checker.read_events([path])
    totals = batch.totals()
    assert totals["read"] == len(twin) + len(salts)
    assert totals["read"] == totals["accepted"] + totals["duplicates"] + totals["rejected"]
    assert totals["duplicates"] == 1
    assert totals["accepted"] == len(twin) - 1 + 1  # the conflicted event out, the unknown action in
    assert {r.line: r.code for r in batch.rejected} == expected
    assert batch.actions["distribution.something_new"] == 1
    conflicts = [r for r in batch.rejected if r.code == "conflict"]
    assert all(conflict_id in r.reason and "salted.jsonl:" in r.reason for r in conflicts)

    out = io.StringIO()
    assert write_rejects(batch, out) == len(expected)
    texts = {json.loads(line)["line"]: json.loads(line)["text"] for line in out.getvalue().splitlines()}
    for number, code in expected.items():
        original = lines[number - 1].decode("utf-8", "replace").rstrip("\n")
        assert texts[number] == original or (code == "encoding" and texts[number] == "\\xff\\xfe{}")

    # the findings are those of the clean twin without the conflicted event
    clean = [json.loads(t) for t in twin if json.loads(t)["event_id"] != conflict_id]
    expected_findings = checker.check(policy_set, checker.events_from_records(clean)).findings
    assert [f.fingerprint for f in checker.check(policy_set, batch).findings] == [
        f.fingerprint for f in expected_findings
    ]


# --- a GBK CSV export salted with bad rows ------------------------------------------------------

CSV_SALTS = [
    ("k-short,2024/03/01 10:00:00,s1", "bad-row"),
    ("k-label,2024/03/01 10:00:00,s1,e1,修改佣金,商家,,,,,,,,,,,", "unmapped-value"),
    ("k-time,2024/13/01 10:00:00,s1,e1,取消推广,商家,,,,,,,,,,,", "bad-timestamp"),
    ("k-rate,2024/03/01 10:00:00,s1,e1,报名推广,商家,L1,I1,百分之二十,,,,,,,,", "bad-value"),
    ("k-seller,2024/03/01 10:00:00,,e1,取消推广,商家,,,,,,,,,,,", "missing-field"),
    ('k-quote,"2024/03/01 10:00:00,s1,e1,取消推广,商家,,,,,,,,,,,', "bad-row"),
]


def test_a_salted_gbk_export_loses_nothing(tmp_path: Path) -> None:
    rows = KUAISHOU_CSV.read_bytes().split(b"\r\n")
    body = [r for r in rows[1:] if r]
    salted = [rows[0]]
    expected = {}
    for i, row in enumerate(body):
        salted.append(row)
        if i % 25 == 3 and i // 25 < len(CSV_SALTS):
            text, code = CSV_SALTS[i // 25]
            salted.append(text.encode("gbk"))
            expected[len(salted)] = code
    salted.append(b"k-bytes,2024/03/01 10:00:00,\xff\xff,e1,,,,,,,,,,,,,")
    expected[len(salted)] = "encoding"
    path = tmp_path / "kuaishou-distribution-salted.csv"
    path.write_bytes(b"\r\n".join(salted) + b"\r\n")

    batch = checker.read_events([path], profiles=KUAISHOU_PROFILE)
    totals = batch.totals()
    assert totals == {
        "read": len(body) + len(CSV_SALTS) + 1,
        "accepted": len(body),
        "duplicates": 0,
        "rejected": len(CSV_SALTS) + 1,
    }
    assert {r.line: r.code for r in batch.rejected} == expected
    reasons = {r.code: r.reason for r in batch.rejected}
    assert "'修改佣金' is not in the profile's map" in reasons["unmapped-value"]
    assert "column 佣金比例 (data.commission_rate)" in reasons["bad-value"]
    assert "column 商家ID (seller_id) is empty" in reasons["missing-field"]
    assert "not valid gb18030" in reasons["encoding"]
