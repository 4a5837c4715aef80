"""How the example agency's units fill their workbooks in ``sopkinerja demo`` (deterministic).

SEK and P2EP answer correctly and on time; PPM types its numbers as text the
Indonesian way ("74,35", "Rp 47.500.000"); PSDA answers correctly but late;
IPW makes a few mistakes (a word for a number, spending above the pagu, no
Kabid sign-off); LITBANG never answers.
"""

from __future__ import annotations

import os
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sopkinerja import layout as L
from sopkinerja.numbers import format_number
from sopkinerja.rules import is_percentage_measure

WIB = ZoneInfo("Asia/Jakarta")
# unit -> (how it fills, when its file arrives)
BEHAVIOUR = {
    "SEK": ("correct", datetime(2026, 10, 6, 14, 20, tzinfo=WIB)),
    "P2EP": ("correct", datetime(2026, 10, 8, 10, 5, tzinfo=WIB)),
    "PPM": ("indonesian-text", datetime(2026, 10, 9, 15, 40, tzinfo=WIB)),
    "PSDA": ("correct", datetime(2026, 10, 12, 8, 15, tzinfo=WIB)),
    "IPW": ("mistakes", datetime(2026, 10, 7, 11, 30, tzinfo=WIB)),
}


def factor(code: str) -> float:
    """A stable achievement factor between 0.62 and 1.12 for an indicator."""
    return 0.62 + (zlib.crc32(code.encode()) % 51) / 100


def fill(source: Path, target: Path, unit: str) -> bool:
    """Fill ``source`` as ``unit`` would and save it as ``target``; False if the unit never answers."""
    import openpyxl

    if unit not in BEHAVIOUR:
        return False
    style, arrived = BEHAVIOUR[unit]
    workbook = openpyxl.load_workbook(source)
    data = workbook[L.DATA_SHEET]
    col = {key: L.column_index(key) + 1 for key in L.COLUMN_INDEX}
    rows = [r for r in range(L.FIRST_DATA_ROW + 1, data.max_row + 1) if data.cell(r, col["row_key"]).value]
    for index, row in enumerate(rows):
        code = data.cell(row, col["row_key"]).value
        target_value = data.cell(row, col["target"]).value
        polarity = data.cell(row, col["polarity"]).value
        actual = _actual(code, target_value, polarity, data.cell(row, col["measure"]).value)
        budget = data.cell(row, col["budget"]).value
        spent = round(budget * min(factor(code[::-1]), 0.98) / 1000) * 1000 if budget else None
        if style == "indonesian-text":
            data.cell(row, col["actual"]).value = format_number(actual, 2)
            if spent is not None:
                data.cell(row, col["spent"]).value = "Rp " + format_number(float(spent), 0)
        else:
            data.cell(row, col["actual"]).value = actual
            data.cell(row, col["spent"]).value = spent
        if style == "mistakes" and index == 1:
            data.cell(row, col["actual"]).value = "belum ada data"
        if style == "mistakes" and budget and index >= 5:
            data.cell(row, col["spent"]).value = budget * 1.25
        _texts(data, row, col, factor(code))
    _log(workbook[L.LOG_SHEET], arrived, sign=style != "mistakes")
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
    stamp = arrived.timestamp()
    os.utime(target, (stamp, stamp))  # the receipt time: when the e-mail came in
    return True


def _actual(code: str, target, polarity: str, measure: str) -> float:
    base = target if target else 1
    share = factor(code)
    value = base * (2 - share) if polarity == "-" else base * share
    percent = is_percentage_measure(measure)
    if percent:
        value = min(value, 100.0)
    return round(value, 2) if not float(base).is_integer() or percent else float(round(value))


TEXTS = (
    ("Dukungan pimpinan dan koordinasi lintas bidang berjalan baik",
     "Keterlambatan data dari perangkat daerah", "Rapat koordinasi bulanan dengan perangkat daerah",
     "Laporan kegiatan dan notulen rapat"),
    ("Ketersediaan anggaran sesuai jadwal", "Keterbatasan jumlah tenaga teknis",
     "Penambahan tenaga pendamping pada triwulan IV", "Dokumen hasil kegiatan"),
)


def _texts(data, row: int, col: dict, share: float) -> None:
    texts = TEXTS[0] if share >= 0.9 else TEXTS[1]
    for key, text in zip(L.INPUT_TEXT_KEYS, texts, strict=True):
        data.cell(row, col[key]).value = text


# Steps 4-8 on the working days after the requests went out (Monday 28 September 2026):
# (step, day index, start hour:minute, end day index, end hour:minute).
LOG_PLAN = ((4, 0, (9, 0), 0, (10, 15)), (5, 0, (10, 30), 2, (11, 0)), (6, 2, (13, 0), 3, (10, 0)),
            (7, 3, (13, 0), 4, (11, 0)))
WORKING_DAYS = tuple(datetime(2026, 9, 29) + timedelta(days=d) for d in (0, 1, 2, 3, 6, 7, 8, 9))


def _log(sheet, arrived: datetime, sign: bool) -> None:
    """Steps 4-7 over the first working week, step 8 just before the file arrives."""
    naive_arrival = arrived.replace(tzinfo=None)
    col = {key: L.log_column_index(key) + 1 for key in L.LOG_INDEX}
    for row in range(L.LOG_HEADER_ROW + 2, sheet.max_row + 1):
        step = sheet.cell(row, col["step"]).value
        plan = next((p for p in LOG_PLAN if p[0] == step), None)
        if plan is not None:
            _, day, (h1, m1), end_day, (h2, m2) = plan
            sheet.cell(row, col["start"]).value = WORKING_DAYS[day].replace(hour=h1, minute=m1)
            sheet.cell(row, col["end"]).value = WORKING_DAYS[end_day].replace(hour=h2, minute=m2)
        elif step == 8:
            sheet.cell(row, col["start"]).value = naive_arrival - timedelta(minutes=20)
            sheet.cell(row, col["end"]).value = naive_arrival
        if step == 7 and not sign:
            sheet.cell(row, col["end"]).value = None
