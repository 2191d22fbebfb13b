"""Forms of the registry pages: record, filter, status, kind, evidence, merge."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from xuncha.clues import permissions
from xuncha.clues.models import (
    Confidentiality,
    Discipline,
    Kind,
    Level,
    Record,
    Source,
    Status,
    Subject,
)
from xuncha.clues.services import EDITABLE_FIELDS, SubjectInput
from xuncha.core import policy
from xuncha.core.models import Organisation, Person
from xuncha.rounds.models import Briefing, Round, Stage, Team, TopicTag

SUBJECTS_HELP = gettext_lazy(
    "One person per line: the name, then, each after a comma, what the report says of "
    "them: the post, the place (a township, village or unit) and the age, such as "
    "“张卫东, 城关镇, 约五十岁”. A place that is a unit is written “place: 县财政局”. A name "
    "that exactly one person holding a post in the target bears is linked to the people "
    "registry; others stay as written, to be found later."
)


def _blank(choices: list[tuple[str, Any]], label: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


class RecordForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Kind.choices)
    target = forms.ModelChoiceField(label=gettext_lazy("Target"), queryset=Organisation.objects)
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"), queryset=Team.objects.none(), required=False
    )
    title = forms.CharField(label=pgettext_lazy("record", "Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 6})
    )
    subjects = forms.CharField(
        label=gettext_lazy("People concerned"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=SUBJECTS_HELP,
    )
    source = forms.ChoiceField(label=gettext_lazy("Source"), choices=Source.choices)
    discipline = forms.ChoiceField(
        label=gettext_lazy("Discipline"),
        choices=_blank(Discipline.choices, gettext_lazy("Not classified yet")),
        required=False,
    )
    topics = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Topics"),
        queryset=TopicTag.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    credibility = forms.ChoiceField(
        label=gettext_lazy("Credibility"), choices=Level.choices, initial=Level.MEDIUM
    )
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"), choices=Level.choices, initial=Level.MEDIUM
    )
    confidentiality = forms.ChoiceField(
        label=gettext_lazy("Confidentiality"),
        choices=Confidentiality.choices,
        initial=Confidentiality.ORDINARY,
    )
    fast_track = forms.BooleanField(
        label=gettext_lazy("Clear and simple: settle during the round (直查快办)"), required=False
    )

    def __init__(self, *args: Any, round_: Round, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.round = round_
        targets = Organisation.objects.filter(inspecting_teams__round=round_).distinct()
        allowed = [t.pk for t in permissions.recordable_targets(user, round_, targets)]
        target_field = cast(forms.ModelChoiceField, self.fields["target"])
        target_field.queryset = Organisation.objects.filter(pk__in=allowed).order_by("path")
        team_field = cast(forms.ModelChoiceField, self.fields["team"])
        team_field.queryset = Team.objects.filter(round=round_).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        team, target = data.get("team"), data.get("target")
        if team is None and target is not None:
            data["team"] = Team.objects.filter(round=self.round, targets=target).first()
        elif (
            team is not None
            and target is not None
            and not team.targets.filter(pk=target.pk).exists()
        ):
            self.add_error("team", _("This team does not inspect the chosen target."))
        return data

    def clean_subjects(self) -> str:
        text: str = self.cleaned_data.get("subjects", "")
        problems = subject_lines_problems(text)
        if problems:
            raise forms.ValidationError(problems)
        return text

    def subject_inputs(self, previous: Iterable[Subject] = ()) -> list[SubjectInput]:
        target: Organisation = self.cleaned_data["target"]
        return parse_subjects(self.cleaned_data.get("subjects", ""), target, previous)

    def values(self) -> dict[str, Any]:
        return {n: self.cleaned_data[n] for n in EDITABLE_FIELDS}


# Parts of a subject line named explicitly ("age: 50", "地点：县财政局"), in both languages.
PART_PREFIXES = {
    "age": ("age", "年龄"),
    "place": ("place", "地点"),
    "post": ("post", "职务"),
}
PART_LIMITS = {"name": 60, "post": 100, "place": 100, "age": 30}
_PREFIX = re.compile(r"^(?P<key>[^:：]{1,8})\s*[:：]\s*(?P<value>.*)$")


def _subject_parts(line: str) -> dict[str, str] | None:
    """ "name, post, place, age" in any order after the name: an age and a place are known
    by their form (``lib.candidates``), or named with a prefix; the rest is the post."""
    from xuncha.clues.lib import candidates as lib

    parts = [p.strip() for p in line.replace("，", ",").split(",")]
    name = parts[0]
    if not name:
        return None
    found = {"name": name, "post": "", "place": "", "age": ""}
    posts = []
    for part in parts[1:]:
        if not part:
            continue
        prefixed = _PREFIX.match(part)
        kind = None
        if prefixed:
            key = prefixed.group("key").strip().lower()
            kind = next((k for k, words in PART_PREFIXES.items() if key in words), None)
        if kind is not None and prefixed is not None:
            value = prefixed.group("value").strip()
            if kind == "post":
                posts.append(value)
            else:
                found[kind] = value
        elif not found["age"] and lib.looks_like_age(part):
            found["age"] = part
        elif not found["place"] and lib.looks_like_place(part):
            found["place"] = part
        else:
            posts.append(part)
    found["post"] = ", ".join(p for p in posts if p)
    return found


def subject_lines_problems(text: str) -> list[str]:
    """What is too long in the subject lines, for the form's error."""
    problems = []
    for line in (text or "").splitlines():
        found = _subject_parts(line)
        if found is None:
            continue
        for key, limit in PART_LIMITS.items():
            if len(found[key]) > limit:
                problems.append(
                    _("“%(text)s” is longer than %(limit)s characters.")
                    % {"text": found[key][:20] + "…", "limit": limit}
                )
    return problems


