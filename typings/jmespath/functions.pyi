from collections.abc import Callable, Iterable
from typing import Any, NotRequired, TypedDict, TypeVar

TYPES_MAP: dict[str, str]
REVERSE_TYPES_MAP: dict[str, tuple[str, ...]]

class ArgumentSpec(TypedDict):
    """One argument of a ``signature``: the JMESPath type names it accepts (none: any)."""

    types: list[str]
    variadic: NotRequired[bool]

class FunctionSpec(TypedDict):
    """A ``FUNCTION_TABLE`` entry: the (unbound) ``_func_*`` method and its signature."""

    function: Callable[..., Any]
    signature: tuple[ArgumentSpec, ...]

_F = TypeVar("_F", bound=Callable[..., Any])

# records the arguments as the function's ``signature`` attribute and returns it unchanged
def signature(*arguments: ArgumentSpec) -> Callable[[_F], _F]: ...

class FunctionRegistry(type):
    def __init__(cls, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> None: ...

class Functions(metaclass=FunctionRegistry):
    #: function name (without ``_func_``) -> its spec; filled in by the metaclass
    FUNCTION_TABLE: dict[str, FunctionSpec]
    def call_function(self, function_name: str, resolved_args: Iterable[Any]) -> Any: ...
    # private, used by checker.language.jmespath_compiler.Env: (allowed type names, element types)
    def _get_allowed_pytypes(self, types: Iterable[str]) -> tuple[list[str], list[tuple[str, ...]]]: ...
