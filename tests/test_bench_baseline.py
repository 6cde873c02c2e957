"""The benchmark's hand-written SQL (``bench/handwritten.py``: the 15 catalogue rules in plain DuckDB
SQL, the reference the fast engine's speed target is stated against) finds exactly the checker's
violations, evidence lists included, with its typed read and with its exact intake (lines
numbered, each read as Python's json reads it). A policy changed without its hand-written query
fails here, not only in a benchmark run's printout."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import checker
from checker.engines.duckdb.compile import compile_policy
from checker.engines.duckdb.engine import read_keys, runnable
from checker.engines.duckdb.intake import TOP_KEYS
from checker.engines.reference.engine import resolve_params
from checker.generator import generate

from .conftest import POLICIES, ROOT

NOW = "2026-01-01T00:00:00Z"


def _agree(events: Path, policy_set: checker.PolicySet, tmp_path: Path, exact: bool) -> str:
    """Run both on ``events`` at the checker's as-of time; the comparison's report (asserted equal)."""
    result = checker.check(policy_set, [events], now=NOW)
    product = tmp_path / "result.json"
    product.write_text(checker.render("json", result, checker.RenderOptions()), encoding="utf-8")
    baseline = tmp_path / "baseline.jsonl"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "handwritten.py"),
            str(events),
            "--as-of",
            result.as_of_text,
            "--now",
            NOW,
            "-o",
            str(baseline),
            "--temp-directory",
            str(tmp_path / "duckdb"),
            *(["--exact-intake"] if exact else []),
        ],
        check=True,
        capture_output=True,
    )
    compared = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "handwritten_check.py"), str(baseline), str(product)],
        capture_output=True,
        text=True,
    )
    assert compared.returncode == 0, compared.stdout
    assert len(result.findings) > 20  # every rule has something to find
    return compared.stdout


@pytest.fixture(params=[False, True], ids=["typed-read", "exact-intake"])
def exact(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def test_the_sample(policy_set: checker.PolicySet, tmp_path: Path, exact: bool) -> None:
    _agree(ROOT / "examples" / "sample-events.jsonl", policy_set, tmp_path, exact)


@pytest.mark.parametrize("seed", [3, 11])
def test_generated_exports(policy_set: checker.PolicySet, tmp_path: Path, seed: int, exact: bool) -> None:
    generate(tmp_path / "world", events=4000, seed=seed, violation_rate=0.3)
    report = _agree(tmp_path / "world" / "events.jsonl", policy_set, tmp_path, exact)
    total = report.splitlines()[-1].split()
    assert total[0] == "total" and int(total[1]) == int(total[2]) > 100


def _exact(events: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    argv = [
        sys.executable,
        str(ROOT / "bench" / "handwritten.py"),
        str(events),
        "--now",
        NOW,
        "--exact-intake",
    ]
    argv += ["-o", str(tmp_path / "out.jsonl"), "--temp-directory", str(tmp_path / "duckdb")]
    return subprocess.run(argv, capture_output=True, text=True)


def test_the_exact_intake_numbers_the_lines_the_checker_rejects(tmp_path: Path) -> None:
    """The exact intake rejects the lines the checker rejects, at their line numbers (its codes
    are its own), skips the lines Python skips, and lists the lines only a strict parser decides
    (a trailing comma, a key given twice, a timestamp in another form): then it says it did less
    than its name claims, and exits with 3."""
    head = '{"timestamp":"2024-05-01T10:00:00+08:00","platform":"aliexpress","seller_id":"s1",'
    lines = [
        head + '"event_id":"e1","action":"affiliate.joined"}',
        "",
        head + '"event_id":"e2","action":"affiliate.joined",}',  # a trailing comma: not JSON
        head + '"event_id":"e3","event_id":"e4","action":"affiliate.joined"}',  # Python reads e4
        head + '"event_id":7,"action":"affiliate.joined"}',  # a number for an id
        "not json",
        head.replace("2024-05-01T10:00:00+08:00", "yesterday") + '"event_id":"e8","action":"a.b"}',
        "\t \f",  # blank to Python
        head + '"action":"affiliate.joined"}',  # no id
        head + '"event_id":"e10"}',  # no action
        head.replace("T10", "t10").replace("+08:00", "z") + '"event_id":"e11","action":"a.b"}',
        head.replace("T10:00", "T24:00") + '"event_id":"e12","action":"a.b"}',  # no 24:00
    ]
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    product = checker.read_events([events])
    assert [(r.line, r.code) for r in product.rejected] == [
        (3, "bad-json"),
        (5, "invalid-event"),
        (6, "bad-json"),
        (7, "bad-timestamp"),
        (9, "invalid-event"),
        (10, "invalid-event"),
        (12, "bad-timestamp"),
    ]
    assert [e.event_id for e in product.events] == ["e1", "e4", "e11"]
    ran = _exact(events, tmp_path)
    assert ran.returncode == 3, ran.stderr
    assert (
        "rejected lines: 8 (3: needs-exact-parse, 4: needs-exact-parse, 5: missing-field, 6: bad-json, "
        "7: needs-exact-parse, 9: missing-field, 10: missing-field, 12: needs-exact-parse)"
    ) in ran.stdout
    assert "records: 10  accepted: 2" in ran.stdout
    assert "warning: 4 lines need a strict JSON parser" in ran.stdout


def test_the_exact_intake_checks_the_keys_the_checker_checks() -> None:
    """A key given twice sends a line to the strict parser when a rule reads it: the script's
    keys are the checker's for the catalogue (a policy reading a new key must add it there)."""
    spec = importlib.util.spec_from_file_location("handwritten", ROOT / "bench" / "handwritten.py")
    assert spec is not None and spec.loader is not None
    handwritten = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(handwritten)
    policy_set = checker.load_policies([POLICIES])
    active = runnable(policy_set.policies)
    params = resolve_params(active, None)
    plans = [
        compile_policy(p, str(i), params=params[(p.id, p.version)], input_tz="Asia/Shanghai")
        for i, p in enumerate(active)
    ]
    assert sorted(handwritten.READ_KEYS) == sorted({*TOP_KEYS, *read_keys(plans)})
