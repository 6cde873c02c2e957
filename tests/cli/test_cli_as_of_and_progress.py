"""``--as-of`` accepts what its message says; ``checker generate`` shows progress on a terminal only."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from checker.cli import app
from checker.generator import generate
from checker.language.times import INSTANT_FORMS, TimestampError, parse_instant, zone
from tests.conftest import ROOT, run_cli

SAMPLE = ROOT / "examples" / "sample-events.jsonl"
SHANGHAI = zone("Asia/Shanghai")
MIDNIGHT = 1_719_763_200_000_000  # 2024-07-01T00:00:00+08:00 in epoch microseconds

# --as-of text: the instant it means (epoch microseconds), or None when refused
AS_OF = {
    "1719763200": MIDNIGHT,  # digits below 10^11: epoch seconds
    " 1719763200 ": MIDNIGHT,
    "1719763200000": MIDNIGHT,  # below 10^14: milliseconds
    "1719763200000000": MIDNIGHT,  # else microseconds
    "2024-07-01": MIDNIGHT,  # a date: local midnight
    "2024-07-01T00:00:00+08:00": MIDNIGHT,
    "2024-06-30T16:00:00Z": MIDNIGHT,
    "2024-07-01T00:00:00": MIDNIGHT,  # no offset: local time
    "2024-07-01 00:00": MIDNIGHT,
    "1719763200.5": None,
    "1.7e9": None,
    "yesterday": None,
    "": None,
    "١٧١٩٧٦٣٢٠٠": None,  # digits of another script
    "99999999999999999999": None,
    "2024-13-01": None,
}


@pytest.mark.parametrize("text", AS_OF)
def test_parse_instant_accepts_exactly_the_forms_its_message_names(text: str) -> None:
    expected = AS_OF[text]
    if expected is None:
        with pytest.raises(TimestampError) as refused:
            parse_instant(text, SHANGHAI)
        if not text.startswith("2024"):  # a malformed date says what is wrong with it instead
            assert str(refused.value) == f"{text!r} is not an instant: use {INSTANT_FORMS}"
    else:
        assert parse_instant(text, SHANGHAI) == expected


@pytest.mark.parametrize("as_of", ["1719763200", "1719763200000", "2024-07-01"])
def test_check_as_of_epoch_seconds(as_of: str) -> None:
    code, out, err = run_cli("check", str(SAMPLE), "--as-of", as_of, "--format", "json")
    assert code in (0, 1), err
    assert json.loads(out)["as_of"] == "2024-07-01T00:00:00+08:00"


def test_check_as_of_refused_says_what_is_accepted() -> None:
    code, _, err = run_cli("check", str(SAMPLE), "--as-of", "yesterday")
    assert code == 2
    assert "'yesterday' is not an instant" in err and "epoch time (seconds below 10^11" in err


def test_generate_reports_progress_and_writes_the_same_files(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    summary = generate(tmp_path / "a", events=12_000, seed=3, on_progress=lambda m, t: calls.append((m, t)))
    generate(tmp_path / "b", events=12_000, seed=3)
    for name in ("events.jsonl", "truth.jsonl", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    made = [m for m, _ in calls]
    assert {t for _, t in calls} == {12_000} and made == sorted(made) and made[-1] == summary.events
    assert 11 <= len(calls) <= 13 and made[0] >= 1000  # about every 1,000 events, then once at the end


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stderr", "argv", "drawn"),
    [
        (_Terminal, [], True),
        (_Terminal, ["-q"], False),
        (io.StringIO, [], False),
    ],
)
def test_generate_progress_line_only_on_a_terminal_and_not_quiet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stderr: type[io.StringIO], argv: list[str], drawn: bool
) -> None:
    original = app._GenerateProgress.__init__

    def immediate(self: app._GenerateProgress, stream: object, *, enabled: bool, **_: object) -> None:
        original(self, stream, enabled=enabled, delay=0.0, interval=0.0)  # type: ignore[arg-type]

    monkeypatch.setattr(app._GenerateProgress, "__init__", immediate)
    out, err = io.StringIO(), stderr()
    code = app.run(["generate", "--events", "3000", "-o", str(tmp_path), *argv], out, err)
    assert code == 0 and out.getvalue().startswith("wrote ")
    if drawn:
        assert "\r\x1b[Kgenerating [" in err.getvalue() and " of 3,000 events" in err.getvalue()
        assert err.getvalue().endswith("\r\x1b[K")  # erased before the summary line
    else:
        assert err.getvalue() == ""
