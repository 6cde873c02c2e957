from collections.abc import Iterator
from typing import Any, TypedDict

class Token(TypedDict):
    """One token: its type (``lparen``, ``unquoted_identifier``...), value and place (``end`` is
    unreliable for literals)."""

    type: str
    value: Any
    start: int
    end: int

# used by checker.language.typecheck to place calls and comparisons in an expression's text
class Lexer:
    def tokenize(self, expression: str) -> Iterator[Token]: ...
