"""Shared fixtures: the repository's paths and the shipped policy pack; the two test tiers.

``pytest`` runs the fast tier: tests marked ``slow`` (large cases) or ``browser`` (headless
Chromium) are deselected, and the summary counts them, and property tests run under the
hypothesis profile ``fast``: a tenth of their examples. ``pytest --full`` runs every test, with
each property test's own number of examples (the profile ``full``). ``-m EXPR`` chooses tests by
marker instead of the tier (``-m browser``), and a test named by its node id always runs.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import settings

import checker
from checker.cli.app import run

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: markers of the tests only the full tier runs (registered in pyproject.toml)
FULL_TIER_ONLY = ("slow", "browser")
#: the share of its examples a property test tries in the fast tier
FAST_SHARE = 10
#: how many tests the fast tier deselected, for the summary
_DESELECTED = pytest.StashKey[int]()

settings.register_profile("full")  # hypothesis' defaults; a test's own max_examples stands
settings.register_profile("fast", max_examples=100 // FAST_SHARE)


def examples(full: int) -> int:
    """``max_examples`` for a property test that tries ``full`` examples in the full tier: under the
    ``fast`` profile a tenth of them, at least 2."""
    return max(2, full // FAST_SHARE) if settings.get_current_profile_name() == "fast" else full


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--full",
        action="store_true",
        default=False,
        help="the full tier: also the tests marked slow or browser, with every property test's "
        "full number of examples (hypothesis profile 'full')",
    )


def pytest_configure(config: pytest.Config) -> None:
    # hypothesis' own --hypothesis-profile, when given, wins (its plugin loads it after this hook)
    if config.getoption("hypothesis_profile", None) is None:
        settings.load_profile("full" if config.getoption("full") else "fast")


def _named(config: pytest.Config) -> list[str]:
    """The node ids named on the command line (``path::test``), relative to the root directory."""
    named = []
    for arg in config.args:
        if "::" in arg:
            path, rest = arg.split("::", 1)
            absolute = (config.invocation_params.dir / path).resolve()
            if absolute.is_relative_to(config.rootpath):
                named.append(f"{absolute.relative_to(config.rootpath).as_posix()}::{rest}")
    return named


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The fast tier: deselect the tests marked slow or browser, unless --full or -m is given."""
    if config.getoption("full") or config.getoption("markexpr"):
        return
    named = _named(config)
    keep, deselected = [], []
    for item in items:
        full_only = any(item.get_closest_marker(m) for m in FULL_TIER_ONLY)
        if full_only and not any(item.nodeid.startswith(n) for n in named):
            deselected.append(item)
        else:
            keep.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = keep
    config.stash[_DESELECTED] = len(deselected)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    deselected = config.stash.get(_DESELECTED, 0)
    if deselected:
        share = f"1/{FAST_SHARE}" if settings.get_current_profile_name() == "fast" else "all"
        terminalreporter.write_line(
            f"fast tier: {deselected} tests marked slow or browser deselected, property tests at "
            f"{share} of their examples; `pytest --full` runs everything"
        )


@pytest.fixture(scope="session")
def policy_set() -> checker.PolicySet:
    """The shipped catalogue, loaded once."""
    loaded = checker.load_policies([POLICIES])
    assert not loaded.problems, "\n".join(str(p) for p in loaded.problems)
    return loaded


def run_cli(*argv: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    """Run the command line in-process: (exit code, standard output, standard error)."""
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err, io.BytesIO(stdin) if stdin is not None else None)
    return code, out.getvalue(), err.getvalue()
