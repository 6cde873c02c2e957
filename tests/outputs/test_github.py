"""GitHub workflow commands: one per new finding and rejected record; log values cannot inject."""

from __future__ import annotations

from checker.outputs import render
from checker.outputs.github import escape_data, escape_property


def test_escaping() -> None:
    assert escape_data("a%b\r\nc") == "a%25b\\x0d\\nc"
    assert escape_property("x:y,z") == "x%3Ay%2Cz"


def test_annotations(scenario: tuple) -> None:
    result, options = scenario
    lines = render("github", result, options).splitlines()
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)
    errors = [line for line in lines if line.startswith("::error")]
    assert len(errors) == 1 and "file=" in errors[0] and "line=6" in errors[0]
    assert "title=aliexpress.affiliate.early-exit (high)" in errors[0]
    assert "\\n::set-env name=A::b,c:%25" in errors[0]  # still one line: no command injected
    notices = [line for line in lines if line.startswith("::notice")]
    below = [n for n in notices if "taobao.affiliate.close-without-reason (low)" in n]
    assert len(below) == 1 and "::[below --fail-on medium] " in below[0]  # new, but below the gate
    assert sum("::[baselined] " in n for n in notices) == 1  # x1
    assert sum("::[waived] " in n for n in notices) == 1  # x2
    assert any("rejected input record [bad-json]" in line and "line=8" in line for line in lines)
    assert lines[-1].startswith("::notice title=policy-checker::4 violation(s): 2 new, 1 baselined, 1 waived")
