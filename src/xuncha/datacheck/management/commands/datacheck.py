"""Data comparison without the web database.

``xuncha datacheck scan --manifest MANIFEST.yaml --out findings.csv``: the rule library over
department files (``datacheck.lib.scan``).

``xuncha datacheck link LEFT [RIGHT] --config CONFIG.yaml --out pairs.csv``: the people of two
files linked, or the duplicates in one (``datacheck.lib.linkfile``, docs/formats/linkage.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Data comparison without the web database: `scan --manifest M.yaml --out F.csv`, "
        "`link LEFT [RIGHT] --config C.yaml --out pairs.csv`."
    )
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
        scan.add_argument(
            "--engine",
            choices=("duckdb", "spark"),
            default=None,
            help="Run the rules on DuckDB or on Spark (XUNCHA_SPARK_MASTER, XUNCHA_SPARK_CONF);"
            " default: XUNCHA_DATACHECK_ENGINE, else duckdb.",
        )

        link = sub.add_parser(
            "link", help="Link the people of two files, or find the duplicates in one."
        )
        link.add_argument("left", type=Path)
        link.add_argument("right", type=Path, nargs="?")
        link.add_argument("--config", required=True, type=Path)
        link.add_argument("--out", required=True, type=Path)
        link.add_argument(
            "--engine",
            choices=("duckdb", "spark"),
            default=None,
            help="Override the configuration's engine.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "link":
            self._link(options)
        else:
            self._scan(options)

    def _link(self, options: dict[str, Any]) -> None:
        import dataclasses

        from django.conf import settings

        from xuncha.datacheck.lib import linkfile
        from xuncha.datacheck.lib.spark import SparkUnavailable

        try:
            config = linkfile.load_config(options["config"])
            if options["engine"]:
                config = dataclasses.replace(config, engine=options["engine"])
            spark = None
            if config.engine == "spark":
                from xuncha.datacheck.lib import spark as spark_lib

                spark = spark_lib.session(
                    settings.DATACHECK_SPARK_MASTER, settings.DATACHECK_SPARK_CONF
                )
            outcome = linkfile.run(
                options["left"],
                options["right"],
                config,
                options["out"],
                say=lambda text: self.stderr.write(text),
                spark=spark,
            )
        except (linkfile.ConfigError, SparkUnavailable) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{outcome.pairs} pairs written to {options['out']}: {outcome.matches} links, "
            f"{outcome.review} to review"
        )

    def _scan(self, options: dict[str, Any]) -> None:
        from django.conf import settings

        from xuncha.datacheck.lib import scan
        from xuncha.datacheck.lib.spark import SparkUnavailable

        out: Path = options["out"]
        try:
            result = scan.scan(
                options["manifest"],
                out,
                accept_rejected=options["accept_rejected"],
                say=lambda text: self.stderr.write(text),
                engine=options["engine"] or settings.DATACHECK_ENGINE,
                spark_master=settings.DATACHECK_SPARK_MASTER,
                spark_conf=settings.DATACHECK_SPARK_CONF,
            )
        except (scan.ManifestError, SparkUnavailable) as exc:
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
