"""The floor for run: a bare python-calamine read of every returned file, plus a bare
constant-memory xlsxwriter write of a table with the recap's rows and columns (the agency table
and the CSV's: ``report.rows.JOB_COLUMNS``, one row per indicator)."""

import sys
from pathlib import Path

from python_calamine import CalamineWorkbook


def main(inbox: str, target: str) -> None:
    import xlsxwriter

    from sopkinerja.report.rows import JOB_COLUMNS

    width = len(JOB_COLUMNS)
    rows = []
    for path in sorted(Path(inbox).iterdir()):
        workbook = CalamineWorkbook.from_path(str(path))
        for name in workbook.sheet_names:
            grid = workbook.get_sheet_by_name(name).to_python()
            if name == "Data Kinerja":
                header = next(i for i, r in enumerate(grid) if "Kunci Baris" in r)
                key = grid[header].index("Kunci Baris")
                rows.extend((r + [""] * width)[:width] for r in grid[header + 1:]
                            if len(r) > key and r[key] and not str(r[key]).startswith("SUB "))
    book = xlsxwriter.Workbook(target, {"constant_memory": True})
    sheet = book.add_worksheet("Rekap Badan")
    for index, row in enumerate(rows):
        for col in range(width):
            value = row[col]
            if isinstance(value, (int, float)):
                sheet.write_number(index, col, value)
            elif value:
                sheet.write_string(index, col, str(value))
    book.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
