from collections.abc import Iterator

from pyarrow import lib as lib
from pyarrow import types as types
from pyarrow.lib import ArrowException as ArrowException
from pyarrow.lib import DataType as DataType
from pyarrow.lib import Field as Field
from pyarrow.lib import RecordBatch as RecordBatch
from pyarrow.lib import Schema as Schema
from pyarrow.lib import Table as Table

def string() -> DataType: ...
def list_(value_type: DataType) -> DataType: ...
def schema(fields: list[tuple[str, DataType]]) -> Schema: ...
