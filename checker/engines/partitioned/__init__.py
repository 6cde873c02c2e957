"""The reference engine over inputs larger than memory: parts on disk, judged one at a time
(:mod:`.partition`; :func:`check_partitioned` is the library's call).

May import: :mod:`checker.engines.reference`, :mod:`checker.engines.base`,
:mod:`checker.engines.setup`, :mod:`checker.engines.spill`, :mod:`checker.results`,
:mod:`checker.inputs`, :mod:`checker.language`.
"""

from .partition import check_partitioned, check_parts

__all__ = ["check_partitioned", "check_parts"]
