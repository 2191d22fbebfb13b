"""Forms: validate input for views; services do the writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import pretty_name
from django.utils.translation import gettext_lazy as _

from xuncha.core import i18n, policy, selectors
from xuncha.core.lib import idnumber
from xuncha.core.models import (
    AuditEventType,
    Gender,
    KinshipRelation,
    Organisation,
    OrganisationKind,
    Person,
    Role,
)
from xuncha.core.policy import Action

ID_NUMBER_REASONS = {
    "empty": _("The ID number is empty."),
    "length": _("An ID number has 18 characters (or 15 for old ones), not %(length)s."),
    "digits": _("The first 17 characters must be digits."),
    "last": _("The last character must be a digit or X."),
    "region": _("The region code cannot start with 0."),
    "date": _("The birth date %(date)s does not exist."),
    "year": _("The birth year %(year)s is not plausible."),
    "check": _("The check character is %(found)s but should be %(expected)s."),
    "digits15": _("A 15-digit number must consist of 15 digits."),
}


def id_number_error(exc: idnumber.InvalidIdNumber) -> forms.ValidationError:
    """The reason a number is invalid, in the user's language."""
    return forms.ValidationError(ID_NUMBER_REASONS[exc.code], code=exc.code, params=exc.params)


def form_errors(form: forms.Form) -> str:
    """All of a form's errors on one line, for a message after a redirect."""
    return i18n.sentences(e for errs in form.errors.values() for e in errs)


def labelled_errors(form: forms.Form) -> str:
    """A form's errors on one line, each after the label of its field, punctuated the
    language's way (课程：……；学时：……。): for a message away from the form's fields."""
    parts = []
    for name, errors in form.errors.items():
        text = " ".join(str(e).rstrip("。.") for e in errors)
        field = form.fields.get(name)
        if field is None:  # the form's own errors
            parts.append(text)
        else:
            parts.append(i18n.labelled(field.label or pretty_name(name), text))
    return i18n.sentences(parts)


def applied_values(form: forms.Form) -> dict[str, Any]:
    """The filters a validated list form applies, by field name: empty and invalid fields
    apply nothing and are left out."""
    cleaned = getattr(form, "cleaned_data", {})
    return {
        name: cleaned[name]
        for name in form.fields
        if cleaned.get(name) not in (None, "", False) and name not in form.errors
    }


def applied_filters(form: forms.Form) -> list[tuple[str, str]]:
    """The filters a validated list form applies, as (label, value) in the user's language,
    in field order: for the record an export carries of what was filtered."""
    shown: list[tuple[str, str]] = []
    for name, value in applied_values(form).items():
        field = form.fields[name]
        if value is True:
            text = str(_("Yes"))
        elif isinstance(value, dt.date):
            text = value.isoformat()
        elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            options: Any = field.choices
            choices = {str(k): v for k, v in options if not isinstance(v, list | tuple)}
            text = str(choices.get(str(value), value))
        else:
            text = str(value)
        shown.append((str(field.label or name), text))
    return shown


def errors_to_form(form: Any, exc: ValidationError) -> None:
    """A service's refusal on the form: by field where the form has it, else on the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


class DateInput(forms.DateInput):
    """An HTML date input; its value must be ISO (YYYY-MM-DD) whatever the UI language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs=attrs, format=format or "%Y-%m-%d")


def _org_field(
    user: Any, action: Action, *, label: Any, required: bool = True, kinds: list[str] | None = None
) -> forms.ModelChoiceField:
    qs = policy.scope(user, action, Organisation.objects.filter(is_active=True))
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return forms.ModelChoiceField(queryset=qs.order_by("path"), label=label, required=required)


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.CharField(label=_("Code"), max_length=40)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganisationKind.choices)

    def __init__(
        self, *args: Any, user: Any, instance: Organisation | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["committee"] = _org_field(
            user,
            Action.ORGANISATION_CHANGE,
            label=_("Committee"),
            required=False,
            kinds=[OrganisationKind.PROVINCE, OrganisationKind.PREFECTURE, OrganisationKind.COUNTY],
        )
        if instance is None:
            self.fields["parent"] = _org_field(
                user, Action.ORGANISATION_CHANGE, label=_("Parent organisation")
            )

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"].strip()
        clash = Organisation.objects.filter(code=code)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another organisation already has this code."))
        return code


class OrganisationMoveForm(forms.Form):
    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_parent"] = _org_field(
            user, Action.ORGANISATION_CHANGE, label=_("New parent")
        )
        self.fields["effective_date"] = forms.DateField(
            label=_("Effective date"), widget=DateInput()
        )


