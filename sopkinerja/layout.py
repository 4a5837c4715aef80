"""The request workbook's layout (product.md §3.4), shared by the writer and the reader.

Everything the reader of a returned file relies on — sheet names, header
labels, meta keys, hidden identity columns — is defined here once, so the
two sides cannot drift apart. Header labels are part of the public contract
and stay Indonesian whatever the display language.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

from sopkinerja.models import Period

# 2: the year's cycle (issue 16): Metode, Target Tahunan, one column per earlier round,
#    Realisasi s.d. Periode Ini, Keterangan; budget on the sub-kegiatan rows; the four
#    unit-level texts below the table.
TEMPLATE_VERSION = "2"

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
    kind: str  # "prefilled", "input-number", "input-text", "formula", "hidden", "earlier"


BEFORE_EARLIER: tuple[Column, ...] = (
    Column("no", "No", 5, "prefilled"),
    Column("code", "Kode Indikator", 14, "prefilled"),
    Column("name", "Indikator", 46, "prefilled"),
    Column("measure", "Satuan", 10, "prefilled"),
    Column("polarity", "Polaritas", 9, "prefilled"),
    Column("method", "Metode", 24, "prefilled"),
    Column("annual", "Target Tahunan", 12, "prefilled"),
    Column("target", "Target", 12, "prefilled"),
)
AFTER_EARLIER: tuple[Column, ...] = (
    Column("actual", "Realisasi", 13, "input-number"),
    Column("cumulative", "Realisasi s.d. Periode Ini", 13, "formula"),
    Column("achievement", "Capaian (%)", 10, "formula"),
    Column("budget", "Pagu (Rp)", 17, "prefilled"),
    Column("spent", "Realisasi Anggaran (Rp)", 17, "input-number"),
    Column("drivers", "Faktor Pendorong", 28, "input-text"),
    Column("obstacles", "Faktor Penghambat", 28, "input-text"),
    Column("follow_up", "Tindak Lanjut", 28, "input-text"),
    Column("evidence", "Bukti Dukung", 24, "input-text"),
    Column("note", "Keterangan", 28, "input-text"),
    Column("row_key", "Kunci Baris", 14, "hidden"),
    Column("request_id", "ID Permintaan", 26, "hidden"),
)


def earlier_key(period: Period) -> str:
    """The key of an earlier round's column: ``before_tw1``, ``before_s1``."""
    return f"before_{period.kind.lower()}{period.number}"


def earlier_label(period: Period) -> str:
    """``Realisasi TW I``, ``Realisasi S1`` (product.md §3.4)."""
    return f"Realisasi {period.short}"


@dataclass(frozen=True)
class Layout:
    """``Data Kinerja`` for one round: the fixed columns with one column per earlier round of the
    year between the targets and this round's Realisasi."""

    period: Period
    columns: tuple[Column, ...]

    def index(self, key: str) -> int:
        """Zero-based column of a key."""
        return self._index[key]

    @cached_property
    def _index(self) -> dict[str, int]:
        return {column.key: index for index, column in enumerate(self.columns)}

    @cached_property
    def keys(self) -> frozenset[str]:
        return frozenset(column.key for column in self.columns)

    @cached_property
    def earlier(self) -> tuple[tuple[Period, str], ...]:
        """(the earlier round, its column's key), oldest first."""
        return tuple((p, earlier_key(p)) for p in self.period.earlier())

    @property
    def last_visible(self) -> int:
        return self.index("note")


@cache
def layout_for(period: Period) -> Layout:
    earlier = tuple(Column(earlier_key(p), earlier_label(p), 12, "earlier") for p in period.earlier())
    return Layout(period, BEFORE_EARLIER + earlier + AFTER_EARLIER)


def _all_earlier() -> tuple[Column, ...]:
    return tuple(Column(earlier_key(p), earlier_label(p), 12, "earlier")
                 for p in (*Period(2000, "TW", 4).of_year(), *Period(2000, "S", 2).of_year()))


# Every label a returned workbook's header can carry, by key (the reader finds columns by label).
LABELS = {column.key: column.label for column in (*BEFORE_EARLIER, *_all_earlier(), *AFTER_EARLIER)}
EARLIER_KEYS = tuple(column.key for column in _all_earlier())

# Pre-filled values recorded in the ledger for tamper checks (product.md §3.4).
PREFILLED_KEYS = ("code", "name", "measure", "polarity", "method", "annual", "target", "budget")
INPUT_NUMBER_KEYS = ("actual", "spent")
INPUT_TEXT_KEYS = ("drivers", "obstacles", "follow_up", "evidence", "note")
TEXT_MAX_LENGTH = {"drivers": 1000, "obstacles": 1000, "follow_up": 1000, "evidence": 500, "note": 1000}
# The unit-level texts below the table (the E.81 footer), label and key (product.md §3.4).
FOOTER: tuple[tuple[str, str], ...] = (
    ("footer_drivers", "Faktor pendorong keberhasilan"),
    ("footer_obstacles", "Faktor penghambat"),
    ("footer_next_quarter", "Tindak lanjut triwulan berikutnya"),
    ("footer_next_renja", "Tindak lanjut Renja berikutnya"),
)
FOOTER_LIMIT = 2000
# The hidden key of a sub-kegiatan's budget row starts so (an indicator's is its code).
BUDGET_ROW_PREFIX = "SUB "

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


def log_column_index(key: str) -> int:
    """Zero-based column of a ``Log Proses`` key."""
    return LOG_INDEX[key]
