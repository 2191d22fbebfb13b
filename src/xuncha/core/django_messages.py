"""Django's own messages that Xuncha says differently in Chinese.

Django's zh_Hans catalogue ends a few of its messages with an ASCII full stop
("确认小数不超过 1 位."), which reads wrong beside Xuncha's own, and words the length limit
of a text box as a programmer would ("确保该变量包含不超过 300 字符 (目前字符数 400)。", with
ASCII brackets). They are marked here so that
``make messages`` keeps them in Xuncha's catalogue, which Django reads before its own
(``LOCALE_PATHS``); nothing imports this module at run time."""

from __future__ import annotations

from django.utils.translation import ngettext_lazy

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
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
)
