"""Typed helpers that read settings from environment variables.

Each helper fails loudly, naming the variable, when a value is malformed. Secrets can
come from ``NAME`` or from a file named by ``NAME_FILE`` (for systemd credentials and
container secrets). Nothing here imports Django so that ``settings.py`` stays plain.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path


class SettingError(Exception):
    """A setting is missing or malformed; the message names the variable."""


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _raw(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value if value != "" else None


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    value = _raw(name)
    if value is None:
        if required:
            raise SettingError(f"{name} is required but not set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingError(f"{name} must be true or false, got {value!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingError(f"{name} must be an integer, got {value!r}.") from None
    if minimum is not None and number < minimum:
        raise SettingError(f"{name} must be at least {minimum}, got {number}.")
    return number


def env_list(name: str, default: list[str] | None = None, *, required: bool = False) -> list[str]:
    value = _raw(name)
    if value is None:
        if required:
            raise SettingError(f"{name} is required but not set (a comma-separated list).")
        return list(default or [])
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise SettingError(f"{name} is set but holds no values.")
    return items


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = _raw(name)
    if value is None:
        return default
    if value not in choices:
        raise SettingError(f"{name} must be one of {', '.join(choices)}; got {value!r}.")
    return value


def env_path(name: str, default: Path) -> Path:
    value = _raw(name)
    return Path(value).expanduser().resolve() if value is not None else default


def env_secret(
    name: str,
    *,
    generated_file: Path | None,
    min_length: int = 50,
) -> str:
    """Return a secret from ``NAME``, from the file in ``NAME_FILE``, or generated.

    When neither variable is set and ``generated_file`` is given (embedded mode), a
    secret is generated once and kept in that file. When it is ``None`` (production),
    a missing secret is an error.
    """
    value = _raw(name)
    file_name = _raw(f"{name}_FILE")
    if value is not None and file_name is not None:
        raise SettingError(f"Set either {name} or {name}_FILE, not both.")
    if file_name is not None:
        path = Path(file_name)
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingError(
                f"{name}_FILE names {file_name!r}, which cannot be read: {exc.strerror}."
            ) from None
        if not value:
            raise SettingError(f"{name}_FILE names {file_name!r}, which is empty.")
    if value is None:
        if generated_file is None:
            raise SettingError(f"{name} or {name}_FILE is required in production.")
        value = _read_or_generate(generated_file)
    if len(value) < min_length:
        raise SettingError(f"{name} must be at least {min_length} characters long.")
    return value


def _read_or_generate(path: Path) -> str:
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(64)
    # Written whole to a private temporary file, then linked into place: the file appears
    # complete or not at all, so processes starting together never read half of it, and
    # a file another process put there first is never overwritten (owner-only mode).
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            return path.read_text(encoding="utf-8").strip()
    finally:
        os.unlink(temporary)
    return value
