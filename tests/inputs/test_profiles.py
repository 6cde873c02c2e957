"""Field-mapping profiles: validation at file:line:col, value conversion, mapping, selection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import checker
from checker.inputs.fieldtypes import CONVERTERS, Conversion, ConversionError
from checker.inputs.files import choose_profile, settings_for
from checker.inputs.profiles import MappingError, canonical_from_flat, for_timezone, load_profile
from checker.language.errors import CheckerError
from checker.language.times import zone
from tests.conftest import FIXTURES, ROOT

INVALID = FIXTURES / "invalid-profiles"


def _expected() -> list[tuple[str, set[tuple[int, int, str]]]]:
    out = []
    for line in (INVALID / "expected.txt").read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, _, rest = line.partition(": ")
        places = set()
        for item in rest.split(", "):
            where, code = item.split(" ")
            row, col = where.split(":")
            places.add((int(row), int(col), code))
        out.append((name, places))
    return out


@pytest.mark.parametrize(("name", "expected"), _expected(), ids=[n for n, _ in _expected()])
def test_invalid_profiles_are_reported_at_file_line_column(
    name: str, expected: set[tuple[int, int, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(INVALID)
    with pytest.raises(CheckerError) as info:
        load_profile(name)
    found = {(p.location.line, p.location.column, p.code) for p in info.value.problems}
    assert found == expected
    assert all(p.location.file == name for p in info.value.problems)


def test_every_invalid_fixture_is_listed() -> None:
    assert {n for n, _ in _expected()} == {p.name for p in INVALID.glob("*.yaml")}


@pytest.mark.parametrize("path", sorted((ROOT / "profiles").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_profiles_are_valid(path: Path) -> None:
    profile = load_profile(path)
    assert profile.match and profile.timezone == "Asia/Shanghai"


# --- value conversion ---------------------------------------------------------------------------

SHANGHAI = Conversion(tz=zone("Asia/Shanghai"))
CONVERSIONS: list[tuple[str, Any, Conversion, Any]] = [
    ("string", " 007 ", SHANGHAI, "007"),
    ("string", 12345678901234567, SHANGHAI, "12345678901234567"),
    ("string", 42.0, SHANGHAI, "42"),
    ("integer", "1,234", SHANGHAI, 1234),
    ("integer", 3.0, SHANGHAI, 3),
    ("number", "12.50", SHANGHAI, 12.5),
    ("number", "-3", SHANGHAI, -3),
    ("number", "1,234.5", SHANGHAI, 1234.5),
    ("boolean", "是", SHANGHAI, True),
    ("boolean", "FALSE", SHANGHAI, False),
    ("boolean", "有", Conversion(truths=frozenset({"有"}), falsehoods=frozenset({"无"})), True),
    ("json", '{"a": [1]}', SHANGHAI, {"a": [1]}),
    (
        "timestamp",
        "2024/03/01 10:00:00",
        Conversion(("%Y/%m/%d %H:%M:%S",), zone("Asia/Shanghai")),
        "2024-03-01T10:00:00+08:00",
    ),
    (
        "timestamp",
        "2024/03/01 10:00",
        Conversion(("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"), zone("UTC")),
        "2024-03-01T10:00:00+00:00",
    ),
    ("timestamp", "1709258400", Conversion(("epoch_s",), zone("Asia/Shanghai")), "2024-03-01T10:00:00+08:00"),
    (
        "timestamp",
        1709258400123,
        Conversion(("epoch_ms",), zone("Asia/Shanghai")),
        "2024-03-01T10:00:00.123000+08:00",
    ),
    ("timestamp", "1709258400000", SHANGHAI, "2024-03-01T10:00:00+08:00"),
    ("timestamp", "2024-03-01 10:00", SHANGHAI, "2024-03-01T10:00:00+08:00"),
    ("timestamp", "2024-03-01T02:00:00Z", SHANGHAI, "2024-03-01T10:00:00+08:00"),
]


@pytest.mark.parametrize(("kind", "value", "conv", "expected"), CONVERSIONS)
def test_conversions(kind: str, value: Any, conv: Conversion, expected: Any) -> None:
    result = CONVERTERS[kind](value, conv)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    ("kind", "value", "conv"),
    [
        ("string", {"a": 1}, SHANGHAI),
        ("integer", "1.5", SHANGHAI),
        ("integer", "12a", SHANGHAI),
        ("number", "abc", SHANGHAI),
        ("number", "", SHANGHAI),
        ("boolean", "maybe", SHANGHAI),
        ("json", "{", SHANGHAI),
        ("timestamp", "2024/13/01 10:00:00", Conversion(("%Y/%m/%d %H:%M:%S",))),
        ("timestamp", "yesterday", SHANGHAI),
        ("timestamp", "soon", Conversion(("epoch_ms",))),
    ],
)
def test_conversion_errors(kind: str, value: Any, conv: Conversion) -> None:
    with pytest.raises(ConversionError):
        CONVERTERS[kind](value, conv)


# --- mapping records ----------------------------------------------------------------------------

PROFILE = """\
profile: test
fields:
  event_id: {hash: [商家, 时间, 类型]}
  timestamp: {column: 时间, format: "%Y/%m/%d %H:%M"}
  platform: {constant: kuaishou}
  seller_id: 商家
  action:
    column: 类型
    map: {取消推广: distribution.cancel_requested, 其他: other.thing}
    unmapped: {constant: other.unmapped}
  actor: {column: 操作方, map: {商家: seller}, unmapped: keep}
  subject.type: {constant: distribution_enrolment}
  subject.id: {column: 合作, type: string}
