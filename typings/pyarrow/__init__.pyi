from pyarrow import lib as lib
from pyarrow.lib import ArrowException as ArrowException
from pyarrow.lib import RecordBatch as RecordBatch
