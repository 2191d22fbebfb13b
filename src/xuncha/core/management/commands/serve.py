"""``xuncha serve``: gunicorn in-process, the access log without client addresses."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from xuncha.conf import env_int


class Command(BaseCommand):
    help = "Run the production WSGI server (gunicorn)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--bind",
            default=os.environ.get("XUNCHA_BIND", "127.0.0.1:8000"),
            help="host:port to listen on (XUNCHA_BIND; default 127.0.0.1:8000)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=env_int("XUNCHA_WEB_WORKERS", 2, minimum=1),
            help="worker processes (XUNCHA_WEB_WORKERS; default 2)",
        )
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="also run `xuncha worker` and `xuncha scheduler` (one-machine setups)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn.app.base import BaseApplication

        from xuncha.wsgi import application

        class XunchaServer(BaseApplication):
            def load_config(self) -> None:
                config = {
                    "bind": options["bind"],
                    "workers": options["workers"],
                    "worker_class": "sync",
                    "timeout": 120,
                    "accesslog": "-",
                    # No client address, user agent or query string (searches may hold
                    # names or ID numbers): method, path, status, size, time.
                    "access_log_format": '"%(m)s %(U)s" %(s)s %(b)s %(M)sms',
                    "forwarded_allow_ips": "127.0.0.1",
                }
                for key, value in config.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        helpers: list[subprocess.Popen[bytes]] = []
        if options["with_worker"]:
            helpers = [
                subprocess.Popen([sys.executable, "-m", "xuncha", "worker"]),
                subprocess.Popen([sys.executable, "-m", "xuncha", "scheduler"]),
            ]
        self.stdout.write(
            f"Xuncha is listening on http://{options['bind']}/ "
            f"(mode: {settings.MODE}, jobs: {settings.TASKS_BACKEND})"
        )
        try:
            XunchaServer().run()
        finally:
            for helper in helpers:
                helper.terminate()
            for helper in helpers:
                helper.wait(timeout=10)
