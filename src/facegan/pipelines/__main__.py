"""``python -m facegan.pipelines``: run one epoch cycle (see `facegan.pipelines.cycle`).

The cycle's code lives in `facegan.pipelines.cycle`, which the package imports; running that
module itself with ``-m`` would execute it a second time as ``__main__`` (Python warns so)."""

import sys

from facegan.pipelines.cycle import main

sys.exit(main())
