"""Reading a returned workbook into plain, JSON-able data; never raises.

python-calamine reads .xlsx/.xlsm/.xls/.ods (field-notes.md: ~10x faster than
openpyxl); a file it refuses is tried with a second reader (``fallback``).
Everything is found by header labels and keys, never by fixed addresses or
the declared sheet size: users rename sheets, insert rows and columns, leave
phantom formatted rows far below the data, and office suites write odd
dimensions. What calamine does not report about a cell (a percent format, a
formula without its result, an error value, a text beyond 32,767 characters)
is looked up for the cells that need it (``cellfacts``).

A workbook may hold several data sheets (a unit's sheet copied into another
unit's workbook): each is a *part* with its own identity, taken only from its
own rows' hidden request ids; a sheet whose rows carry more than one id is
not trusted (product.md §3.5).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from sopkinerja import layout as L
from sopkinerja.cells import cell_address, header_key
from sopkinerja.ingest.cellfacts import Wanted, cell_facts

# 2: zip packages checked for size before reading; percent formats from the XML
# 3: percent formats of .xls and .ods returns too (LibreOffice round trip, issue 9)
# 4: one part per data sheet (mixed identity, several units in one workbook), formulas
#    without a result and error values, whole long texts, a second reader (issue 15)
# 5: the year's layout: earlier rounds' columns, budget rows, the unit-level footer (issue 16)
# 6: cells placed from A1 whichever rows above the table are empty (python-calamine issue 177)
PARSER_VERSION = "6"
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
FOOTER_KEYS = {header_key(label): key for key, label in L.FOOTER}
LOG_KEYS = {header_key(label): key for key, label, _ in L.LOG_COLUMNS}


def encode(value: object) -> object:
    """A cell value as JSON: numbers and text as they are, dates tagged."""
    kind = type(value)
    if kind is float or kind is str and value:  # nearly every cell: one test (bool is no float)
        return value
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
    if fmt in ("xlsx", "xlsm", "ods"):
        refused = check_package(path)
        if refused is not None:
            return refused
    workbook, reader = _open(path, fmt)
    if reader is None:
        return workbook  # the error
    names = list(workbook.sheet_names)
    meta_name = next((n for n in names if header_key(n) == L.META_SHEET), None)
    meta = _meta(workbook.get_sheet_by_name(meta_name)) if meta_name else {}
    grids = {name: list(_rows(workbook.get_sheet_by_name(name))) for name in names if name != meta_name}
    data = _sheets_like(grids, L.DATA_SHEET, LABEL_KEYS, ("code", "actual"))
    logs = _sheets_like(grids, L.LOG_SHEET, LOG_KEYS, ("step", "start"))
    parts = [_part(path, fmt, name, grids, logs, len(data)) for name in data] or [_empty_part(grids, logs)]
    if len(parts) == 1 and not parts[0]["ids"] and REQUEST_ID.match(str(meta.get("request_id", "")).strip()):
        parts[0]["request_id"], parts[0]["identity_source"] = meta["request_id"].strip(), "meta"
    return {"format": fmt, "reader": reader, "sheets": names, "meta": meta, "parts": parts}


def _open(path: str, fmt: str):
    """(workbook, reader name), or (an error dict, None) when no reader can open it."""
    from python_calamine import CalamineWorkbook, PasswordError

    from sopkinerja.ingest.fallback import GridBook, open_fallback

    try:
        workbook = CalamineWorkbook.from_path(path)
        # calamine reads a sheet each time it is asked for it: ask now (to fall back), and once.
        return GridBook({name: workbook.get_sheet_by_name(name) for name in workbook.sheet_names}, "calamine"), \
            "calamine"
    except PasswordError:
        return {"error": "encrypted-file", "detail": ""}, None
    except Exception as exc:
        second = None if "limit exceeded" in str(exc) else open_fallback(path, fmt, MAX_ROWS)
        if second is not None:
            return second, second.reader
        return {"error": "unreadable-file", "detail": f"{type(exc).__name__}: {exc}"[:500]}, None


def _sheets_like(grids: dict[str, list], wanted: str, label_keys: dict, needed: tuple[str, ...]) -> list[str]:
    """The sheets that are ``wanted`` (``Data Kinerja``, ``Log Proses``): named so (any case or
    spacing, also ``Data Kinerja (2)`` or ``Data Kinerja_2`` as office suites name copies) with a
    header of its labels, or any sheet whose header carries the ``needed`` labels."""
    found = []
    for name, grid in grids.items():
        header = _header(grid, label_keys)
        if header is None:
            continue
        if all(k in header[1] for k in needed) or _suffix(name, wanted) is not None:
            found.append(name)
    return sorted(found, key=lambda n: (_suffix(n, wanted) is None, n != wanted, found.index(n)))


def _suffix(name: str, base: str) -> str | None:
    """What follows ``base`` in a sheet's name (``" (2)"``, ``"_2"``, ``""``), or None if it is another name."""
    key, base_key = header_key(name), header_key(base)
    return key[len(base_key):].strip(" _-") if key.startswith(base_key) else None


