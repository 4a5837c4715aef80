"""The request workbook's layout (product.md §3.4), shared by the writer and the reader.

Everything the reader of a returned file relies on — sheet names, header
labels, meta keys, hidden identity columns — is defined here once, so the
two sides cannot drift apart. Header labels are part of the public contract
and stay Indonesian whatever the display language.
"""

from __future__ import annotations

from dataclasses import dataclass

TEMPLATE_VERSION = "1"

DATA_SHEET = "Data Kinerja"
LOG_SHEET = "Log Proses"
GUIDE_SHEET = "Petunjuk"
META_SHEET = "_meta"
FEEDBACK_SHEET = "Hasil Validasi"

# Custom document property carrying the request identity (kept by LibreOffice).
PROPERTY_REQUEST_ID = "sopkinerja_request_id"


@dataclass(frozen=True)
class Column:
    """One column of ``Data Kinerja``: its header label, role and width."""

    key: str
    label: str
    width: float
    kind: str  # "prefilled", "input-number", "input-text", "formula", "hidden"


COLUMNS: tuple[Column, ...] = (
    Column("no", "No", 5, "prefilled"),
    Column("code", "Kode Indikator", 14, "prefilled"),
    Column("name", "Indikator", 50, "prefilled"),
    Column("measure", "Satuan", 11, "prefilled"),
    Column("polarity", "Polaritas", 10, "prefilled"),
    Column("target", "Target", 13, "prefilled"),
    Column("actual", "Realisasi", 13, "input-number"),
    Column("achievement", "Capaian (%)", 11, "formula"),
    Column("budget", "Pagu (Rp)", 17, "prefilled"),
    Column("spent", "Realisasi Anggaran (Rp)", 18, "input-number"),
    Column("drivers", "Faktor Pendorong", 30, "input-text"),
    Column("obstacles", "Faktor Penghambat", 30, "input-text"),
    Column("follow_up", "Tindak Lanjut", 30, "input-text"),
    Column("evidence", "Bukti Dukung", 26, "input-text"),
    Column("row_key", "Kunci Baris", 14, "hidden"),
    Column("request_id", "ID Permintaan", 26, "hidden"),
)
COLUMN_INDEX = {column.key: index for index, column in enumerate(COLUMNS)}
LABELS = {column.key: column.label for column in COLUMNS}

# Pre-filled values recorded in the ledger for tamper checks (product.md §3.4).
PREFILLED_KEYS = ("code", "name", "measure", "polarity", "target", "budget")
INPUT_NUMBER_KEYS = tuple(c.key for c in COLUMNS if c.kind == "input-number")
INPUT_TEXT_KEYS = tuple(c.key for c in COLUMNS if c.kind == "input-text")
TEXT_MAX_LENGTH = {"drivers": 1000, "obstacles": 1000, "follow_up": 1000, "evidence": 500}

TITLE_ROWS = 7  # rows 1-6 hold the title block, row 7 is empty
HEADER_ROW = TITLE_ROWS  # zero-based: the header is on Excel row 8
FIRST_DATA_ROW = HEADER_ROW + 1

LOG_COLUMNS: tuple[tuple[str, str, float], ...] = (
    ("step", "Langkah", 9),
    ("description", "Uraian", 60),
    ("actor", "Pelaksana", 22),
    ("start", "Mulai", 18),
    ("end", "Selesai", 18),
    ("name", "Nama", 30),
    ("nip", "NIP", 22),
)
LOG_LABELS = {key: label for key, label, _ in LOG_COLUMNS}
LOG_INDEX = {key: index for index, (key, _, _) in enumerate(LOG_COLUMNS)}
LOG_HEADER_ROW = 3  # zero-based: title, subtitle, empty row, then the header
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"

META_KEYS = (
    "request_id",
    "kode_unit",
    "nama_unit",
    "periode",
    "versi_templat",
    "diterbitkan",
    "instansi",
    "jumlah_indikator",
)


def column_index(key: str) -> int:
    """Zero-based column of a ``Data Kinerja`` key."""
    return COLUMN_INDEX[key]


def log_column_index(key: str) -> int:
    """Zero-based column of a ``Log Proses`` key."""
    return LOG_INDEX[key]
