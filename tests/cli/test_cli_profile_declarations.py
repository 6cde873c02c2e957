"""A profile's timezone and subject words reach the run and the result: on the command line and
in the library, on both engines, and through ``checker report --from-json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import checker
from checker.language.errors import CheckerError

from ..conftest import ROOT, run_cli

EXAMPLE = ROOT / "examples" / "emergency-care"
EVENTS = str(EXAMPLE / "events.csv")
POLICIES = str(EXAMPLE / "policies")
ENGINES = ["python", "duckdb"]


def _profile(tmp_path: Path, name: str = "utc.yaml", *, tz: str = "UTC", words: bool = True) -> str:
    """The example's profile reading its times in ``tz`` (with its subject words, or none)."""
    text = (
        (EXAMPLE / "profile.yaml").read_text("utf-8").replace("timezone: Europe/Amsterdam", f"timezone: {tz}")
    )
    if not words:
        text = (
            text.replace("subject_words:", "x_words:").replace("  en: {singular", "#").replace("  zh: {", "#")
        )
        text = text.replace("x_words:", "")
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return str(path)


def _check_json(*args: str) -> tuple[int, dict[str, object], str]:
    code, out, err = run_cli("check", EVENTS, "--policies", POLICIES, "--format", "json", "-q", *args)
    return code, json.loads(out) if out else {}, err


# (timezone of the profile, --timezone, the result's timezone and as-of); the latest event is
# "2024-03-04 11:50:00" read in the profile's zone
TIMEZONES = [
    ("UTC", None, "UTC", "2024-03-04T11:50:00+00:00"),
    ("Europe/Amsterdam", None, "Europe/Amsterdam", "2024-03-04T11:50:00+01:00"),
    ("UTC", "Asia/Tokyo", "Asia/Tokyo", "2024-03-04T20:50:00+09:00"),  # --timezone wins
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("declared", "asked", "zone", "as_of"), TIMEZONES)
def test_the_profile_timezone_is_the_runs_unless_timezone_is_given(
    tmp_path: Path, engine: str, declared: str, asked: str | None, zone: str, as_of: str
) -> None:
    extra = ["--timezone", asked] if asked else []
    code, doc, err = _check_json("--profile", _profile(tmp_path, tz=declared), "--engine", engine, *extra)
    assert code == 1, err
    assert (doc["timezone"], doc["as_of"]) == (zone, as_of)


