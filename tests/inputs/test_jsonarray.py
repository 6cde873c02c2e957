"""The streaming JSON array splitter: element texts, start lines, problems, any chunking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checker.inputs.jsonarray import Element, NotAnArray, split_array

CASES = [
    ("empty document", "", []),
    ("empty array", " [ ] \n", []),
    (
        "objects on lines",
        '[\n{"a": 1},\n{"b": [1, {"c": "]"}]}\n]',
        [Element(2, '{"a": 1}'), Element(3, '{"b": [1, {"c": "]"}]}')],
    ),
    (
        "scalars",
        '[1, "x,y", true, null]',
        [Element(1, "1"), Element(1, '"x,y"'), Element(1, "true"), Element(1, "null")],
    ),
    (
        "escaped quotes and backslashes",
        r'[{"a": "q\"}, \\"}, 2]',
        [Element(1, r'{"a": "q\"}, \\"}'), Element(1, "2")],
    ),
    ("element over lines", '[{"a":\n 1\n},\n{"b": 2}]', [Element(1, '{"a":\n 1\n}'), Element(4, '{"b": 2}')]),
    (
        "malformed element is delimited alone",
        '[{"bad": },\n{"ok": 1}]',
        [Element(1, '{"bad": }'), Element(2, '{"ok": 1}')],
    ),
    ("stray closing brace", '[}, {"ok": 1}]', [Element(1, "}"), Element(1, '{"ok": 1}')]),
    (
        "missing closing bracket",
        '[{"a": 1},\n',
        [Element(1, '{"a": 1}'), Element(2, "", "the input ends before the array's closing ']'")],
    ),
    (
        "unterminated string",
        '[{"a": 1},\n{"b": "oops}]\n',
        [
            Element(1, '{"a": 1}'),
            Element(
                2, '{"b": "oops}]', "the input ends inside this element (a missing closing bracket or quote)"
            ),
        ],
    ),
    (
        "trailing text",
        "[1]\n\n junk ",
        [Element(1, "1"), Element(3, "junk", "text after the array's closing ']'")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_elements(text: str, expected: list[Element]) -> None:
    assert list(split_array([text])) == expected


@given(data=st.data())
def test_any_chunking_gives_the_same_elements(data: st.DataObject) -> None:
    _, text, expected = data.draw(st.sampled_from(CASES))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=8)))
    chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    assert list(split_array(chunks)) == expected


def test_a_large_array_is_split_without_quadratic_copying() -> None:
    text = "[" + ",\n".join(f'{{"i": {i}, "s": "{"x" * 50}"}}' for i in range(20000)) + "]"
    chunks = [text[i : i + 4096] for i in range(0, len(text), 4096)]
    elements = list(split_array(chunks))
    assert len(elements) == 20000 and elements[-1] == Element(20000, f'{{"i": 19999, "s": "{"x" * 50}"}}')


def test_a_document_that_is_not_an_array() -> None:
    with pytest.raises(NotAnArray):
        list(split_array(['{"a": 1}']))
