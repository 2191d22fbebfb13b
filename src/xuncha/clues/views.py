"""Registry pages: the list (sort, filter, export), a record with its evidence and
timeline, recording and editing, status and kind changes, duplicate suggestions with the
shared passages highlighted, merging, and the round-wide duplicate scan."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xuncha.clues import permissions, selectors, services
from xuncha.clues.forms import (
    CandidateForm,
    CloseForm,
    EvidenceForm,
    KindForm,
    MergeForm,
    NotDuplicateForm,
    RecordFilterForm,
    RecordForm,
    StatusForm,
    subjects_text,
)
from xuncha.clues.models import Document, EvidenceLink, Kind, Record, Status, Subject
from xuncha.core import policy
from xuncha.core.forms import form_errors
from xuncha.core.models import JobRun, Organisation
from xuncha.core.tables import Column, Table
from xuncha.core.views import AuthedRequest
from xuncha.rounds import permissions as round_permissions
from xuncha.rounds.models import Round

COLUMNS = [
    Column(
        "number",
        gettext_lazy("Number"),
        lambda r: r.number,
        sort="number",
        link=lambda r: reverse("clues:detail", args=[r.pk]),
        css="text-nowrap",
    ),
    Column("kind", gettext_lazy("Kind"), lambda r: r.get_kind_display(), sort="kind"),
    Column("title", pgettext_lazy("record", "Title"), lambda r: r.title, sort="title"),
    Column("target", gettext_lazy("Target"), lambda r: r.target.name, sort="target__name"),
    Column(
        "subjects",
        gettext_lazy("People concerned"),
        lambda r: "、".join(s.name for s in r.subjects.all()),
    ),
    Column(
        "discipline",
        gettext_lazy("Discipline"),
        lambda r: r.get_discipline_display(),
        sort="discipline",
    ),
    Column("topics", gettext_lazy("Topics"), lambda r: "、".join(t.name for t in r.topics.all())),
    Column("source", gettext_lazy("Source"), lambda r: r.get_source_display(), sort="source"),
    Column(
        "priority", gettext_lazy("Priority"), lambda r: r.get_priority_display(), sort="priority"
    ),
    Column("status", gettext_lazy("Status"), lambda r: r.get_status_display(), sort="status"),
    Column(
        "created",
        gettext_lazy("Recorded"),
        lambda r: timezone.localtime(r.created_at).date(),
        sort="created_at",
        css="text-nowrap",
    ),
]


# What the buttons say: the move, not the status it leads to.
MOVE_LABELS: dict[str, Any] = {
    Status.NEW: gettext_lazy("Back to new"),
    Status.REVIEW: gettext_lazy("Put under review"),
    Status.CONFIRMED: gettext_lazy("Confirm"),
    Status.DISMISSED: gettext_lazy("Dismiss"),
}
REOPEN = gettext_lazy("Reopen for review")


def _record(request: AuthedRequest, pk: int, action: str = permissions.CLUE_VIEW) -> Record:
    return get_object_or_404(selectors.records_for(request.user, action), pk=pk)


def _refused(request: AuthedRequest, exc: services.Refused) -> None:
    for message in exc.messages:
        messages.error(request, message)


@require_GET
def record_list(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, permissions.CLUE_VIEW)
    form = RecordFilterForm(request.GET or None, user=request.user)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "", False)}
    qs = selectors.filter_records(selectors.records_for(request.user), filters)
    table = Table(request, qs, COLUMNS, default_sort="-created")
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        services.records_exported(
            actor=request.user,
            count=qs.count(),
            filters={k: str(getattr(v, "pk", v)) for k, v in filters.items()},
            fmt=export,
        )
        if export == "csv":
            return table.export_csv("problems-and-clues")
        return table.export_xlsx("problems-and-clues", _("Problems and clues"))
    return render(
        request,
        "clues/record_list.html",
        {
            **table.context(),
            "filter_form": form,
            "xlsx_url": table.export_url("xlsx"),
            "csv_url": table.export_url("csv"),
            "recordable_rounds": _recordable_rounds(request),
        },
    )


def _recordable_rounds(request: AuthedRequest) -> list[Round]:
    """Open rounds in which the user may record something (for the "Record" buttons)."""
    if not policy.can(request.user, permissions.CLUE_CHANGE):
        return []
    rounds = policy.scope(
        request.user,
        round_permissions.ROUND_VIEW,
        Round.objects.exclude(stage="closed").select_related("committee"),
    ).prefetch_related("teams__targets")
    result = []
    for r in rounds.order_by("-created_at")[:20]:
        targets = {t for team in r.teams.all() for t in team.targets.all()}
        if permissions.recordable_targets(request.user, r, targets):
            result.append(r)
    return result


def _round_for_recording(request: AuthedRequest, round_id: Any) -> Round:
    round_ = get_object_or_404(
        policy.scope(request.user, round_permissions.ROUND_VIEW, Round.objects.all()),
        pk=round_id if str(round_id).isdigit() else 0,
    )
    if round_.stage == "closed":
        raise PermissionDenied
    return round_


@require_http_methods(["GET", "POST"])
def record_create(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, permissions.CLUE_CHANGE)
    round_ = _round_for_recording(request, request.GET.get("round") or request.POST.get("round"))
    form = RecordForm(request.POST or None, round_=round_, user=request.user)
    target_field = form.fields["target"]
    if not target_field.queryset.exists():  # type: ignore[attr-defined]
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not permissions.may_record(request.user, round_, data["target"]):
            raise PermissionDenied
        try:
            record = services.record_create(
                actor=request.user,
                round_=round_,
                kind=data["kind"],
                topics=data["topics"],
                subjects=form.subject_inputs(),
                **form.values(),
            )
        except services.Refused as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("%(number)s recorded.") % {"number": record.number})
            return redirect("clues:detail", pk=record.pk)
    return render(
        request,
        "clues/record_form.html",
        {"form": form, "round": round_, "title": _("Record a problem or clue")},
    )


@require_http_methods(["GET", "POST"])
def record_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    record = _record(request, pk, permissions.CLUE_CHANGE)
    initial = {
        **{n: getattr(record, n) for n in services.EDITABLE_FIELDS},
        "kind": record.kind,
        "topics": list(record.topics.all()),
        "subjects": subjects_text(record),
    }
    form = RecordForm(request.POST or None, initial=initial, round_=record.round, user=request.user)
    form.fields["kind"].disabled = True
    if request.method == "POST" and form.is_valid():
        if not permissions.may_record(request.user, record.round, form.cleaned_data["target"]):
            raise PermissionDenied
        try:
            services.record_update(
                actor=request.user,
                record=record,
                values=form.values(),
                topics=form.cleaned_data["topics"],
                # Names linked before (on the candidates page too) stay linked.
                subjects=form.subject_inputs(record.subjects.select_related("person")),
            )
        except services.Refused as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("clues:detail", pk=record.pk)
    return render(
        request,
        "clues/record_form.html",
        {"form": form, "round": record.round, "record": record, "title": record.number},
    )


def _actions(request: AuthedRequest, record: Record) -> dict[str, Any]:
    user = request.user
    can_change = policy.allows(user, permissions.CLUE_CHANGE, record)
    can_decide = policy.allows(user, permissions.CLUE_DECIDE, record)
    moves = []
    for to in sorted(services.TRANSITIONS.get(record.status, set())):
        needs_decide = to in services.DECISIONS or record.status in services.DECISIONS
        if can_decide if needs_decide else can_change:
            label = MOVE_LABELS[to] if record.status != Status.DISMISSED else REOPEN
            moves.append({"to": to, "label": label, "reason": to == Status.DISMISSED})
    can_transfer = policy.allows(user, permissions.CLUE_TRANSFER, record)
    closable = record.status == Status.DISPOSAL_REPORTED or (
        record.status == Status.CONFIRMED and record.fast_track
    )
    return {
        "can_change": can_change and record.is_open,
        "can_decide": can_decide,
        "moves": moves,
        "can_close": can_transfer and closable,
        "other_kind": Kind.CLUE if record.kind == Kind.PROBLEM else Kind.PROBLEM,
    }


@require_GET
def record_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    record = _record(request, pk)
    if record.kind == Kind.CLUE or record.confidentiality != "ordinary":
        services.record_read(actor=request.user, record=record)
    from xuncha.clues import evidence

    actions = _actions(request, record)
    links = [
        (link, evidence.show(link))
        for link in record.evidence.select_related("added_by").order_by("id")
    ]
    suggestions = selectors.suggestions(request.user, record, limit=5) if record.is_open else []
    candidates = selectors.subject_candidates(request.user, record) if actions["can_change"] else {}
    return render(
        request,
        "clues/record_detail.html",
        {
            "record": record,
            "links": links,
            "timeline": record.timeline.select_related("actor").order_by("at", "id"),
            "disposals": record.disposals.select_related("recorded_by"),
            "reminders": record.reminders.all(),
            "merged_from": record.merged_from.all(),
            "suggestions": suggestions,
            "subjects": [(s, candidates.get(s.pk, [])) for s in record.subjects.all()],
            "evidence_form": EvidenceForm(record=record, user=request.user)
            if actions["can_change"]
            else None,
            "close_form": CloseForm() if actions["can_close"] else None,
            **actions,
        },
    )


@require_POST
def record_status(request: AuthedRequest, pk: int) -> HttpResponseBase:
    record = _record(request, pk, permissions.CLUE_CHANGE)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("clues:detail", pk=pk)
    to = form.cleaned_data["to_status"]
    if to in services.DECISIONS or record.status in services.DECISIONS:
        policy.require(request.user, permissions.CLUE_DECIDE, record)
    try:
        services.status_change(
            actor=request.user, record=record, to_status=to, reason=form.cleaned_data["reason"]
        )
    except services.Refused as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Status changed to %(status)s.") % {"status": Status(to).label})
    return redirect("clues:detail", pk=pk)


@require_POST
def record_kind(request: AuthedRequest, pk: int) -> HttpResponseBase:
    record = _record(request, pk, permissions.CLUE_CHANGE)
    form = KindForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("clues:detail", pk=pk)
    try:
        services.kind_change(
            actor=request.user,
            record=record,
            kind=form.cleaned_data["kind"],
            reason=form.cleaned_data["reason"],
        )
    except services.Refused as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The kind was changed."))
    return redirect("clues:detail", pk=pk)


@require_POST
def record_close(request: AuthedRequest, pk: int) -> HttpResponseBase:
    record = _record(request, pk, permissions.CLUE_TRANSFER)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("clues:detail", pk=pk)
    try:
        services.record_close(actor=request.user, record=record, reason=form.cleaned_data["reason"])
    except services.Refused as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Closed."))
    return redirect(request.POST.get("next") or reverse("clues:detail", args=[pk]))


@require_POST
def evidence_add(request: AuthedRequest, pk: int) -> HttpResponseBase:
    record = _record(request, pk, permissions.CLUE_CHANGE)
    form = EvidenceForm(request.POST, request.FILES, record=record, user=request.user)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("clues:detail", pk=pk)
    try:
        if form.cleaned_data["document"]:
            services.document_upload(
                actor=request.user,
                record=record,
                upload=form.cleaned_data["document"],
                excerpt=form.cleaned_data["excerpt"],
            )
        else:
            services.evidence_add(
                actor=request.user,
                record=record,
                obj=form.cleaned_data["briefing"],
                excerpt=form.cleaned_data["excerpt"],
            )
    except services.Refused as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Evidence linked."))
    return redirect("clues:detail", pk=pk)


@require_POST
def evidence_remove(request: AuthedRequest, pk: int) -> HttpResponseBase:
    link = get_object_or_404(
        EvidenceLink.objects.filter(
            record__in=selectors.records_for(request.user, permissions.CLUE_CHANGE)
        ),
        pk=pk,
    )
    try:
        services.evidence_remove(actor=request.user, link=link)
    except services.Refused as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Evidence link removed."))
    return redirect("clues:detail", pk=link.record_id)


@require_GET
def document_download(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """A document is read by whoever may read a record that links it (or receives it)."""
    from django.contrib.contenttypes.models import ContentType

    document = get_object_or_404(Document, pk=pk)
    links = EvidenceLink.objects.filter(
        content_type=ContentType.objects.get_for_model(Document), object_id=str(document.pk)
    )
    readable = selectors.records_for(request.user).filter(evidence__in=links).first()
    if readable is None:
        readable = (
            selectors.records_for(request.user, permissions.CLUE_RECEIVE)
            .filter(evidence__in=links)
            .first()
        )
    if readable is None:
        raise PermissionDenied
    services.document_read(actor=request.user, document=document, record=readable)
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.name)


# -- duplicates --------------------------------------------------------------------------------


def _pair_view(record: Record, other: Record) -> dict[str, Any]:
    match = selectors.compare(record, other)
    return {
        "other": other,
        "match": match,
        "a_parts": selectors.highlighted(record, match, "a"),
        "b_parts": selectors.highlighted(other, match, "b"),
        "percent": round(match.score * 100),
    }


@require_GET
def duplicates(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Side by side: this record and its likely duplicates (or one chosen record)."""
    record = _record(request, pk)
    other_id = request.GET.get("other", "")
    if other_id.isdigit():
        others = [_record(request, int(other_id))]
    else:
        others = [s.record for s in selectors.suggestions(request.user, record, limit=10)]
    return render(
        request,
        "clues/duplicates.html",
        {
            "record": record,
            "pairs": [_pair_view(record, o) for o in others],
            "can_change": policy.allows(request.user, permissions.CLUE_CHANGE, record)
            and record.is_open,
        },
    )


