from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "xuncha.fieldwork"
    label = "fieldwork"
    verbose_name = _("Fieldwork")

    def ready(self) -> None:
        from xuncha.clues.signals import record_saved
        from xuncha.fieldwork import coverage, outline_updates, permissions
        from xuncha.rounds import gates

        permissions.register()
        _register_evidence()
        gates.register_team_check(coverage.gate_check)
        record_saved.connect(outline_updates.on_record_saved, dispatch_uid="fieldwork-outlines")

    def load_demo(self, context: object) -> None:
        from xuncha.fieldwork import demo

        demo.load(context)


def _register_evidence() -> None:
    from django.urls import reverse
    from django.utils.translation import gettext_lazy

    from xuncha.clues import evidence
    from xuncha.fieldwork.models import Activity, InterviewRecord, WorkingPaper

    evidence.register(
        Activity,
        label=gettext_lazy("Activity"),
        name=lambda a: f"{a.date:%Y-%m-%d} {a.method.name} · {a.title}",
        url=lambda a: reverse("fieldwork:activity", args=[a.pk]),
    )
    evidence.register(
        InterviewRecord,
        label=gettext_lazy("Interview record"),
        name=lambda r: f"{r.held_at:%Y-%m-%d} {r.interviewee_name}",
        url=lambda r: reverse("fieldwork:record", args=[r.pk]),
    )
    evidence.register(
        WorkingPaper,
        label=gettext_lazy("Working paper"),
        name=lambda p: p.title,
        url=lambda p: reverse("fieldwork:paper", args=[p.pk]),
    )
