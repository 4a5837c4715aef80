"""The official forms' layouts as data: Formulir E.81 (Permendagri 86/2017) and the LKjIP tables.

One place to adjust a form to a regency's variant: the title lines, every
column's number, label, sub-labels and width, the footer rows and the
signature block. The writers (``forms.e81``, ``forms.lkjip``) and the tests
read only this. Every text is a pair (Indonesian, English); the Indonesian
one is the form's own wording (product.md §3.7).
"""

from __future__ import annotations

from dataclasses import dataclass

Text = tuple[str, str]  # (Indonesian, English)


def say(text: Text, language: str) -> str:
    return text[1] if language == "en" else text[0]


@dataclass(frozen=True)
class FormColumn:
    """One numbered column of a form: ``key`` names its rule (docs/design.md lists the source of
    each), ``pair`` makes it a K / Rp pair of two sheet columns, ``widths`` is one width per
    sheet column (characters)."""

    number: int
    key: str
    label: Text
    widths: tuple[float, ...]
    pair: bool = False

    @property
    def span(self) -> int:
        return 2 if self.pair else 1


K: Text = ("K", "K")  # kinerja: the indicator's value
RP: Text = ("Rp", "Rp")  # rupiah: the budget

# --- Formulir E.81 ------------------------------------------------------------------------

E81_TITLE: tuple[Text, ...] = (
    ("Formulir E.81", "Form E.81"),
    ("Evaluasi Terhadap Hasil Renja Perangkat Daerah Lingkup Kabupaten/Kota",
     "Evaluation of the Results of the Regional Apparatus Work Plan (Renja), Regency/City"),
    ("Renja Perangkat Daerah {agency} {region}", "Renja of the Regional Apparatus {agency} {region}"),
    ("Periode Pelaksanaan: {year}", "Period of implementation: {year}"),
    ("Indikator dan target kinerja Perangkat Daerah {region} yang mengacu pada sasaran RKPD: {objectives}",
     "Performance indicators and targets of the Regional Apparatus of {region} referring to the RKPD "
     "objectives: {objectives}"),
)

E81_COLUMNS: tuple[FormColumn, ...] = (
    FormColumn(1, "number", ("No", "No"), (6,)),
    FormColumn(2, "objective", ("Sasaran", "Objective"), (16,)),
    FormColumn(3, "program", ("Program / Kegiatan / Sub Kegiatan", "Program / Activity / Sub-activity"), (28,)),
    FormColumn(4, "indicator", ("Indikator Kinerja Program (outcome) / Kegiatan (output)",
                                "Performance indicator of the program (outcome) / activity (output)"), (28,)),
    FormColumn(5, "renstra_target", ("Target Renstra PD akhir periode",
                                     "Renstra target at the end of the period"), (7, 10), pair=True),
    FormColumn(6, "renstra_last", ("Realisasi capaian Renstra PD s.d. Renja tahun lalu",
                                   "Renstra achieved up to last year's Renja"), (7, 10), pair=True),
    FormColumn(7, "annual", ("Target kinerja dan anggaran Renja tahun berjalan",
                             "Performance and budget target of this year's Renja"), (7, 10), pair=True),
    FormColumn(8, "q1", ("Realisasi kinerja pada Triwulan I", "Realisation in quarter I"), (7, 10), pair=True),
    FormColumn(9, "q2", ("Realisasi kinerja pada Triwulan II", "Realisation in quarter II"), (7, 10), pair=True),
    FormColumn(10, "q3", ("Realisasi kinerja pada Triwulan III", "Realisation in quarter III"), (7, 10), pair=True),
    FormColumn(11, "q4", ("Realisasi kinerja pada Triwulan IV", "Realisation in quarter IV"), (7, 10), pair=True),
    FormColumn(12, "year", ("Realisasi capaian kinerja dan anggaran Renja yang dievaluasi",
                            "Performance and budget achieved in the Renja evaluated"), (7, 10), pair=True),
    FormColumn(13, "renstra_so_far", ("Realisasi Renstra s.d. tahun berjalan",
                                      "Renstra achieved up to this year"), (7, 10), pair=True),
    FormColumn(14, "renstra_rate", ("Tingkat capaian Renstra (%)", "Renstra achievement rate (%)"), (8, 8),
               pair=True),
    FormColumn(15, "unit", ("Unit Penanggung Jawab", "Unit in charge"), (16,)),
    FormColumn(16, "remarks", ("Keterangan", "Remarks"), (20,)),
)
# The quarter columns of a round: a semester's value is the level at its end (June, December).
E81_ROUND_COLUMN = {"TW": {1: "q1", 2: "q2", 3: "q3", 4: "q4"}, "S": {1: "q2", 2: "q4"}, "Y": {0: "q4"}}
E81_QUARTERS = ("q1", "q2", "q3", "q4")

# The footer: the averages and predikat per quarter and for column 12, then the units' words.
E81_AVERAGE: Text = ("Rata-rata capaian kinerja (%)", "Average performance achievement (%)")
E81_PREDIKAT: Text = ("Predikat kinerja", "Performance rating")
E81_FOOTER_TEXTS: tuple[tuple[str, Text], ...] = (  # layout.FOOTER key of the request workbook -> row label
    ("footer_drivers", ("Faktor pendorong keberhasilan kinerja", "Factors driving performance")),
    ("footer_obstacles", ("Faktor penghambat pencapaian kinerja", "Factors hindering performance")),
    ("footer_next_quarter", ("Tindak lanjut yang diperlukan dalam triwulan berikutnya",
                             "Follow-up needed in the next quarter")),
    ("footer_next_renja", ("Tindak lanjut yang diperlukan dalam Renja Perangkat Daerah berikutnya",
                           "Follow-up needed in the next Renja of the Regional Apparatus")),
)
# Without the unit's footer cell, its indicators' own words stand in (the ledger's field).
E81_FOOTER_FALLBACK = {"footer_drivers": "faktor_pendorong", "footer_obstacles": "faktor_penghambat",
                       "footer_next_quarter": "tindak_lanjut"}
