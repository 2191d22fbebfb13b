from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TalentConfig(AppConfig):
    name = "xuncha.talent"
    label = "talent"
    verbose_name = _("Talent pool")

    def ready(self) -> None:
        from xuncha.talent import permissions

        permissions.register()

    def load_demo(self, context: object) -> None:
        from xuncha.talent import demo

        demo.load(context)
