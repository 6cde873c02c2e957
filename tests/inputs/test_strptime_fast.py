"""The fast reading of usual timestamp formats agrees with ``datetime.strptime`` everywhere.

:func:`checker.inputs.fieldtypes.strptime` reads a text in a usual format (numeric fields and
separators) without ``datetime.strptime`` when the text writes every field in full; these tests
hold it to the same datetime, or the same refusal (a ``ValueError``), as strptime: on the
formats the shipped profiles and the benchmark use, at the fields' boundaries, on odd texts
(one-digit fields, other white space, other digits, lower case), and on random texts.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from checker.inputs.fieldtypes import fast_pattern, strptime
from checker.inputs.profiles import load_profile

ROOT = Path(__file__).resolve().parents[2]

#: formats read fast: those of the shipped profiles and the benchmark's, and a few more
FAST_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d",
    "%Y%m%d",
    "%Y%m%d%H%M%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y",
    "%Y-%m-%d %H:%M:%S.%f ",
]
#: formats left to strptime
SLOW_FORMATS = [
    "%Y-%m-%d %H:%M:%S%z",
    "%y-%m-%d",
    "%m-%d %H:%M",  # no year: strptime's defaults (and its 29 February rule) apply
    "%Y-%m-%d %H:%M:%S.%f%H",  # %f straight before another field
    "%Y-%m-%d %I:%M %p",
    "%Y年%m月%d日",
    "%Y-%m-%d %%",
    "%Y-%m-%d %H:%M:%S,%f",
    "%Y-%m-%d %H:%M:%S%",
    "%Y-%m-%d %Y",
]


def _outcome(read: Callable[[str, str], datetime], text: str, fmt: str) -> object:
    try:
        dt = read(text, fmt)
    except Exception as exc:  # a ValueError, or re.error for a format naming a field twice
        return type(exc)
    return dt, dt.tzinfo, dt.fold


def _agree(text: str, fmt: str) -> None:
    assert _outcome(strptime, text, fmt) == _outcome(datetime.strptime, text, fmt), (text, fmt)


def test_the_profiles_formats_are_read_fast() -> None:
    formats = {"%Y-%m-%d %H:%M:%S.%f"}  # the benchmark's generated GB18030 profile
    for path in sorted((ROOT / "profiles").glob("*.yaml")):
        for spec in load_profile(path).values:
            formats.update(f for f in spec.conversion.formats if "%" in f)
    assert formats, "no profile declares a strptime format"
    for fmt in formats:
        assert fast_pattern(fmt) is not None, fmt
        assert fmt in FAST_FORMATS, f"add {fmt!r} to FAST_FORMATS"


@pytest.mark.parametrize("fmt", FAST_FORMATS)
def test_fast_formats_have_a_pattern(fmt: str) -> None:
    assert fast_pattern(fmt) is not None


@pytest.mark.parametrize("fmt", SLOW_FORMATS)
def test_other_formats_are_left_to_strptime(fmt: str) -> None:
    assert fast_pattern(fmt) is None


BOUNDARY_TEXTS = [
    "2024-03-21 17:28:06",
    "2024-03-21 17:28:06.5",
    "2024-03-21 17:28:06.000000",
    "2024-03-21 17:28:06.123456",
    "2024-03-21 17:28:06.1234567",
    "2024-03-21 17:28:06.",
    "2024-03-21 17:28:60",
    "2024-03-21 17:28:61",
    "2024-03-21 17:28:62",
    "2024-03-21 17:60:00",
    "2024-03-21 23:59:59.999999",
    "2024-03-21 24:00:00",
    "2024-03-21 00:00:00",
    "2024-02-29 00:00:00",
    "2023-02-29 00:00:00",
    "2024-02-30 00:00:00",
    "2024-04-31 00:00:00",
    "2024-12-31 00:00:00",
    "2024-13-01 00:00:00",
    "2024-00-01 00:00:00",
    "2024-01-00 00:00:00",
    "2024-01-32 00:00:00",
    "0000-01-01 00:00:00",
    "0001-01-01 00:00:00",
    "9999-12-31 23:59:59.999999",
    "2024-3-5 7:8:9",
    "2024-03- 5 07:08:09",
    "2024-03-05  07:08:09",
    "2024-03-05\t07:08:09",
    "2024-03-05\u300007:08:09",
    "2024-03-05T07:08:09",
    "2024-03-05t07:08:09",
    "２０２４-03-05 07:08:09",
    "٢٠٢٤-03-05 07:08:09",
    "2024-03-05 07:08:09 ",
    " 2024-03-05 07:08:09",
    "2024-03-05 07:08:09+08:00",
    "2024/03/05 07:08:09",
    "20240305",
    "20240305070809",
    "202403050708",
    "05/03/2024 07:08",
    "03/05/2024",
    "12/31/2024",
    "31/12/2024 00:00",
    "",
    "2024",
    "-2024-03-05",
    "+2024-03-05",
    "2024-03-05 07:08:09.12 ",
]


@pytest.mark.parametrize("fmt", FAST_FORMATS + SLOW_FORMATS)
def test_boundaries_and_odd_texts(fmt: str) -> None:
    for text in BOUNDARY_TEXTS:
        _agree(text, fmt)
    sample = datetime(2024, 3, 5, 7, 8, 9, 120000)
    _agree(sample.strftime(fmt), fmt)


def _random_field(rng: random.Random, directive: str) -> str:
    width = {"Y": 4, "f": 6}.get(directive, 2)
    choice = rng.random()
    if choice < 0.6:  # in full, within or just past the range
        top = {"Y": 9999, "m": 13, "d": 32, "H": 24, "M": 60, "S": 62, "f": 999999}[directive]
        return str(rng.randint(0, top)).zfill(width)
    if choice < 0.75:  # short
        return str(rng.randint(0, 9))
    if choice < 0.85 and directive == "f":
        return str(rng.randint(0, 10**7)).zfill(rng.randint(1, 8))
    if choice < 0.9:  # other digits
        return "".join(rng.choice("0123456789٠١٢３４") for _ in range(width))
    return rng.choice([" 1", "1 ", "a1", "+1", "-1", "", "١٢"])


def _random_text(rng: random.Random, fmt: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "%":
            out.append(_random_field(rng, fmt[i + 1]))
            i += 2
        else:
            char = fmt[i]
            if rng.random() < 0.05:
                char = rng.choice([" ", "  ", "\t", "t", "T", "-", "/", ":", ".", ""])
            out.append(char)
            i += 1
    return "".join(out)


@pytest.mark.parametrize("fmt", FAST_FORMATS)
def test_random_texts(fmt: str) -> None:
    rng = random.Random(f"strptime {fmt}")
    for _ in range(3000):
        _agree(_random_text(rng, fmt), fmt)