class OrganisationMergeForm(forms.Form):
    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"] = _org_field(user, Action.ORGANISATION_CHANGE, label=_("Merge into"))
        self.fields["effective_date"] = forms.DateField(
            label=_("Effective date"), widget=DateInput()
        )


class OrganisationFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *OrganisationKind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("active", _("Active")),
            ("all", _("All")),
            ("inactive", _("Merged or dissolved")),
        ],
    )


class PersonForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=60)
    gender = forms.ChoiceField(
        label=_("Gender"), required=False, choices=[("", "—"), *Gender.choices]
    )
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DateInput())
    id_number = forms.CharField(label=_("Citizen ID number"), required=False, max_length=40)
    ethnicity = forms.CharField(label=_("Ethnicity"), required=False, max_length=20)
    retired_on = forms.DateField(label=_("Retired on"), required=False, widget=DateInput())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["registry"] = _org_field(
            user,
            Action.PERSON_CHANGE,
            label=_("Registry"),
            kinds=[OrganisationKind.PROVINCE, OrganisationKind.PREFECTURE, OrganisationKind.COUNTY],
        )
        self.fields["hometown"] = _org_field(
            user,
            Action.ORGANISATION_VIEW,
            label=_("Hometown"),
            required=False,
            kinds=[OrganisationKind.TOWNSHIP, OrganisationKind.VILLAGE, OrganisationKind.COMMUNITY],
        )
        if not policy.can(user, Action.PERSON_VIEW_PROTECTED):
            del self.fields["id_number"]

    def clean_id_number(self) -> str | None:
        raw = self.cleaned_data.get("id_number") or ""
        if not raw.strip():
            return None
        try:
            return idnumber.normalise(raw)
        except idnumber.InvalidIdNumber as exc:
            raise id_number_error(exc) from None


class PersonFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        help_text=_("Characters, pinyin or initials (zwj, zhangwj, zhangwenjie)"),
    )
    gender = forms.ChoiceField(
        label=_("Gender"), required=False, choices=[("", _("All")), *Gender.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("serving", _("Serving")), ("retired", _("Retired"))],
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["registry"] = _org_field(
            user,
            Action.PERSON_VIEW,
            label=_("Registry"),
            required=False,
            kinds=[OrganisationKind.PREFECTURE, OrganisationKind.COUNTY],
        )


class PostForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    is_leadership = forms.BooleanField(label=_("Leadership-team member"), required=False)
    is_key_post = forms.BooleanField(label=_("Key post"), required=False)
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    end_date = forms.DateField(label=_("End date"), required=False, widget=DateInput())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = _org_field(
            user, Action.PERSON_CHANGE, label=_("Organisation")
        )
        self.order_fields(["organisation"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("A post cannot end before it starts."))
        return data


class PostEndForm(forms.Form):
    end_date = forms.DateField(label=_("End date"), widget=DateInput())


class KinshipForm(forms.Form):
    relation = forms.ChoiceField(
        label=_("This person is the … of the relative"), choices=KinshipRelation.choices
    )

    def __init__(self, *args: Any, user: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["relative"] = forms.ModelChoiceField(
            queryset=selectors.people_for(user).exclude(pk=person.pk),
            label=_("Relative"),
            widget=forms.Select(attrs={"id": "relative-select"}),
        )
        self.fields["relative"].widget.choices = []  # options come from the search box


class UserCreateForm(forms.Form):
    username = forms.RegexField(label=_("Account name"), max_length=150, regex=r"^[\w.@+-]+$")
    password = forms.CharField(
        label=_("Initial password"), widget=forms.PasswordInput, min_length=10
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["registry"] = _org_field(user, Action.USER_CHANGE, label=_("Managed by"))
        self.fields["person"] = forms.ModelChoiceField(
            queryset=selectors.people_for(user).filter(user__isnull=True),
            label=_("Person"),
            required=False,
            widget=forms.Select(attrs={"id": "person-select"}),
        )
        self.fields["person"].widget.choices = [("", "—")]  # options come from the search box

    def clean_password(self) -> str:
        from django.contrib.auth.password_validation import validate_password

        password: str = self.cleaned_data["password"]
        validate_password(password)
        return password

    def clean_username(self) -> str:
        from xuncha.core.models import User

        username: str = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This account name is taken."))
        return username


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = _org_field(user, Action.USER_CHANGE, label=_("Scope"))


class AuditFilterForm(forms.Form):
    event_type = forms.ChoiceField(
        label=_("Event"), required=False, choices=[("", _("All events")), *AuditEventType.choices]
    )
    actor = forms.CharField(label=_("Actor"), required=False)
    object_type = forms.CharField(label=_("Object type"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
