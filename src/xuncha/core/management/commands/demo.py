"""``xuncha demo``: migrate, then load the fictional demo prefecture and print accounts."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from xuncha.core.demo.generator import DEMO_PASSWORD, REFERENCE_DATE, load_demo
from xuncha.core.models import Organisation, User


class Command(BaseCommand):
    help = "Load the deterministic, fictional demo prefecture (into an empty database)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="size factor: 1 = 3 counties, ~5,000 cadres; 0.1 for a small one; 2 = 6 counties",
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--reference-date",
            type=dt.date.fromisoformat,
            default=REFERENCE_DATE,
            help="the 'today' the demo's dates are relative to (YYYY-MM-DD)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (but print the accounts) if data is already loaded",
        )
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "The demo creates accounts with a published password; it does "
                "not run in production mode (XUNCHA_MODE=production)."
            )
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        if Organisation.objects.exists():
            if not options["if_empty"]:
                raise CommandError(
                    "The database already holds data; the demo loads only into "
                    "an empty database (use --if-empty to skip quietly)."
                )
            self.stdout.write("Demo data already loaded.")
        else:
            started = time.monotonic()
            summary = load_demo(
                scale=options["scale"], seed=options["seed"], today=options["reference_date"]
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo loaded in {time.monotonic() - started:.1f} s: {summary.organisations} "
                    f"organisations, {summary.people} people, {summary.posts} posts, "
                    f"{summary.kinships} kinship links, {summary.audit_events} audit events."
                )
            )
        self._print_accounts()

    def _print_accounts(self) -> None:
        users = (
            User.objects.filter(grants__revoked_at__isnull=True)
            .prefetch_related("grants__organisation")
            .distinct()
            .order_by("pk")
        )
        self.stdout.write(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):")
        for user in users:
            for grant in user.grants.all():
                if grant.revoked_at is None:
                    self.stdout.write(
                        f"  {user.username:<10} {grant.get_role_display()} "
                        f"· {grant.organisation.name}"
                    )
