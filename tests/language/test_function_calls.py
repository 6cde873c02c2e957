"""Function calls are checked by arity before a run: exact for fixed signatures, at least the
declared count for JMESPath's variadic built-ins (``not_null``, ``merge``)."""

from __future__ import annotations

import pytest

from checker.language.expressions import check_calls, compile_expression

CASES = [
    ("not_null(data.a, data.b, data.c)", []),
    ("not_null(data.a)", []),
    ("merge(data, data)", []),
    ("time(data.a, data.b)", ["time() takes 1 argument(s), 2 given"]),
    ("nosuch(data.a)", None),  # unknown: its message lists the registered functions
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_arity(text: str, expected: list[str] | None) -> None:
    compiled = compile_expression(text)
    assert not isinstance(compiled, Exception)
    messages = check_calls(compiled)
    if expected is None:
        assert len(messages) == 1 and messages[0].startswith("unknown function nosuch()")
    else:
        assert messages == expected
