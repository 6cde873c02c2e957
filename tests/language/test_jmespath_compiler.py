"""The compiled form of every expression agrees with jmespath's interpreter, on generated data."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import checker
from checker.language.expressions import EventView, Expression, compile_expression
from checker.language.times import zone
from tests.conftest import FIXTURES, POLICIES, examples

TZ = zone("Asia/Shanghai")


def _expressions() -> list[Expression]:
    found: list[Expression] = []
    for pack in (POLICIES, FIXTURES / "custom-policies"):
        for p in checker.load_policies([pack]).policies:
            found.extend(p.correlate_by)
            found.extend(e for e in (p.trigger.where, p.violation_if) if e is not None)
            for b in p.bindings:
                found.extend(e for e in (b.where, b.after, b.before, b.of, b.value) if e is not None)
            for c in (*p.inconclusive_if, *p.pending_if):
                found.append(c.when)
                found.extend(part for part in c.reason.parts if isinstance(part, Expression))
            for template in p.message_templates:
                found.extend(part for part in template.parts if isinstance(part, Expression))
    extra = [
        "a[0]",
        "a[-1].b",
        "a[*].b",
        "a[?b > `1`].c",
        "length(a)",
        "!`0`",
        "`0` || x",
        "a.b | c",
        "[a, b]",
        "{x: a}",
        "a[1:]",
        "sort_by(a, &b)",
        '`"s"` < `"t"`',
        # shapes with fast paths of their own: function calls that skip call_function when
        # arity and types allow (and must fail the same way when they do not), equality
        # around 0/1 and booleans, negation of numbers, orderings of mixed types
        "`0` == `false`",
        "a == `1`",
        "a != `0`",
        "a == b",
        "a != b",
        "!a",
        "!b && !c",
        "a < b",
        'a >= `"x"`',
        "a <= `2.5`",
        "not_null(a, b)",
        "length(a)",
        "abs(a)",
        "duration(a)",
        "plus(a, b)",
        'minus(a, `"P1D"`)',
        "elapsed(a, b)",
        "time(a)",
        "format_elapsed(a)",
        "is_blank(a)",
        "contains(a, b)",
        "starts_with(a, b)",
        "type(a) == 'number'",
        "calendar_days(a, b)",
        "x && !a || b",
    ]
    found.extend(e for e in map(compile_expression, extra) if isinstance(e, Expression))
    return found


EXPRESSIONS = _expressions()
NAMES = sorted(
    {
        "trigger",
        "params",
        "as_of",
        "a",
        "b",
        "c",
        "x",
        "data",
        "action",
        "actor",
        "approval",
        "request",
        "decision",
        "enrolled",
        "joined",
        "membership",
        "returned",
        "review",
        "deposit",
        "start",
        "seller_id",
        "subject",
        "created_at",
        "paid_at",
    }
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.integers(10**14, 2 * 10**15),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(
        [
            "",
            " ",
            "\u3000",
            "x",
            "P3D",
            "PT72H",
            "2024-03-01 10:00:00",
            "2024-03-01T10:00:00Z",
            "affiliate.exited",
            "distribution.cancel_approved",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(NAMES), inner, max_size=4)
    ),
    max_leaves=12,
)


def _as_event(value: Any) -> Any:
    if isinstance(value, dict) and value.get("seller_id") is not None:
        return EventView(value, 1_700_000_000_000_000)
    return value


@settings(max_examples=examples(400), deadline=None)
@given(
    index=st.integers(0, len(EXPRESSIONS) - 1),
    context=st.dictionaries(st.sampled_from(NAMES), values.map(_as_event), max_size=10),
)
def test_compiled_expressions_match_the_interpreter(index: int, context: dict[str, Any]) -> None:
    expr = EXPRESSIONS[index]
    bound = expr.bound(TZ, TZ)  # the form the engine calls
    try:
        expected = expr.interpret(context, TZ, TZ)
    except Exception as exc:  # the compiled form must fail the same way
        with pytest.raises(type(exc)):
            expr.evaluate(context, TZ, TZ)
        with pytest.raises(type(exc)):
            bound(context)
        return
    assert expr.evaluate(context, TZ, TZ) == expected
    assert bound(context) == expected


def test_every_policy_expression_is_covered() -> None:
    assert len(EXPRESSIONS) > 100
