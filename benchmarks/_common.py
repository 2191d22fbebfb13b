"""Shared set-up for benchmarks: a throwaway embedded installation and JSON results."""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def setup_django() -> Path:
    """Point Xuncha at a fresh data directory (SQLite unless XUNCHA_DATABASE_URL is set)."""
    data_dir = Path(tempfile.mkdtemp(prefix="xuncha-bench-"))
    os.environ["XUNCHA_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xuncha.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return data_dir


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def write(name: str, results: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    payload = {
        "benchmark": name,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "database": os.environ.get("XUNCHA_DATABASE_URL", "sqlite"),
        **results,
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    print(json.dumps(payload, indent=2, ensure_ascii=False))
