"""The message catalogue: Indonesian by default, English on request."""

from __future__ import annotations

import os
import re
import tomllib
from functools import cache
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


@cache
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
        template = _PLURAL.sub(lambda m: _plural(m, params), template)
        try:
            return template.format_map(_Lenient(params))
        except (ValueError, IndexError):
            return template


# A plural in a template: ``{errors|error|errors}`` is "error" when errors == 1, else "errors"
# (English; Indonesian nouns do not change: "1 galat", "3 galat").
_PLURAL = re.compile(r"\{(\w+)\|([^|{}]*)\|([^|{}]*)\}")


def _plural(match, params: dict) -> str:
    value = params.get(match.group(1))
    return match.group(2) if value == 1 else match.group(3)


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


_MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}
_WEEKDAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
# Indonesian time zone abbreviations; other zones show their UTC offset.
_ZONES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA",
          "Asia/Jayapura": "WIT"}
_OFFSETS = {"+0700": "WIB", "+0800": "WITA", "+0900": "WIT"}  # a time read back from the ledger (ISO offset)


def format_date(moment, language: str = DEFAULT_LANGUAGE) -> str:
    """``9 Oktober 2026`` (or ``9 October 2026``): the date of a signature."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return f"{moment.day} {_MONTHS[language][moment.month - 1]} {moment.year}"


def format_datetime(moment, language: str = DEFAULT_LANGUAGE, seconds: bool = False) -> str:
    """``Jumat, 9 Oktober 2026 pukul 16.00 WIB`` / ``Friday, 9 October 2026, 16:00 WIB``; with
    ``seconds`` ``pukul 16.00.01`` / ``16:00:01`` (when the seconds decide, e.g. lateness)."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    zone = _ZONES.get(str(getattr(moment.tzinfo, "key", "")))
    zone = zone or _OFFSETS.get(moment.strftime("%z"), moment.strftime("UTC%z"))
    day = f"{_WEEKDAYS[language][moment.weekday()]}, {moment.day} {_MONTHS[language][moment.month - 1]} {moment.year}"
    if language == "en":
        return f"{day}, {moment.strftime('%H:%M:%S' if seconds else '%H:%M')} {zone}"
    return f"{day} pukul {moment.strftime('%H.%M.%S' if seconds else '%H.%M')} {zone}"
