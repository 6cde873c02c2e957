"""policy-checker: policy-as-data compliance checks over seller activity logs.

The library is the product; the ``checker`` command is a thin layer over it::

    import checker

    policies = checker.load_policies(["policies"])        # validated, or problems listed
    events = checker.read_events(["export.jsonl"])       # every record accounted for
    result = checker.check(policies, events)             # outcomes for every trigger
    for finding in result.findings:
        print(finding.rule_id, finding.seller_id, finding.message.en)
    report = checker.render("json", result, checker.RenderOptions())  # any of checker.RENDERERS

For inputs larger than memory, ``checker.check_partitioned(policies, paths)``
gives the same result holding one part of the input at a time.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import check
from .baseline import Baseline, load_baseline, write_baseline
from .errors import CheckerError, Location, Problem
from .events import Event, EventBatch, events_from_records, read_events
from .gating import Status, Triage, triage
from .loader import Pack, PolicySet, load_policies
from .outcomes import Kind, Outcome
from .partition import check_partitioned
from .policy import Policy
from .profiles import Profile, load_profile
from .report import RENDERERS, RenderOptions, render, write_report
from .result import CheckResult
from .testing import run_policy_tests
from .waivers import Waivers, load_waivers

__all__ = [
    "RENDERERS",
    "Baseline",
    "CheckResult",
    "CheckerError",
    "Event",
    "EventBatch",
    "Kind",
    "Location",
    "Outcome",
    "Pack",
    "Policy",
    "PolicySet",
    "Problem",
    "Profile",
    "RenderOptions",
    "Status",
    "Triage",
    "Waivers",
    "__version__",
    "check",
    "check_partitioned",
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
