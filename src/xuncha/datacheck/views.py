"""Data comparison pages: the dataset catalogue, uploads with the column preview, the error
report and the explicit acceptance, the rule library, runs with their progress, findings
(filter, sort, export, a chart) and a finding's evidence side by side."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xuncha.clues import permissions as clue_permissions
from xuncha.core import policy
from xuncha.core.forms import errors_to_form
from xuncha.core.models import Organisation
from xuncha.core.tables import Column, Table
from xuncha.core.views import AuthedRequest
from xuncha.datacheck import linking, services, storage
from xuncha.datacheck.forms import (
    AcceptForm,
    AliasForm,
    DatasetForm,
    DecisionForm,
    FindingFilterForm,
    JudgeForm,
    LinkRunForm,
    MappingForm,
    PairFilterForm,
    RuleForm,
    RuleValuesForm,
    RunForm,
    ToRecordForm,
    area_queryset,
)
from xuncha.datacheck.labels import comparison_label, field_label, level_label
from xuncha.datacheck.lib import link as link_lib
from xuncha.datacheck.lib.headers import KINDS
from xuncha.datacheck.lib.schema import SCHEMA
from xuncha.datacheck.models import (
    Dataset,
    Finding,
    HeaderAlias,
    Kind,
    LinkDecision,
    LinkPair,
    LinkRun,
    Rule,
    Run,
    Version,
)
from xuncha.datacheck.permissions import DATACHECK_CHANGE, DATACHECK_RULES, DATACHECK_VIEW


def _zh() -> bool:
    return (get_language() or "zh-hans").lower().startswith("zh")


def rule_name(rule: Rule) -> str:
    return rule.name_zh if _zh() else rule.name_en


def explanation(finding: Finding) -> str:
    return finding.explanation_zh if _zh() else finding.explanation_en


def _scoped(request: AuthedRequest, model: Any, action: str = DATACHECK_VIEW) -> Any:
    return policy.scope(request.user, action, model.objects.all())


def _errors(request: AuthedRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# -- catalogue --------------------------------------------------------------------------------


@require_GET
def index(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, DATACHECK_VIEW)
    datasets = list(
        _scoped(request, Dataset).select_related("organisation").prefetch_related("versions")
    )
    rows = []
    for dataset in datasets:
        versions = sorted(dataset.versions.all(), key=lambda v: -v.number)
        current = next((v for v in versions if v.status == Version.Status.ACCEPTED), None)
        pending = next(
            (
                v
                for v in versions
                if v.status in (*services.OPEN_VERSION_STATES, Version.Status.IMPORTING)
            ),
            None,
        )
        rows.append({"dataset": dataset, "current": current, "pending": pending})
    findings = _scoped(request, Finding)
    chart = _chart(findings)
    return render(
        request,
        "datacheck/index.html",
        {
            "rows": rows,
            "runs": _scoped(request, Run).select_related("organisation", "created_by")[:10],
            "chart": chart,
            "can_change": policy.can(request.user, DATACHECK_CHANGE),
            "can_rules": policy.can(request.user, DATACHECK_RULES),
        },
    )


def _chart(findings: Any) -> dict[str, Any]:
    """Findings by rule and status, for the stacked bars (one grouped query)."""
    by_rule = (
        findings.values("rule__code", "rule__name_zh", "rule__name_en", "status")
        .annotate(n=Count("pk"))
        .order_by("rule__code")
    )
    codes: list[str] = []
    names: dict[str, str] = {}
    counts: dict[tuple[str, str], int] = {}
    for entry in by_rule:
        code = entry["rule__code"]
        if code not in names:
            codes.append(code)
            names[code] = entry["rule__name_zh"] if _zh() else entry["rule__name_en"]
        counts[(code, entry["status"])] = entry["n"]
    return {
        "categories": [names[c] for c in codes],
        "codes": codes,
        "colors": ["#f39c12", "#c0392b", "#7f8c8d"],
        "series": [
            {"name": str(label), "data": [counts.get((c, value), 0) for c in codes]}
            for value, label in Finding.Status.choices
        ],
    }


@require_http_methods(["GET", "POST"])
def dataset_new(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, DATACHECK_CHANGE)
    form = DatasetForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            dataset = services.dataset_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            return redirect("datacheck:dataset", dataset.pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("New dataset"), "cancel": reverse("datacheck:index")},
    )


@require_http_methods(["GET", "POST"])
def dataset_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    from xuncha.datacheck.forms import UploadForm

    dataset = get_object_or_404(_scoped(request, Dataset).select_related("organisation"), pk=pk)
    can_change = policy.allows(request.user, DATACHECK_CHANGE, dataset)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                version = services.version_upload(
                    actor=request.user,
                    dataset=dataset,
                    file_name=upload.name,
                    chunks=upload.chunks(),
                    extracted_on=form.cleaned_data["extracted_on"],
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                return redirect("datacheck:version", version.pk)
    return render(
        request,
        "datacheck/dataset.html",
        {
            "dataset": dataset,
            "versions": dataset.versions.select_related("imported_by", "accepted_by"),
            "form": form,
            "can_change": can_change,
            "required": [field_label(f) for f in KINDS[dataset.kind]],
            "optional": [
                field_label(f) for f in SCHEMA[dataset.kind] if f not in KINDS[dataset.kind]
            ],
        },
    )


@require_http_methods(["GET", "POST"])
def version_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    version = get_object_or_404(
        _scoped(request, Version).select_related("dataset__organisation", "imported_by", "job"),
        pk=pk,
    )
    can_change = policy.allows(request.user, DATACHECK_CHANGE, version)
    context: dict[str, Any] = {"version": version, "dataset": version.dataset}
    context["can_change"] = can_change
    if version.status == Version.Status.MAPPING:
        choices = services.mapping_choices(version.dataset.kind)
        form = MappingForm(
            request.POST or None,
            headers=list(version.headers),
            choices=choices,
            columns=version.columns,
        )
        if request.method == "POST":
            if not can_change:
                raise PermissionDenied
            if form.is_valid():
                try:
                    services.version_confirm(
                        actor=request.user, version=version, columns=form.columns()
                    )
                except ValidationError as exc:
                    errors_to_form(form, exc)
                else:
                    return redirect("datacheck:version", version.pk)
        try:
            preview = services.preview_of(version)
        except ValidationError as exc:
            _errors(request, exc)
            preview = None
        context.update(
            {
                "form": form,
                "preview": preview,
                "columns": list(zip(form, version.headers, strict=False)),
                "required": [field_label(f) for f in KINDS[version.dataset.kind]],
            }
        )
    elif request.method == "POST":
        raise PermissionDenied
    if version.status == Version.Status.ERRORS:
        context["accept_form"] = AcceptForm()
    return render(request, "datacheck/version.html", context)


@require_POST
def version_accept(request: AuthedRequest, pk: int) -> HttpResponseBase:
    version = get_object_or_404(_scoped(request, Version, DATACHECK_CHANGE), pk=pk)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the box to accept the version without its rejected rows."))
        return redirect("datacheck:version", pk)
    try:
        services.version_accept(actor=request.user, version=version)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Accepted without the rejected rows."))
    return redirect("datacheck:version", pk)


@require_POST
def version_discard(request: AuthedRequest, pk: int) -> HttpResponseBase:
    version = get_object_or_404(_scoped(request, Version, DATACHECK_CHANGE), pk=pk)
    try:
        services.version_discard(actor=request.user, version=version)
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("datacheck:dataset", version.dataset_id)


@require_GET
def version_errors(request: AuthedRequest, pk: int) -> HttpResponseBase:
    version = get_object_or_404(_scoped(request, Version, DATACHECK_CHANGE), pk=pk)
    report = storage.errors_path(version)
    if not report.exists():
        raise Http404
    services.errors_downloaded(actor=request.user, version=version)
    name = f"{version.dataset.title}-v{version.number}-errors.xlsx"
    return FileResponse(report.open("rb"), as_attachment=True, filename=name)


# -- rules ------------------------------------------------------------------------------------


@require_GET
def rule_list(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, DATACHECK_VIEW)
    rules = _scoped(request, Rule).annotate(n=Count("findings"))
    return render(
        request,
        "datacheck/rules.html",
        {
            "rules": [(r, rule_name(r)) for r in rules],
            "can_rules": policy.can(request.user, DATACHECK_RULES),
        },
    )


@require_http_methods(["GET", "POST"])
def rule_detail(request: AuthedRequest, code: str) -> HttpResponseBase:
    rule = get_object_or_404(_scoped(request, Rule), code=code)
    can_rules = policy.allows(request.user, DATACHECK_RULES, rule)
    values = services.values_of(rule)
    form = RuleValuesForm(
        request.POST or None,
        params=rule.params,
        lang=get_language() or "zh-hans",
        initial={"enabled": rule.enabled, **{f"p_{k}": v for k, v in values.items()}},
    )
    if request.method == "POST":
        if not can_rules:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.rule_set_values(
                    actor=request.user,
                    rule=rule,
                    enabled=form.cleaned_data["enabled"],
                    values=form.values(),
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("datacheck:rule", rule.code)
    return render(
        request,
        "datacheck/rule.html",
        {
            "rule": rule,
            "name": rule_name(rule),
            "description": rule.description_zh if _zh() else rule.description_en,
            "template": rule.explain_zh if _zh() else rule.explain_en,
            "kinds": [Kind(k).label for k in rule.kinds if k in Kind.values],
            "form": form,
            "can_rules": can_rules,
        },
    )


@require_http_methods(["GET", "POST"])
def rule_edit(request: AuthedRequest, code: str | None = None) -> HttpResponseBase:
    policy.require(request.user, DATACHECK_RULES)
    rule = None
    if code is not None:
        rule = get_object_or_404(_scoped(request, Rule, DATACHECK_RULES), code=code)
        if rule.builtin:
            raise PermissionDenied
    offices = area_queryset(request.user, DATACHECK_RULES)
    initial = {}
    if rule is not None:
        initial = {f: getattr(rule, f) for f in services.SPEC_FIELDS}
        initial["code"] = rule.code
        initial["params"] = RuleForm.params_text(rule.params)
    form = RuleForm(request.POST or None, initial=initial)
    if rule is not None:
        form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        office = rule.organisation if rule is not None else offices.first()
        if office is None:
            raise PermissionDenied
        try:
            saved = services.rule_save(
                actor=request.user, organisation=office, data=form.rule_data(), rule=rule
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("The rule was checked and saved."))
            return redirect("datacheck:rule", saved.code)
    return render(
        request,
        "datacheck/rule_form.html",
        {"form": form, "rule": rule, "title": _("Edit rule") if rule else _("New rule")},
    )


@require_http_methods(["GET", "POST"])
def aliases(request: AuthedRequest) -> HttpResponseBase:
    """The header texts of each field: shipped, and taught by the office."""
    from xuncha.datacheck.lib.headers import FIELDS

    policy.require(request.user, DATACHECK_VIEW)
    can_rules = policy.can(request.user, DATACHECK_RULES)
    form = AliasForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if not can_rules:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.alias_set(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("datacheck:aliases")
    taught: dict[str, list[HeaderAlias]] = {}
    for alias in _scoped(request, HeaderAlias).select_related("organisation"):
        taught.setdefault(alias.field, []).append(alias)
    rows = [
        {"field": f, "label": field_label(f), "shipped": texts, "taught": taught.get(f, [])}
        for f, texts in FIELDS.items()
    ]
    return render(
        request,
        "datacheck/aliases.html",
        {"rows": rows, "form": form, "can_rules": can_rules},
    )


@require_POST
def alias_delete(request: AuthedRequest, pk: int) -> HttpResponseBase:
    alias = get_object_or_404(_scoped(request, HeaderAlias, DATACHECK_RULES), pk=pk)
    services.alias_delete(actor=request.user, alias=alias)
    messages.success(request, _("Removed."))
    return redirect("datacheck:aliases")


# -- runs -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def run_new(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, DATACHECK_CHANGE)
    form = RunForm(request.POST or None, user=request.user)
    area = None
    if form.is_bound and form.is_valid():
        area = form.cleaned_data["organisation"]
    elif request.GET.get("organisation", "").isdigit():
        area = area_queryset(request.user).filter(pk=request.GET["organisation"]).first()
        form = RunForm(initial={"organisation": area}, user=request.user)
    elif (first := area_queryset(request.user).first()) is not None:
        area, form = first, RunForm(initial={"organisation": first}, user=request.user)
    versions = services.current_versions(area) if area is not None else []
    rules = list(services.rules_for(area).order_by("code")) if area is not None else []
    if request.method == "POST" and area is not None:
        chosen_versions = [v for v in versions if str(v.pk) in request.POST.getlist("versions")]
        chosen_rules = [r.code for r in rules if r.code in request.POST.getlist("rules")]
        try:
            run = services.run_start(
                actor=request.user,
                organisation=area,
                versions=chosen_versions,
                codes=chosen_rules,
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            return redirect("datacheck:run", run.pk)
    return render(
        request,
        "datacheck/run_new.html",
        {
            "form": form,
            "area": area,
            "versions": versions,
            "rules": [(r, rule_name(r), _missing(r, versions)) for r in rules],
        },
    )


def _missing(rule: Rule, versions: list[Version]) -> list[str]:
    present = {v.dataset.kind for v in versions}
    return [str(Kind(k).label) for k in rule.kinds if k not in present and k in Kind.values]


@require_GET
def run_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    run = get_object_or_404(
        _scoped(request, Run).select_related("organisation", "created_by", "job"), pk=pk
    )
    names = {
        r.code: rule_name(r) for r in Rule.objects.filter(code__in=[e["code"] for e in run.rules])
    }
    results = []
    for entry in run.rules:
        result = run.results.get(entry["code"], {})
        results.append(
            {
                "code": entry["code"],
                "name": names.get(entry["code"], entry["code"]),
                "revision": entry["revision"],
                "params": entry["params"],
                "sha": entry["sql_sha256"][:12],
                "result": result,
                "missing": [
                    str(Kind(k).label) for k in result.get("missing", []) if k in Kind.values
                ],
            }
        )
    return render(
        request,
        "datacheck/run.html",
        {
            "run": run,
            "job": run.job,
            "versions": run.versions.select_related("dataset", "imported_by"),
            "results": results,
        },
    )


# -- findings ---------------------------------------------------------------------------------

FINDING_COLUMNS = [
    Column(
        "rule",
        gettext_lazy("Rule"),
        lambda f: rule_name(f.rule),
        sort="rule__code",
    ),
    Column(
        "names",
        gettext_lazy("People or companies"),
        lambda f: f.names,
        sort="names",
        link=lambda f: reverse("datacheck:finding", args=[f.pk]),
    ),
    Column("place", pgettext_lazy("finding", "Where"), lambda f: f.place, sort="place"),
    Column("explanation", gettext_lazy("What was found"), explanation),
    Column("status", gettext_lazy("Status"), lambda f: f.get_status_display(), sort="status"),
    Column(
        "run",
        pgettext_lazy("findings", "Last run"),
        lambda f: f"#{f.last_run_id}",
        sort="last_run",
    ),
]


@require_GET
def finding_list(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, DATACHECK_VIEW)
    form = FindingFilterForm(request.GET or None)
    form.fields["rule"].queryset = _scoped(request, Rule)  # type: ignore[attr-defined]
    qs = _scoped(request, Finding).select_related("rule")
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        if data.get("rule"):
            qs = qs.filter(rule=data["rule"])
            filters["rule"] = data["rule"].code
        if data.get("status"):
            qs = qs.filter(status=data["status"])
            filters["status"] = data["status"]
        if data.get("place"):
            qs = qs.filter(place__icontains=data["place"])
            filters["place"] = data["place"]
        if data.get("q"):
            qs = qs.filter(names__icontains=data["q"])
            filters["q"] = data["q"]
        if data.get("run"):
            qs = qs.filter(last_run_id=data["run"])
            filters["run"] = data["run"]
    table = Table(request, qs, FINDING_COLUMNS, default_sort="rule")
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        services.findings_exported(
            actor=request.user, count=qs.count(), filters={**filters, "format": export}
        )
        if export == "csv":
            return table.export_csv("findings")
        return table.export_xlsx("findings", _("Findings"))
    return render(
        request,
        "datacheck/findings.html",
        {
            **table.context(),
            "filter_form": form,
            "xlsx_url": table.export_url("xlsx"),
            "chart": _chart(qs),
        },
    )


def _evidence_groups(finding: Finding) -> list[dict[str, Any]]:
    """The evidence rows by dataset version: one row shown as a card of fields, several
    (the months a dead person was paid) as a table with the file's row numbers."""
    versions = {
        v.pk: v
        for v in Version.objects.filter(
            pk__in={e.get("version") for e in finding.evidence if e.get("version")}
        ).select_related("dataset")
    }
    grouped: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    for entry in finding.evidence:
        grouped.setdefault((entry["kind"], entry.get("version")), []).append(entry)
    groups = []
    for (kind, version_id), entries in grouped.items():
        schema = SCHEMA.get(kind, tuple(entries[0].get("data", {})))
        fields = [f for f in schema if any(e["data"].get(f) not in (None, "") for e in entries)]
        groups.append(
            {
                "kind": Kind(kind).label if kind in Kind.values else kind,
                "version": versions.get(version_id),
                "row": entries[0]["row"],
                "labels": [field_label(f) for f in fields],
                "fields": [(field_label(f), entries[0]["data"].get(f)) for f in fields],
                "rows": [
                    (e["row"], [e["data"].get(f, "") for f in fields])
                    for e in sorted(entries, key=lambda e: e["row"])
                ],
                # Rows whose ID number came from record linkage: the pair and its probability.
                "linked": [
                    (
                        e["row"],
                        e["data"][linking.LINK_PAIR],
                        f"{float(e['data'].get(linking.LINK_PROBABILITY) or 0) * 100:.1f}",
                    )
                    for e in sorted(entries, key=lambda e: e["row"])
                    if e["data"].get(linking.LINK_PAIR)
                ],
            }
        )
    return groups


