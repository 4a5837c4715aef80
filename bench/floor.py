"""The floor for run: a bare python-calamine read of every returned file, plus a bare
constant-memory xlsxwriter write of a table with the recap's rows and columns."""

import sys
from pathlib import Path

from python_calamine import CalamineWorkbook


def main(inbox: str, target: str) -> None:
    import xlsxwriter

    rows = []
    for path in sorted(Path(inbox).iterdir()):
        workbook = CalamineWorkbook.from_path(str(path))
        for name in workbook.sheet_names:
            grid = workbook.get_sheet_by_name(name).to_python()
            if name == "Data Kinerja":
                rows.extend(r for r in grid if len(r) > 15 and r[14])
    book = xlsxwriter.Workbook(target, {"constant_memory": True})
    sheet = book.add_worksheet("Rekap Badan")
    for index, row in enumerate(rows):
        for col in range(15):
            value = row[col]
            if isinstance(value, (int, float)):
                sheet.write_number(index, col, value)
            elif value:
                sheet.write_string(index, col, str(value))
    book.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
