"""The non-marketplace example runs from its README's words alone.

The commands are parsed from the ``sh`` block of ``examples/emergency-care/README.md`` and run
as written (in-process, from a scratch folder holding the repository's ``examples``, so ``out/``
is the test's own), then their findings are checked against what the README says they are.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from ..conftest import ROOT, run_cli

EXAMPLE = ROOT / "examples" / "emergency-care"
CHECKER = ".venv/bin/checker"

#: what the README promises: each command's exit code, in order
EXIT_CODES = [0, 0, 1, 1, 0]
#: the findings the README's table lists: (rule, version, patient, triggering event)
FINDINGS = [
    ("care.antibiotics-within-1h", "1.0.0", "C", "10"),
    ("care.lactic-acid-after-triage", "1.0.0", "B", "6"),
    ("care.lactic-acid-after-triage", "2.0.0", "D", "14"),
]
#: the other outcomes: patient E's pending deadlines, the passes
OTHERS = {
    ("care.antibiotics-within-1h", "2"): "pass",
    ("care.antibiotics-within-1h", "6"): "pass",
    ("care.antibiotics-within-1h", "14"): "pass",
    ("care.antibiotics-within-1h", "19"): "pending",
    ("care.lactic-acid-after-triage", "2"): "pass",
    ("care.lactic-acid-after-triage", "10"): "pass",
    ("care.lactic-acid-after-triage", "19"): "pending",
}


def readme_commands() -> list[list[str]]:
    """The commands of the README's ``sh`` blocks, split as a shell would."""
    text = (EXAMPLE / "README.md").read_text("utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [shlex.split(line) for block in blocks for line in block.splitlines() if line.strip()]


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder like the repository's root: ``examples`` is the repository's."""
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_commands_run_as_written_and_give_the_findings_it_lists(scratch: Path) -> None:
    commands = readme_commands()
    assert [c[0] for c in commands] == [CHECKER] * len(EXIT_CODES)
    results = [run_cli(*command[1:]) for command in commands]
    assert [code for code, _, _ in results] == EXIT_CODES, [err for _, _, err in results]
    assert results[0][1] == "3 policies valid (pack emergency-care-example@2024.03)\n"
    assert results[1][1].splitlines()[-1] == "9 passed, 0 failed"
    text = results[2][1]
    assert (
        "HIGH care.antibiotics-within-1h v1.0.0  patient=C subject=- event=10 at 2024-03-02T08:00:00+01:00"
        in text
    )
    assert "as of 2024-03-04T11:50:00+01:00" in text

    doc = json.loads((scratch / "out" / "emergency-care.json").read_text("utf-8"))
    assert [
        (f["rule_id"], f["rule_version"], f["seller_id"], f["event_id"]) for f in doc["findings"]
    ] == FINDINGS
    assert {(o["rule_id"], o["event_id"]): o["outcome"] for o in doc["other_outcomes"]} == OTHERS
    assert (doc["timezone"], doc["as_of"]) == ("Europe/Amsterdam", "2024-03-04T11:50:00+01:00")
    assert doc["subject_words"]["en"] == {"singular": "patient", "plural": "patients"}
    assert doc["inputs"]["actions"] == {
        "care.er_registration": 5,
        "care.er_triage": 5,
        "care.iv_antibiotics": 4,
        "care.lacticacid": 4,
        "care.leucocytes": 1,
    }
    assert [(r["line"], r["code"]) for r in doc["inputs"]["rejected"]] == [(18, "empty-slug")]
    html = (scratch / "out" / "emergency-care.html").read_text("utf-8")
    assert "Patients judged" in html and "Sellers" not in html


def test_duckdb_gives_the_reference_engines_bytes_for_the_example(scratch: Path) -> None:
    check = next(c for c in readme_commands() if "--format" in c)
    for engine in ("python", "duckdb"):
        assert run_cli(*check[1:-1], f"out/{engine}.json", "--engine", engine)[0] == 1
    assert (scratch / "out" / "duckdb.json").read_bytes() == (scratch / "out" / "python.json").read_bytes()
