from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

from xuncha.core import i18n

register = template.Library()


@register.filter
def styled(field: BoundField, size: str = "") -> SafeString:
    """Render a form field with Bootstrap classes (and the invalid state)."""
    input_type = getattr(field.field.widget, "input_type", "")
    if input_type == "checkbox":
        css = "form-check-input"
    elif input_type == "select" or field.field.widget.__class__.__name__.endswith("Select"):
        css = "form-select"
    else:
        css = "form-control"
    if size and css != "form-check-input":
        css += f" {css}-{size}"
    if field.errors:
        css += " is-invalid"
    attrs: dict[str, Any] = {"class": css}
    return field.as_widget(attrs=attrs)


@register.filter
def styled_box(box: Any, invalid: Any = False) -> SafeString:
    """One box of a list of checkboxes (``CheckboxSelectMultiple``), drawn by its widget
    (id, value, checked and any attributes it sets) with Bootstrap's class added."""
    css = "form-check-input" + (" is-invalid" if invalid else "")
    box.data["attrs"] = {**box.data["attrs"], "class": css}
    return box.tag()


@register.filter
def enumeration(items: Any) -> str:
    """Join a list the way the active language enumerates (财务、审计 / Finance, Audit)."""
    return i18n.enumeration(items or [])


@register.filter
def labelled(label: Any, text: Any) -> str:
    """A label and what it introduces, the language's way: 巡察办意见：同意 or Office: agreed
    (``{% translate "…" as label %}{{ label|labelled:value }}``)."""
    return i18n.labelled(label, text)


@register.filter
def paragraph(items: Any) -> str:
    """Whole sentences one after another, the language's way (甲。乙。 / A. B.)."""
    return i18n.paragraph(items or [])


@register.simple_tag
def sentence_gap() -> str:
    """The space between two sentences: none after a Chinese full stop, one in English."""
    return i18n.sentence_gap()
