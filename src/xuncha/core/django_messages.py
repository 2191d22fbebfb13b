"""Django's own messages that Xuncha says differently in Chinese.

Django's zh_Hans catalogue ends a few of its messages with an ASCII full stop
("确认小数不超过 1 位."), which reads wrong beside Xuncha's own. They are marked here so that
``make messages`` keeps them in Xuncha's catalogue, which Django reads before its own
(``LOCALE_PATHS``); nothing imports this module at run time."""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext_lazy

OVERRIDDEN = (
    ngettext_lazy(
        "Ensure that there are no more than %(max)s digit in total.",
        "Ensure that there are no more than %(max)s digits in total.",
        "max",
    ),
    ngettext_lazy(
        "Ensure that there are no more than %(max)s decimal place.",
        "Ensure that there are no more than %(max)s decimal places.",
        "max",
    ),
    gettext_noop("CSRF verification failed. Request aborted."),
)
