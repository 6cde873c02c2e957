"""A message or reason part that cannot be evaluated on the data (a function given a value of the
wrong type) shows as ``?``, like null: the outcome is the conditions' to decide, and presentation
must neither change it nor end the run. Both engines render through the same functions."""

from __future__ import annotations

from pathlib import Path

import checker
from tests.conftest import ROOT

POLICY = ROOT / "policies" / "aliexpress" / "aliexpress.affiliate.commission-after-exit.yaml"
SAMPLE = ROOT / "examples" / "sample-events.jsonl"
AS_OF = "2024-08-01T00:00:00+08:00"


def _with_message(tmp_path: Path, template: str) -> checker.PolicySet:
    text = POLICY.read_text(encoding="utf-8")
    start = text.index("message:\n  en:")
    end = text.index("\n  zh:", start)
    path = tmp_path / POLICY.name
    path.write_text(text[:start] + f"message:\n  en: '{template}'" + text[end:], encoding="utf-8")
    loaded = checker.load_policies([path])
    assert not loaded.problems, loaded.problems
    return loaded


def test_an_unshowable_part_is_shown_as_null_and_decides_nothing(tmp_path: Path) -> None:
    # trigger.timestamp is text in some sample events and a number in others
    broken = _with_message(tmp_path, "took {{ format_elapsed(trigger.timestamp) }}")
    plain = checker.load_policies([POLICY])
    rendered = {}
    for engine in ("python", "duckdb"):
        result = checker.check(broken, [SAMPLE], engine=engine, as_of=AS_OF)
        reference = checker.check(plain, [SAMPLE], engine=engine, as_of=AS_OF)
        assert [f.event_id for f in result.findings] == [f.event_id for f in reference.findings]
        messages = [f.message.en for f in result.findings if f.message is not None]
        assert "took ?" in messages and any(m != "took ?" for m in messages)
        rendered[engine] = checker.render("json", result, checker.RenderOptions(all_outcomes=True))
    assert rendered["python"] == rendered["duckdb"]
