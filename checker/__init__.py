"""policy-checker: policy-as-data compliance checks over seller activity logs.

The library is the product; the ``checker`` command is a thin layer over it::

    import checker

    policies = checker.load_policies(["policies"])        # validated, or problems listed
    events = checker.read_events(["export.jsonl"])       # every record accounted for
    result = checker.check(policies, events)             # outcomes for every trigger
    for finding in result.findings:
        print(finding.rule_id, finding.seller_id, finding.message.en)
    report = checker.render("json", result, checker.RenderOptions())  # any of checker.RENDERERS

``check`` runs on any engine of ``checker.ENGINES`` (``engine="duckdb"``, or ``"auto"``);
every engine gives the same result. For inputs larger than memory the python engine judges
one part of the input at a time (``parts=N``, or ``checker.check_partitioned``).
"""

from __future__ import annotations

from ._version import __version__
from .api import check
from .engines import ENGINES, Engine, EngineChoiceError, Inputs, RunOptions, choose_engine
from .engines.partitioned import check_partitioned
from .inputs.events import Event, EventBatch, events_from_records
from .inputs.files import read_events
from .inputs.profiles import Profile, load_profile
from .language.errors import CheckerError, Location, Problem
from .language.loader import Pack, PolicySet, load_policies
from .language.policy import Policy
from .outputs import RENDERERS, RenderOptions, render, write_report
from .results.baseline import Baseline, load_baseline, write_baseline
from .results.gating import Status, Triage, triage
from .results.outcomes import Kind, Outcome
from .results.result import CheckResult
from .results.waivers import Waivers, load_waivers
from .testing import run_policy_tests

__all__ = [
    "ENGINES",
    "RENDERERS",
    "Baseline",
    "CheckResult",
    "CheckerError",
    "Engine",
    "EngineChoiceError",
    "Event",
    "EventBatch",
    "Inputs",
    "Kind",
    "Location",
    "Outcome",
    "Pack",
    "Policy",
    "PolicySet",
    "Problem",
    "Profile",
    "RenderOptions",
    "RunOptions",
    "Status",
    "Triage",
    "Waivers",
    "__version__",
    "check",
    "check_partitioned",
    "choose_engine",
    "events_from_records",
    "load_baseline",
    "load_policies",
    "load_profile",
    "load_waivers",
    "read_events",
    "render",
    "run_policy_tests",
    "triage",
    "write_baseline",
    "write_report",
]
