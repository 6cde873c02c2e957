"""The command line: exit codes, formats, and error output, through cli.run with captured streams."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from checker.language.schema import load_schema
from tests.conftest import FIXTURES, POLICIES, run_cli

EVENTS = [
    {
        "event_id": "j1",
        "timestamp": "2024-03-01T10:00:00+08:00",
        "platform": "aliexpress",
        "seller_id": "s1",
        "action": "affiliate.joined",
    },
    {
        "event_id": "x1",
        "timestamp": "2024-03-10T10:00:00+08:00",
        "platform": "aliexpress",
        "seller_id": "s1",
        "action": "affiliate.exit_requested",
    },
    {
        "event_id": "j2",
        "timestamp": "2024-03-01T10:00:00+08:00",
        "platform": "aliexpress",
        "seller_id": "s2",
        "action": "affiliate.joined",
    },
    {
        "event_id": "x2",
        "timestamp": "2024-03-16T10:00:00+08:00",
        "platform": "aliexpress",
        "seller_id": "s2",
        "action": "affiliate.exit_requested",
    },
]


_cli = run_cli


@pytest.fixture()
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in EVENTS), "utf-8")
    return path


def test_check_exits_1_on_violations_and_the_json_follows_its_schema(export: Path) -> None:
    code, out, _ = _cli(
        "check", str(export), "--policies", str(POLICIES), "--format", "json", "--all-outcomes"
    )
    assert code == 1
    doc = json.loads(out)
    jsonschema.validate(doc, load_schema("result"), format_checker=jsonschema.FormatChecker())
    assert [(f["rule_id"], f["event_id"]) for f in doc["findings"]] == [
        ("aliexpress.affiliate.early-exit", "x1")
    ]
    assert doc["inputs"]["totals"] == {"read": 4, "accepted": 4, "duplicates": 0, "rejected": 0}
    assert [(o["event_id"], o["outcome"]) for o in doc["other_outcomes"]] == [("x2", "pass")]
    assert doc["as_of"] == "2024-03-16T10:00:00+08:00"
    assert len(doc["policies"]) == 15 and doc["pack"]["revision"]


def test_check_exits_0_without_violations(export: Path) -> None:
    code, out, _ = _cli(
        "check", str(export), "--policies", str(POLICIES), "--as-of", "2024-03-05T00:00:00+08:00"
    )
    assert code == 0
    assert "0 violation(s)" in out


def test_json_output_is_byte_identical_whatever_the_input_order(export: Path, tmp_path: Path) -> None:
    reversed_export = tmp_path / "reversed.jsonl"
    reversed_export.write_text("".join(json.dumps(e) + "\n" for e in reversed(EVENTS)), "utf-8")
    _, a, _ = _cli("check", str(export), "--policies", str(POLICIES), "--format", "json")
    _, b, _ = _cli("check", str(reversed_export), "--policies", str(POLICIES), "--format", "json")
    strip = lambda text: json.loads(text) | {"inputs": None}  # noqa: E731 - file names differ
    assert strip(a) == strip(b)


def test_text_report_neutralises_terminal_escapes(tmp_path: Path) -> None:
    evil = [dict(EVENTS[0], seller_id="s\x1b[31mred"), dict(EVENTS[1], seller_id="s\x1b[31mred")]
    path = tmp_path / "evil.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in evil), "utf-8")
    code, out, _ = _cli("check", str(path), "--policies", str(POLICIES))
    assert code == 1
    assert "\x1b" not in out and "s\\x1b[31mred" in out


def test_output_file_and_lang(export: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    code, out, _ = _cli("check", str(export), "--policies", str(POLICIES), "-o", str(target), "--lang", "zh")
    assert code == 1 and out == ""
    assert "商家 s1" in target.read_text("utf-8")


def test_param_override_from_the_command_line(export: Path) -> None:
    code, out, _ = _cli(
        "check",
        str(export),
        "--policies",
        str(POLICIES),
        "--format",
        "json",
        "--param",
        "aliexpress.affiliate.early-exit.min_membership=P20D",
    )
    assert code == 1
    assert len(json.loads(out)["findings"]) == 2
    code, _, err = _cli(
        "check",
        str(export),
        "--policies",
        str(POLICIES),
        "--param",
        "aliexpress.affiliate.early-exit.min_membership=soon",
    )
    assert code == 2 and "ISO 8601" in err


@pytest.mark.parametrize(
    "engine", [("--parts", "0"), ("--parts", "2"), ("--engine", "duckdb")], ids=["memory", "parts", "duckdb"]
)
def test_param_override_of_a_rule_with_versions(tmp_path: Path, engine: tuple[str, ...]) -> None:
    """Each version keeps its own defaults and takes the override; the override is checked
    against each version's declaration, whichever engine runs."""
    export = tmp_path / "export.jsonl"
    export.write_text(
        "".join(
            json.dumps({**e, "platform": "shop", "seller_id": "s1"}) + "\n"
            for e in [
                {"event_id": "j1", "timestamp": "2024-03-01T10:00:00+08:00", "action": "membership.joined"},
                {
                    "event_id": "x1",
                    "timestamp": "2024-03-21T10:00:00+08:00",
                    "action": "membership.exit_requested",
                },
                {"event_id": "j2", "timestamp": "2024-06-05T10:00:00+08:00", "action": "membership.joined"},
                {
                    "event_id": "x2",
                    "timestamp": "2024-06-25T10:00:00+08:00",
                    "action": "membership.exit_requested",
                },
            ]
        ),
        "utf-8",
    )
    base = (
        "check",
        str(export),
        "--policies",
        str(FIXTURES / "custom-policies"),
        *engine,
        "--format",
        "json",
    )
    code, out, _ = _cli(*base)
    assert code == 1
    doc = json.loads(out)
    assert [(f["event_id"], f["rule_version"]) for f in doc["findings"]] == [("x2", "2.0.0")]
    rule = "shop.membership.early-exit"
    assert {p["version"]: p["params"] for p in doc["policies"] if p["id"] == rule} == {
        "1.0.0": {"min_membership": "P15D"},
        "2.0.0": {"min_membership": "P30D", "exempt_actor": "platform"},
    }
    code, out, _ = _cli(*base, "--param", "shop.membership.early-exit.min_membership=P21D")
    assert [(f["event_id"], f["rule_version"]) for f in json.loads(out)["findings"]] == [
        ("x1", "1.0.0"),
        ("x2", "2.0.0"),
    ]
    code, out, err = _cli(*base, "--param", "shop.membership.early-exit.min_membership=P1M")
    assert code == 2 and out == ""
    assert (
        "--param: shop.membership.early-exit 1.0.0: parameter min_membership: 'P1M' has months or years"
    ) in err