@require_http_methods(["GET", "POST"])
def finding_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    finding = get_object_or_404(
        _scoped(request, Finding).select_related(
            "rule", "organisation", "judged_by", "record", "first_run", "last_run"
        ),
        pk=pk,
    )
    can_change = policy.allows(request.user, DATACHECK_CHANGE, finding)
    judge_form = JudgeForm(initial={"status": finding.status, "reason": finding.reason})
    record_form = _record_form(request, finding)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "judge":
                judge_form = JudgeForm(request.POST)
                if judge_form.is_valid():
                    services.finding_judge(
                        actor=request.user, finding=finding, **judge_form.cleaned_data
                    )
                    messages.success(request, _("Saved."))
                    return redirect("datacheck:finding", pk)
            elif action == "record" and record_form is not None:
                record_form = _record_form(request, finding, data=request.POST)
                if record_form is not None and record_form.is_valid():
                    data = record_form.cleaned_data
                    if not clue_permissions.may_record(request.user, data["round"], data["target"]):
                        raise PermissionDenied
                    record = services.finding_to_record(
                        actor=request.user,
                        finding=finding,
                        round_=data["round"],
                        target=data["target"],
                        kind=data["kind"],
                        title=data["title"],
                    )
                    messages.success(
                        request, _("Recorded as %(number)s.") % {"number": record.number}
                    )
                    return redirect("datacheck:finding", pk)
            else:
                raise PermissionDenied
        except ValidationError as exc:
            _errors(request, exc)
    else:
        services.finding_read(actor=request.user, finding=finding)
    return render(
        request,
        "datacheck/finding.html",
        {
            "finding": finding,
            "rule_name": rule_name(finding.rule),
            "explanation": explanation(finding),
            "groups": _evidence_groups(finding),
            "facts": sorted(finding.facts.items()),
            "judge_form": judge_form,
            "record_form": record_form,
            "can_change": can_change,
        },
    )