@require_POST
def merge(request: AuthedRequest, pk: int) -> HttpResponseBase:
    record = _record(request, pk, permissions.CLUE_CHANGE)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("clues:duplicates", pk=pk)
    other = _record(request, form.cleaned_data["other"], permissions.CLUE_CHANGE)
    survivor, merged = (
        (record, other) if form.cleaned_data["survivor"] == "this" else (other, record)
    )
    try:
        services.merge(actor=request.user, survivor=survivor, others=[merged])
    except services.Refused as exc:
        _refused(request, exc)
        return redirect("clues:duplicates", pk=pk)
    messages.success(
        request,
        _("%(merged)s was merged into %(survivor)s; its text and evidence are kept there.")
        % {"merged": merged.number, "survivor": survivor.number},
    )
    return redirect("clues:detail", pk=survivor.pk)


@require_POST
def not_duplicate(request: AuthedRequest, pk: int) -> HttpResponseBase:
    record = _record(request, pk, permissions.CLUE_CHANGE)
    form = NotDuplicateForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("clues:duplicates", pk=pk)
    other = _record(request, form.cleaned_data["other"], permissions.CLUE_CHANGE)
    try:
        services.not_duplicate(actor=request.user, a=record, b=other)
    except services.Refused as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("%(a)s and %(b)s will not be suggested as duplicates again.")
            % {"a": record.number, "b": other.number},
        )
    return redirect("clues:duplicates", pk=pk)


