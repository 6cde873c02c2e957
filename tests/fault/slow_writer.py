"""``python -m tests.fault.slow_writer MARKER FORMAT PIECES -- CHECKER-ARGS...``: the real
``checker`` command line, whose renderer of ``FORMAT`` stops after ``PIECES`` pieces of its
output, creates ``MARKER`` and waits to be killed.

``test_kill.py`` kills it there with SIGKILL: the moment is exact (a partial temporary file is on
disk, its target not yet replaced), where a timer over a real run could land anywhere.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from checker.cli.app import run
from checker.outputs import registry


def _stalling(render: Any, marker: Path, pieces: int) -> Any:
    def stalled(result: Any, options: Any) -> Iterator[str]:
        out = render(result, options)
        chunks = [out] if isinstance(out, str) else out
        for n, chunk in enumerate(chunks):
            if n == pieces:
                marker.write_text("writing", "utf-8")
                while True:  # until SIGKILL
                    time.sleep(1)
            yield chunk

    return stalled


def main(argv: list[str]) -> int:
    marker, fmt, pieces, sep, *args = argv
    assert sep == "--"
    stalled = _stalling(registry.RENDERERS[fmt], Path(marker), int(pieces))
    registry.RENDERERS = {**registry.RENDERERS, fmt: stalled}  # type: ignore[misc]
    return run(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
