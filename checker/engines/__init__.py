"""Engines: what runs policies over inputs and returns a :class:`~checker.results.result.CheckResult`.

May import: :mod:`checker.results`, :mod:`checker.inputs`, :mod:`checker.language`.
"""