def _round_for_scan(request: AuthedRequest, pk: int) -> Round:
    """A round the user can read, in which they may record (its office or its teams)."""
    round_ = get_object_or_404(
        policy.scope(request.user, round_permissions.ROUND_VIEW, Round.objects.all()), pk=pk
    )
    targets = Organisation.objects.filter(inspecting_teams__round=round_).distinct()
    if not permissions.recordable_targets(request.user, round_, targets):
        raise PermissionDenied
    return round_


def _latest_scan(request: AuthedRequest, round_: Round) -> JobRun | None:
    """The user's latest scan of the round (its result names the round from the start)."""
    return (
        JobRun.objects.filter(owner=request.user, kind="clue_scan", result__round=round_.pk)
        .order_by("-created_at")
        .first()
    )


@require_GET
def round_duplicates(request: AuthedRequest, pk: int) -> HttpResponseBase:
    round_ = _round_for_scan(request, pk)
    job = _latest_scan(request, round_)
    pairs = []
    if job is not None and job.status == JobRun.Status.SUCCEEDED:
        readable = {
            r.pk: r
            for r in selectors.records_for(request.user).filter(
                round=round_, status__in=selectors.DEDUP_STATUSES
            )
        }
        for a, b, score in job.result.get("pairs", []):
            if a in readable and b in readable:
                pairs.append({"a": readable[a], "b": readable[b], "percent": round(score * 100)})
    return render(
        request,
        "clues/round_duplicates.html",
        {"round": round_, "job": job, "pairs": pairs},
    )


