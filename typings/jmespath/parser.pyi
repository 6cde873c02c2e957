from typing import Any

from jmespath.visitor import Options

class ParsedResult:
    expression: str
    #: the syntax tree: {"type": ..., "value": ..., "children": [...]} nodes
    parsed: dict[str, Any]
    def __init__(self, expression: str, parsed: dict[str, Any]) -> None: ...
    def search(self, value: Any, options: Options | None = None) -> Any: ...

class Parser:
    def __init__(self, lookahead: int = 2) -> None: ...
    def parse(self, expression: str) -> ParsedResult: ...
