"""``python -m checker.generator``: see :func:`checker.generator.main`."""

from .run import main

if __name__ == "__main__":
    raise SystemExit(main())
