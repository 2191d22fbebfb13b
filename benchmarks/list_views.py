"""People and organisation list pages at two data sizes (scale 0.2 and 1.0 demo):
the time ratio between sizes shows that pages cost what one page of rows costs,
not what the whole registry costs. Baseline: the same request on the small instance."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _common import write

SCRIPT = r"""
import os, sys, time, json
sys.path.insert(0, %(bench)r)
from _common import setup_django
setup_django()
from django.test import Client
from xuncha.core.demo.generator import load_demo
from xuncha.core.models import User
load_demo(scale=%(scale)s, seed=2026)
client = Client(HTTP_HOST="127.0.0.1"); client.force_login(User.objects.get(username="office"))
out = {}
for url in ("/people/", "/people/?q=zw", "/organisations/", "/audit/"):
    if url == "/audit/":
        client.force_login(User.objects.get(username="auditor"))
    assert client.get(url).status_code == 200, url
    best = min((lambda s: (client.get(url), time.perf_counter() - s)[1])(time.perf_counter()) for _ in range(5))
    out[url] = best
print(json.dumps(out))
"""


def measure(scale: float) -> dict[str, float]:
    code = SCRIPT % {"bench": str(Path(__file__).parent), "scale": scale}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


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
