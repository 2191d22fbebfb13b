"""The ``xuncha`` command: domain verbs plus every Django management command.

``xuncha demo`` loads the demo prefecture, ``xuncha serve`` runs the production WSGI
server (gunicorn), ``xuncha worker`` runs background jobs, ``xuncha scheduler`` enqueues
the periodic ones, ``xuncha audit verify`` checks the audit chain; ``xuncha migrate`` and
the rest are Django's own commands.
"""

from __future__ import annotations

import os
import sys

VERBS = [
    ("demo", "Load the fictional demo prefecture (migrates first; --scale, --seed, --if-empty)."),
    ("setup", "Start a new installation: top organisation and first administrator."),
    ("serve", "Run the production WSGI server (gunicorn); --with-worker also runs jobs."),
    ("worker", "Run background jobs from the configured Tasks backend (database or Redis)."),
    ("scheduler", "Enqueue periodic jobs when due (--interval, --once); for a worker to run."),
    ("audit", "Audit trail tools: `xuncha audit verify` checks the hash chain."),
    ("teams", "Form teams from a JSON instance file: `xuncha teams solve IN.json --out OUT.json`."),
    (
        "datacheck",
        "Compare department files: `xuncha datacheck scan --manifest M.yaml --out F.csv`.",
    ),
    ("migrate", "Create or update the database schema (Django)."),
    ("createsuperuser", "Not used: create accounts in the UI or with `xuncha demo`."),
    ("check", "Check the configuration; `xuncha check --deploy` for production."),
    ("shell", "A Python shell with Xuncha loaded (Django)."),
]


def _print_help() -> None:
    print("usage: xuncha <verb> [options]\n")
    print("Xuncha (巡察) inspection platform. Verbs:\n")
    for verb, text in VERBS:
        if verb != "createsuperuser":
            print(f"  {verb:<10} {text}")
    print("\nEvery Django management command is also a verb; `xuncha help` lists them all,")
    print("`xuncha help <verb>` describes one. Settings come from XUNCHA_* environment")
    print("variables (docs/configuration.md).")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xuncha.settings")
    if not args or args[0] in ("-h", "--help"):
        _print_help()
        return 0
    from xuncha.conf import SettingError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["xuncha", *args])
    except SettingError as exc:
        print(f"xuncha: configuration error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
