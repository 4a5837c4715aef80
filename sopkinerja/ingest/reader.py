"""Reading a returned workbook into plain, JSON-able data; never raises.

python-calamine reads .xlsx/.xlsm/.xls/.ods (field-notes.md: ~10x faster than
openpyxl). Everything is found by header labels and keys, never by fixed
addresses or the declared sheet size: users rename sheets, insert rows and
columns, leave phantom formatted rows far below the data, and office suites
write odd dimensions.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from sopkinerja import layout as L
from sopkinerja.cells import cell_address, header_key, parse_address

# 2: zip packages checked for size before reading; percent formats from the XML
# 3: percent formats of .xls and .ods returns too (LibreOffice round trip, issue 9)
PARSER_VERSION = "3"
REQUEST_ID = re.compile(r"^SK-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")
HEADER_SCAN_ROWS = 60
MAX_ROWS = 100_000  # far beyond any real request (500 indicators); a bound for hostile files
EMPTY_RUN_STOP = 2_000  # consecutive empty rows after the table that end the read
# A zip package (.xlsx/.xlsm/.ods) is checked before any reader opens it: a part
# that unpacks beyond MAX_PART_BYTES, or parts beyond MAX_PACKAGE_BYTES in all,
# is a "zip bomb" or a sheet of millions of formatted rows, refused as too large.
MAX_PART_BYTES = 256 * 1024 * 1024
MAX_PACKAGE_BYTES = 1024 * 1024 * 1024
DEFLATE_MAX_RATIO = 1032  # deflate cannot expand one byte to more than this
LABEL_KEYS = {header_key(label): key for key, label in L.LABELS.items()}
LOG_KEYS = {header_key(label): key for key, label, _ in L.LOG_COLUMNS}


def encode(value: object) -> object:
    """A cell value as JSON: numbers and text as they are, dates tagged."""
    if isinstance(value, bool):
        return {"b": value}
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, time):
        return {"tm": value.isoformat()}
    if isinstance(value, timedelta):
        return {"td": value.total_seconds()}
    if value == "" or value is None:
        return None
    return value


def decode(value: object) -> object:
    if not isinstance(value, dict):
        return value
    tag, raw = next(iter(value.items()))
    return {"b": lambda v: v, "dt": datetime.fromisoformat, "d": date.fromisoformat,
            "tm": time.fromisoformat, "td": lambda v: timedelta(seconds=v)}[tag](raw)


def parse_file(path: str, fmt: str) -> dict:
    """Everything validation needs from one workbook; problems become ``error`` codes."""
    try:
        return _parse(path, fmt)
    except Exception as exc:  # a crash in a reader is an issue on that file, never a traceback
        return {"error": "unreadable-file", "detail": f"{type(exc).__name__}: {exc}"[:500]}


def _parse(path: str, fmt: str) -> dict:
    from python_calamine import CalamineWorkbook, PasswordError

    if fmt in ("xlsx", "xlsm", "ods"):
        refused = check_package(path)
        if refused is not None:
            return refused

    try:
        workbook = CalamineWorkbook.from_path(path)
    except PasswordError:
        return {"error": "encrypted-file", "detail": ""}
    except Exception as exc:
        return {"error": "unreadable-file", "detail": f"{type(exc).__name__}: {exc}"[:500]}
    names = list(workbook.sheet_names)
    result: dict = {"format": fmt, "sheets": names, "request_id": None, "identity_source": None,
                    "meta": {}, "data": None, "log": None, "percent_cells": []}
    meta_name = next((n for n in names if header_key(n) == L.META_SHEET), None)
    if meta_name:
        result["meta"] = _meta(workbook.get_sheet_by_name(meta_name))
    data_name, grid = _find_sheet(workbook, names, L.DATA_SHEET, LABEL_KEYS, ("code", "actual"))
    if data_name:
        result["data"] = _table(data_name, grid, LABEL_KEYS)
        ids = [r["cells"].get("request_id") for r in result["data"]["rows"]]
        found = next((i.strip() for i in ids if isinstance(i, str) and REQUEST_ID.match(i.strip())), None)
        if found:
            result["request_id"], result["identity_source"] = found, "column"
    if result["request_id"] is None and REQUEST_ID.match(str(result["meta"].get("request_id", "")).strip()):
        result["request_id"], result["identity_source"] = result["meta"]["request_id"].strip(), "meta"
    log_name, log_grid = _find_sheet(workbook, names, L.LOG_SHEET, LOG_KEYS, ("step", "start"))
    if log_name:
        result["log"] = _table(log_name, log_grid, LOG_KEYS)
    if result["data"]:
        result["percent_cells"] = _percent_cells(path, fmt, result["data"])
    return result


def check_package(path: str) -> dict | None:
    """An error dict when the zip package would unpack to too much, else None.

    Declared sizes are checked first; a part whose compressed size could hide
    more than MAX_PART_BYTES is also unpacked (streamed, never held) and
    counted, since a hostile package can declare small sizes.
    """
    import zipfile

    limit_mb = f"{MAX_PART_BYTES // (1024 * 1024)} MB"
    try:
        with zipfile.ZipFile(path) as package:
            total = 0
            for info in package.infolist():
                total += info.file_size
                if info.file_size > MAX_PART_BYTES or total > MAX_PACKAGE_BYTES:
                    return {"error": "file-too-large", "detail": info.filename, "limit": limit_mb}
                if info.compress_size * DEFLATE_MAX_RATIO <= MAX_PART_BYTES:
                    continue
                unpacked = 0
                with package.open(info) as part:
                    for chunk in iter(lambda: part.read(1 << 20), b""):
                        unpacked += len(chunk)
                        if unpacked > MAX_PART_BYTES:
                            return {"error": "file-too-large", "detail": info.filename, "limit": limit_mb}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        return {"error": "unreadable-file", "detail": f"{type(exc).__name__}: {exc}"[:500]}
    return None


def _meta(sheet) -> dict:
    meta = {}
    for row in _rows(sheet, limit=200):
        cells = [c for _, c in row[1]]
        if len(cells) >= 2 and isinstance(cells[0], str) and cells[0].strip():
            meta[cells[0].strip()] = str(cells[1]).strip() if cells[1] not in ("", None) else ""
    return meta


def _rows(sheet, limit: int = MAX_ROWS):
    """Yield (row index, [(column index, value), ...]) for non-empty rows, bounded."""
    start = sheet.start or (0, 0)
    col0 = start[1]
    empty_run = 0
    seen_data = False
    for index, values in enumerate(sheet.iter_rows()):
        if index >= limit:
            break
        cells = [(col0 + j, v) for j, v in enumerate(values) if v != "" and v is not None]
        if not cells:
            empty_run += 1
            if seen_data and empty_run >= EMPTY_RUN_STOP:
                break
            continue
        seen_data, empty_run = True, 0
        yield index, cells


def _find_sheet(workbook, names, wanted, label_keys, needed):
    """The sheet named ``wanted`` (any case/spacing), else the first whose header has the labels."""
    ordered = sorted(names, key=lambda n: header_key(n) != header_key(wanted))
    for name in ordered:
        if header_key(name) == L.META_SHEET:
            continue
        grid = list(_rows(workbook.get_sheet_by_name(name)))
        header = _header(grid, label_keys)
        if header is not None and all(k in header[1] for k in needed):
            return name, grid
        if header_key(name) == header_key(wanted) and header is not None:
            return name, grid
    return None, None


def _header(grid, label_keys):
    """The row (within the first rows) matching the most header labels; at least two."""
    best = None
    for index, (row, cells) in enumerate(grid[:HEADER_SCAN_ROWS]):
        columns = {}
        for col, value in cells:
            key = label_keys.get(header_key(value)) if isinstance(value, str) else None
            if key and key not in columns:
                columns[key] = col
        if len(columns) >= 2 and (best is None or len(columns) > len(best[1])):
            best = (index, columns, row)
    return best


def _table(name: str, grid, label_keys) -> dict:
    index, columns, header_row = _header(grid, label_keys)
    rows = []
    for row, cells in grid[index + 1:]:
        by_col = dict(cells)
        values = {key: encode(by_col.get(col)) for key, col in columns.items()}
        if any(v is not None for v in values.values()):
            rows.append({"row": row, "cells": {k: v for k, v in values.items() if v is not None}})
    return {"sheet": name, "header_row": header_row, "columns": columns, "rows": rows}


def address(table: dict, row: int, key: str) -> str | None:
    """``F12`` for a field of a row, as Excel shows it."""
    column = table["columns"].get(key)
    return None if column is None else cell_address(row, column)


def _percent_cells(path: str, fmt: str, data: dict) -> list[str]:
    """Realisasi cells typed as ``90%`` in a numeric cell (stored 0.9, formatted as percent).

    Only candidates (a number between 0 and 1) are looked up, each format in
    its own way and without a full workbook load (openpyxl took half a minute
    on a hostile sheet of a million formatted rows): .xlsx from the package's
    XML, .ods from ``content.xml`` streamed, .xls through xlrd's format records.
    """
    candidates = {address(data, r["row"], "actual") for r in data["rows"]
                  if isinstance(r["cells"].get("actual"), (int, float))
                  and not isinstance(r["cells"].get("actual"), bool) and 0 < r["cells"]["actual"] <= 1}
    if not candidates:
        return []
    finder = {"xlsx": _percent_cells_xlsx, "xlsm": _percent_cells_xlsx, "ods": _percent_cells_ods,
              "xls": _percent_cells_xls}.get(fmt)
    return sorted(finder(path, data["sheet"], candidates)) if finder else []


def is_percent_format(code: str) -> bool:
    """A number format code that shows a percent (not a quoted or escaped ``%``)."""
    return "%" in re.sub(r'"[^"]*"|\\.', "", code)


def _percent_cells_xlsx(path: str, sheet: str, candidates: set[str]) -> list[str]:
    """The sheet's cells scanned for their style index (a regular expression over
    bytes: a million formatted empty rows cost a fraction of a second); the
    styles part says which styles are percent formats."""
    import zipfile

    with zipfile.ZipFile(path) as package:
        part = _sheet_part(package, sheet)
        if part is None or "xl/styles.xml" not in package.namelist():
            return []
        percent = _percent_styles(package.read("xl/styles.xml"))
        found = []
        for match in _CELL.finditer(package.read(part)):
            attributes = match.group(1)
            where = _REF.search(attributes)
            if where is None or where.group(1).decode() not in candidates:
                continue
            style = _STYLE.search(attributes)
            if style is not None and int(style.group(1)) in percent:
                found.append(where.group(1).decode())
        return found


_ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _percent_cells_ods(path: str, sheet: str, candidates: set[str]) -> list[str]:
    """ODF marks a percentage cell itself (``office:value-type="percentage"``).

    ``content.xml`` is streamed (defusedxml) and each row dropped once read;
    repeated rows and cells are counted, never expanded, and the walk stops
    below the last candidate row, so a hostile sheet costs no more than its
    rows above the data.
    """
    import zipfile

    from defusedxml.ElementTree import iterparse

    wanted = {parse_address(a): a for a in candidates}
    last_row = max(row for row, _ in wanted)
    table_tag, row_tag = f"{{{_ODF_TABLE}}}table", f"{{{_ODF_TABLE}}}table-row"
    cell_tags = {f"{{{_ODF_TABLE}}}table-cell", f"{{{_ODF_TABLE}}}covered-table-cell"}
    name_key, rows_key = f"{{{_ODF_TABLE}}}name", f"{{{_ODF_TABLE}}}number-rows-repeated"
    cols_key, type_key = f"{{{_ODF_TABLE}}}number-columns-repeated", f"{{{_ODF_OFFICE}}}value-type"
    found, inside, row = [], False, 0
    with zipfile.ZipFile(path) as package, package.open("content.xml") as content:
        for event, element in iterparse(content, events=("start", "end")):
            if element.tag == table_tag:
                if event == "start":
                    inside, row = element.get(name_key) == sheet, 0
                elif inside:
                    break
                continue
            if event != "end" or element.tag != row_tag:
                continue
            if not inside:  # a row of another sheet: dropped unread
                element.clear()
                continue
            column = 0
            for cell in element:
                if cell.tag not in cell_tags:
                    continue
                repeat = int(cell.get(cols_key, "1"))
                if cell.get(type_key) == "percentage":
                    found += [wanted[(row, c)] for c in range(column, column + min(repeat, 16384))
                              if (row, c) in wanted]
                column += repeat
            row += int(element.get(rows_key, "1"))
            element.clear()
            if row > last_row:
                break
    return found


def _percent_cells_xls(path: str, sheet: str, candidates: set[str]) -> list[str]:
    """Through xlrd's XF and FORMAT records (.xls is at most 65,536 rows by format)."""
    import xlrd

    try:
        book = xlrd.open_workbook(path, formatting_info=True, on_demand=True, logfile=_Quiet())
        grid = book.sheet_by_name(sheet)
    except Exception:  # a BIFF variant xlrd cannot read: calamine already read the values
        return []
    found = []
    for where in candidates:
        row, column = parse_address(where)
        if row >= grid.nrows or column >= grid.ncols:
            continue
        fmt = book.format_map.get(book.xf_list[grid.cell_xf_index(row, column)].format_key)
        if fmt is not None and is_percent_format(fmt.format_str):
            found.append(where)
    return found


