from collections.abc import Iterable, Iterator
from typing import IO, Any

from pyarrow.lib import RecordBatch

class ParquetFile:
    def __init__(self, source: str | IO[bytes], **kwargs: Any) -> None: ...
    def iter_batches(
        self,
        batch_size: int = 65536,
        row_groups: Iterable[int] | None = None,
        columns: Iterable[str] | None = None,
        use_threads: bool = True,
        use_pandas_metadata: bool = False,
    ) -> Iterator[RecordBatch]: ...
