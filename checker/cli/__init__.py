"""The ``checker`` command: a thin layer of argument parsing over the library.

Lives here: the entry point and sub-command table (:mod:`.app`), ``check``
and ``baseline`` (:mod:`.check`), ``report`` (:mod:`.report`) and what they
share (:mod:`.common`). Only this layer prints to a terminal on its own
account or turns an outcome into an exit code.

May import: everything below it (:mod:`checker.api`, :mod:`checker.testing`,
:mod:`checker.engines`, :mod:`checker.outputs`, :mod:`checker.results`,
:mod:`checker.inputs`, :mod:`checker.language`, :mod:`checker.generator`).
"""

from .app import main

__all__ = ["main"]