def _record_form(request: AuthedRequest, finding: Finding, data: Any = None) -> ToRecordForm | None:
    """Rounds open for recording and their targets within the finding's area."""
    from xuncha.rounds import permissions as round_permissions
    from xuncha.rounds.models import Round

    if finding.status != Finding.Status.CONFIRMED or finding.record_id is not None:
        return None
    if not policy.can(request.user, clue_permissions.CLUE_CHANGE):
        return None
    rounds = policy.scope(
        request.user,
        round_permissions.ROUND_VIEW,
        Round.objects.exclude(stage="closed"),
    ).order_by("-created_at")
    targets = Organisation.objects.filter(
        path__startswith=services.county_of(finding.organisation).path,
        pk__in=rounds.values("teams__targets"),
    ).order_by("path")
    if not rounds.exists() or not targets.exists():
        return None
    initial_target = targets.filter(name__in=finding.place.split()).last()
    return ToRecordForm(
        data,
        rounds=rounds,
        targets=targets,
        initial={
            "kind": "clue",
            "target": initial_target,
            "round": rounds.filter(teams__targets=initial_target).first()
            if initial_target
            else None,
        },
    )


# -- record linkage (issue #9) ----------------------------------------------------------------

# The record columns shown against each compared field.
SHOWN_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "birth": ("birth_date", "age"),
    "gender": ("gender",),
    "address": ("township", "village", "address"),
    "phone": ("phone",),
    "household": ("household",),
    "organisation": ("organisation",),
    "id_number": ("id_number",),
}
PAIRS_PER_PAGE = 20


