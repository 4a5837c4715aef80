"""Problems found in returned files: stable codes, severities, and where they are (product.md §3.6)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sopkinerja.cells import column_number

ERROR, WARNING, INFO = "error", "warning", "info"

# code -> severity. The public contract: codes and severities never change meaning.
CODES: dict[str, str] = {
    "unreadable-file": ERROR,
    "encrypted-file": ERROR,
    "unsupported-format": ERROR,
    "file-too-large": ERROR,
    "not-a-request-workbook": ERROR,
    "unknown-request": ERROR,
    "wrong-period": ERROR,
    "duplicate-file": INFO,
    "superseded": INFO,
    "outdated-request": WARNING,
    "missing-sheet": ERROR,
    "missing-column": ERROR,
    "missing-indicator": ERROR,
    "unexpected-indicator": WARNING,
    "prefilled-changed": ERROR,
    "missing-value": ERROR,
    "not-a-number": ERROR,
    "ambiguous-number": WARNING,
    "negative-value": ERROR,
    "over-budget": ERROR,
    "out-of-range": ERROR,
    "extreme-achievement": WARNING,
    "missing-signoff": WARNING,
    "unreadable-time": WARNING,
    "ambiguous-date": WARNING,
    "time-reversed": WARNING,
    "late-submission": WARNING,
    "declared-time-differs": WARNING,
    # Intake that never loses and never blocks (issue 15).
    "formula-no-value": ERROR,
    "formula-error": ERROR,
    "ambiguous-percent": WARNING,
    # The year's cycle (issue 16): a due realisasi left blank with the reason written beside it.
    "value-not-available": WARNING,
    "text-too-long": WARNING,
    "mixed-identity": ERROR,
    "not-filled": WARNING,
    "revision-rejected": WARNING,
    "suspicious-time": WARNING,
    "sender-mismatch": WARNING,
    "old-file": INFO,
    "ignored-by-planner": INFO,
    "file-name-unreadable": WARNING,
    "processing-failed": ERROR,
    "feedback-failed": WARNING,
}
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True)
class Issue:
    """One problem in one file; positions as Excel shows them (sheet name, ``F12``)."""

    code: str
    file: str | None = None  # the path under the inbox, as the planner sees it
    unit: str | None = None
    sheet: str | None = None
    cell: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    sha256: str | None = None

    def __post_init__(self) -> None:
        if self.code not in CODES:  # a programming error, caught where it is made
            raise ValueError(f"unknown issue code {self.code!r}; add it to issues.CODES and both catalogues")

    @property
    def severity(self) -> str:
        return CODES[self.code]

    def message(self, messages) -> str:
        params = _display(self.params, messages)
        if "code" in params and "what_key" not in params:  # a row is an indicator unless it says otherwise
            params["what_key"] = "issue.what_indicator"
        for key in [k for k in params if k.endswith("_key")]:  # words of the catalogue, in the user's language
            params[key[:-4]] = messages(params[key], **params)
        return messages(f"issue.{self.code}", **params)

    def sort_key(self) -> tuple:
        return (self.unit or "~", self.file or "", SEVERITY_ORDER[self.severity],
                self.sheet or "", _cell_order(self.cell), self.code)

    def document(self, messages) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "unit": self.unit, "file": self.file,
                "sheet": self.sheet, "cell": self.cell, "message": self.message(messages)}


def _display(params: dict[str, Any], messages=None) -> dict[str, Any]:
    """Parameters as the message shows them: numbers the Indonesian way, times in words."""
    from datetime import datetime

    from sopkinerja.i18n import format_datetime
    from sopkinerja.numbers import format_number

    language = getattr(messages, "language", "id")
    precise = params.get("seconds")  # the name of the time whose seconds decide (e.g. "received")
    return {k: format_number(v) if isinstance(v, float) else format_datetime(v, language, seconds=precise == k)
            if isinstance(v, datetime) else v for k, v in params.items()}


def _cell_order(cell: str | None) -> tuple[int, int]:
    """``B12`` sorts as (12, 2) so issues read top to bottom, left to right."""
    if not cell:
        return (0, 0)
    letters = "".join(ch for ch in cell if ch.isalpha())
    digits = "".join(ch for ch in cell if ch.isdigit())
    return (int(digits or 0), column_number(letters))


def flatten(issues, *fields: str) -> list[tuple]:
    """Tests in one line: ``flatten(issues, "code", "cell")``."""
    return [tuple(getattr(issue, f) if f != "severity" else issue.severity for f in fields)
            for issue in issues]


def count(issues, severity: str) -> int:
    return sum(issue.severity == severity for issue in issues)
