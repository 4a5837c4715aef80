"""The floor for run: a bare python-calamine read of every returned file, plus a bare
constant-memory xlsxwriter write of a table with the recap's rows and columns (the agency table
and the CSV's: ``report.rows.JOB_COLUMNS``, one row per indicator), plus (``--forms``) a bare
write of as many cells as the Formulir E.81 holds: per indicator its four texts, fourteen
numbers and two texts, and one such row per program, kegiatan and sub kegiatan above them."""

import sys
from pathlib import Path

from python_calamine import CalamineWorkbook

E81_TEXTS, E81_NUMBERS = 6, 14  # an E.81 row: no., sasaran, name, indicator, K/Rp x 7, unit, remarks


def main(inbox: str, target: str, *forms: str) -> None:
    import xlsxwriter

    from sopkinerja.report.rows import JOB_COLUMNS

    width = len(JOB_COLUMNS)
    rows, groups = [], set()
    for path in sorted(Path(inbox).rglob("*.xlsx")):
        workbook = CalamineWorkbook.from_path(str(path))
        for name in workbook.sheet_names:
            grid = workbook.get_sheet_by_name(name).to_python()
            if name == "Data Kinerja":
                header = next(i for i, r in enumerate(grid) if "Kunci Baris" in r)
                key = grid[header].index("Kunci Baris")
                for r in grid[header + 1:]:
                    if len(r) > key and r[key]:
                        if str(r[key]).startswith("SUB "):
                            groups.add(str(r[key]))
                        else:
                            rows.append((r + [""] * width)[:width])
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
    if forms:
        _form_cells(rows, len(groups), forms[0])


def _form_cells(rows: list, headers: int, target: str) -> None:
    """The E.81's cells, bare: a row per indicator and per heading above it (sub kegiatan,
    kegiatan, program: about as many headings as budget lines, counted from the files)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(target, {"constant_memory": True})
    sheet = book.add_worksheet("E.81")
    numbers = [0.0] * E81_NUMBERS
    for index, row in enumerate([*rows, *rows[:headers]]):
        texts = [str(v) for v in row if isinstance(v, str) and v][:E81_TEXTS]
        found = [v for v in row if isinstance(v, (int, float))][:E81_NUMBERS]
        for col, text in enumerate(texts):
            sheet.write_string(index, col, text)
        for col, value in enumerate(found + numbers[len(found):], E81_TEXTS):
            sheet.write_number(index, col, value)
    book.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
