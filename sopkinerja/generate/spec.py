"""What one request workbook shows, as plain picklable data (``RequestSpec``), its JSON form for the
ledger, and the values a rebuilt workbook carries (``Filled``: a unit's answer put back in place).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict, dataclass, field
from datetime import datetime

MAX_CELL_TEXT = 32767  # Excel's limit for one cell


@dataclass(frozen=True)
class SheetRow:
    """A row of ``Data Kinerja``: a group heading (program/kegiatan/sub kegiatan) or an indicator."""

    kind: str  # "group" or "indicator"
    level: int = 0
    text: str = ""
    number: int = 0
    values: dict = field(default_factory=dict)  # layout key -> pre-filled value


@dataclass(frozen=True)
class LogRow:
    step: int
    description: str
    actor: str
    name: str = ""
    nip: str = ""
    is_signoff: bool = False


@dataclass(frozen=True)
class RequestSpec:
    """Everything one request workbook shows; the writer adds nothing of its own."""

    request_id: str
    unit_code: str
    unit_name: str
    period_code: str
    period_label: str
    deadline: datetime
    issued_at: datetime
    agency_name: str
    agency_short: str
    agency_region: str
    contact: tuple[str, str, str, str]  # name, position, email, phone
    language: str
    rows: tuple[SheetRow, ...]
    log_rows: tuple[LogRow, ...]
    year: int


def clip(text: str) -> str:
    """Excel holds at most 32,767 characters in a cell; longer text is cut with an ellipsis."""
    return text if len(text) <= MAX_CELL_TEXT else text[: MAX_CELL_TEXT - 1] + "\u2026"


@dataclass(frozen=True)
class Filled:
    """A unit's values for a rebuilt workbook: ``data[(code, key)]`` on ``Data Kinerja`` (layout keys),
    ``log[(step, key)]`` on ``Log Proses``; a value as it was in the unit's file."""

    data: dict = field(default_factory=dict)
    log: dict = field(default_factory=dict)


SPEC_VERSION = 1


def pack_spec(spec: RequestSpec) -> bytes:
    """The spec as the ledger keeps it (zlib JSON), so feedback can rebuild the whole workbook."""
    document = asdict(spec)
    document["deadline"], document["issued_at"] = spec.deadline.isoformat(), spec.issued_at.isoformat()
    return zlib.compress(json.dumps([SPEC_VERSION, document], ensure_ascii=False, sort_keys=True).encode())


def unpack_spec(blob: bytes) -> RequestSpec | None:
    """The spec back, or None when it was written by another version."""
    version, document = json.loads(zlib.decompress(blob))
    if version != SPEC_VERSION:
        return None
    document["deadline"] = datetime.fromisoformat(document["deadline"])
    document["issued_at"] = datetime.fromisoformat(document["issued_at"])
    document["contact"] = tuple(document["contact"])
    document["rows"] = tuple(SheetRow(**row) for row in document["rows"])
    document["log_rows"] = tuple(LogRow(**row) for row in document["log_rows"])
    return RequestSpec(**document)