E81_AGENCY: Text = ("Perangkat Daerah", "Regional Apparatus")

# Keterangan: the tool's notes beside the unit's own text.
NOTE_NOT_AVAILABLE: Text = ("belum tersedia", "not available yet")
NOTE_REVISION_REJECTED: Text = ("revisi ditolak", "revision rejected")
NOTE_ROUND_MISSING: Text = ("data {round} tidak masuk", "{round} data not received")
NOTE_ROUND_REJECTED: Text = ("data {round} ditolak (lihat umpan balik)", "{round} data rejected (see the feedback)")
NOTE_ENTERED_LATE: Text = ("data {round} diisi terlambat", "{round} data entered late")
ROUND_NAMES = {"q1": ("TW I", "Q I"), "q2": ("TW II", "Q II"), "q3": ("TW III", "Q III"), "q4": ("TW IV", "Q IV")}

# --- the signature block (E.81) --------------------------------------------------------

SIGNATURE_DRAFTED: Text = ("Disusun", "Prepared by")
SIGNATURE_EVALUATED: Text = ("Dievaluasi", "Evaluated by")
SIGNATURE_PLACE_DATE: Text = ("{place}, {date}", "{place}, {date}")
SIGNATURE_NIP: Text = ("NIP. {nip}", "NIP {nip}")
SIGNATURE_SPACE = 3  # empty rows where the signature goes

# --- the LKjIP tables ----------------------------------------------------------------------


@dataclass(frozen=True)
class SheetLayout:
    name: Text
    title: Text
    columns: tuple[FormColumn, ...]


LKJIP_TITLE: Text = ("Tabel LKjIP {agency} {region} Tahun {year}", "LKjIP tables of {agency} {region}, year {year}")
LKJIP_MEASUREMENT = SheetLayout(
    ("Pengukuran Kinerja", "Performance Measurement"), ("Pengukuran Kinerja Tahun {year}",
                                                        "Performance measurement, year {year}"),
    (FormColumn(1, "number", ("No", "No"), (6,)),
     FormColumn(2, "objective", ("Sasaran", "Objective"), (30,)),
     FormColumn(3, "indicator", ("Indikator", "Indicator"), (40,)),
     FormColumn(4, "measure", ("Satuan", "Unit of measure"), (12,)),
     FormColumn(5, "target", ("Target", "Target"), (12,)),
     FormColumn(6, "actual", ("Realisasi", "Realisation"), (12,)),
     FormColumn(7, "capaian", ("Capaian (%)", "Achievement (%)"), (11,)),
     FormColumn(8, "kategori", ("Kategori", "Category"), (14,)),
     FormColumn(9, "last_actual", ("Realisasi {last}", "Realisation {last}"), (12,)),
     FormColumn(10, "last_capaian", ("Capaian {last} (%)", "Achievement {last} (%)"), (11,))))
LKJIP_FACTORS = SheetLayout(
    ("Analisis Faktor", "Factor Analysis"), ("Analisis Faktor Pendukung dan Penghambat Tahun {year}",
                                            "Supporting and hindering factors, year {year}"),
    (FormColumn(1, "number", ("No", "No"), (6,)),
     FormColumn(2, "indicator", ("Indikator", "Indicator"), (40,)),
     FormColumn(3, "drivers", ("Faktor Pendukung", "Supporting factors"), (40,)),
     FormColumn(4, "obstacles", ("Faktor Penghambat", "Hindering factors"), (40,)),
     FormColumn(5, "follow_up", ("Upaya / Tindak Lanjut", "Efforts / follow-up"), (40,))))
LKJIP_BUDGET = SheetLayout(
    ("Efisiensi Anggaran", "Budget Efficiency"), ("Efisiensi Penggunaan Anggaran Tahun {year}",
                                                  "Efficiency of the budget, year {year}"),
    (FormColumn(1, "number", ("No", "No"), (6,)),
     FormColumn(2, "program", ("Program", "Program"), (60,)),
     FormColumn(3, "budget", ("Pagu", "Budget"), (20,)),
     FormColumn(4, "spent", ("Realisasi", "Spent"), (20,)),
     FormColumn(5, "absorption", ("Serapan (%)", "Absorption (%)"), (12,))))
LKJIP_SHEETS = (LKJIP_MEASUREMENT, LKJIP_FACTORS, LKJIP_BUDGET)
LKJIP_TOTAL: Text = ("Jumlah", "Total")
LKJIP_NO_PROGRAM: Text = ("(tanpa program)", "(no program)")
LKJIP_LEFT_OUT: Text = ("Serapan dihitung atas sub kegiatan yang realisasi anggarannya diketahui; "
                        "di luar hitungan: {units}.",
                        "Absorption counts the sub-activities whose spending is known; left out: {units}.")


def sheet_columns(columns: tuple[FormColumn, ...]) -> dict[str, int]:
    """Each column key's first sheet column (0-based)."""
    out, at = {}, 0
    for column in columns:
        out[column.key] = at
        at += column.span
    return out


def sheet_width(columns: tuple[FormColumn, ...]) -> int:
    return sum(column.span for column in columns)
