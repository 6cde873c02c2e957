"""The reference engine over inputs larger than memory: parts on disk, judged one at a time.

May import: :mod:`checker.engines.reference`, :mod:`checker.engines.spill`,
:mod:`checker.results`, :mod:`checker.inputs`, :mod:`checker.language`.
"""
