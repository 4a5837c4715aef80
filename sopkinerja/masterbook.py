"""Writing ``master.xlsx``: empty with headers and instructions, or filled with a master.

xlsxwriter writes it (fast, and byte-for-byte reproducible with a fixed creation
date, so the repository's example master can be checked against its source).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sopkinerja.atomic import atomic_path
from sopkinerja.master import INDICATOR_COLUMNS, INDICATOR_SHEET, UNIT_COLUMNS, UNIT_SHEET
from sopkinerja.models import Master

FIXED_CREATED = datetime(2026, 1, 1)
GUIDE_SHEET = "Petunjuk"
WIDTHS = {
    "kode": 12, "nama": 48, "kepala": 32, "nip": 22, "email": 38, "kode_unit": 11,
    "sasaran": 40, "program": 40, "kegiatan": 40, "sub_kegiatan": 40, "indikator": 55,
    "satuan": 12, "polaritas": 10, "metode": 13, "frekuensi": 13, "pagu": 18, "pagu_perubahan": 18,
    "pagu_renstra": 18, "anggaran_renstra_lalu": 18,
}
NUMBER_PREFIXES = ("target", "pagu", "nilai_", "realisasi_", "anggaran_")


def write_master(path: Path, master: Master | None, messages) -> None:
    """Write a master workbook atomically; ``master=None`` gives headers only."""
    import xlsxwriter

    with atomic_path(Path(path)) as temp:
        workbook = xlsxwriter.Workbook(str(temp))
        workbook.set_properties({"title": "Master data sopkinerja", "created": FIXED_CREATED})
        header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        text = workbook.add_format({"num_format": "@"})
        number = workbook.add_format({"num_format": "#,##0.##"})
        units = workbook.add_worksheet(UNIT_SHEET)
        indicators = workbook.add_worksheet(INDICATOR_SHEET)
        for sheet, columns in ((units, UNIT_COLUMNS), (indicators, INDICATOR_COLUMNS)):
            for col, name in enumerate(columns):
                sheet.write_string(0, col, name, header)
                fmt = number if name.startswith(NUMBER_PREFIXES) else text
                sheet.set_column(col, col, WIDTHS.get(name, 12), fmt)
            sheet.freeze_panes(1, 0)
        if master is not None:
            _fill(units, indicators, master, text, number)
        _guide(workbook.add_worksheet(GUIDE_SHEET), messages, workbook)
        workbook.close()


def _fill(units, indicators, master: Master, text, number) -> None:
    for row, unit in enumerate(master.units, 1):
        for col, value in enumerate((unit.code, unit.name, unit.head, unit.nip, unit.email)):
            units.write_string(row, col, value, text)
    for row, ind in enumerate(master.indicators, 1):
        values = {
            "kode_unit": ind.unit_code, "kode": ind.code, "sasaran": ind.objective,
            "program": ind.program, "kegiatan": ind.activity, "sub_kegiatan": ind.sub_activity,
            "indikator": ind.name, "satuan": ind.measure, "polaritas": ind.polarity,
            "target": ind.target, "pagu": ind.budget, **ind.period_targets,
            # what the master said: a default (metode from the satuan, triwulanan, minimum 0) stays blank
            "metode": None if ind.defaulted else ind.method,
            "frekuensi": None if ind.frequency == "triwulanan" else ind.frequency,
            "nilai_min": None if ind.min_value == 0 else ind.min_value, "nilai_maks": ind.max_value,
            "pagu_perubahan": ind.budget_revised, "target_renstra": ind.renstra_target,
            "pagu_renstra": ind.renstra_budget, "realisasi_renstra_lalu": ind.renstra_actual_last,
            "anggaran_renstra_lalu": ind.renstra_spent_last,
        }
        for col, name in enumerate(INDICATOR_COLUMNS):
            value = values.get(name)
            if isinstance(value, float):
                indicators.write_number(row, col, value, number)
            elif value:
                indicators.write_string(row, col, value, text)


def _guide(sheet, messages, workbook) -> None:
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    title = workbook.add_format({"bold": True, "font_size": 14})
    sheet.set_column(0, 0, 110, wrap)
    sheet.write_string(0, 0, messages("master_guide.title"), title)
    for row, key in enumerate(("units", "indicators", "codes", "numbers", "targets", "methods", "ranges",
                                      "budget", "renstra", "extra"), 2):
        sheet.write_string(row, 0, messages(f"master_guide.{key}"))
