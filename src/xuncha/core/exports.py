"""Spreadsheet exports that run as background jobs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from xuncha.core import audit, policy, selectors
from xuncha.core.lib.officefiles import new_workbook
from xuncha.core.models import AuditEventType, Organisation, Person, User
from xuncha.core.policy import Action


def _filters_from_ids(filters: dict[str, Any]) -> dict[str, Any]:
    resolved = dict(filters)
    for key in ("registry", "organisation"):
        if resolved.get(key):
            resolved[key] = Organisation.objects.get(pk=resolved[key])
    return resolved


def people_xlsx(
    *, user: User, filters: dict[str, Any], path: Path, progress: Callable[[int, int], None]
) -> dict[str, Any]:
    """Write the people the user may see (filtered) to ``path``; audit the export.

    ID numbers are included only for users allowed to read protected data.
    """
    resolved = _filters_from_ids(filters)
    people = selectors.people_for(
        user, q=filters.get("q", ""), filters=resolved, action=Action.PERSON_EXPORT
    )
    with_ids = policy.can(user, Action.PERSON_VIEW_PROTECTED)
    if with_ids:
        # ID numbers only for the rows inside the user's protected-data scope.
        protected = policy.scope(user, Action.PERSON_VIEW_PROTECTED, Person.objects.all())
        people = people.annotate(id_readable=Exists(protected.filter(pk=OuterRef("pk"))))
    total = people.count()
    workbook = new_workbook()
    sheet = workbook.create_sheet(title=_("People"))
    header = [
        _("Name"),
        _("Gender"),
        _("Birth date"),
        _("Registry"),
        _("Current posts"),
        _("Retired on"),
    ]
    if with_ids:
        header.insert(1, _("Citizen ID number"))
    sheet.append(header)
    done = 0
    for person in people.iterator(chunk_size=1000):
        posts = "；".join(
            f"{p.organisation.name} {p.title}"
            for p in person.current_posts  # type: ignore[attr-defined]
        )
        row = [
            person.name,
            person.get_gender_display(),
            person.birth_date,
            person.registry.name,
            posts,
            person.retired_on,
        ]
        if with_ids:
            readable = person.id_readable  # type: ignore[attr-defined]
            row.insert(1, (person.id_number or "") if readable else "")
        sheet.append(row)
        done += 1
        if done % 500 == 0:
            progress(done, total)
    workbook.save(path)
    progress(done, total)
    with transaction.atomic():
        audit.record(
            actor=user,
            event_type=AuditEventType.PERSON_EXPORTED,
            object_type="core.person",
            extra={
                "rows": done,
                "format": "xlsx",
                "with_id_numbers": with_ids,
                "filters": {k: v for k, v in filters.items() if v},
            },
        )
    return {"rows": done, "with_id_numbers": with_ids}
