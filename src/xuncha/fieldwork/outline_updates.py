"""Placeholder: outlines follow new problems and clues."""

from typing import Any


def on_record_saved(sender: Any, record: Any, created: bool, **kwargs: Any) -> None:
    return None
