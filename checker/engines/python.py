"""The ``python`` engine: the reference engine, in memory or, for large inputs, a part at a time.

Both ways give the same result (:mod:`checker.engines.partitioned` explains why); the choice
is memory: the in-memory run holds every kept event (about 1-2 KB each), the partitioned run
one part of the input. ``RunOptions.parts`` chooses (0: in memory; N: N parts; None: in memory
below :data:`~checker.engines.partitioned.partition.PARTITION_FROM_BYTES` of input files,
else one part per :data:`~checker.engines.partitioned.partition.PART_BYTES`).
"""

from __future__ import annotations

from dataclasses import replace

from ..inputs.files import check_pins, input_bytes
from ..language.errors import Problem
from ..language.loader import PolicySet
from ..language.policy import Policy
from ..results.result import CheckResult
from .base import Inputs, RunOptions
from .partitioned.partition import BATCH_NOT_PARTITIONED, PARTITION_FROM_BYTES, check_parts, part_count
from .reference.engine import check_in_memory


def parts_for(inputs: Inputs, options: RunOptions) -> int:
    """How many parts the reference engine judges ``inputs`` in (0: all in memory)."""
    if options.parts is not None:
        return options.parts
    if inputs.batch is not None:
        return 0
    size = input_bytes(inputs.paths)
    return part_count(size) if size is not None and size >= PARTITION_FROM_BYTES else 0


class PythonEngine:
    """The reference engine (see the module's docstring)."""

    name = "python"

    def refuses(self, inputs: Inputs, options: RunOptions) -> str | None:
        """Only a negative part count, or parts of events already in memory."""
        if options.parts is not None and options.parts < 0:
            return f"--parts {options.parts}: expected 0 or more"
        if options.parts and inputs.batch is not None:
            return BATCH_NOT_PARTITIONED
        return None

    def unsupported(self, policy: Policy, params: dict[str, object] | None = None) -> list[Problem]:
        """None: the reference engine runs every policy that validates."""
        return []

    def check(self, policies: PolicySet, inputs: Inputs, options: RunOptions) -> CheckResult:
        """Judge in memory, or in parts on disk (see :func:`parts_for`); an input file that
        changed during the run is an ``input-changed`` error
        (:func:`checker.inputs.files.check_pins`)."""
        parts = parts_for(inputs, options)
        if parts > 0:
            return check_parts(policies, inputs, replace(options, parts=parts))
        result = check_in_memory(policies, inputs, options)
        if inputs.batch is None:  # files read here: they must still hold the bytes judged
            check_pins(result.batch.inputs)
        return result


ENGINE = PythonEngine()
