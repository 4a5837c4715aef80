"""How the example agency's units fill their workbooks in ``sopkinerja demo`` (deterministic).

The demo plays the year up to the current round (TW3). In TW1 and TW2 every
unit answers correctly and on time. In TW3 SEK and P2EP answer correctly
(P2EP leaves one realisasi blank with its reason in Keterangan); PPM types
its numbers as text the Indonesian way ("74,35", "Rp 47.500.000"); PSDA
answers correctly but late; IPW makes a few mistakes (a word for a number,
spending above the pagu, no Kabid sign-off); LITBANG does not answer.

Units type what the Metode column asks: a count's own result for the
period (its share of the period's step in the cumulative target), a level
as it stands at the end of the period; budget on the sub kegiatan rows,
the period's own spending.
"""

from __future__ import annotations

import os
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sopkinerja import layout as L
from sopkinerja.models import Period
from sopkinerja.numbers import format_number
from sopkinerja.rules import is_percentage_measure

WIB = ZoneInfo("Asia/Jakarta")
# period -> unit -> (how it fills, when its file arrives)
BEHAVIOUR = {
    "2026-TW1": {code: ("correct", datetime(2026, 4, day, hour, 10, tzinfo=WIB)) for code, day, hour in (
        ("SEK", 6, 10), ("P2EP", 7, 14), ("PPM", 8, 9), ("PSDA", 9, 11), ("IPW", 9, 15), ("LITBANG", 10, 10))},
    "2026-TW2": {code: ("correct", datetime(2026, 7, day, hour, 25, tzinfo=WIB)) for code, day, hour in (
        ("SEK", 6, 9), ("P2EP", 7, 10), ("PPM", 8, 13), ("PSDA", 9, 8), ("IPW", 9, 14), ("LITBANG", 10, 11))},
    "2026-TW3": {
        "SEK": ("correct", datetime(2026, 10, 6, 14, 20, tzinfo=WIB)),
        "P2EP": ("reason", datetime(2026, 10, 8, 10, 5, tzinfo=WIB)),
        "PPM": ("indonesian-text", datetime(2026, 10, 9, 15, 40, tzinfo=WIB)),
        "PSDA": ("correct", datetime(2026, 10, 12, 8, 15, tzinfo=WIB)),
        "IPW": ("mistakes", datetime(2026, 10, 7, 11, 30, tzinfo=WIB)),
    },
}
# The share of a sub kegiatan's pagu spent in each quarter (before the unit's own factor).
SPENDING = {1: 0.16, 2: 0.24, 3: 0.26, 4: 0.30}
# TW3's mistakes and gaps: a word for a number, spending that takes the year past the pagu,
# a realisasi left blank with its reason.
WORD_FOR_A_NUMBER = ("IPW-04", "belum ada data")
OVER_THE_PAGU = "SUB 5.01.03.2.03.0008"  # IPW's RDTR sub kegiatan
BLANK_WITH_REASON = ("P2EP-08", "Rekap laporan realisasi perangkat daerah triwulan III masih diverifikasi; "
                                "angkanya dikirim bersama laporan triwulan IV")


def factor(code: str) -> float:
    """A stable achievement factor between 0.62 and 1.12 for an indicator."""
    return 0.62 + (zlib.crc32(code.encode()) % 51) / 100


def fill(source: Path, target: Path, unit: str, period: Period, master) -> bool:
    """Fill ``source`` as ``unit`` would in ``period`` and save it as ``target``; False if the
    unit does not answer."""
    import openpyxl

    plan = BEHAVIOUR.get(period.code, {})
    if unit not in plan:
        return False
    style, arrived = plan[unit]
    indicators = {i.code: i for i in master.indicators_of(unit)}
    workbook = openpyxl.load_workbook(source)
    data = workbook[L.DATA_SHEET]
    layout = L.layout_for(period)
    col = {column.key: index + 1 for index, column in enumerate(layout.columns)}
    rows = [r for r in range(L.FIRST_DATA_ROW + 1, data.max_row + 1) if data.cell(r, col["row_key"]).value]
    for row in rows:
        key = data.cell(row, col["row_key"]).value
        indicator = indicators.get(key)
        if indicator is None:  # a sub kegiatan's budget row
            _spending(data, row, col, key, period, style, data.cell(row, col["budget"]).value)
            continue
        if not indicator.due(period):
            continue
        actual = _actual(indicator, period)
        if style == "indonesian-text":
            data.cell(row, col["actual"]).value = format_number(actual, 2)
        else:
            data.cell(row, col["actual"]).value = actual
        if style == "mistakes" and key == WORD_FOR_A_NUMBER[0]:
            data.cell(row, col["actual"]).value = WORD_FOR_A_NUMBER[1]
        if style == "reason" and key == BLANK_WITH_REASON[0]:
            data.cell(row, col["actual"]).value = None
            data.cell(row, col["note"]).value = BLANK_WITH_REASON[1]
        _texts(data, row, col, factor(indicator.code + period.code))
    _footer(data, col, rows, unit, period)
    _log(workbook[L.LOG_SHEET], arrived, period, sign=style != "mistakes")
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
    stamp = arrived.timestamp()
    os.utime(target, (stamp, stamp))  # the receipt time: when the e-mail came in
    return True


