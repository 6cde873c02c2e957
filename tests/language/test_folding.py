"""Line breaks YAML folds into a space between Chinese characters are found where they are, in
every scalar style, and only those."""

from __future__ import annotations

import pytest
import yaml

from checker.language.folding import CODE, folded_cjk_spaces

#: (name, YAML text, (line, column) of every fold reported)
CASES = [
    ("folded block", "t: >-\n  创建于，\n  此时\n", [(2, 7)]),
    ("folded block, kept final break", "t: >\n  创建于\n  此时\nu: x\n", [(2, 6)]),
    ("double-quoted", 't: "创建于，\n  此时"\n', [(1, 9)]),
    ("single-quoted", "t: '创建于，\n  此时'\n", [(1, 9)]),
    ("plain", "t: 创建于，\n  此时\n", [(1, 8)]),
    ("plain in a flow mapping", "t: {zh: 创建\n  此时}\n", [(1, 11)]),
    ("in a list", "t:\n  - >-\n    创建\n    此时\n", [(3, 7)]),
    ("two folds", "t: >-\n  一\n  二\n  三\n", [(2, 4), (3, 4)]),
    ("escaped break", 't: "创建于，\\\n  此时"\n', []),
    ("escaped backslash then a break", 't: "创建于\\\\\n  此时"\n', []),
    ("literal block", "t: |-\n  创建于，\n  此时\n", []),
    ("blank line keeps a break", "t: >-\n  创建于，\n\n  此时\n", []),
    ("more-indented line keeps its break", "t: >-\n  创建于，\n    此时\n", []),
    ("English folds as meant", "t: >-\n  created at\n  then\n", []),
    ("CJK then Latin", "t: >-\n  创建于\n  2024\n", []),
    ("one line", "t: 创建于， 此时\n", []),
    ("a key is not a text", "? 创建\n  此时\n: x\n", []),
    ("CRLF line ends", "t: >-\r\n  创建于，\r\n  此时\r\n", [(2, 7)]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_folds_between_chinese_characters_are_reported_at_the_line_end(
    text: str, expected: list[tuple[int, int]]
) -> None:
    problems = folded_cjk_spaces(text, "p.yaml")
    assert [(p.location.line, p.location.column) for p in problems] == expected
    assert all(p.code == CODE and p.location.json_path.startswith("$.t") for p in problems)
    if expected:  # the loaded text really has the stray space each problem names
        value = str(yaml.safe_load(text)["t"])
        for p in problems:
            left, right = p.message.split("after ")[1][1], p.message.split("before ")[1][1]
            assert f"{left} {right}" in value


def test_the_message_says_how_to_write_it() -> None:
    (problem,) = folded_cjk_spaces('t: "创建于，\n  此时"\n', "p.yaml")
    assert str(problem).startswith("p.yaml:1:9: $.t: the line break after '，' becomes a space before '此'")
    assert "double-quoted with a \\ at the end of the line" in problem.message
