"""``xuncha audit verify``: recompute the hash chain and name the first bad event."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from xuncha.core import audit


class Command(BaseCommand):
    help = "Audit trail tools. `verify` checks the hash chain of the audit log."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit.verify()
        audit.record_verification(actor=None, result=result)
        if not result.ok:
            raise CommandError(
                f"audit chain broken at event {result.first_bad_seq}: {result.problem} "
                f"({result.checked} events checked before it)"
            )
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {result.checked} events"))
