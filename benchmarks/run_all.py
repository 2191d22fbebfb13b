"""Run every benchmark in its own process; each prints and writes results/<name>.json."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
failed = []
for script in sorted(HERE.glob("*.py")):
    if script.name.startswith("_") or script.name == "run_all.py":
        continue
    print(f"== {script.name}", flush=True)
    if subprocess.run([sys.executable, str(script)], cwd=HERE, check=False).returncode:
        failed.append(script.name)
if failed:
    sys.exit(f"benchmarks failed: {', '.join(failed)}")
