from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class CluesConfig(AppConfig):
    name = "xuncha.clues"
    label = "clues"
    verbose_name = _("Problems and clues")

    def ready(self) -> None:
        from xuncha.clues import permissions
        from xuncha.clues.lib import dedup

        permissions.register()
        # jieba writes its dictionary cache to /tmp unless told otherwise.
        dedup.configure(cache_dir=settings.DATA_DIR)

    def load_demo(self, context: object) -> None:
        from xuncha.clues import demo

        demo.load(context)
