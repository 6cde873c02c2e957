"""What a profile declares beyond its fields: names derived from free text (``unmapped: {slug:
PREFIX}``), the run's timezone and the reports' subject words (``run_declarations``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.inputs.profiles import (
    MappingError,
    Profile,
    SubjectWords,
    load_profile,
    run_declarations,
    slug,
)
from checker.language.errors import CheckerError

# (free text, the slug it gives): NFKC, case folding, accents dropped, runs of anything else one _
SLUGS = [
    ("ER Triage", "er_triage"),
    ("  ER  triage ", "er_triage"),
    ("IV-antibiotics", "iv_antibiotics"),
    ("LacticAcid", "lacticacid"),
    ("Leucocytes (lab)", "leucocytes_lab"),
    ("Release A", "release_a"),
    ("CRP 2", "crp_2"),
    ("ＥＲ　Ｔｒｉａｇｅ", "er_triage"),  # full-width letters and space: NFKC
    ("ﬁle closed", "file_closed"),  # a ligature: NFKC
    ("x²", "x2"),  # a superscript digit: NFKC
    ("Straße", "strasse"),  # case folding
    ("Ärztliche Prüfung", "arztliche_prufung"),  # accents dropped
    ("Évaluation—clinique", "evaluation_clinique"),
    ("a__b", "a_b"),
    ("_x_", "x"),
    ("急诊分诊", ""),  # nothing ASCII survives
    ("---", ""),
]


@pytest.mark.parametrize(("text", "expected"), SLUGS)
def test_slug(text: str, expected: str) -> None:
    assert slug(text) == expected


PROFILE = """\
profile: care
timezone: {tz}
fields:
  event_id: id
  timestamp: {{column: time, format: "%Y-%m-%d %H:%M:%S"}}
  platform: {{constant: hospital}}
  seller_id: case
  action:
    column: activity
{action}
{tail}
"""


def _write(
    tmp_path: Path, name: str = "p.yaml", *, tz: str = "UTC", action: str = "", tail: str = ""
) -> Path:
    path = tmp_path / name
    path.write_text(PROFILE.format(tz=tz, action=action, tail=tail), "utf-8")
    return path


def _row(activity: str) -> dict[str, str]:
    return {"id": "1", "time": "2024-03-02 08:00:00", "case": "A", "activity": activity}


SLUG_ACTION = "    unmapped: {slug: care}"


@pytest.mark.parametrize(
    ("activity", "action"),
    [("ER Triage", "care.er_triage"), ("IV-antibiotics", "care.iv_antibiotics"), ("ＣＲＰ", "care.crp")],
)
def test_unmapped_slug_derives_the_action_under_the_prefix(
    tmp_path: Path, activity: str, action: str
) -> None:
    profile = load_profile(_write(tmp_path, action=SLUG_ACTION))
    assert profile.apply(_row(activity))["action"] == action


def test_the_map_wins_over_the_slug_and_a_dotted_prefix_is_kept(tmp_path: Path) -> None:
    mapped = "    map: {ER Triage: care.triage}\n    unmapped: {slug: ed.activity}"
    profile = load_profile(_write(tmp_path, action=mapped))
    assert profile.apply(_row("ER Triage"))["action"] == "care.triage"
    assert profile.apply(_row("ER Sepsis Triage"))["action"] == "ed.activity.er_sepsis_triage"


@pytest.mark.parametrize("activity", ["急诊分诊", "—", "(?)"])
def test_text_without_a_letter_or_digit_is_rejected_as_empty_slug(tmp_path: Path, activity: str) -> None:
    profile = load_profile(_write(tmp_path, action=SLUG_ACTION))
    with pytest.raises(MappingError) as info:
        profile.apply(_row(activity))
    assert info.value.code == "empty-slug"
    assert repr(activity) in info.value.reason and "column activity (action)" in info.value.reason


@pytest.mark.parametrize(
    ("action", "column", "code"),
    [
        ("    unmapped: {slug: Care}", 22, "schema"),  # upper case
        ("    unmapped: {slug: care.}", 22, "schema"),
        ("    unmapped: {slug: care, constant: x.y}", 15, "schema"),  # one rule only
        ("    unmapped: slug", 15, "schema"),  # the prefix is needed: actions are dotted
    ],
)
def test_a_bad_slug_rule_is_an_error_at_its_place(
    tmp_path: Path, action: str, column: int, code: str
) -> None:
    with pytest.raises(CheckerError) as info:
        load_profile(_write(tmp_path, action=action))
    assert [(p.location.line, p.location.column, p.code) for p in info.value.problems] == [(10, column, code)]


def test_keep_without_slug_still_rejects_free_text_as_an_invalid_action(tmp_path: Path) -> None:
    # the reason slug exists: "ER Triage" kept as it is is no action, and the intake rejects it
    profile = load_profile(_write(tmp_path, action="    unmapped: keep\n    map: {x: a.b}"))
    assert profile.apply(_row("ER Triage"))["action"] == "ER Triage"


# --- subject words --------------------------------------------------------------------------

WORDS = """subject_words:
  en: {singular: patient, plural: patients}
  zh: {singular: 患者}"""


def test_subject_words_are_read_with_the_chinese_plural_defaulting_to_the_singular(tmp_path: Path) -> None:
    profile = load_profile(_write(tmp_path, tail=WORDS))
    assert profile.subject_words == SubjectWords("patient", "patients", "患者", "患者")
    assert profile.subject_words.to_dict() == {
        "en": {"singular": "patient", "plural": "patients"},
        "zh": {"singular": "患者", "plural": "患者"},
    }
    assert SubjectWords.from_dict(profile.subject_words.to_dict()) == profile.subject_words
    assert load_profile(_write(tmp_path, "q.yaml")).subject_words is None


@pytest.mark.parametrize(
    ("words", "column", "code"),
    [
        ("subject_words: {en: {singular: patient}, zh: {singular: 患者}}", 21, "schema"),  # no plural
        ("subject_words: {en: {singular: patient, plural: patients}}", 16, "schema"),  # no Chinese
        ("subject_words: {en: {singular: ' patient', plural: patients}, zh: {singular: 患者}}", 32, "schema"),
        (
            "subject_words: {en: {singular: patient, plural: patients, one: x}, zh: {singular: 患者}}",
            59,
            "unknown-key",
        ),
    ],
)
def test_incomplete_subject_words_are_errors_at_their_place(
    tmp_path: Path, words: str, column: int, code: str
) -> None:
    with pytest.raises(CheckerError) as info:
        load_profile(_write(tmp_path, tail=words))
    assert [(p.location.line, p.location.column, p.code) for p in info.value.problems] == [(11, column, code)]


# --- the run's timezone and words -------------------------------------------------------------


def _profiles(tmp_path: Path, *specs: tuple[str, str]) -> list[Profile]:
    """Profiles named a.yaml, b.yaml... with these (timezone or "", extra lines)."""
    out = []
    for i, (tz, tail) in enumerate(specs):
        path = _write(tmp_path, f"{'abc'[i]}.yaml", tz=tz or "UTC", tail=tail)
        if not tz:
            path.write_text(path.read_text("utf-8").replace("timezone: UTC\n", ""), "utf-8")
        out.append(load_profile(path))
    return out


@pytest.mark.parametrize(
    ("zones", "asked", "expected"),
    [
        ((), None, "Asia/Shanghai"),  # no profile: the default
        (("",), None, "Asia/Shanghai"),  # a profile that declares none
        (("UTC",), None, "UTC"),  # the profile's
        (("UTC",), "Asia/Tokyo", "Asia/Tokyo"),  # --timezone wins
        (("UTC", "UTC"), None, "UTC"),
        (("UTC", ""), None, "UTC"),
        (("UTC", "Europe/Amsterdam"), "Asia/Tokyo", "Asia/Tokyo"),  # a conflict settled by --timezone
    ],
)
def test_the_run_timezone(tmp_path: Path, zones: tuple[str, ...], asked: str | None, expected: str) -> None:
    profiles = _profiles(tmp_path, *((z, "") for z in zones))
    assert run_declarations(profiles, asked).timezone == expected


def test_profiles_declaring_different_timezones_need_timezone(tmp_path: Path) -> None:
    profiles = _profiles(tmp_path, ("UTC", ""), ("Europe/Amsterdam", ""))
    with pytest.raises(CheckerError) as info:
        run_declarations(profiles)
    assert [(p.location.file.rsplit("/", 1)[-1], p.location.line, p.code) for p in info.value.problems] == [
        ("a.yaml", 2, "timezone-conflict"),
        ("b.yaml", 2, "timezone-conflict"),
    ]
    assert "give --timezone" in info.value.problems[0].message


def test_the_run_words_and_their_conflicts(tmp_path: Path) -> None:
    cases = WORDS.replace("patient", "case")
    assert run_declarations(_profiles(tmp_path, ("UTC", ""))).subject_words is None
    same = _profiles(tmp_path, ("UTC", WORDS), ("UTC", ""), ("UTC", WORDS))
    assert run_declarations(same).subject_words == SubjectWords("patient", "patients", "患者", "患者")
    with pytest.raises(CheckerError) as info:
        run_declarations(_profiles(tmp_path, ("UTC", WORDS), ("UTC", cases)))
    assert [(p.location.line, p.code) for p in info.value.problems] == [(11, "subject-words-conflict")] * 2
