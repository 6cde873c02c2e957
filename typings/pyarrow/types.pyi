from typing import TypeGuard

from pyarrow.lib import DataType, Decimal128Type

def is_decimal(t: DataType) -> TypeGuard[Decimal128Type]: ...