@require_POST
def round_scan(request: AuthedRequest, pk: int) -> HttpResponseBase:
    round_ = _round_for_scan(request, pk)
    services.scan_start(actor=request.user, round_=round_)
    return redirect("clues:round_duplicates", pk=round_.pk)


@require_POST
def subject_link(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Link a written name to a person of the registry the user may see."""
    from xuncha.core.models import Person
    from xuncha.core.policy import Action

    subject = get_object_or_404(
        Subject.objects.filter(
            record__in=selectors.records_for(request.user, permissions.CLUE_CHANGE)
        ),
        pk=pk,
    )
    person = get_object_or_404(
        policy.scope(request.user, Action.PERSON_VIEW, Person.objects.all()),
        pk=request.POST.get("person") if str(request.POST.get("person", "")).isdigit() else 0,
    )
    try:
        services.subject_link(actor=request.user, subject=subject, person=person)
    except services.Refused as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(name)s is linked.") % {"name": person.name})
    return redirect("clues:detail", pk=subject.record_id)


# -- who a name may be (issue #9) --------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def subject_candidates(request: AuthedRequest, pk: int, subject: int) -> HttpResponseBase:
    """People a name on the record may mean, from the people registry of the record's county
    and, for those who may read data comparison datasets, its household register; "This is
    the person" links the name (creating the person from a register row if needed)."""
    record = _record(request, pk)
    found = get_object_or_404(record.subjects.all(), pk=subject)
    found.record = record
    can_link = (
        record.is_open
        and found.person_id is None
        and policy.allows(request.user, permissions.CLUE_CHANGE, record)
    )
    if request.method == "POST":
        if not can_link:
            raise PermissionDenied
        return _link_candidate(request, record, found)
    if found.person_id is not None:
        messages.info(request, _("%(name)s is already linked.") % {"name": found.name})
        return redirect("clues:detail", pk=record.pk)
    search = selectors.candidates_for(request.user, found)
    services.subject_candidates_read(
        actor=request.user,
        subject=found,
        people=[c.person.pk for c in search.candidates if c.person is not None],
        household_version=search.household.pk if search.household is not None else None,
        rows=[c.row for c in search.candidates if c.row is not None],
    )
    return render(
        request,
        "clues/subject_candidates.html",
        {"record": record, "subject": found, "search": search, "can_link": can_link},
    )


def _link_candidate(request: AuthedRequest, record: Record, subject: Subject) -> HttpResponseBase:
    from xuncha.core.models import Person
    from xuncha.core.policy import Action

    form = CandidateForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("clues:subject_candidates", pk=record.pk, subject=subject.pk)
    county = selectors.county_of(record)
    try:
        if form.kind == "person":
            person = get_object_or_404(Person.objects.filter(registry=county), pk=form.number)
            services.subject_link(
                actor=request.user,
                subject=subject,
                person=person,
                source={"candidates": True},
            )
            name = person.name
        else:
            # A row of the household register becomes a person of the registry: only for
            # whoever reads the register and keeps the registry.
            version = selectors.household_version(request.user, county)
            if version is None or version.pk != form.cleaned_data["version"]:
                raise PermissionDenied
            if not policy.allows_on_organisation(request.user, Action.PERSON_CHANGE, county):
                raise PermissionDenied
            row = selectors.household_row(version, form.number)
            if row is None or not row.get("name"):
                raise Http404
            resident = services.HouseholdPerson(
                version_id=version.pk,
                row=form.number,
                name=str(row["name"]),
                gender=selectors.gender_code(row.get("gender")),
                birth_date=row.get("birth_date"),
                id_number=row.get("id_number") or None,
            )
            linked = services.subject_link_household(
                actor=request.user, subject=subject, registry=county, resident=resident
            )
            name = linked.person.name if linked.person else resident.name
    except services.Refused as exc:
        _refused(request, exc)
        return redirect("clues:subject_candidates", pk=record.pk, subject=subject.pk)
    messages.success(request, _("%(name)s is linked.") % {"name": name})
    return redirect("clues:detail", pk=record.pk)
