"""Results: what a run decided, and what a CI gate makes of it.

Lives here: the outcome of one trigger (:mod:`.outcomes`), the result of a
run (:mod:`.result`), baselines and waivers (:mod:`.baseline`,
:mod:`.waivers`) and the gate that triages findings into new, baselined and
waived (:mod:`.gating`).

May import: :mod:`checker.inputs`, :mod:`checker.language`.
"""
