"""Child process of list_views.py: load the demo at a scale, time list pages."""

from __future__ import annotations

import json
import sys
import time

from _common import setup_django

setup_django()

from django.test import Client  # noqa: E402

from xuncha.core.demo.generator import load_demo  # noqa: E402
from xuncha.core.models import User  # noqa: E402

load_demo(scale=float(sys.argv[1]), seed=2026)
PAGES = {"office": ["/people/", "/people/?q=zw", "/organisations/"], "auditor": ["/audit/"]}
out: dict[str, float] = {}
for username, urls in PAGES.items():
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=username))
    for url in urls:
        assert client.get(url).status_code == 200, url
        timings = []
        for _ in range(5):
            start = time.perf_counter()
            client.get(url)
            timings.append(time.perf_counter() - start)
        out[url] = min(timings)
print(json.dumps(out))