data:
  via_leader: {column: 团长渠道, type: boolean, default: false}
  nested: {path: 'extra.deep', type: integer}
{tail}
"""


def _profile(tmp_path: Path, tail: str = "", tz: str = "Asia/Shanghai") -> checker.PolicySet:
    path = tmp_path / "p.yaml"
    path.write_text(PROFILE.replace("{tail}", tail), "utf-8")
    return for_timezone(load_profile(path), tz)  # type: ignore[return-value]


ROW = {
    "商家": "s1",
    "时间": "2024/03/01 10:00",
    "类型": "取消推广",
    "操作方": "商家",
    "合作": "7",
    "团长渠道": "",
}


def test_a_record_is_mapped(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    event = profile.apply(ROW | {"extra": {"deep": "3"}})  # type: ignore[attr-defined]
    assert event == {
        "event_id": event["event_id"],
        "timestamp": "2024-03-01T10:00:00+08:00",
        "platform": "kuaishou",
        "seller_id": "s1",
        "action": "distribution.cancel_requested",
        "actor": "seller",
        "subject": {"type": "distribution_enrolment", "id": "7"},
        "data": {"via_leader": False, "nested": 3},
    }
    assert event["event_id"].startswith("h") and len(event["event_id"]) == 25
    again = profile.apply(dict(reversed(list(ROW.items()))))  # type: ignore[attr-defined]
    assert again["event_id"] == event["event_id"]


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [
        ({"类型": "改价"}, "action", "other.unmapped"),
        ({"操作方": "团长"}, "actor", "团长"),
        ({"操作方": ""}, "actor", None),
        (
            {
                "合作": "",
            },
            "subject",
            None,
        ),
    ],
)
def test_unmapped_values_and_absent_optional_fields(
    tmp_path: Path, change: dict[str, str], field: str, value: Any
) -> None:
    event = _profile(tmp_path).apply(ROW | change)  # type: ignore[attr-defined]
    assert event.get(field) == value


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"商家": " "}, "missing-field", "column 商家 (seller_id) is empty"),
        ({"时间": "2024-03-01"}, "bad-timestamp", "column 时间 (timestamp)"),
        ({"团长渠道": "也许"}, "bad-value", "column 团长渠道 (data.via_leader)"),
        ({"extra": {"deep": "x"}}, "bad-value", "path extra.deep (data.nested)"),
    ],
)
def test_mapping_errors_name_the_column(
    tmp_path: Path, change: dict[str, Any], code: str, words: str
) -> None:
    with pytest.raises(MappingError) as info:
        _profile(tmp_path).apply(ROW | change)  # type: ignore[attr-defined]
    assert info.value.code == code and words in info.value.reason


def test_a_partial_subject_is_rejected(tmp_path: Path) -> None:
    profile = _profile(tmp_path, tail="")
    path = tmp_path / "p.yaml"
    path.write_text(path.read_text("utf-8").replace("{constant: distribution_enrolment}", "类别"), "utf-8")
    with pytest.raises(MappingError, match="the subject has an id but no type"):
        for_timezone(load_profile(path), "UTC").apply(ROW)
    assert profile is not None


def test_strict_action_map_rejects_unknown_labels(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        PROFILE.replace("{tail}", "").replace("    unmapped: {constant: other.unmapped}\n", ""), "utf-8"
    )
    with pytest.raises(MappingError) as info:
        load_profile(path).apply(ROW | {"类型": "改价"})
    assert info.value.code == "unmapped-value" and "'改价' is not in the profile's map" in info.value.reason


def test_unmapped_columns_can_go_to_data(tmp_path: Path) -> None:
    event = _profile(tmp_path, tail="unmapped_columns: data").apply(  # type: ignore[attr-defined]
        ROW | {"备注": "加急", "空": ""}
    )
    assert event["data"]["备注"] == "加急" and "空" not in event["data"]


def test_naive_times_use_the_profile_zone_else_the_runs(tmp_path: Path) -> None:
    assert _profile(tmp_path, tz="UTC").apply(ROW)["timestamp"] == "2024-03-01T10:00:00+00:00"  # type: ignore[attr-defined]
    declared = _profile(tmp_path, tail="timezone: Asia/Tokyo", tz="UTC")
    assert declared.apply(ROW)["timestamp"] == "2024-03-01T10:00:00+09:00"  # type: ignore[attr-defined]


def test_a_header_without_the_profiles_columns_is_an_error_at_its_line(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(PROFILE.replace("{tail}", ""), "utf-8")
    export = tmp_path / "x.csv"
    export.write_text("\n商家,时间,类别\ns1,2024/03/01 10:00,取消推广\n", "utf-8")
    with pytest.raises(CheckerError) as info:
        checker.read_events([export], profiles=profile)
    (problem,) = info.value.problems
    assert (problem.location.line, problem.code) == (2, "profile-mismatch")
    assert "合作, 操作方, 类型" in problem.message and "header has: 商家, 时间, 类别" in problem.message


# --- choosing a profile per input ---------------------------------------------------------------


def test_profile_selection(tmp_path: Path) -> None:
    kuaishou = ROOT / "profiles" / "kuaishou-distribution.yaml"
    juhuasuan = ROOT / "profiles" / "taobao-juhuasuan.yaml"
    one = settings_for("Asia/Shanghai", [kuaishou])
    assert choose_profile("any-name.csv", one).name == "kuaishou-distribution"  # type: ignore[union-attr]
    several = settings_for("Asia/Shanghai", [kuaishou, juhuasuan])
    assert choose_profile("d/kuaishou-distribution-x.csv", several).name == "kuaishou-distribution"  # type: ignore[union-attr]
    assert choose_profile("juhuasuan-1.json.gz", several).name == "taobao-juhuasuan"  # type: ignore[union-attr]
    assert choose_profile("events.jsonl", several) is None
    pattern = settings_for("Asia/Shanghai", [("mine-*.csv", kuaishou), juhuasuan])
    assert choose_profile("mine-1.csv", pattern).name == "kuaishou-distribution"  # type: ignore[union-attr]
    assert choose_profile("juhuasuan-1.json", pattern).name == "taobao-juhuasuan"  # type: ignore[union-attr]


def test_several_profiles_without_match_patterns_are_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(PROFILE.replace("{tail}", ""), "utf-8")
    with pytest.raises(CheckerError, match="no 'match' patterns"):
        settings_for("UTC", [path, ROOT / "profiles" / "kuaishou-distribution.yaml", path])


# --- no profile: the canonical CSV --------------------------------------------------------------

FLAT = [
    (
        {"event_id": "007", "seller_id": "123", "timestamp": "1709258400"},
        {"event_id": "007", "seller_id": "123", "timestamp": 1709258400},
    ),
    (
        {
            "subject.type": "order",
            "subject.id": "42",
            "data.amount": "1.50",
            "data.flag": "true",
            "data.code": "007",
            "data.list": "[1, 2]",
            "data.note": "",
            "": "x",
        },
        {
            "subject": {"type": "order", "id": "42"},
            "data": {"amount": 1.5, "flag": True, "code": "007", "list": [1, 2]},
        },
    ),
]


# an epoch timestamp JSON does not read (a leading zero, digits other than ASCII) stays text, which the
# intake then rejects as a timestamp it cannot read (it was an internal error)
FLAT += [({"timestamp": cell}, {"timestamp": cell}) for cell in ("007", "١٢", "0012.5")]


@pytest.mark.parametrize(("row", "expected"), FLAT)
def test_canonical_csv_rows(row: dict[str, str], expected: dict[str, Any]) -> None:
    assert canonical_from_flat(row) == expected


# numbers at the edges of the short path (orjson) and past it (the json module): the value and its
# type are json.loads's either way (orjson reads an integer past 64 bits as a float, and refuses
# 1e400, which json reads as infinity)
LITERAL_CELLS = [
    "0",
    "-0",
    "-0.0",
    "1950",
    "325.52",
    "999999999999999999",  # 18 digits: orjson
    "1000000000000000000",  # 19 digits: json (still 64 bits)
    "18446744073709551616",  # past 64 bits: an int, not a float
    "123456789012345678901234567890",
    "-12345678901234.5",  # 15 digits: orjson
    "1234567890123456.7",  # 17 digits: json
    "0.1000000000000000055511151231257827",
    "1e400",
    "1E5",
    "true",
    "null",
    "[1, 2.5]",
    '{"a": 1, "a": 2}',
]


@pytest.mark.parametrize("cell", LITERAL_CELLS)
def test_a_literal_cell_reads_as_json_reads_it(cell: str) -> None:
    value = canonical_from_flat({"data.x": cell})["data"]["x"]
    want = json.loads(cell)
    assert type(value) is type(want) and repr(value) == repr(want)
