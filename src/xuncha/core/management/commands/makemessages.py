"""``makemessages`` that also extracts ``ngettext_noop("singular", "plural")``: the marker
the pure modules (``*/lib/``, no Django) use for explanation templates with plural forms
(``xuncha.core.lib.text``)."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=ngettext_noop:1,2"]