class _Quiet:
    """A log file for xlrd that keeps its warnings about odd records off stdout."""

    def write(self, text: str) -> None:
        pass


_CELL = re.compile(rb"<(?:\w+:)?c\s([^>]*)>")
_REF = re.compile(rb'\br="([A-Z]{1,3}[0-9]{1,7})"')
_STYLE = re.compile(rb'\bs="([0-9]{1,6})"')
BUILTIN_PERCENT = {9, 10}  # "0%", "0.00%"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _sheet_part(package, sheet_name: str) -> str | None:
    """The part holding a sheet, from the workbook and its relationships (defusedxml)."""
    from defusedxml.ElementTree import fromstring

    workbook = fromstring(package.read("xl/workbook.xml"))
    target_id = next((s.get(_REL_ID) for s in workbook.iter(f"{_MAIN}sheet") if s.get("name") == sheet_name), None)
    if target_id is None:
        return None
    for relation in fromstring(package.read("xl/_rels/workbook.xml.rels")):
        if relation.get("Id") == target_id:
            target = relation.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            return part if part in package.namelist() else None
    return None


def _percent_styles(styles_xml: bytes) -> set[int]:
    """Indices of the cell styles (``cellXfs``) whose number format shows a percent."""
    from defusedxml.ElementTree import fromstring

    root = fromstring(styles_xml)
    custom = {int(f.get("numFmtId", -1)): f.get("formatCode", "") for f in root.iter(f"{_MAIN}numFmt")}
    formats = BUILTIN_PERCENT | {number for number, code in custom.items() if is_percent_format(code)}
    cell_xfs = root.find(f"{_MAIN}cellXfs")
    if cell_xfs is None:
        return set()
    return {index for index, xf in enumerate(cell_xfs.findall(f"{_MAIN}xf")) if int(xf.get("numFmtId", 0)) in formats}
