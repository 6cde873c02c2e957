"""The window's anchor keys: strict ``after``/``before``, inclusive ``at_or_after``/``at_or_before``,
at most one per end of the window, in the model, the schema and ``explain``."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.language.explain import explain
from checker.language.kinds import ANCHOR_KEYS, LOOKUP_KINDS, WINDOW_KEYS, LookupKind, anchor_of

from .kindcases import binding_of, load, load_policy, write_policy

KINDS = list(LOOKUP_KINDS.values())
#: (anchor keys given, Binding.after_inclusive, Binding.before_inclusive)
MODEL_CASES = [
    ({"after": "trigger"}, False, False),
    ({"at_or_after": "trigger"}, True, False),
    ({"before": "trigger"}, False, False),
    ({"at_or_before": "trigger"}, False, True),
    ({"at_or_after": "minus(trigger, 'PT1H')", "before": "trigger"}, True, False),
    ({"after": "minus(trigger, 'PT1H')", "at_or_before": "trigger"}, False, True),
]


def test_every_lookup_kind_takes_every_anchor_key() -> None:
    assert WINDOW_KEYS == ("where", "after", "at_or_after", "before", "at_or_before")
    for kind in KINDS:
        assert set(ANCHOR_KEYS) <= set(kind.options), kind.name


@pytest.mark.parametrize(("anchors", "after_inclusive", "before_inclusive"), MODEL_CASES)
def test_the_model_keeps_the_anchor_and_whether_it_is_inclusive(
    tmp_path: Path, anchors: dict[str, str], after_inclusive: bool, before_inclusive: bool
) -> None:
    (binding,) = load_policy(tmp_path, {"x": binding_of(LOOKUP_KINDS["last"], **anchors)}).bindings
    lower = anchors.get("after", anchors.get("at_or_after"))
    upper = anchors.get("before", anchors.get("at_or_before"))
    assert (binding.after.text if binding.after else None) == lower
    assert (binding.before.text if binding.before else None) == upper
    assert (binding.after_inclusive, binding.before_inclusive) == (after_inclusive, before_inclusive)


def test_anchor_of_names_the_key_bounding_each_end() -> None:
    spec = {"at_or_after": "trigger", "before": "x"}
    assert anchor_of(spec, "lower") == ANCHOR_KEYS["at_or_after"]
    assert anchor_of(spec, "upper") == ANCHOR_KEYS["before"]
    assert anchor_of({}, "lower") is None


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
@pytest.mark.parametrize(("strict", "inclusive"), [("after", "at_or_after"), ("before", "at_or_before")])
def test_both_keys_of_one_end_are_refused_at_the_inclusive_key(
    tmp_path: Path, kind: LookupKind, strict: str, inclusive: str
) -> None:
    bindings = {"x": binding_of(kind, **{strict: "trigger", inclusive: "trigger"})}
    path = write_policy(tmp_path, bindings)
    lines = path.read_text(encoding="utf-8").splitlines()
    (line,) = [i for i, text in enumerate(lines, 1) if text.startswith("  x:")]
    column = lines[line - 1].index(f'"{inclusive}"') + 1
    (problem,) = load(tmp_path, bindings).problems
    assert problem.code == "conflicting-keys"
    assert (problem.location.file, problem.location.line, problem.location.column) == (
        str(path),
        line,
        column,
    )
    assert problem.message == (
        f"$.let.x: give either '{strict}' ({ANCHOR_KEYS[strict].words} its anchor) or '{inclusive}' "
        f"({ANCHOR_KEYS[inclusive].words} it), not both: they bound the same end of the window"
    )


def test_each_end_refused_on_its_own(tmp_path: Path) -> None:
    """Both ends given twice: two problems, one per end, in file order."""
    spec = binding_of(
        LOOKUP_KINDS["count"], after="trigger", at_or_after="trigger", before="as_of", at_or_before="as_of"
    )
    problems = load(tmp_path, {"x": spec}).problems
    assert [(p.code, p.location.json_path) for p in problems] == [
        ("conflicting-keys", "$.let.x.at_or_after"),
        ("conflicting-keys", "$.let.x.at_or_before"),
    ]


@pytest.mark.parametrize(
    ("anchors", "words"),
    [
        ({"after": "trigger"}, ", strictly after trigger"),
        ({"at_or_after": "trigger"}, ", at or after trigger"),
        ({"before": "trigger"}, ", strictly before trigger"),
        ({"at_or_before": "trigger"}, ", at or before trigger"),
        (
            {"at_or_after": "minus(trigger, 'PT1H')", "at_or_before": "trigger"},
            ", at or after minus(trigger, 'PT1H'), at or before trigger",
        ),
    ],
)
def test_explain_says_whether_an_anchor_is_inclusive(
    tmp_path: Path, anchors: dict[str, str], words: str
) -> None:
    policy = load_policy(tmp_path, {"x": binding_of(LOOKUP_KINDS["first"], **anchors)})
    assert f"{words}, among the trigger's correlated events" in explain([policy])
