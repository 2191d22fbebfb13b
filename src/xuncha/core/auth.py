"""Sign-in with lockout after repeated failures for one account name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from xuncha.core import services


class LockoutModelBackend(ModelBackend):
    """The model backend, refusing account names that are locked."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username and services.login_lock_remaining(username) is not None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id: Any) -> Any:
        # Every page shows the user's name: load the person with the user.
        from xuncha.core.models import User

        user = User.objects.select_related("person").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


def _locked_message(until: Any) -> str:
    local = timezone.localtime(until)
    return _("Too many failed attempts. This account is locked until %(time)s.") % {
        "time": formats.time_format(local, "H:i")
    }


class LoginForm(AuthenticationForm):
    def clean(self) -> dict[str, Any]:
        username = (self.cleaned_data.get("username") or "").strip()
        if username:
            until = services.login_lock_remaining(username)
            if until is not None:
                raise forms.ValidationError(_locked_message(until), code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                until = services.login_failed(username=username)
                if until is not None:
                    raise forms.ValidationError(_locked_message(until), code="locked") from None
            raise
        return cleaned