def _actual(indicator, period: Period) -> float:
    """What the unit types: a count's own result this period, a level (or average) as it stands."""
    share = factor(indicator.code)
    if indicator.method == "kumulatif":
        now = indicator.target_for(period)
        before = indicator.target_for(Period(period.year, period.kind, period.number - 1)) if period.number > 1 else 0
        step = (now - (before or 0)) if now is not None else (indicator.target or 0) / 4
        value = max(step, 0) * (share + (period.number - 2) * 0.03)
        return float(round(value)) if float(indicator.target or 0).is_integer() else round(value, 2)
    base = indicator.target_for(period) or indicator.target or 1
    drift = (period.number - 3) * 0.01  # levels move a little over the year
    value = base * (2 - share - drift) if indicator.polarity == "-" else base * (share + drift)
    if is_percentage_measure(indicator.measure):
        value = min(value, 100.0)
    return round(value, 2)


def _spending(data, row: int, col: dict, key: str, period: Period, style: str, budget) -> None:
    if not budget:
        return
    spent = round(budget * SPENDING[period.number] * min(factor(key[::-1]), 0.98) / 1000) * 1000
    if style == "mistakes" and key == OVER_THE_PAGU:
        spent = budget * 0.9  # with TW1 and TW2, the year so far above the pagu
    if style == "indonesian-text":
        data.cell(row, col["spent"]).value = "Rp " + format_number(float(spent), 0)
    else:
        data.cell(row, col["spent"]).value = spent


TEXTS = (
    ("Dukungan pimpinan dan koordinasi lintas bidang berjalan baik",
     "Keterlambatan data dari perangkat daerah", "Rapat koordinasi bulanan dengan perangkat daerah",
     "Laporan kegiatan dan notulen rapat"),
    ("Ketersediaan anggaran sesuai jadwal", "Keterbatasan jumlah tenaga teknis",
     "Penambahan tenaga pendamping pada triwulan berikutnya", "Dokumen hasil kegiatan"),
)
FOOTER = {
    "footer_drivers": "Komitmen pimpinan dan koordinasi yang baik dengan perangkat daerah",
    "footer_obstacles": "Keterlambatan data dari perangkat daerah dan keterbatasan tenaga teknis",
    "footer_next_quarter": "Mempercepat pengumpulan data melalui rapat koordinasi bulanan",
    "footer_next_renja": "Menyesuaikan target indikator dengan capaian tahun berjalan",
}


def _texts(data, row: int, col: dict, share: float) -> None:
    texts = TEXTS[0] if share >= 0.9 else TEXTS[1]
    for key, text in zip(("drivers", "obstacles", "follow_up", "evidence"), texts, strict=True):
        data.cell(row, col[key]).value = text


def _footer(data, col: dict, rows: list[int], unit: str, period: Period) -> None:
    """The unit's analysis in the four cells under the table (found by their labels)."""
    labels = dict((label, key) for key, label in L.FOOTER)
    first = (rows[-1] if rows else L.FIRST_DATA_ROW) + 1
    for row in range(first, data.max_row + 1):
        key = labels.get(data.cell(row, col["code"]).value)
        if key is not None:
            data.cell(row, col["measure"]).value = f"{FOOTER[key]} ({unit}, {period.short})"


# Steps 4-8 on the working days after the requests went out:
# (step, day index, start hour:minute, end day index, end hour:minute).
LOG_PLAN = ((4, 0, (9, 0), 0, (10, 15)), (5, 0, (10, 30), 2, (11, 0)), (6, 2, (13, 0), 3, (10, 0)),
            (7, 3, (13, 0), 4, (11, 0)))
FIRST_WORKING_DAY = {"2026-TW1": datetime(2026, 4, 1), "2026-TW2": datetime(2026, 7, 1),
                     "2026-TW3": datetime(2026, 9, 29)}


def _working_days(start: datetime) -> list[datetime]:
    days, day = [], start
    while len(days) < 8:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _log(sheet, arrived: datetime, period: Period, sign: bool) -> None:
    """Steps 4-7 over the first working week, step 8 just before the file arrives."""
    naive_arrival = arrived.replace(tzinfo=None)
    days = _working_days(FIRST_WORKING_DAY.get(period.code, datetime(period.end.year, period.end.month, 1)))
    col = {key: L.log_column_index(key) + 1 for key in L.LOG_INDEX}
    for row in range(L.LOG_HEADER_ROW + 2, sheet.max_row + 1):
        step = sheet.cell(row, col["step"]).value
        plan = next((p for p in LOG_PLAN if p[0] == step), None)
        if plan is not None:
            _, day, (h1, m1), end_day, (h2, m2) = plan
            sheet.cell(row, col["start"]).value = days[day].replace(hour=h1, minute=m1)
            sheet.cell(row, col["end"]).value = days[end_day].replace(hour=h2, minute=m2)
        elif step == 8:
            sheet.cell(row, col["start"]).value = naive_arrival - timedelta(minutes=20)
            sheet.cell(row, col["end"]).value = naive_arrival
        if step == 7 and not sign:
            sheet.cell(row, col["end"]).value = None
