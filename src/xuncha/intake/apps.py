from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "xuncha.intake"
    label = "intake"
    verbose_name = _("Public channel")

    def ready(self) -> None:
        from datetime import timedelta

        from xuncha.core import schedule
        from xuncha.core.signals import password_verified
        from xuncha.intake import permissions, tasks

        permissions.register()
        schedule.register(
            "intake.clear_expired_sessions", tasks.clear_expired_sessions, every=timedelta(hours=1)
        )
        _register_evidence()
        password_verified.connect(_on_password, dispatch_uid="intake-keys")

    def load_demo(self, context: object) -> None:
        from xuncha.intake import demo

        demo.load(context)


def _on_password(sender: Any, user: Any, password: str, request: Any, **kwargs: Any) -> None:
    """Sign-in: create or unwrap the user's keys, hold them for the session, and share
    report keys with colleagues who joined since."""
    from django.contrib import messages
    from django.urls import reverse
    from django.utils.html import format_html

    from xuncha.intake import keyring, services

    unlocked = services.keys_on_password(user=user, password=password)
    if unlocked.locked:
        keyring.mark_locked(request)
        messages.warning(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                _("Your password was reset, so your key for public reports is locked."),
                reverse("intake:keys"),
                _("Unlock it with your recovery key"),
            ),
        )
        return
    if unlocked.private_key is None:
        return
    keyring.hold(request, unlocked.private_key)
    if unlocked.recovery_key:
        keyring.hold_recovery_key(request, unlocked.recovery_key)
        messages.info(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                _("Your key for reading public reports was created."),
                reverse("intake:keys"),
                _("Write down your recovery key now (shown once)"),
            ),
        )
    services.reshare_pending(user=user, private_key=unlocked.private_key)


def _register_evidence() -> None:
    from django.urls import reverse
    from django.utils.translation import gettext_lazy

    from xuncha.clues import evidence
    from xuncha.intake.models import Report

    evidence.register(
        Report,
        label=gettext_lazy("Public report"),
        name=lambda r: r.label,
        url=lambda r: reverse("intake:report", args=[r.pk]),
    )
