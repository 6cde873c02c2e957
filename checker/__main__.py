"""``python -m checker``: the ``checker`` command, for environments without the console script."""

from .cli import main

main()
