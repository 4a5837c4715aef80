"""Reading numbers the way an Indonesian user meant them (product.md §2)."""

from __future__ import annotations

import math
import re
from typing import NamedTuple

BLANK = "blank"
NUMBER = "number"  # a real numeric cell
TEXT_NUMBER = "text-number"  # text that reads as a number (coerced)
INVALID = "invalid"

# NBSP, narrow NBSP, thin and figure spaces arrive from copy-paste and WPS.
_SPACES = re.compile(r"[\s\u00a0\u2007\u2009\u202f\u200b\ufeff]+")
_CURRENCY = re.compile(r"^(?:rp\.?|idr)", re.IGNORECASE)
# Digits with at most one separator followed by other than three digits ("85,5", "12").
_SIMPLE = re.compile(r"([0-9]+)(?:[.,]([0-9]{1,2}|[0-9]{4,}))?")
_BODY = re.compile(r"^[0-9.,]*[0-9][0-9.,]*$")


class ParsedNumber(NamedTuple):
    """The outcome of reading one cell as a number; ``original`` keeps coerced text.

    A NamedTuple, not a dataclass: hundreds of thousands are made per run and
    tuples are several times cheaper to build (measured).
    """

    value: float | None
    kind: str
    original: str | None = None
    ambiguous: bool = False
    alternative: float | None = None  # the other reading of an ambiguous text
    percent_sign: bool = False
    currency: bool = False

    @property
    def ok(self) -> bool:
        return self.value is not None


def parse_number(raw: object, locale: str = "id") -> ParsedNumber:
    """Read a cell value as a number.

    ``locale`` ("id" or "en") decides the reading of a text such as ``1.234``
    that is a thousands group in one convention and a decimal in the other;
    such a reading is marked ``ambiguous`` so the caller can warn.
    """
    kind = type(raw)
    if kind is str:
        simple = _SIMPLE.fullmatch(raw)
        if simple:  # fast path for the common case; never ambiguous (see _read_separators)
            whole, frac = simple.groups()
            return ParsedNumber(float(f"{whole}.{frac}" if frac else whole), TEXT_NUMBER, raw)
        return _parse_text(raw, locale)
    if kind is float or kind is int:
        if math.isnan(raw) or math.isinf(raw):
            return ParsedNumber(None, INVALID, str(raw))
        return ParsedNumber(float(raw), NUMBER)
    if raw is None:
        return ParsedNumber(None, BLANK)
    if isinstance(raw, str):  # a str subclass
        return _parse_text(str(raw), locale)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return parse_number(float(raw), locale)
    return ParsedNumber(None, INVALID, str(raw))  # bool, date, datetime, time, anything else


def _parse_text(text: str, locale: str) -> ParsedNumber:
    compact = _SPACES.sub("", text)
    if not compact:
        return ParsedNumber(None, BLANK)
    invalid = ParsedNumber(None, INVALID, original=text)
    body, negative, percent, currency = _strip_decorations(compact)
    if body is None or not _BODY.match(body):
        return invalid
    reading = _read_separators(body, locale, currency)
    if reading is None:
        return invalid
    value, ambiguous, alternative = reading
    sign = -1.0 if negative else 1.0
    return ParsedNumber(
        sign * value,
        TEXT_NUMBER,
        original=text,
        ambiguous=ambiguous,
        alternative=None if alternative is None else sign * alternative,
        percent_sign=percent,
        currency=currency,
    )


def _strip_decorations(text: str) -> tuple[str | None, bool, bool, bool]:
    """Remove sign, ``Rp`` and ``%`` decorations; return (body, negative, percent, currency)."""
    negative = percent = currency = False
    if text.startswith("(") and text.endswith(")"):  # accounting negative
        negative, text = True, text[1:-1]
    for _ in range(2):  # "-Rp 500" and "Rp -500" are both typed
        if text[:1] in "+-\u2212":
            negative = negative or text[0] != "+"
            text = text[1:]
        stripped = _CURRENCY.sub("", text, count=1)
        if stripped != text:
            currency, text = True, stripped
    if text.endswith((",-", ".-")):  # "Rp 2.500.000,-" is how rupiah is written
        text = text[:-2]
    if text.endswith("%"):
        percent, text = True, text[:-1]
    if not text or (percent and currency):
        return None, False, False, False
    return text, negative, percent, currency


def _read_separators(body: str, locale: str, currency: bool):
    """Return (value, ambiguous, alternative) or None when the grouping is impossible."""
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        decimal = "." if body.rfind(".") > body.rfind(",") else ","
        group = "," if decimal == "." else "."
        whole, _, frac = body.rpartition(decimal)
        if decimal in whole or not _valid_groups(whole.split(group)):
            return None
        return float(whole.replace(group, "") + "." + frac), False, None
    if not dots and not commas:
        return float(body), False, None
    sep = "." if dots else ","
    parts = body.split(sep)
    if len(parts) > 2:
        return (float("".join(parts)), False, None) if _valid_groups(parts) else None
    whole, frac = parts
    as_decimal = float((whole or "0") + "." + (frac or "0"))
    if len(frac) != 3 or not whole or len(whole) > 3 or whole.startswith("0"):
        return as_decimal, False, None  # cannot be a thousands group
    as_thousands = float(whole + frac)
    if currency:  # rupiah never carries three decimals
        return as_thousands, False, None
    thousands_sep = "." if locale != "en" else ","
    if sep == thousands_sep:
        return as_thousands, True, as_decimal
    return as_decimal, True, as_thousands


def _valid_groups(parts: list[str]) -> bool:
    head, *rest = parts
    return (
        1 <= len(head) <= 3
        and head.isdigit()
        and all(len(p) == 3 and p.isdigit() for p in rest)
    )


def format_number(value: float | None, decimals: int = 2, fixed: bool = False) -> str:
    """Indonesian display: ``1.234.567,89``; integers without decimals unless ``fixed``; None as ``-``."""
    if value is None:
        return "-"
    if float(value).is_integer() and not fixed:
        text = f"{int(value):,}"
        return text.replace(",", ".")
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
