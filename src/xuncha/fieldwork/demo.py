"""Placeholder: the fieldwork demo."""


def load(context: object) -> None:
    return None