def parse_subjects(
    text: str, target: Organisation, previous: Iterable[Subject] = ()
) -> list[SubjectInput]:
    """Lines of "name[, post][, place][, age]"; a name linked before (``previous``, when a
    record is edited) stays linked; else a name borne by exactly one person with a current
    or past post in the target (or a unit under it) is linked to that person."""
    linked = {s.name: s.person for s in previous if s.person is not None}
    result = []
    for line in (text or "").splitlines():
        found = _subject_parts(line)
        if found is None:
            continue
        name = found["name"]
        person = linked.get(name)
        if person is None:
            people = list(
                Person.objects.filter(
                    name=name, posts__organisation__path__startswith=target.path
                ).distinct()[:2]
            )
            person = people[0] if len(people) == 1 else None
        result.append(
            SubjectInput(
                name=name,
                person=person,
                post=found["post"],
                place=found["place"],
                age=found["age"],
            )
        )
    return result


def _part_text(kind: str, value: str) -> str:
    """A part as ``_subject_parts`` reads it back: with its prefix where its form alone
    would be taken for another part."""
    from django.utils.translation import get_language

    from xuncha.clues.lib import candidates as lib

    looks = {
        "age": lib.looks_like_age(value),
        "place": lib.looks_like_place(value),
        "post": not (lib.looks_like_age(value) or lib.looks_like_place(value)),
    }
    if looks[kind] and not _PREFIX.match(value):
        return value
    english, chinese = PART_PREFIXES[kind]
    if (get_language() or "").startswith("zh"):
        return f"{chinese}：{value}"
    return f"{english}: {value}"


def subjects_text(record: Record) -> str:
    lines = []
    for s in record.subjects.all():
        parts = [s.name]
        parts += [_part_text(k, getattr(s, k)) for k in ("post", "place", "age") if getattr(s, k)]
        lines.append(", ".join(parts))
    return "\n".join(lines)


class RecordFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False)
    round = forms.ModelChoiceField(
        label=gettext_lazy("Round"),
        queryset=Round.objects.none(),
        required=False,
        empty_label=gettext_lazy("All"),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=_blank(Kind.choices, gettext_lazy("All")),
        required=False,
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=_blank(Status.choices, gettext_lazy("All")),
        required=False,
    )
    discipline = forms.ChoiceField(
        label=gettext_lazy("Discipline"),
        choices=_blank(Discipline.choices, gettext_lazy("All")),
        required=False,
    )
    topic = forms.ModelChoiceField(
        label=gettext_lazy("Topic"),
        queryset=TopicTag.objects.all(),
        required=False,
        empty_label=gettext_lazy("All"),
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Source"),
        choices=_blank(Source.choices, gettext_lazy("All")),
        required=False,
    )
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"),
        choices=_blank(Level.choices, gettext_lazy("All")),
        required=False,
    )
    fast_track = forms.BooleanField(label=gettext_lazy("Fast track only"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from xuncha.rounds import permissions as round_permissions

        round_field = cast(forms.ModelChoiceField, self.fields["round"])
        round_field.queryset = policy.scope(
            user, round_permissions.ROUND_VIEW, Round.objects.exclude(stage=Stage.CLOSED)
        ).order_by("-created_at") | Round.objects.filter(
            pk__in=policy.scope(user, permissions.CLUE_VIEW, Record.objects.all()).values("round")
        )


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(choices=Status.choices)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, required=False)


class KindForm(forms.Form):
    kind = forms.ChoiceField(choices=Kind.choices)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


class CloseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("How the matter was concluded"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class BriefingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.department.name} · {obj.date:%Y-%m-%d}"


class EvidenceForm(forms.Form):
    briefing = BriefingChoiceField(
        label=gettext_lazy("Department briefing"), queryset=Briefing.objects.none(), required=False
    )
    document = forms.FileField(label=gettext_lazy("Or upload a document"), required=False)
    excerpt = forms.CharField(
        label=gettext_lazy("Excerpt that matters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, record: Record, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from xuncha.rounds import selectors as round_selectors

        briefing_field = cast(forms.ModelChoiceField, self.fields["briefing"])
        briefing_field.queryset = (
            round_selectors.briefings_for(user)
            .filter(Q(round=record.round_id) | Q(target=record.target_id))
            .select_related("department")
            .order_by("-date")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("briefing")) == bool(data.get("document")):
            raise forms.ValidationError(_("Choose a briefing or upload a document (one of them)."))
        return data


class MergeForm(forms.Form):
    other = forms.IntegerField(widget=forms.HiddenInput)
    survivor = forms.ChoiceField(
        choices=[("this", "this"), ("other", "other")], widget=forms.HiddenInput
    )


class NotDuplicateForm(forms.Form):
    other = forms.IntegerField(widget=forms.HiddenInput)


class CandidateForm(forms.Form):
    """ "This is the person": a person of the registry (``p<pk>``) or a row of the
    household register (``h<row>``, with the register's version)."""

    candidate = forms.RegexField(regex=r"^[ph][0-9]{1,12}$")
    version = forms.IntegerField(required=False, min_value=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        candidate = data.get("candidate") or ""
        if candidate.startswith("h") and not data.get("version"):
            raise forms.ValidationError(_("Choose the person again from the list."))
        return data

    @property
    def kind(self) -> str:
        return "person" if self.cleaned_data["candidate"].startswith("p") else "household"

    @property
    def number(self) -> int:
        return int(self.cleaned_data["candidate"][1:])