def _tone(field: str, code: str) -> str:
    """A level's colour: the strongest agreement green, a partial one amber, a difference
    red, a missing value grey."""
    from xuncha.datacheck.lib import link

    comparison = link.COMPARISON_BY_FIELD.get(field)
    codes = [lvl.code for lvl in comparison.levels if not lvl.null] if comparison else []
    if code not in codes:
        return "secondary"
    if code == codes[-1]:
        return "danger"
    return "success" if code == codes[0] else "warning"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _record_text(record: dict[str, Any] | None, columns: tuple[str, ...]) -> str:
    if not record:
        return ""
    return " ".join(_text(record.get(c)) for c in columns if record.get(c) not in (None, ""))


def _side_by_side(
    pair: LinkPair, left: dict[str, Any] | None, right: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """One line per compared field: the two records' values and the level reached."""
    lines = []
    for field, columns in SHOWN_COLUMNS.items():
        code = pair.levels.get(field, "missing")
        left_text, right_text = _record_text(left, columns), _record_text(right, columns)
        if not left_text and not right_text:
            continue
        lines.append(
            {
                "label": comparison_label(field),
                "left": left_text,
                "right": right_text,
                "level": level_label(field, code),
                "tone": _tone(field, code),
            }
        )
    return lines


def _pair_views(
    run: LinkRun, pairs: list[LinkPair], decisions: dict[tuple[str, str], Any]
) -> list[dict[str, Any]]:
    """The pairs with both records (two reads of the Parquet files) and their decision."""
    right_version = run.right or run.left
    lefts = linking.rows_of(run.left, (p.left_row for p in pairs))
    rights = linking.rows_of(right_version, (p.right_row for p in pairs))
    out = []
    for pair in pairs:
        decision = linking.decision_of(pair, decisions)
        left, right = lefts.get(pair.left_row), rights.get(pair.right_row)
        out.append(
            {
                "pair": pair,
                "left": left,
                "right": right,
                "lines": _side_by_side(pair, left, right),
                "decision": decision,
                "link": linking.is_link(pair.band, decision.decision if decision else None),
                "percent": f"{pair.probability * 100:.1f}",
            }
        )
    return out


def _live_counts(run: LinkRun) -> dict[str, Any]:
    """Pairs by band and decision as they stand now (decisions change after the run), for
    the counts and the chart."""
    pairs = list(run.pairs.only("band", "left_key", "right_key"))
    decisions = linking.decisions_in(run.area)
    table: dict[tuple[str, str], int] = {}
    links = 0
    for pair in pairs:
        decision = linking.decision_of(pair, decisions)
        state = decision.decision if decision else "none"
        table[(pair.band, state)] = table.get((pair.band, state), 0) + 1
        links += linking.is_link(pair.band, decision.decision if decision else None)
    bands = [b for b in LinkPair.Band.values if any(k[0] == b for k in table)]
    states = [("none", _("Not decided")), *LinkDecision.Decision.choices]
    chart = {
        "categories": [str(LinkPair.Band(b).label) for b in bands],
        "codes": bands,
        "colors": ["#7f8c8d", "#16a085", "#c0392b"],
        "series": [
            {"name": str(label), "data": [table.get((b, state), 0) for b in bands]}
            for state, label in states
        ],
    }
    return {
        "links": links,
        "to_review": table.get((LinkPair.Band.REVIEW, "none"), 0),
        "decided": sum(n for (b, s), n in table.items() if s != "none"),
        "chart": chart,
    }


def _titles(run: LinkRun) -> dict[str, str]:
    """The two sides' names, for the columns of the pairs shown side by side."""
    right = run.right or run.left
    return {
        "left_title": f"{run.left.dataset.title} v{run.left.number}",
        "right_title": f"{right.dataset.title} v{right.number}",
    }


def _link_run_or_404(request: AuthedRequest, pk: int) -> LinkRun:
    return get_object_or_404(
        _scoped(request, LinkRun).select_related(
            "area", "left__dataset", "right__dataset", "created_by", "job"
        ),
        pk=pk,
    )


@require_GET
def link_runs(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, DATACHECK_VIEW)
    runs = _scoped(request, LinkRun).select_related(
        "area", "left__dataset", "right__dataset", "created_by"
    )
    return render(
        request,
        "datacheck/links.html",
        {"runs": runs[:100], "can_change": policy.can(request.user, DATACHECK_CHANGE)},
    )


@require_http_methods(["GET", "POST"])
def link_new(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, DATACHECK_CHANGE)
    areas = area_queryset(request.user)
    chosen = request.POST.get("organisation") or request.GET.get("organisation", "")
    area = areas.filter(pk=chosen).first() if chosen.isdigit() else areas.first()
    area_form = RunForm(initial={"organisation": area}, user=request.user)
    versions = [
        v
        for v in (services.current_versions(area) if area is not None else [])
        if v.dataset.kind in linking.PERSON_KINDS
    ]
    initial = {
        "left": next((v for v in versions if v.dataset.kind == "household"), None),
        "right": next((v for v in versions if v.dataset.kind == "roster"), None),
    }
    form = LinkRunForm(
        request.POST if request.method == "POST" else None, versions=versions, initial=initial
    )
    if request.method == "POST" and area is not None and form.is_valid():
        data = form.cleaned_data
        try:
            run = linking.link_start(
                actor=request.user,
                area=area,
                left=data["left"],
                right=data["right"],
                thresholds=link_lib.Thresholds(match=data["match"], review=data["review"]),
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        except link_lib.LinkError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("datacheck:link_run", run.pk)
    return render(
        request,
        "datacheck/link_new.html",
        {"area_form": area_form, "area": area, "form": form, "versions": versions},
    )


PAIR_EXPORT_FIELDS = ("probability", "band", "decision")


def _filtered_pairs(run: LinkRun, form: PairFilterForm) -> tuple[Any, dict[str, Any]]:
    pairs = run.pairs.all()
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        if data.get("band"):
            pairs = pairs.filter(band=data["band"])
            filters["band"] = data["band"]
        if data.get("decision") == "none":
            pairs = pairs.exclude(linking.decided_q(run))
            filters["decision"] = "none"
        elif data.get("decision"):
            pairs = pairs.filter(linking.decided_q(run, data["decision"]))
            filters["decision"] = data["decision"]
        if data.get("level"):
            field, _sep, code = data["level"].partition(":")
            pairs = pairs.filter(**{f"levels__{field}": code})
            filters["level"] = data["level"]
    return pairs, filters


PAIR_SORTS = {
    "probability": "probability",
    "left": "left_row",
    "right": "right_row",
    "band": "band",
}


@require_GET
def link_run(request: AuthedRequest, pk: int) -> HttpResponseBase:
    run = _link_run_or_404(request, pk)
    form = PairFilterForm(request.GET or None)
    pairs, filters = _filtered_pairs(run, form)
    requested = request.GET.get("sort", "-probability")
    key = requested.lstrip("-")
    if key not in PAIR_SORTS:
        requested, key = "-probability", "probability"
    order = PAIR_SORTS[key]
    pairs = pairs.order_by(f"-{order}" if requested.startswith("-") else order, "pk")
    export = request.GET.get("export")
    if export in ("csv", "xlsx") and run.status == LinkRun.Status.DONE:
        return _export_pairs(request, run, list(pairs), export, filters)
    context: dict[str, Any] = {
        **_titles(run),
        "run": run,
        "job": run.job,
        "filter_form": form,
        "can_change": policy.allows(request.user, DATACHECK_CHANGE, run),
        "sort": requested,
        "sorts": [
            ("-probability", _("Most probable first")),
            ("probability", _("Least probable first")),
            ("right", _("Right row")),
            ("left", _("Left row")),
        ],
    }
    if run.status == LinkRun.Status.DONE:
        from django.core.paginator import Paginator

        page = Paginator(pairs, PAIRS_PER_PAGE).get_page(request.GET.get("page"))
        decisions = linking.decisions_in(run.area)
        shown = _pair_views(run, list(page.object_list), decisions)
        if shown:
            linking.pairs_read(actor=request.user, run=run, view="pairs", count=len(shown))
        params = request.GET.copy()
        params.pop("page", None)
        context.update(
            {
                "page_obj": page,
                "pairs": shown,
                "counts": _live_counts(run),
                "page_query": params.urlencode(),
                "csv_url": _export_url(request, "csv"),
                "xlsx_url": _export_url(request, "xlsx"),
            }
        )
    return render(request, "datacheck/link_run.html", context)


def _export_url(request: AuthedRequest, fmt: str) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    params["export"] = fmt
    return "?" + params.urlencode()


def _export_pairs(
    request: AuthedRequest, run: LinkRun, pairs: list[LinkPair], fmt: str, filters: dict[str, Any]
) -> HttpResponseBase:
    """Every filtered pair with both records, each compared field's values and level."""
    import csv
    import io

    from xuncha.core.tables import XLSX_CONTENT_TYPE, download, safe_cell, xlsx_bytes

    decisions = linking.decisions_in(run.area)
    shown = _pair_views(run, pairs, decisions)
    header: list[Any] = [
        _("Probability"),
        _("Band"),
        _("Decision"),
        _("Left row"),
        _("Right row"),
    ]
    for field in SHOWN_COLUMNS:
        names = {"field": comparison_label(field)}
        header += [
            _("%(field)s (left)") % names,
            _("%(field)s (right)") % names,
            _("%(field)s (agreement)") % names,
        ]
    rows = []
    for item in shown:
        pair = item["pair"]
        decision = item["decision"]
        row: list[Any] = [
            round(pair.probability, 4),
            str(pair.get_band_display()),
            str(decision.get_decision_display()) if decision else "",
            pair.left_row,
            pair.right_row,
        ]
        for field, columns in SHOWN_COLUMNS.items():
            row += [
                _record_text(item["left"], columns),
                _record_text(item["right"], columns),
                str(level_label(field, pair.levels.get(field, "missing"))),
            ]
        rows.append(row)
    linking.pairs_exported(
        actor=request.user, run=run, count=len(rows), filters={**filters, "format": fmt}
    )
    name = f"linked-pairs-{run.pk}"
    if fmt == "xlsx":
        data = xlsx_bytes([(_("Linked pairs"), header, rows)])
        return download(data, XLSX_CONTENT_TYPE, f"{name}.xlsx")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(str(v)) for v in row])
    return download(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"), "text/csv; charset=utf-8", f"{name}.csv"
    )


