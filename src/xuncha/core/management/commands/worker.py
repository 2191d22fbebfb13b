"""``xuncha worker``: run background jobs from the configured backend."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run background jobs (database backend by default; Redis when configured)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="run what is queued, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        backend = settings.TASKS_BACKEND
        if backend == "database":
            call_command(
                "db_worker",
                queue_name="*",
                batch=options["batch"],
                reload=False,
                verbosity=options["verbosity"],
            )
        elif backend == "redis":
            call_command(
                "rqworker",
                "default",
                job_class="django_tasks_rq.Job",
                burst=options["batch"],
                with_scheduler=False,
            )
        else:
            raise CommandError(
                "XUNCHA_TASKS_BACKEND=immediate runs jobs in the request; no worker is needed."
            )
