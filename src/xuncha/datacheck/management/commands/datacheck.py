"""``xuncha datacheck scan --manifest MANIFEST.yaml --out findings.csv``: the rule library
over department files, without the web database (``datacheck.lib.scan``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Data comparison without the web database: `scan --manifest M.yaml --out F.csv`."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        scan = sub.add_parser("scan", help="Run the rule library over the manifest's files.")
        scan.add_argument("--manifest", required=True, type=Path)
        scan.add_argument("--out", required=True, type=Path)
        scan.add_argument(
            "--accept-rejected",
            action="store_true",
            help="Compare the valid rows even when some rows were rejected.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from xuncha.datacheck.lib import scan

        out: Path = options["out"]
        try:
            result = scan.scan(
                options["manifest"],
                out,
                accept_rejected=options["accept_rejected"],
                say=lambda text: self.stderr.write(text),
            )
        except scan.ManifestError as exc:
            raise CommandError(str(exc)) from None
        if result.errors:
            where = out.with_suffix(out.suffix + ".errors.csv")
            for name, error in result.errors[:20]:
                self.stderr.write(
                    f"{name}: row {error.row}, column {error.column}: {error.message}"
                )
            if not options["accept_rejected"]:
                raise CommandError(
                    f"{len(result.errors)} values rejected (all listed in {where}); fix the "
                    "files, or run again with --accept-rejected to compare the valid rows"
                )
        for code, missing in result.skipped.items():
            self.stderr.write(f"rule {code} skipped: no {', '.join(missing)} dataset")
        self.stdout.write(f"{len(result.hits)} findings written to {out}")
