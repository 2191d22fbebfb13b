"""``xuncha setup``: the first organisation and the first administrator of a new
installation (production has no demo). Everything goes through the audited services."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from xuncha.core import services
from xuncha.core.models import Organisation, OrganisationKind, Role, User


class Command(BaseCommand):
    help = "Create the top organisation and the first administrator of a new installation."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--organisation",
            required=True,
            help="name of the top organisation (e.g. the prefecture)",
        )
        parser.add_argument("--code", required=True, help="its code")
        parser.add_argument(
            "--kind",
            default=OrganisationKind.PREFECTURE,
            choices=[
                OrganisationKind.PROVINCE,
                OrganisationKind.PREFECTURE,
                OrganisationKind.COUNTY,
            ],
        )
        parser.add_argument("--username", required=True, help="the administrator's account name")
        parser.add_argument(
            "--password-file", type=Path, help="read the password from this file instead of asking"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if Organisation.objects.exists() or User.objects.exists():
            raise CommandError(
                "This installation already has organisations or accounts; "
                "`xuncha setup` only starts an empty one."
            )
        password = self._password(options["password_file"])
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError("The password is too weak: " + " ".join(exc.messages)) from None
        with transaction.atomic():
            top = services.organisation_create(
                actor=None,
                name=options["organisation"],
                code=options["code"],
                kind=options["kind"],
                parent=None,
            )
            services.organisation_update(
                actor=None,
                organisation=top,
                name=top.name,
                code=top.code,
                kind=top.kind,
                committee=top,
            )
            user = services.user_create(
                actor=None, username=options["username"], password=password, registry=top
            )
            services.role_grant(actor=None, user=user, role=Role.ADMIN, organisation=top)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {top.name} and the administrator {user.username}. Log in and grant the "
                "office staff and the auditor their roles from another account manager."
            )
        )

    def _password(self, path: Path | None) -> str:
        if path is not None:
            try:
                return path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise CommandError(f"--password-file {path}: {exc.strerror}") from None
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        return first
