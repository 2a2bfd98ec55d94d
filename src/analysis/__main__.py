"""``python -m analysis``: see :mod:`analysis.cli.main`.

The one entry point that applies process-wide settings: before anything loads numpy, torch
or numba, the portable arithmetic (:mod:`analysis.core.numerics`) is pinned for this process.
"""

from analysis.core.numerics import apply_portable_numerics

apply_portable_numerics()

from analysis.cli.main import main  # noqa: E402  (after the pins, by design)

raise SystemExit(main())
