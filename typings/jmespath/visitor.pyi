from collections.abc import Callable, MutableMapping
from typing import Any, ClassVar

from jmespath.functions import Functions

# private, mirrored by checker.language.jmespath_compiler
def _equals(x: Any, y: Any) -> bool: ...
def _is_actual_number(x: Any) -> bool: ...

class Options:
    dict_cls: Callable[[], MutableMapping[Any, Any]] | None
    custom_functions: Functions | None
    def __init__(
        self,
        dict_cls: Callable[[], MutableMapping[Any, Any]] | None = None,
        custom_functions: Functions | None = None,
    ) -> None: ...

class Visitor:
    def __init__(self) -> None: ...
    def visit(self, node: dict[str, Any], *args: Any, **kwargs: Any) -> Any: ...
    def default_visit(self, node: dict[str, Any], *args: Any, **kwargs: Any) -> Any: ...

class TreeInterpreter(Visitor):
    COMPARATOR_FUNC: ClassVar[dict[str, Callable[[Any, Any], Any]]]
    _EQUALITY_OPS: ClassVar[list[str]]
    MAP_TYPE: ClassVar[Callable[[], MutableMapping[Any, Any]]]
    def __init__(self, options: Options | None = None) -> None: ...
    def visit_comparator(self, node: dict[str, Any], value: Any) -> Any: ...
