from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatacheckConfig(AppConfig):
    name = "xuncha.datacheck"
    label = "datacheck"
    verbose_name = _("Data comparison")

    def ready(self) -> None:
        from datetime import timedelta

        from django.db.models.signals import post_migrate

        from xuncha.core import schedule
        from xuncha.datacheck import permissions, tasks

        permissions.register()
        _register_evidence()
        # Household registers imported before their features were kept, or whose features
        # a library upgrade made stale, are prepared here rather than by the page.
        schedule.register("datacheck.prepare_features", tasks.prepare_features, timedelta(hours=1))
        # The shipped rule library comes with the code: an upgrade migrates, and the
        # library file is then brought into the database once (not on every page).
        post_migrate.connect(_sync_library, sender=self, dispatch_uid="datacheck-library")

    def load_demo(self, context: object) -> None:
        from xuncha.datacheck import demo

        demo.load(context)


def _sync_library(**kwargs: object) -> None:
    from xuncha.datacheck import services

    services.sync_library()


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
