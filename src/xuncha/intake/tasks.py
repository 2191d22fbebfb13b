"""Background tasks of the public channel."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.utils import timezone
from django_tasks import task


@task()
def clear_expired_sessions() -> dict[str, int]:
    """Delete expired sessions (run hourly by the scheduler): a public submitter's session
    holds nothing readable, but it should not outlive its 30 minutes in the table."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return {"deleted": deleted}
