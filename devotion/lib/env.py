"""Typed readers for environment variables that fail loudly on bad values.

``DEVOTION_DEBUG=yes`` is an error, not a silent False: a misread setting in production is
worse than a refusal to start.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


class ConfigError(ValueError):
    """An environment variable holds a value we cannot use."""


_TRUE = {"1", "true", "on"}
_FALSE = {"0", "false", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """Return the variable as text, or ``default`` when unset.

    >>> env_str("DEVOTION_SURELY_UNSET", "x")
    'x'
    """
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    """Return the variable as a boolean: accepts 1/0, true/false, on/off (any case)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean; use 1/0, true/false or on/off")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """Return the variable as an integer, rejecting text and values under ``minimum``."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={value} is below the minimum {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated variable as a list of stripped, non-empty items."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    """Return the variable if it is one of ``choices`` (any case), else fail loudly.

    >>> env_choice("DEVOTION_SURELY_UNSET", ("smtp", "outbox"), "smtp")
    'smtp'
    """
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ConfigError(f"{name}={raw!r} is not one of {', '.join(choices)}")
    return value


def env_path(name: str, default: Path) -> Path:
    """Return the variable as an absolute path (relative paths are taken from the cwd)."""
    raw = os.environ.get(name)
    return (Path(raw) if raw else default).expanduser().resolve()


def env_parsed[T](name: str, default: str, parse: Callable[[str], T]) -> T:
    """Return the variable (or ``default``) read by ``parse``; its ValueError names the variable.

    >>> env_parsed("DEVOTION_SURELY_UNSET", "7", int)
    7
    """
    raw = os.environ.get(name, default)
    try:
        return parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r}: {exc}") from None
