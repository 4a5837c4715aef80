"""Cell addresses as Excel shows them, and cell text normalisation."""

from __future__ import annotations

import re

_INVISIBLE = re.compile(r"[\u00a0\u2007\u2009\u202f\u200b\ufeff]")
_SPACES = re.compile(r"\s+")


def column_letter(index: int) -> str:
    """0 -> ``A``, 25 -> ``Z``, 26 -> ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_address(row: int, column: int) -> str:
    """Zero-based row and column to ``F12``."""
    return f"{column_letter(column)}{row + 1}"


def column_number(letters: str) -> int:
    """``A`` -> 1, ``AA`` -> 27 (one-based, as Excel counts); the inverse of :func:`column_letter` + 1."""
    column = 0
    for letter in letters.upper():
        column = column * 26 + ord(letter) - 64
    return column


def parse_address(where: str) -> tuple[int, int]:
    """``G10`` as zero-based (row, column); the inverse of :func:`cell_address`."""
    letters = where.rstrip("0123456789")
    return int(where[len(letters):]) - 1, column_number(letters) - 1


def clean_text(value: object) -> str:
    """Cell text with NBSP and runs of white space folded, ends stripped."""
    if value is None:
        return ""
    if isinstance(value, str) and value.isprintable() and "  " not in value:
        return value.strip()  # fast path: NBSP, tabs and zero-width spaces are not printable
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _SPACES.sub(" ", _INVISIBLE.sub(" ", str(value))).strip()


def header_key(value: object) -> str:
    """Header matching ignores case and surrounding spaces (product.md §3.3)."""
    return clean_text(value).lower()


def wrapped_lines(text: object, width: float) -> int:
    """Lines a wrapped text takes in a column ``width`` characters wide (words wrap whole, hence
    the slack): the row heights of printed sheets, which xlsxwriter and openpyxl cannot autofit."""
    fits = max(width - 2, 4)
    return sum(max(1, -(-len(part) // fits)) for part in str(text or "").split("\n"))