def _part(path: str, fmt: str, name: str, grids: dict[str, list], logs: list[str], count: int) -> dict:
    """One data sheet: its table, its identity from its own rows, its log sheet, its cell facts."""
    table = _table(name, grids[name], LABEL_KEYS)
    ids = sorted({i.strip() for i in (r["cells"].get("request_id") for r in table["rows"])
                  if isinstance(i, str) and REQUEST_ID.match(i.strip())})
    log = _log_for(name, logs, count)
    facts = cell_facts(path, fmt, name, _wanted(table))
    for row in table["rows"] if facts.texts else ():
        for key in list(row["cells"]):
            whole = facts.texts.get(address(table, row["row"], key))
            if whole is not None:
                row["cells"][key] = whole
    return {"sheet": name, "part": "" if count == 1 else name, "ids": ids,
            "request_id": ids[0] if len(ids) == 1 else None, "identity_source": "column" if len(ids) == 1 else None,
            "data": table, "footer": _footer(table), "log": _table(log, grids[log], LOG_KEYS) if log else None,
            **facts.document()}


def _footer(table: dict) -> dict:
    """The unit-level texts under the table (product.md §3.4): per footer key, the text written
    right of its label (the first filled column after it) and its cell. Only rows that are not an
    issued row (no hidden key) can hold them."""
    found: dict[str, dict] = {}
    order = sorted(table["columns"].items(), key=lambda kv: kv[1])
    for row in table["rows"]:
        cells = row["cells"]
        if "row_key" in cells:
            continue
        for index, (key, _column) in enumerate(order):
            value = cells.get(key)
            footer = FOOTER_KEYS.get(header_key(value)) if isinstance(value, str) else None
            if footer is None or footer in found:
                continue
            after = next(((k, cells[k]) for k, _ in order[index + 1:] if cells.get(k) is not None), None)
            found[footer] = {"text": after[1] if after else None,
                             "cell": address(table, row["row"], after[0] if after else order[index + 1][0])
                             if after or index + 1 < len(order) else None}
            break
    return found


def _empty_part(grids: dict[str, list], logs: list[str]) -> dict:
    """A workbook without a data sheet: one part, so its identity (``_meta``) and log still count."""
    log = logs[0] if logs else None
    return {"sheet": None, "part": "", "ids": [], "request_id": None, "identity_source": None, "data": None,
            "footer": {}, "log": _table(log, grids[log], LOG_KEYS) if log else None, "percent_cells": [],
            "formula_cells": {}, "long_texts": {}}


def _log_for(data_sheet: str, logs: list[str], count: int) -> str | None:
    """The ``Log Proses`` of a data sheet: the only one when the workbook has one data sheet,
    else the one whose name carries the same suffix (``Data Kinerja (2)`` — ``Log Proses (2)``)."""
    if count == 1:
        return logs[0] if logs else None
    suffix = _suffix(data_sheet, L.DATA_SHEET)
    return next((log for log in logs if suffix is not None and _suffix(log, L.LOG_SHEET) == suffix), None)


