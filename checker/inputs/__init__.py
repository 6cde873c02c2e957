"""Inputs: exported logs read into canonical events, every record accounted for.

Lives here: the file readers (:mod:`.readers`, :mod:`.jsonarray`), field
mapping profiles and field types (:mod:`.profiles`, :mod:`.fieldtypes`), the
canonical event and the intake that admits or rejects each record
(:mod:`.events`), which files a run reads and how (:mod:`.files`), and
progress on a terminal (:mod:`.progress`).

May import: :mod:`checker.language`.
"""
