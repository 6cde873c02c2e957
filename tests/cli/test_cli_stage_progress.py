"""``checker report`` and ``checker baseline create`` name each stage on a terminal (reading,
judging, rendering, writing), erase the line before anything else is printed, and say nothing
under ``-q`` or when standard error is not a terminal."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from checker.cli import app
from checker.cli.common import StageProgress

from ..conftest import ROOT

EXAMPLE = ROOT / "examples" / "emergency-care"
INPUT = [
    str(EXAMPLE / "events.csv"),
    "--policies",
    str(EXAMPLE / "policies"),
    "--profile",
    str(EXAMPLE / "profile.yaml"),
]
ERASE = "\r\x1b[K"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _immediate(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reading bar draws at once (no half-second delay), so short test inputs show it."""
    original = StageProgress.__init__

    def immediate(self: StageProgress, stream: io.StringIO, *, enabled: bool, command: str) -> None:
        original(self, stream, enabled=enabled, command=command, delay=0.0, interval=0.0)

    monkeypatch.setattr(StageProgress, "__init__", immediate)


def _steps(stderr: str, command: str) -> list[str]:
    """The stages drawn, in order, without repeats in a row."""
    steps = re.findall(rf"{re.escape(ERASE)}checker {command}: ([^…]*)…", stderr)
    return [s for i, s in enumerate(steps) if i == 0 or steps[i - 1] != s]


def test_report_names_its_stages_and_erases_the_line(tmp_path: Path) -> None:
    out, err = io.StringIO(), _Terminal()
    target = tmp_path / "r.html"
    assert app.run(["report", *INPUT, "-o", str(target)], out, err) == 0
    text = err.getvalue()
    assert _steps(text, "report") == [
        "reading the inputs",
        "judging",
        "rendering the html report of 3 finding(s)",
        f"writing {target}",
    ]
    assert "\r\x1b[Kreading [" in text  # the reading bar between the first two stages
    # every message starts on a clean line: the warning and the summary follow an erase
    assert f"{ERASE}warning: 1 input record(s) rejected" in text
    assert text.endswith(f"{ERASE}wrote {target} (html, 3 findings)\n")


def test_report_to_standard_output_erases_the_line_before_the_report(tmp_path: Path) -> None:
    out, err = _Terminal(), _Terminal()
    assert app.run(["report", *INPUT, "--format", "markdown"], out, err) == 0
    assert out.getvalue().startswith("# ") and err.getvalue().endswith(ERASE)


def test_report_from_json_names_its_stages(tmp_path: Path) -> None:
    saved = tmp_path / "r.json"
    assert app.run(["check", *INPUT, "--format", "json", "--all-outcomes", "-o", str(saved), "-q"]) == 1
    err = _Terminal()
    assert (
        app.run(["report", "--from-json", str(saved), "-o", str(tmp_path / "r.md")], io.StringIO(), err) == 0
    )
    assert _steps(err.getvalue(), "report") == [
        f"reading {saved}",
        "rendering the markdown report of 3 finding(s)",
        f"writing {tmp_path / 'r.md'}",
    ]


def test_baseline_create_names_its_stages(tmp_path: Path) -> None:
    out, err = io.StringIO(), _Terminal()
    target = tmp_path / "b.json"
    assert app.run(["baseline", "create", *INPUT, "-o", str(target)], out, err) == 0
    assert _steps(err.getvalue(), "baseline create") == [
        "reading the inputs",
        "judging",
        f"writing 3 fingerprint(s) to {target}",
    ]
    assert err.getvalue().endswith(ERASE) and out.getvalue() == f"3 finding(s) recorded in {target}\n"


@pytest.mark.parametrize("command", [["report", "-o", "r.html"], ["baseline", "create", "-o", "b.json"]])
@pytest.mark.parametrize(("stderr", "quiet"), [(_Terminal, True), (io.StringIO, False)])
def test_silent_under_quiet_and_off_a_terminal(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    stderr: type[io.StringIO],
    quiet: bool,
) -> None:
    monkeypatch.chdir(tmp_path)
    err = stderr()
    *name, flag, target = command
    assert app.run([*name, *INPUT, flag, target, *(["-q"] if quiet else [])], io.StringIO(), err) == 0
    assert "\x1b" not in err.getvalue() and "…" not in err.getvalue()
    if quiet:
        assert err.getvalue() == ""


def test_an_error_erases_the_line_before_it_is_printed(tmp_path: Path) -> None:
    err = _Terminal()
    code = app.run(
        ["report", str(tmp_path / "missing.jsonl"), "--policies", str(EXAMPLE / "policies")],
        io.StringIO(),
        err,
    )
    assert code == 2
    assert f"{ERASE}" in err.getvalue() and "no such input file" in err.getvalue()
    assert "…" + "no such" not in err.getvalue()
