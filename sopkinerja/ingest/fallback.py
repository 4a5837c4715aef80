"""Second readers for a workbook python-calamine refuses, with calamine's interface.

calamine is strict where other producers are loose: an ``.ods`` without its
``mimetype`` entry (re-zipped by a file tool), for example, is refused
although every other part is there. Before such a file is called unreadable,
the reader tries a well-kept second reader of that format:

- ``.ods``: odfpy (Apache-2.0 among its licences, what pandas' ``odf`` engine
  uses), walked here so that repeated rows and cells are counted, never
  expanded beyond ``MAX_CELLS``;
- ``.xlsx``/``.xlsm``: openpyxl in read-only mode (values, not formulas).

``.xls`` has no second reader: calamine reads more BIFF variants than xlrd,
and xlrd allocates what a hostile file declares (the wild corpus's
``OOM_alloc*.xls``).
"""

from __future__ import annotations

import contextlib
import io
from datetime import date, datetime

MAX_CELLS = 2_000_000  # a request workbook has ~20 columns x 500 rows; beyond this the file is refused


class TooManyCells(ValueError):
    """The sheet declares more cells than any request workbook has."""


class GridSheet:
    """One sheet as rows of values from A1 (``""`` for empty), like ``CalamineSheet``."""

    start = (0, 0)

    def __init__(self, rows: list[list]):
        self._rows = rows

    def to_python(self, skip_empty_area: bool = False, nrows: int | None = None) -> list[list]:
        """The rows from A1 (they are read so: ``skip_empty_area`` changes nothing)."""
        return self._rows if nrows is None else self._rows[:nrows]


class GridBook:
    """A workbook's sheet names and sheets, like ``CalamineWorkbook``: read by a second reader, or
    calamine's sheets as it read them once (``reader._open``)."""

    def __init__(self, sheets: dict[str, GridSheet], reader: str):
        self.sheets, self.reader = sheets, reader

    @property
    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def get_sheet_by_name(self, name: str) -> GridSheet:
        return self.sheets[name]


def open_fallback(path: str, fmt: str, max_rows: int) -> GridBook | None:
    """The workbook through the format's second reader, or None when there is none or it fails too."""
    reader = {"ods": _odfpy, "xlsx": _openpyxl, "xlsm": _openpyxl}.get(fmt)
    if reader is None:
        return None
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return reader(path, max_rows)  # odfpy prints parser complaints: never on our stdout
    except Exception:  # noqa: BLE001 - the second reader fails too: the file is unreadable
        return None


def _openpyxl(path: str, max_rows: int) -> GridBook:
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    sheets, cells = {}, 0
    try:
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()  # never trust the declared size (WPS writes A1:A1)
            rows = []
            for values in sheet.iter_rows(min_row=1, min_col=1, max_row=max_rows, values_only=True):
                cells += len(values)
                if cells > MAX_CELLS:
                    raise TooManyCells(sheet.title)
                rows.append(["" if v is None else v for v in values])
            sheets[sheet.title] = GridSheet(rows)
    finally:
        workbook.close()
    return GridBook(sheets, "openpyxl")


def _odfpy(path: str, max_rows: int) -> GridBook:
    from odf.namespaces import OFFICENS, TABLENS
    from odf.opendocument import load

    document = load(path)
    sheets, budget = {}, [MAX_CELLS]
    for table in document.spreadsheet.childNodes:
        if table.qname != (TABLENS, "table"):
            continue
        rows: list[list] = []
        for row in _children(table, TABLENS, "table-row"):
            values = _odf_row(row, TABLENS, OFFICENS, budget)
            repeat = int(row.attributes.get((TABLENS, "number-rows-repeated"), 1))
            if any(v != "" for v in values):
                for _ in range(min(repeat, max_rows - len(rows))):
                    _spend(budget, len(values))
                    rows.append(list(values))
            else:
                rows.extend([[]] * min(repeat, max_rows - len(rows)))  # empty rows hold nothing
            if len(rows) >= max_rows:
                break
        sheets[table.attributes.get((TABLENS, "name"), f"Sheet{len(sheets) + 1}")] = GridSheet(rows)
    return GridBook(sheets, "odfpy")


def _children(node, namespace: str, name: str):
    """Rows of a table, including those inside row groups and header rows."""
    for child in node.childNodes:
        if child.qname == (namespace, name):
            yield child
        elif child.qname in ((namespace, "table-row-group"), (namespace, "table-header-rows"),
                             (namespace, "table-rows")):
            yield from _children(child, namespace, name)


def _odf_row(row, table_ns: str, office_ns: str, budget: list[int]) -> list:
    values: list = []
    for cell in row.childNodes:
        if cell.qname not in ((table_ns, "table-cell"), (table_ns, "covered-table-cell")):
            continue
        repeat = int(cell.attributes.get((table_ns, "number-columns-repeated"), 1))
        value = _odf_value(cell, office_ns)
        if value == "":
            values.extend([""] * min(repeat, 16384 - len(values)))  # empty cells cost nothing
        else:
            _spend(budget, repeat)
            values.extend([value] * min(repeat, 16384 - len(values)))
    while values and values[-1] == "":
        values.pop()
    return values


def _spend(budget: list[int], cells: int) -> None:
    budget[0] -= cells
    if budget[0] < 0:
        raise TooManyCells("ods")


def _odf_value(cell, office_ns: str):
    attributes = cell.attributes
    kind = attributes.get((office_ns, "value-type"))
    if kind in ("float", "percentage", "currency"):
        return float(attributes.get((office_ns, "value"), "nan"))
    if kind == "date":
        text = attributes.get((office_ns, "date-value"), "")
        return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    if kind == "boolean":
        return attributes.get((office_ns, "boolean-value")) == "true"
    from odf import teletype

    return "\n".join(teletype.extractText(p) for p in cell.childNodes if getattr(p, "qname", ("", ""))[1] == "p")
