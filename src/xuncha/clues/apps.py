from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CluesConfig(AppConfig):
    name = "xuncha.clues"
    label = "clues"
    verbose_name = _("Problems and clues")

    def ready(self) -> None:
        from datetime import timedelta

        from django.conf import settings

        from xuncha.clues import permissions, tasks
        from xuncha.clues.lib import dedup
        from xuncha.core import schedule

        permissions.register()
        _register_evidence()
        schedule.register("clues.check_deadlines", tasks.check_deadlines, every=timedelta(days=1))
        # jieba writes its dictionary cache to /tmp unless told otherwise.
        dedup.configure(cache_dir=settings.DATA_DIR)

    def load_demo(self, context: object) -> None:
        from xuncha.clues import demo

        demo.load(context)


def _register_evidence() -> None:
    from django.urls import reverse
    from django.utils.translation import gettext_lazy

    from xuncha.clues import evidence
    from xuncha.clues.models import Document, Record
    from xuncha.rounds.models import Briefing

    evidence.register(
        Briefing,
        label=gettext_lazy("Department briefing"),
        name=lambda b: f"{b.department.name} · {b.date:%Y-%m-%d}",
        url=lambda b: reverse("rounds:briefing_detail", args=[b.pk]),
    )
    evidence.register(
        Record,
        label=gettext_lazy("Merged record"),
        url=lambda r: reverse("clues:detail", args=[r.pk]),
    )
    evidence.register(
        Document,
        label=gettext_lazy("Uploaded document"),
        url=lambda d: reverse("clues:document", args=[d.pk]),
    )
