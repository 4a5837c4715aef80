"""Plain records the stages pass along: a parse result, an issued request, a value, a step event,
a received file's outcome and a unit's status.

They live here, below every stage (this module imports no stage), so that
ingest, validate, decide, feedback, consolidate and the ledger can all speak
of them without import circles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from sopkinerja.issues import ERROR, Issue, count

# --- what the reader found in a returned workbook (JSON, kept in the ledger) ----------


class ParsedRow(TypedDict):
    row: int  # zero-based sheet row
    cells: dict[str, Any]  # layout key -> encoded cell value (``ingest.reader.encode``)


class ParsedTable(TypedDict):
    sheet: str
    header_row: int  # zero-based
    columns: dict[str, int]  # layout key -> zero-based column
    rows: list[ParsedRow]


class ParseResult(TypedDict, total=False):
    """``ingest.reader.parse_file``'s answer: either ``error`` (+ ``detail``, ``limit``) or the tables."""

    error: str  # an issue code: unreadable-file, encrypted-file, file-too-large
    detail: str
    limit: str
    format: str
    sheets: list[str]
    request_id: str | None
    identity_source: str | None  # "column" or "meta"
    meta: dict[str, str]
    data: ParsedTable | None
    log: ParsedTable | None
    percent_cells: list[str]


# --- what generate issued (a row of the ledger's requests) ------------------------------


class IssuedRequest(TypedDict):
    """One request workbook as ``generate`` issued it: a row of the ledger's ``requests``."""

    request_id: str
    unit_code: str
    period: str
    template_version: str
    issued_at: str  # ISO 8601 with offset
    file_name: str
    sha256: str | None
    run_id: int | None
    fingerprint: str | None
    replaces: str | None


# --- what validation takes from a file --------------------------------------------------


@dataclass(slots=True)
class Value:
    """One accepted input value of one indicator, with where it came from."""

    indicator: str
    field: str
    number: float | None = None
    text: str | None = None
    original: str | None = None
    cell: str | None = None


@dataclass
class StepEvent:
    """When an SOP step started and ended, by whom, from which source (product.md §3.7 ``sumber``).

    Validation fills the first five from a file's ``Log Proses``; the rest is
    set when the event is recorded (``id`` when it is read back from the ledger).
    """

    step: int
    started_at: datetime | None = None
    ended_at: datetime | None = None
    actor: str | None = None
    nip: str | None = None
    period: str | None = None
    unit_code: str | None = None
    source: str = "berkas"  # sistem, berkas, manual
    sha256: str | None = None
    note: str | None = None
    recorded_at: datetime | None = None
    id: int | None = None


# --- what a run decided -----------------------------------------------------------------


@dataclass
class FileOutcome:
    """One received file (by content) and what validation made of it."""

    sha256: str
    file: str
    received_at: datetime
    format: str
    archive_path: str
    request: IssuedRequest | None = None
    issues: list[Issue] = field(default_factory=list)
    values: list[Value] = field(default_factory=list)
    steps: list[StepEvent] = field(default_factory=list)
    parsed: ParseResult | None = None
    status: str = "invalid"  # accepted, rejected, superseded, invalid

    @property
    def unit(self) -> str | None:
        return self.request["unit_code"] if self.request else None

    @property
    def errors(self) -> int:
        return count(self.issues, ERROR)


@dataclass
class UnitStatus:
    """One unit's answer this round: accepted, rejected or missing."""

    unit: str
    name: str
    status: str  # accepted, rejected, missing
    on_time: bool | None
    errors: int
    warnings: int
    file: str | None
    received_at: datetime | None
    superseded: list[str] = field(default_factory=list)
