"""``checker report``: over inputs or a saved JSON result, to HTML or Markdown, reproducibly."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

import checker
from checker.cli import app as cli
from checker.cli.report import add_parser, cmd_report, command_line
from checker.outputs import RenderOptions, render
from checker.outputs.html import render_html_report
from checker.results.baseline import write_baseline
from tests.outputs.data import GENERATED, POLICIES, catalogue_records, result_of


def _args(*argv: str) -> argparse.Namespace:
    """Parse ``checker report ARGV`` with the subparser cli.py adds."""
    parser = argparse.ArgumentParser(prog="checker")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["report", *argv])


def _report(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cmd_report(_args(*argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture()
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in catalogue_records()), "utf-8")
    return path


@pytest.fixture(autouse=True)
def _reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def test_report_over_inputs_writes_the_html_of_the_check(export: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    code, stdout, stderr = _report(str(export), "--policies", str(POLICIES), "-o", str(out))
    assert (code, stdout) == (0, "")
    assert stderr.startswith(f"wrote {out} (html, ")
    result = checker.check(checker.load_policies([POLICIES]), [export])
    expected = render_html_report(
        result.to_dict(all_outcomes=True),
        generated=GENERATED,
        command=["checker", "report", str(export), "--policies", str(POLICIES), "--output", str(out)],
    )
    assert out.read_bytes() == expected.encode()


def test_the_same_command_gives_the_same_bytes(export: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    outputs = []
    for _ in range(2):
        assert _report(str(export), "--policies", str(POLICIES), "-o", str(out))[0] == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert b"<code>2023-11-14T22:13:20Z</code> (from SOURCE_DATE_EPOCH)" in outputs[0]


def test_from_json_renders_what_the_inputs_render(export: Path, tmp_path: Path) -> None:
    """A saved JSON result (``check --format json --all-outcomes``) gives the same report."""
    result = checker.check(checker.load_policies([POLICIES]), [export])
    saved = tmp_path / "result.json"
    saved.write_text(render("json", result, RenderOptions(all_outcomes=True)), "utf-8")
    _, direct, _ = _report(str(export), "--policies", str(POLICIES), "--format", "markdown")
    code, from_json, stderr = _report("--from-json", str(saved), "--format", "markdown")
    assert (code, stderr) == (0, "")

    def without_command(md: str) -> list[str]:
        return [line for line in md.splitlines() if "**Command line:**" not in line]

    assert without_command(from_json) == without_command(direct)
    assert "`checker report --from-json " in from_json


def test_format_follows_the_output_suffix(export: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    assert _report(str(export), "--policies", str(POLICIES), "-o", str(out))[0] == 0
    assert out.read_text("utf-8").startswith("# Compliance report\n")
    code, stdout, _ = _report(str(export), "--policies", str(POLICIES), "--lang", "zh")
    assert code == 0 and stdout.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in stdout


def test_command_line_is_rebuilt_from_the_parsed_options() -> None:
    args = _args(
        "a.jsonl",
        "b.jsonl",
        "--lang",
        "zh",
        "--param",
        "r.x=1",
        "-o",
        "r.md",
        "--as-of",
        "2024-01-01",
        "--policies",
        "p",
        "--timezone",
        "UTC",
        "-q",
        "--profile",
        "x.yaml",
    )
    assert command_line(args) == [
        "checker",
        "report",
        "a.jsonl",
        "b.jsonl",
        "--policies",
        "p",
        "--profile",
        "x.yaml",
        "--timezone",
        "UTC",
        "--as-of",
        "2024-01-01",
        "--param",
        "r.x=1",
        "--quiet",
        "--output",
        "r.md",
        "--lang",
        "zh",
    ]
    assert command_line(_args("--from-json", "r.json")) == ["checker", "report", "--from-json", "r.json"]


def test_the_gate_options_show_baselined_findings(export: Path, tmp_path: Path) -> None:
    result = checker.check(checker.load_policies([POLICIES]), [export])
    baseline = tmp_path / "baseline.json"
    write_baseline(result, baseline)
    code, stdout, _ = _report(
        str(export), "--policies", str(POLICIES), "--baseline", str(baseline), "--format", "markdown"
    )
    assert code == 0
    assert f"- **Baselined:** {len(result.findings)}" in stdout and "- **New:** 0" in stdout


def test_warnings_for_partial_results_and_rejected_records(tmp_path: Path) -> None:
    saved = tmp_path / "result.json"
    saved.write_text(json.dumps(result_of(catalogue_records()).to_dict()), "utf-8")
    code, _, stderr = _report("--from-json", str(saved))
    assert code == 0 and "saved without --all-outcomes" in stderr
    export = tmp_path / "bad.jsonl"
    export.write_text('{"not": "an event"}\nnot json\n', "utf-8")
    code, stdout, stderr = _report(str(export), "--policies", str(POLICIES), "--allow-empty")
    assert code == 0 and "2 input record(s) rejected" in stderr and "Rejected records (2)" in stdout
    # without --allow-empty, a run that accepted no event judged nothing: exit 2, no report
    code, stdout, stderr = _report(str(export), "--policies", str(POLICIES))
    assert (code, stdout) == (2, "") and "nothing judged" in stderr and "[nothing-judged]" in stderr


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        ((), {}, "give INPUT files or --from-json FILE"),
        (("x.jsonl", "--from-json", "r.json"), {}, "give INPUT files or --from-json FILE"),
        (("missing.jsonl", "--policies", "{policies}"), {}, "missing.jsonl: no such input file"),
        (("--from-json", "missing.json"), {}, "No such file"),
        (("--from-json", "{bad}"), {}, "not a policy-checker JSON result"),
        (("--from-json", "{json}"), {}, "broken.json:1:2: not JSON: Expecting property name"),
        (("{export}", "--policies", "{policies}", "--param", "nodot"), {}, "expected RULE.NAME=VALUE"),
        (("{export}", "--policies", "{policies}", "--as-of", "yesterday"), {}, "checker report: error:"),
        (
            ("{export}", "--policies", "{policies}"),
            {"SOURCE_DATE_EPOCH": "soon"},
            "SOURCE_DATE_EPOCH must be a non-negative integer",
        ),
        (("{export}", "--policies", "{tmp}/none"), {}, "[io]"),
    ],
)
def test_errors_exit_2_with_a_message(
    argv: tuple[str, ...],
    env: dict[str, str],
    message: str,
    export: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "bad.json").write_text('{"findings": 3}', "utf-8")
    (tmp_path / "broken.json").write_text("{", "utf-8")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    places = {
        "{export}": str(export),
        "{bad}": "bad.json",
        "{json}": "broken.json",
        "{tmp}": str(tmp_path),
        "{policies}": str(POLICIES),
    }
    replaced = []
    for arg in argv:
        for key, value in places.items():
            arg = arg.replace(key, value)
        replaced.append(arg)
    code, stdout, stderr = _report(*replaced)
    assert (code, stdout) == (2, "")
    assert message in stderr, stderr


WIRING = ("report", "checker.cli.report", "add_parser", "cmd_report")


def test_through_the_checker_command(export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``checker report`` is this handler once cli.py lists WIRING (added here until it does)."""
    if WIRING not in cli.SUBCOMMAND_MODULES:
        monkeypatch.setattr(cli, "SUBCOMMAND_MODULES", (*cli.SUBCOMMAND_MODULES, WIRING))
        monkeypatch.delitem(cli.COMMANDS, "report", raising=False)
    out = tmp_path / "report.html"
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli.run(
        ["report", str(export), "--policies", str(POLICIES), "-o", str(out), "--lang", "zh"], stdout, stderr
    )
    assert code == 0, stderr.getvalue()
    html = out.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in html
    assert f"checker report {export} --policies {POLICIES} --output {out} --lang zh" in html
    assert cli.run(["report", "--from-json", str(tmp_path / "none.json")], stdout, stderr) == 2
