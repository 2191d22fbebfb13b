"""Evidence kinds a record can link to, registered by the apps that own them.

A later app (the public channel, interviews, activity records, dataset findings) calls
``register`` from its ``AppConfig.ready`` with a label for its kind, how to name one of its
objects and where to open it. The registry keeps a link generic (content type and id)
without each app knowing about the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import NoReverseMatch
from django.utils.functional import Promise


@dataclass(frozen=True)
class EvidenceKind:
    label: str | Promise
    name: Callable[[Any], str]
    url: Callable[[Any], str]


_KINDS: dict[type[models.Model], EvidenceKind] = {}


def register(
    model: type[models.Model],
    *,
    label: str | Promise,
    name: Callable[[Any], str] = str,
    url: Callable[[Any], str] = lambda obj: "",
) -> None:
    _KINDS[model] = EvidenceKind(label=label, name=name, url=url)


def kind_of(model: type[models.Model]) -> EvidenceKind | None:
    return _KINDS.get(model)


def registered() -> list[type[models.Model]]:
    return list(_KINDS)


@dataclass(frozen=True)
class Shown:
    kind: str
    label: str
    url: str


def show(link: Any) -> Shown:
    """How an ``EvidenceLink`` is shown: its kind, the label saved with it, a link."""
    model = ContentType.objects.get_for_id(link.content_type_id).model_class()
    kind = _KINDS.get(model) if model is not None else None
    if kind is None or model is None:
        return Shown(kind="", label=link.label, url="")
    obj = model._default_manager.filter(pk=link.object_id).first()
    try:
        url = kind.url(obj) if obj is not None else ""
    except NoReverseMatch:
        url = ""
    return Shown(kind=str(kind.label), label=link.label, url=url)
