from collections.abc import Iterable
from typing import Any

from pyarrow.lib import RecordBatch, Schema

class Partitioning: ...

def partitioning(schema: Schema, flavor: str | None = None) -> Partitioning: ...
def write_dataset(
    data: Iterable[RecordBatch],
    base_dir: str,
    *,
    schema: Schema | None = None,
    format: str | None = None,
    partitioning: Partitioning | None = None,
    basename_template: str | None = None,
    use_threads: bool = True,
    existing_data_behavior: str = "error",
    create_dir: bool = True,
    **kwargs: Any,
) -> None: ...
