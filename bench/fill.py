"""A fast filler for benchmarks: values go straight into the generated sheet XML.

openpyxl takes ~0.5 s to load and save a 500-row workbook; rewriting the
blank input cells (``<c r="G10" s="12"/>``) in the zip takes milliseconds.
The result is what a unit's Excel would send back for these cells.
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from sopkinerja import layout as L
from sopkinerja.cells import column_letter

EXCEL_EPOCH = datetime(1899, 12, 30)


def serial(moment: datetime) -> float:
    return (moment - EXCEL_EPOCH).total_seconds() / 86400


def fill(source: Path, target: Path, spec, factor: float = 0.9, log_until: datetime | None = None,
         spent_share: float = 0.5, year: bool = False) -> None:
    """Fill Realisasi (factor x target), each sub kegiatan's Realisasi Anggaran (``spent_share`` of
    the pagu) and
    Log Proses 4-8, one step a day (08.00-15.00) ending on ``log_until``'s day (5 October 2026 by
    default), as a unit that sends the file that afternoon would."""
    from sopkinerja.models import Period

    values: dict[str, float] = {}
    period = Period.parse(spec.period_code)
    layout = L.layout_for(period)
    rounds = len(period.so_far())
    actual, spent = column_letter(layout.index("actual")), column_letter(layout.index("spent"))
    for offset, row in enumerate(spec.rows):
        excel_row = L.FIRST_DATA_ROW + offset + 1
        if row.kind == "indicator":
            goal = row.values["target"] or row.values["annual"] or 1
            # With ``year`` a cumulative indicator's round brings its own share (its target is "up to"
            # the round, the quarters of the synthetic agency are equal).
            share = 1 / rounds if year and row.values.get("method") == "kumulatif" else 1
            values[f"{actual}{excel_row}"] = round(goal * factor * share, 2)
        elif row.kind == "budget":
            values[f"{spent}{excel_row}"] = row.values["budget"] * spent_share
    log_values = {}
    last = (log_until or datetime(2026, 10, 5)).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    for index in range(len(spec.log_rows)):
        excel_row = L.LOG_HEADER_ROW + 2 + index
        day = last - timedelta(days=len(spec.log_rows) - 1 - index)
        log_values[f"D{excel_row}"] = serial(day.replace(hour=8))
        log_values[f"E{excel_row}"] = serial(day.replace(hour=15))
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = _put(data, values)
            elif item.filename == "xl/worksheets/sheet2.xml":
                data = _put(data, log_values)
            out.writestr(item, data)


def _put(xml: bytes, values: dict[str, float]) -> bytes:
    def replace(match: re.Match) -> bytes:
        ref = match.group(1).decode()
        if ref not in values:
            return match.group(0)
        return b'<c r="%s" s="%s"><v>%s</v></c>' % (match.group(1), match.group(2), repr(values[ref]).encode())

    return re.sub(rb'<c r="([A-Z]+[0-9]+)" s="([0-9]+)"/>', replace, xml)
