"""The message catalogue: Indonesian by default, English on request."""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from importlib import resources

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
ENV_VAR = "SOPKINERJA_LANG"


def resolve_language(configured: str | None = None) -> str:
    """SOPKINERJA_LANG wins over the config's ``bahasa``; Indonesian otherwise."""
    for candidate in (os.environ.get(ENV_VAR), configured):
        if candidate and candidate.strip().lower() in LANGUAGES:
            return candidate.strip().lower()
    return DEFAULT_LANGUAGE


@lru_cache(maxsize=None)
def catalogue(language: str) -> dict[str, str]:
    """All messages of one language, keyed ``section.name``."""
    text = resources.files("sopkinerja").joinpath(f"locale/{language}.toml").read_text("utf-8")
    flat: dict[str, str] = {}
    _flatten(tomllib.loads(text), "", flat)
    return flat


def _flatten(table: dict, prefix: str, out: dict[str, str]) -> None:
    for key, value in table.items():
        if isinstance(value, dict):
            _flatten(value, f"{prefix}{key}.", out)
        else:
            out[f"{prefix}{key}"] = value


class Messages:
    """Callable catalogue: ``msg("error.config_missing", path=...)``."""

    def __init__(self, language: str = DEFAULT_LANGUAGE):
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def __call__(self, key: str, /, **params: object) -> str:
        table = catalogue(self.language)
        template = table.get(key) or catalogue(DEFAULT_LANGUAGE).get(key)
        if template is None:
            return key  # a missing key must never crash an error path
        try:
            return template.format_map(_Lenient(params))
        except (ValueError, IndexError):
            return template


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
