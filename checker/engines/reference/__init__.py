"""The reference engine: every trigger judged in Python, the judge of what the others must match.

Lives here: events indexed by correlation key (:mod:`.eventindex`), the
lookup kinds' evaluators (:mod:`.lookups`), a rule bound once per run
(:mod:`.plan`), one trigger judged (:mod:`.judge`) and the run itself
(:mod:`.engine`).

May import: :mod:`checker.results`, :mod:`checker.inputs`, :mod:`checker.language`.
"""
