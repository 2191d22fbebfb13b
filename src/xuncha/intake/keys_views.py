"""The user's own key for public reports: its state, the recovery key shown once after it
was created, unlocking with the recovery key after a password reset, and replacing keys
whose recovery key was lost."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from xuncha.core.views import AuthedRequest
from xuncha.intake import keyring, services
from xuncha.intake.lib import sealing
from xuncha.intake.models import ReportKey, UserKey


class RecoverForm(forms.Form):
    recovery_key = forms.CharField(
        label=gettext_lazy("Recovery key"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=gettext_lazy("52 letters and digits; dashes and spaces do not matter."),
    )
    password = forms.CharField(
        label=gettext_lazy("Your current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ReplaceForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    understood = forms.BooleanField(
        label=gettext_lazy(
            "I understand that reports sealed to my old key stay unreadable for me until a "
            "colleague signs in and shares them again."
        )
    )

    def __init__(self, *args: Any, has_keys: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not has_keys:
            del self.fields["understood"]


def _check_password(request: AuthedRequest, form: forms.Form) -> bool:
    if request.user.check_password(form.cleaned_data["password"]):
        return True
    form.add_error("password", _("The password is not right."))
    return False


def _recover(request: AuthedRequest, form: RecoverForm) -> bool:
    if not form.is_valid() or not _check_password(request, form):
        return False
    try:
        private = services.keys_recover(
            user=request.user,
            recovery_key=form.cleaned_data["recovery_key"],
            password=form.cleaned_data["password"],
        )
    except UserKey.DoesNotExist:
        form.add_error(None, _("You have no key yet: create one below."))
        return False
    except sealing.DecryptionFailed:
        form.add_error(
            "recovery_key",
            _("This recovery key does not open your key. Check it and try again."),
        )
        return False
    keyring.hold(request, private)
    shared = services.reshare_pending(user=request.user, private_key=private)
    messages.success(request, _("Your key is unlocked and now opens with your new password."))
    if shared:
        messages.info(
            request,
            ngettext(
                "%(n)d report key was shared with a colleague who lacked it.",
                "%(n)d report keys were shared with colleagues who lacked them.",
                shared,
            )
            % {"n": shared},
        )
    return True


def _replace(request: AuthedRequest, form: ReplaceForm) -> bool:
    if not form.is_valid() or not _check_password(request, form):
        return False
    unlocked = services.keys_replace(user=request.user, password=form.cleaned_data["password"])
    if unlocked.private_key is None or unlocked.recovery_key is None:  # pragma: no cover
        raise RuntimeError("keys_replace gave no key")
    keyring.hold(request, unlocked.private_key)
    keyring.hold_recovery_key(request, unlocked.recovery_key)
    messages.success(
        request,
        _(
            "You have a new key. Reports sealed to your old key become readable again once "
            "a colleague of the team signs in and shares them with you."
        ),
    )
    return True


@never_cache
@require_http_methods(["GET", "POST"])
def keys(request: AuthedRequest) -> HttpResponseBase:
    user = request.user
    if not services.may_hold_keys(user):
        return render(request, "intake/keys.html", {"may_hold": False})
    action = request.POST.get("action") if request.method == "POST" else None
    has_keys = UserKey.objects.filter(user=user).exists()
    recover_form = RecoverForm(request.POST if action == "recover" else None)
    replace_form = ReplaceForm(request.POST if action == "replace" else None, has_keys=has_keys)
    if action == "recover" and _recover(request, recover_form):
        return redirect("intake:keys")
    if action == "replace" and _replace(request, replace_form):
        return redirect("intake:keys")
    recovery_key = keyring.take_recovery_key(request) if keyring.recovery_waiting(request) else None
    unlocked = keyring.private_key(request) is not None
    context: dict[str, Any] = {
        "may_hold": True,
        "has_keys": has_keys,
        "unlocked": unlocked,
        "locked": keyring.is_locked(request),
        "recovery_key": recovery_key,
        "recovery_lines": _lines(recovery_key) if recovery_key else [],
        "report_count": ReportKey.objects.filter(user=user).count(),
        "recover_form": recover_form,
        "replace_form": replace_form,
        "open_panel": action or "",
    }
    return render(request, "intake/keys.html", context)


def _lines(recovery_key: str) -> list[str]:
    """The recovery key's groups, four to a line, for writing down."""
    groups = recovery_key.split("-")
    return ["-".join(groups[i : i + 4]) for i in range(0, len(groups), 4)]
