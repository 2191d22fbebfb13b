from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatacheckConfig(AppConfig):
    name = "xuncha.datacheck"
    label = "datacheck"
    verbose_name = _("Data comparison")

    def ready(self) -> None:
        from xuncha.datacheck import permissions

        permissions.register()
        _register_evidence()

    def load_demo(self, context: object) -> None:
        from xuncha.datacheck import demo

        demo.load(context)


def _register_evidence() -> None:
    from django.urls import reverse
    from django.utils.translation import gettext_lazy

    from xuncha.clues import evidence
    from xuncha.datacheck.models import Finding

    evidence.register(
        Finding,
        label=gettext_lazy("Data comparison finding"),
        name=lambda f: f"{f.rule.code} · {f.names} · {f.place}",
        url=lambda f: reverse("datacheck:finding", args=[f.pk]),
    )
