"""``xuncha scheduler``: enqueue the periodic jobs apps registered, when they are due."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from xuncha.core import schedule

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Enqueue periodic jobs (daily deadline checks …) when due; a worker runs them. "
        "Safe to run on several machines: each run is enqueued once."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--interval",
            type=int,
            default=60,
            help="seconds between passes (default 60)",
        )
        parser.add_argument("--once", action="store_true", help="run one pass, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        interval: int = options["interval"]
        if interval < 1:
            raise CommandError("--interval must be at least 1 second.")
        if options["once"]:
            self._pass(options["verbosity"])
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        names = ", ".join(e.name for e in schedule.entries()) or "none"
        self.stdout.write(f"Scheduler started (every {interval} s; jobs: {names})")
        while not stop.is_set():
            try:
                self._pass(options["verbosity"])
            except Exception:
                # The database may be restarting: keep going, the next pass retries.
                logger.exception("scheduler pass failed")
            # A long-lived process: drop connections that broke or aged out meanwhile.
            close_old_connections()
            stop.wait(interval)
        self.stdout.write("Scheduler stopped")

    def _pass(self, verbosity: int) -> None:
        enqueued = schedule.run_due()
        if enqueued and verbosity >= 1:
            self.stdout.write(f"Enqueued: {', '.join(enqueued)}")
