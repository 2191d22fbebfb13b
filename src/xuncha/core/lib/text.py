"""Translatable sentences built by pure modules (no Django): an English template with
named fields, rendered later by the app in the user's language. Used by the algorithms'
explanations (team formation, recusal, interview scheduling)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


def gettext_noop(message: str) -> str:
    """Marks an explanation template for the app's translation catalogue (no Django here)."""
    return message


@dataclass(frozen=True)
class Plural:
    """A template with a singular and a plural form, chosen by the parameter ``count``."""

    singular: str
    plural: str
    count: str = "n"


def ngettext_noop(singular: str, plural: str, count: str = "n") -> Plural:
    """Marks a template with plural forms for the catalogue (``makemessages`` extracts the
    first two arguments; see ``core/management/commands/makemessages.py``). The form is
    chosen by the integer parameter named ``count`` when the text is rendered: "1 round",
    "2 rounds" in English, one form in Chinese. A counted noun can be a value of another
    ``Text``: ``Text(ngettext_noop("%(n)s person", "%(n)s people"), n=k)``."""
    return Plural(singular, plural, count)


@dataclass(frozen=True, init=False)
class Text:
    """A sentence for people, kept translatable: an English template with %(name)s fields.

    Values are strings, numbers, further ``Text``s or ``Joined`` lists, rendered in the same
    language. Parameter names carry meaning for a translator of values: ``role``, ``rule``
    and ``specialty`` hold codes; ``person_id`` and ``team_index`` are not in any template
    but let the app find its own evidence for a recusal exclusion.
    """

    template: str | Plural
    params: tuple[tuple[str, Any], ...]

    def __init__(self, template: str | Plural, **params: Any) -> None:
        if isinstance(template, Plural) and not isinstance(params.get(template.count), int):
            raise TypeError(f"a plural template needs an integer parameter {template.count!r}")
        object.__setattr__(self, "template", template)
        object.__setattr__(self, "params", tuple(sorted(params.items())))

    def render(self, translate: Callable[[str], str] = str) -> str:
        return render_text(self.to_json(), translate)

    def to_json(self) -> dict[str, Any]:
        params = {k: _text_json(v) for k, v in self.params}
        if isinstance(self.template, Plural):
            form = self.template
            return {"t": form.singular, "tp": form.plural, "c": form.count, "p": params}
        return {"t": self.template, "p": params}


@dataclass(frozen=True)
class Joined:
    """A list rendered item by item and joined with ``sep``; ``specialties`` marks a list of
    specialty codes."""

    items: tuple[Any, ...]
    sep: str
    specialties: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"join": [_text_json(v) for v in self.items], "sep": self.sep}
        if self.specialties:
            data["specialties"] = True
        return data


def _text_json(value: Any) -> Any:
    if isinstance(value, (Text, Joined)):
        return value.to_json()
    return value


# Separators of ``Joined`` lists that have a translation (in the app's catalogue).
SEPARATORS = frozenset({gettext_noop(", "), gettext_noop("; ")})

ValueHook = Callable[[str, Any, Mapping[str, Any]], str | None]
PluralTranslate = Callable[[str, str, int], str]


def english_plural(singular: str, plural: str, n: int) -> str:
    """The untranslated form: English has one form for 1 and another for the rest."""
    return singular if n == 1 else plural


def render_text(
    node: Any,
    translate: Callable[[str], str] = str,
    value: ValueHook | None = None,
    ntranslate: PluralTranslate = english_plural,
) -> str:
    """Render ``Text.to_json()`` data: templates through ``translate`` (those with plural
    forms through ``ntranslate``, e.g. Django's ``ngettext``), and each parameter through
    ``value(name, raw, params)`` first when given (None = render it as usual)."""
    if isinstance(node, dict) and "join" in node:
        items = node["join"]
        # The separators are translated too: Chinese lists with 、 and clauses with ；.
        sep = translate(node["sep"]) if node["sep"] in SEPARATORS else node["sep"]
        if node.get("specialties") and value is not None:
            return sep.join(value("specialty", item, {}) or str(item) for item in items)
        return sep.join(render_text(item, translate, value, ntranslate) for item in items)
    if isinstance(node, dict) and "t" in node:
        params = node.get("p") or {}
        values = {}
        for key, raw in params.items():
            shown = value(key, raw, params) if value is not None else None
            values[key] = (
                shown if shown is not None else render_text(raw, translate, value, ntranslate)
            )
        original = node["t"]
        if "tp" in node:
            count = params.get(node.get("c", "n"))
            count = count if isinstance(count, int) else 0
            original = english_plural(node["t"], node["tp"], count)
            template = ntranslate(node["t"], node["tp"], count)
        else:
            template = translate(node["t"])
        try:
            return template % values if values else template
        except (KeyError, TypeError, ValueError):  # a translation that lost a field
            return original % values if values else original
    return str(node)