def test_validate_prints_every_error_at_file_line_column() -> None:
    code, _, err = _cli("validate", str(FIXTURES / "invalid-policies"))
    assert code == 2
    assert "invalid-policies/unknown-key.yaml:3:1: unknown key 'violaton_if'" in err
    assert "invalid-policies/bad-jmespath.yaml:12:29: invalid JMESPath" in err
    assert "invalid-policies/duplicate-key.yaml:4:1: duplicate key 'severity'" in err


def test_validate_and_test_the_shipped_pack() -> None:
    assert _cli("validate", str(POLICIES))[0] == 0
    code, out, _ = _cli("test", str(POLICIES))
    assert code == 0 and out.strip().endswith("0 failed")


def test_explain_names_source_and_versions() -> None:
    code, out, _ = _cli("explain", "juhuasuan.late-deposit", "--policies", str(POLICIES))
    assert code == 0
    assert "004_b9b53200fc8ee122.txt" in out and "Version 1.1.0" in out
    code, _, err = _cli("explain", "no.such.rule", "--policies", str(POLICIES))
    assert code == 2 and "known rules" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["check"],
        ["frobnicate"],
        ["check", "missing.jsonl", "--policies", str(POLICIES)],
        ["check", "x.jsonl", "--as-of", "yesterday", "--policies", str(POLICIES)],
    ],
)
def test_usage_errors_exit_2(argv: list[str], tmp_path: Path) -> None:
    if "x.jsonl" in argv:
        (tmp_path / "x.jsonl").write_text(json.dumps(EVENTS[0]) + "\n", "utf-8")
        argv = [str(tmp_path / "x.jsonl") if a == "x.jsonl" else a for a in argv]
    assert _cli(*argv)[0] == 2


def test_broken_policies_stop_a_check_with_exit_2(export: Path) -> None:
    code, _, err = _cli("check", str(export), "--policies", str(FIXTURES / "invalid-policies"))
    assert code == 2 and "problem(s)" in err


def test_triaged_json_follows_its_schema(export: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    assert _cli("baseline", "create", str(export), "--policies", str(POLICIES), "-o", str(baseline))[0] == 0
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - {rule: aliexpress.affiliate.early-exit, seller: s9, reason: r,"
        " approver: a, expires: '2020-01-01'}\n",
        "utf-8",
    )
    code, out, _ = _cli(
        "check",
        str(export),
        "--policies",
        str(POLICIES),
        "--format",
        "json",
        "--baseline",
        str(baseline),
        "--waivers",
        str(waivers),
        "--today",
        "2024-01-01",
    )
    assert code == 0
    doc = json.loads(out)
    jsonschema.validate(doc, load_schema("result"), format_checker=jsonschema.FormatChecker())
    assert doc["gating"]["by_status"] == {"new": 0, "baselined": 1, "waived": 0}
    assert [f["status"] for f in doc["findings"]] == ["baselined"]


def test_generate_writes_events_truth_and_manifest(tmp_path: Path) -> None:
    code, out, _ = _cli("generate", "--events", "300", "--seed", "4", "-o", str(tmp_path))
    assert code == 0 and "wrote" in out
    assert {p.name for p in tmp_path.iterdir()} == {"events.jsonl", "truth.jsonl", "manifest.json"}
    assert _cli("generate", "--events", "0", "-o", str(tmp_path))[0] == 2


def test_both_engines_give_byte_identical_json(export: Path) -> None:
    python = _cli(
        "check",
        str(export),
        "--policies",
        str(POLICIES),
        "--engine",
        "python",
        "--format",
        "json",
        "--all-outcomes",
    )
    duckdb = _cli(
        "check",
        str(export),
        "--policies",
        str(POLICIES),
        "--engine",
        "duckdb",
        "--format",
        "json",
        "--all-outcomes",
    )
    assert python[0] == duckdb[0] == 1
    assert python[1] == duckdb[1]


def test_validate_for_the_duckdb_engine() -> None:
    code, out, _ = _cli("validate", "--engine", "duckdb", str(POLICIES))
    assert code == 0 and "15 policies valid" in out
    code, _, err = _cli("check", "x.jsonl", "--engine", "duckdb", "--parts", "2")
    assert code == 2 and "--parts is for --engine python" in err
