from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoundsConfig(AppConfig):
    name = "xuncha.rounds"
    label = "rounds"
    verbose_name = _("Rounds")

    def ready(self) -> None:
        from xuncha.rounds import permissions

        permissions.register()

    def load_demo(self, context: object) -> None:
        from xuncha.rounds import demo

        demo.load(context)
