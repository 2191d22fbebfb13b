"""List pages at two data sizes (demo scale 0.2 and 1.0), each in its own process.

The baseline is the same request on the small instance; the ratio large/small shows that
a page costs one page of rows, not the whole registry (best of 5 requests each)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from _common import write

CHILD = Path(__file__).parent / "_list_views_child.py"


def measure(scale: float) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, str(CHILD), str(scale)],
        check=True,
        capture_output=True,
        text=True,
        cwd=CHILD.parent,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


small, large = measure(0.2), measure(1.0)
write(
    "list_views",
    {
        "small_scale": 0.2,
        "large_scale": 1.0,
        "seconds_small": {k: round(v, 4) for k, v in small.items()},
        "seconds_large": {k: round(v, 4) for k, v in large.items()},
        "large_vs_small_ratio": {k: round(large[k] / small[k], 2) for k in small},
    },
)
