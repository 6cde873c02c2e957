"""Errors as values: every problem the checker finds carries where it is.

A :class:`Problem` is what validation, input reading and policy tests return
(never raise) so that a run can report every problem at once. Code that must
stop raises :class:`CheckerError`, which carries the problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A place in a file: 1-based line and column, and the JSON path inside the document."""

    file: str
    line: int = 0
    column: int = 0
    json_path: str = "$"

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column or 1}"
        return self.file


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One error found in a policy, a profile or an input.

    ``code`` is a stable category (``schema``, ``duplicate-key``,
    ``jmespath``...) that tests and tools match on; ``message`` tells the user
    what to change; ``detail`` may hold extra lines (an expression with a
    caret under the bad column).
    """

    location: Location
    code: str
    message: str
    detail: str = field(default="", compare=False)

    def __str__(self) -> str:
        text = f"{self.location}: {self.message} [{self.code}]"
        if self.detail:
            text += "\n" + "\n".join("    " + line for line in self.detail.splitlines())
        return text


class CheckerError(Exception):
    """Raised by library calls that cannot go on; holds the problems found."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