@require_GET
def link_review(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The review band, pair after pair: the most probable undecided pair first; the pairs
    decided here below it, each decision undoable."""
    run = _link_run_or_404(request, pk)
    if run.status != LinkRun.Status.DONE:
        return redirect("datacheck:link_run", run.pk)
    queue = run.pairs.filter(band=LinkPair.Band.REVIEW).exclude(linking.decided_q(run))
    remaining = queue.count()
    decisions = linking.decisions_in(run.area)
    current = _pair_views(run, list(queue.order_by("-probability", "pk")[:1]), decisions)
    decided_pairs = list(
        run.pairs.filter(linking.decided_q(run)).order_by("-probability", "pk")[:50]
    )
    decided = _pair_views(run, decided_pairs, decisions)
    decided.sort(key=lambda d: d["decision"].decided_at, reverse=True)
    if current:
        linking.pairs_read(actor=request.user, run=run, view="review", count=1)
    return render(
        request,
        "datacheck/link_review.html",
        {
            **_titles(run),
            "run": run,
            "current": current[0] if current else None,
            "remaining": remaining,
            "decided": decided,
            "form": DecisionForm(),
            "can_change": policy.allows(request.user, DATACHECK_CHANGE, run),
        },
    )


def _pair_or_404(request: AuthedRequest, pk: int, action: str = DATACHECK_VIEW) -> LinkPair:
    return get_object_or_404(
        _scoped(request, LinkPair, action).select_related(
            "run__area", "run__left__dataset", "run__right__dataset"
        ),
        pk=pk,
    )


@require_GET
def link_pair(request: AuthedRequest, pk: int) -> HttpResponseBase:
    pair = _pair_or_404(request, pk)
    run = pair.run
    shown = _pair_views(run, [pair], linking.decisions_in(run.area))[0]
    linking.pairs_read(actor=request.user, run=run, view="pair", count=1)
    return render(
        request,
        "datacheck/link_pair.html",
        {
            **_titles(run),
            "run": run,
            "item": shown,
            "form": DecisionForm(),
            "can_change": policy.allows(request.user, DATACHECK_CHANGE, run),
        },
    )


def _back(request: AuthedRequest, pair: LinkPair) -> HttpResponseBase:
    """Back to the review queue, or to the pair's own page."""
    if request.POST.get("back") == "pair":
        return redirect("datacheck:link_pair", pair.pk)
    return redirect("datacheck:link_review", pair.run_id)


@require_POST
def link_decide(request: AuthedRequest, pk: int) -> HttpResponseBase:
    pair = _pair_or_404(request, pk, DATACHECK_CHANGE)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose Same person or Not the same person."))
        return _back(request, pair)
    accepted = form.cleaned_data["decision"] == "accept"
    linking.decide(
        actor=request.user, pair=pair, accepted=accepted, reason=form.cleaned_data["reason"]
    )
    messages.success(
        request,
        _("Pair #%(n)s: the same person.") % {"n": pair.pk}
        if accepted
        else _("Pair #%(n)s: not the same person.") % {"n": pair.pk},
    )
    return _back(request, pair)


@require_POST
def link_undo(request: AuthedRequest, pk: int) -> HttpResponseBase:
    pair = _pair_or_404(request, pk, DATACHECK_CHANGE)
    try:
        linking.undo(actor=request.user, pair=pair)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Decision on pair #%(n)s taken back.") % {"n": pair.pk})
    return _back(request, pair)


urlpatterns = [
    path("datacheck/", index, name="index"),
    path("datacheck/datasets/new/", dataset_new, name="dataset_new"),
    path("datacheck/datasets/<int:pk>/", dataset_detail, name="dataset"),
    path("datacheck/versions/<int:pk>/", version_detail, name="version"),
    path("datacheck/versions/<int:pk>/accept/", version_accept, name="version_accept"),
    path("datacheck/versions/<int:pk>/discard/", version_discard, name="version_discard"),
    path("datacheck/versions/<int:pk>/errors.xlsx", version_errors, name="version_errors"),
    path("datacheck/rules/", rule_list, name="rules"),
    path("datacheck/rules/new/", rule_edit, name="rule_new"),
    path("datacheck/rules/<slug:code>/", rule_detail, name="rule"),
    path("datacheck/rules/<slug:code>/edit/", rule_edit, name="rule_edit"),
    path("datacheck/headers/", aliases, name="aliases"),
    path("datacheck/headers/<int:pk>/delete/", alias_delete, name="alias_delete"),
    path("datacheck/runs/new/", run_new, name="run_new"),
    path("datacheck/runs/<int:pk>/", run_detail, name="run"),
    path("datacheck/findings/", finding_list, name="findings"),
    path("datacheck/findings/<int:pk>/", finding_detail, name="finding"),
    path("datacheck/links/", link_runs, name="link_runs"),
    path("datacheck/links/new/", link_new, name="link_new"),
    path("datacheck/links/<int:pk>/", link_run, name="link_run"),
    path("datacheck/links/<int:pk>/review/", link_review, name="link_review"),
    path("datacheck/links/pairs/<int:pk>/", link_pair, name="link_pair"),
    path("datacheck/links/pairs/<int:pk>/decide/", link_decide, name="link_decide"),
    path("datacheck/links/pairs/<int:pk>/undo/", link_undo, name="link_undo"),
]
