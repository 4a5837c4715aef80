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


class ParsedPart(TypedDict, total=False):
    """One data sheet of a returned workbook, with its own identity (what validation checks).

    For a file that could not be read at all, the part is just ``error`` (an issue code:
    unreadable-file, encrypted-file, file-too-large) with ``detail`` and ``limit``.
    """

    error: str
    detail: str
    limit: str
    sheet: str | None  # None: no data sheet was found
    part: str  # "" when the workbook has one data sheet, else the sheet's name
    ids: list[str]  # every request id its rows carry (more than one: mixed identity)
    request_id: str | None
    identity_source: str | None  # "column" or "meta"
    data: ParsedTable | None
    footer: dict[str, dict]  # footer key -> {"text": encoded value or None, "cell": "D40"} (the E.81 texts)
    log: ParsedTable | None
    percent_cells: list[str]  # realisasi cells formatted as percent ("90%" stored 0.9)
    formula_cells: dict[str, str]  # input cells with a formula: "" (no stored result) or its error value
    long_texts: dict[str, str]  # cells whose text calamine cut: the whole text


class ParseResult(TypedDict, total=False):
    """``ingest.reader.parse_file``'s answer: either ``error`` (+ ``detail``, ``limit``) or the parts."""

    error: str
    detail: str
    limit: str
    format: str
    reader: str  # calamine, or the second reader that read it (odfpy, openpyxl)
    sheets: list[str]
    meta: dict[str, str]
    parts: list[ParsedPart]


def part_of(parsed: ParseResult | None, name: str) -> ParsedPart:
    """The part (data sheet) ``name`` of a parse ("" for the only one), or the file's error."""
    found = parts_of(parsed or {"error": "unreadable-file", "detail": ""})
    return next((p for p in found if p.get("part", "") == name), found[0] if found else {})


def parts_of(parsed: ParseResult) -> list[ParsedPart]:
    """What validation checks one by one: each part, or the whole file's error as one part."""
    if parsed.get("error"):
        return [{key: parsed[key] for key in ("error", "detail", "limit") if key in parsed} | {"part": ""}]
    return list(parsed.get("parts") or [])


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


class PackedValues:
    """A part's values as one marshalled block of rows (``Value``'s fields in order), read back
    as ``Value`` objects or, by ``decide.record``, as the rows themselves.

    A province's round holds 500,000 values: as objects among each file's issues and steps
    (unpickled from a worker or a kept check) they left ~150 MiB of Python's memory pinned after
    they were written to the ledger; one bytes object per part is given back whole when dropped
    (issue 20, docs/performance.md)."""

    __slots__ = ("blob", "count", "pickled")

    def __init__(self, values=()):
        import marshal
        import pickle

        rows = value_rows(values)
        self.count, self.pickled = len(rows), False
        try:
            self.blob = marshal.dumps(rows)
        except ValueError:  # a value marshal does not know (not a str, float, int or None)
            self.blob, self.pickled = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL), True

    def rows(self) -> list[tuple]:
        import marshal
        import pickle

        return pickle.loads(self.blob) if self.pickled else marshal.loads(self.blob)

    def __iter__(self):
        return (Value(*row) for row in self.rows())

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):
        return list(self)[index]

    def __eq__(self, other) -> bool:
        return list(self) == list(other) if isinstance(other, PackedValues | list | tuple) else NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        return f"PackedValues({list(self)!r})"

    def __getstate__(self):
        return self.blob, self.count, self.pickled

    def __setstate__(self, state) -> None:
        self.blob, self.count, self.pickled = state


def value_rows(values) -> list[tuple]:
    """``values`` (``PackedValues`` or a list of ``Value``) as rows of ``Value``'s fields."""
    if isinstance(values, PackedValues):
        return values.rows()
    return [(v.indicator, v.field, v.number, v.text, v.original, v.cell) for v in values]


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
    part: str | None = None  # the data sheet of a workbook holding several


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
    values: list[Value] | PackedValues = field(default_factory=list)
    steps: list[StepEvent] = field(default_factory=list)
    parsed: ParsedPart | None = None
    status: str = "invalid"  # accepted, rejected, superseded, ignored, invalid
    part: str = ""  # "" for a workbook of one data sheet, else the sheet's name
    order: tuple = ()  # newer sorts later: (run of the latest receipt, its time, sheet preference)
    seen_at: datetime | None = None  # when a run first saw the file
    stamp: datetime | None = None  # the time the file itself says, when implausible (suspicious-time)
    sender: str | None = None  # the From address of the e-mail it came in
    container: str | None = None  # sha256 of the container it came in
    members: int = 0  # files inside it, when it is a container

    @property
    def key(self) -> tuple[str, str]:
        """A submission's identity: the file's content and the data sheet within it."""
        return self.sha256, self.part

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