def _wanted(table: dict) -> Wanted:
    """The cells of the indicator rows whose reading calamine may have left short."""
    from sopkinerja.ingest.cellfacts import CALAMINE_TEXT_LIMIT

    wanted = Wanted()
    keyed = "row_key" in table["columns"]  # without the hidden key column (a copied sheet): rows with a code
    numbers = ("actual", *L.EARLIER_KEYS)
    spent = "spent" in table["columns"]
    actual = "actual" in table["columns"]
    for row in table["rows"]:
        cells = row["cells"]
        key = cells.get("row_key")
        if (key if keyed else cells.get("code")) is None:
            continue
        for name in numbers:
            value = cells.get(name)
            if (type(value) is float or type(value) is int) and 0 < value <= 1:  # bool is neither
                wanted.fractions.add(address(table, row["row"], name))
        # A blank input may be a formula whose result was never saved: this round's realisasi on
        # an indicator's row, its spending on a sub kegiatan's (an earlier round's open column left
        # blank only means the value is not given; a cell that is no input there is not asked).
        if isinstance(key, str) and key.startswith(("SUB ", "IND ")):
            if spent and "spent" not in cells:
                wanted.blanks.add(address(table, row["row"], "spent"))
        elif actual and "actual" not in cells:
            wanted.blanks.add(address(table, row["row"], "actual"))
        for name, value in cells.items():
            if type(value) is str and len(value) >= CALAMINE_TEXT_LIMIT:
                wanted.long_texts.add(address(table, row["row"], name))
    return wanted


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
    for _, values in _rows(sheet, limit=200):
        cells = [v for v in values if v != "" and v is not None]
        if len(cells) >= 2 and isinstance(cells[0], str) and cells[0].strip():
            meta[cells[0].strip()] = str(cells[1]).strip() if cells[1] not in ("", None) else ""
    return meta


def _rows(sheet, limit: int = MAX_ROWS):
    """Yield (row index, its values from column A) for non-empty rows, bounded.

    The sheet's values from A1 (``skip_empty_area=False``): the place of a cell is its place on the
    sheet whichever rows and columns are empty. (``iter_rows`` starts at row 1 but at the first
    column with a value, python-calamine issue 177: the rows of a sheet whose first rows are empty
    were placed that many rows too low; and it costs a third more than ``to_python``.)"""
    empty_run = 0
    seen_data = False
    for index, values in enumerate(sheet.to_python(skip_empty_area=False, nrows=limit)):
        if values.count("") + values.count(None) == len(values):  # counted in C: 500 rows x 20 cells a file
            empty_run += 1
            if seen_data and empty_run >= EMPTY_RUN_STOP:
                break
            continue
        seen_data, empty_run = True, 0
        yield index, values


def _header(grid, label_keys):
    """The row (within the first rows) matching the most header labels; at least two."""
    best = None
    for index, (row, values) in enumerate(grid[:HEADER_SCAN_ROWS]):
        columns = {}
        for col, value in enumerate(values):
            key = label_keys.get(header_key(value)) if isinstance(value, str) and value else None
            if key and key not in columns:
                columns[key] = col
        if len(columns) >= 2 and (best is None or len(columns) > len(best[1])):
            best = (index, columns, row)
    return best


def _table(name: str, grid, label_keys) -> dict:
    index, columns, header_row = _header(grid, label_keys)
    rows, keyed_columns = [], list(columns.items())
    for row, values in grid[index + 1:]:
        width, cells = len(values), {}
        for key, col in keyed_columns:
            if col < width and (value := values[col]) != "" and value is not None:
                cells[key] = encode(value)
        if cells:
            rows.append({"row": row, "cells": cells})
    return {"sheet": name, "header_row": header_row, "columns": columns, "rows": rows}


def address(table: dict, row: int, key: str) -> str | None:
    """``F12`` for a field of a row, as Excel shows it."""
    column = table["columns"].get(key)
    return None if column is None else cell_address(row, column)