def test_both_engines_write_the_same_bytes_with_a_declared_timezone(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    outputs = [run_cli("check", EVENTS, "--policies", POLICIES, "--profile", profile, "--format", "json",
                       "--all-outcomes", "--engine", e)[1] for e in ENGINES]  # fmt: skip
    assert outputs[0] == outputs[1] and '"timezone":"UTC"' in outputs[0]


def test_an_as_of_without_offset_is_read_in_the_profiles_timezone(tmp_path: Path) -> None:
    _, doc, _ = _check_json("--profile", _profile(tmp_path), "--as-of", "2024-03-04 12:20:00")
    assert doc["as_of"] == "2024-03-04T12:20:00+00:00"
    # patient E's antibiotics were due by 12:20 UTC: no longer pending at exactly that as-of
    assert [f["event_id"] for f in doc["findings"] if f["seller_id"] == "E"] == ["19", "19"]


def test_profiles_declaring_different_timezones_need_timezone(tmp_path: Path) -> None:
    a = _profile(tmp_path, "a.yaml", tz="UTC")
    b = _profile(tmp_path, "b.yaml", tz="Europe/Amsterdam")
    code, _, err = _check_json("--profile", f"events*.csv={a}", "--profile", f"other*.csv={b}")
    assert code == 2
    assert err.count("[timezone-conflict]") == 2 and "give --timezone" in err
    code, doc, err = _check_json(
        "--profile", f"events*.csv={a}", "--profile", f"other*.csv={b}", "--timezone", "Asia/Tokyo"
    )
    assert code == 1 and doc["timezone"] == "Asia/Tokyo", err


@pytest.mark.parametrize("engine", ENGINES)
def test_the_library_takes_the_profiles_timezone_and_words(tmp_path: Path, engine: str) -> None:
    profile = _profile(tmp_path)
    result = checker.check([POLICIES], [EVENTS], profiles=[profile], engine=engine)
    assert (result.batch.timezone, result.as_of_text) == ("UTC", "2024-03-04T11:50:00+00:00")
    assert result.to_dict()["subject_words"]["en"] == {"singular": "patient", "plural": "patients"}
    asked = checker.check([POLICIES], [EVENTS], profiles=[profile], engine=engine, timezone="Asia/Tokyo")
    assert asked.as_of_text == "2024-03-04T20:50:00+09:00"


def test_the_library_with_a_batch(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    batch = checker.read_events([EVENTS], profiles=[profile])
    assert batch.timezone == "UTC"
    assert "subject_words" not in checker.check([POLICIES], batch).to_dict()
    with_words = checker.check([POLICIES], batch, profiles=[profile])
    assert with_words.to_dict()["subject_words"]["zh"] == {"singular": "患者", "plural": "患者"}
    assert with_words.as_of_text == "2024-03-04T11:50:00+00:00"  # the batch keeps its timezone
    with pytest.raises(CheckerError) as info:
        checker.check([POLICIES], [EVENTS], profiles=[profile, _profile(tmp_path, "b.yaml", tz="Asia/Tokyo")])
    assert {p.code for p in info.value.problems} == {"timezone-conflict"}


def test_no_profile_keeps_the_default_timezone_and_words() -> None:
    doc = checker.check([ROOT / "policies"], [ROOT / "examples" / "sample-events.jsonl"]).to_dict()
    assert doc["timezone"] == "Asia/Shanghai" and "subject_words" not in doc


# --- subject words in every report --------------------------------------------------------------


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    """The example's JSON result with every outcome, saved."""
    out = tmp_path / "result.json"
    code, _, err = run_cli(
        "check", EVENTS, "--policies", POLICIES, "--profile", str(EXAMPLE / "profile.yaml"),
        "--format", "json", "--all-outcomes", "-o", str(out), "-q",
    )  # fmt: skip
    assert code == 1, err
    return out


# (format, lang, words the report must hold, words it must not)
REPORTS = [
    (
        "md",
        "en",
        [
            "**Patients judged:** 5",
            "**Patients with violations:** 3",
            "### Patients with the most violations",
        ],
        ["Seller"],
    ),
    ("md", "zh", ["**涉及患者:** 5", "**有违规的患者:** 3", "### 违规最多的患者"], ["商家"]),
    (
        "html",
        "en",
        [
            "<dt>Patients judged</dt><dd>5</dd>",
            "Patients with violations",
            "patient, event, subject, message…",
        ],
        ["Seller", "seller,"],
    ),
    ("html", "zh", ["<dt>涉及患者</dt><dd>5</dd>", "患者、事件、对象、说明……"], ["商家"]),
]


@pytest.mark.parametrize(("suffix", "lang", "present", "absent"), REPORTS)
def test_the_reports_use_the_subject_words_of_a_saved_result(
    saved: Path, tmp_path: Path, suffix: str, lang: str, present: list[str], absent: list[str]
) -> None:
    out = tmp_path / f"report.{suffix}"
    code, _, err = run_cli("report", "--from-json", str(saved), "-o", str(out), "--lang", lang, "-q")
    assert code == 0, err
    text = out.read_text("utf-8")
    assert [w for w in present if w not in text] == []
    assert [w for w in absent if w in text] == []


def test_a_report_over_inputs_says_the_same_as_one_from_the_saved_result(saved: Path, tmp_path: Path) -> None:
    direct, rendered = tmp_path / "direct.md", tmp_path / "rendered.md"
    run_cli(
        "report",
        EVENTS,
        "--policies",
        POLICIES,
        "--profile",
        str(EXAMPLE / "profile.yaml"),
        "-o",
        str(direct),
        "-q",
    )
    run_cli("report", "--from-json", str(saved), "-o", str(rendered), "-q")
    scope = [line for line in direct.read_text("utf-8").splitlines() if "Patients" in line]
    assert scope and scope == [
        line for line in rendered.read_text("utf-8").splitlines() if "Patients" in line
    ]


def test_the_text_report_names_the_subject(tmp_path: Path) -> None:
    code, out, _ = run_cli(
        "check", EVENTS, "--policies", POLICIES, "--profile", str(EXAMPLE / "profile.yaml"), "-q"
    )
    assert code == 1
    assert "HIGH care.antibiotics-within-1h v1.0.0  patient=C subject=- event=10" in out
    code, out, _ = run_cli(
        "check", EVENTS, "--policies", POLICIES, "--profile", _profile(tmp_path, words=False), "-q"
    )
    assert "  seller=C subject=- event=10" in out


def test_a_result_without_words_reads_as_sellers(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    run_cli("check", EVENTS, "--policies", POLICIES, "--profile", _profile(tmp_path, words=False),
            "--format", "json", "--all-outcomes", "-o", str(out), "-q")  # fmt: skip
    assert "subject_words" not in json.loads(out.read_text("utf-8"))
    md = tmp_path / "r.md"
    assert run_cli("report", "--from-json", str(out), "-o", str(md), "-q")[0] == 0
    assert "**Sellers judged:** 5" in md.read_text("utf-8")
