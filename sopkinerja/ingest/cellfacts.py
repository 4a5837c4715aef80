"""What python-calamine does not tell about a cell, looked up for the few cells that need it.

calamine gives the value only (field-notes.md): ``""`` for an empty cell, for
an error value (``#DIV/0!``) and for a formula saved without its result (by a
program that does not calculate), a fraction for ``90%`` typed in a number
cell, and at most 32,767 characters of a text. Validation must tell those
apart, so for candidate cells only this module reads the format's own
records, without loading the workbook:

- ``.xlsx``/``.xlsm``: the sheet's XML, scanned once with a regular
  expression over bytes (a million formatted empty rows cost a fraction of a
  second) and stopped below the last candidate row; the styles part says which
  styles are percent formats; the shared strings give a long text whole;
- ``.ods``: ``content.xml`` streamed (defusedxml), repeated rows and cells
  counted, never expanded, stopped below the last candidate row;
- ``.xls``: xlrd's cell types and XF/FORMAT records (a BIFF variant xlrd
  cannot read leaves the cells as calamine read them).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field

from sopkinerja.cells import parse_address

CALAMINE_TEXT_LIMIT = 32767  # calamine cuts a text here (measured with a 100,000-character cell)


@dataclass
class Wanted:
    """The cells to look up, by address as Excel shows it."""

    fractions: set[str] = field(default_factory=set)  # numbers in (0, 1]: typed as "90%"?
    blanks: set[str] = field(default_factory=set)  # input cells read as empty: a formula or an error?
    long_texts: set[str] = field(default_factory=set)  # texts of exactly the calamine limit: cut?

    def __bool__(self) -> bool:
        return bool(self.fractions or self.blanks or self.long_texts)


@dataclass
class Facts:
    percent: list[str] = field(default_factory=list)  # cells formatted as percent
    formulas: dict[str, str] = field(default_factory=dict)  # cell -> "" (no stored result) or the error
    texts: dict[str, str] = field(default_factory=dict)  # cell -> the whole text

    def document(self) -> dict:
        return {"percent_cells": sorted(self.percent), "formula_cells": dict(sorted(self.formulas.items())),
                "long_texts": dict(sorted(self.texts.items()))}


def cell_facts(path: str, fmt: str, sheet: str, wanted: Wanted) -> Facts:
    if not wanted:
        return Facts()
    finder = {"xlsx": _xlsx, "xlsm": _xlsx, "ods": _ods, "xls": _xls}.get(fmt)
    return finder(path, sheet, wanted) if finder else Facts()


def is_percent_format(code: str) -> bool:
    """A number format code that shows a percent (not a quoted or escaped ``%``)."""
    return "%" in re.sub(r'"[^"]*"|\\.', "", code)


# --- .xlsx ---------------------------------------------------------------------------

_CELL = re.compile(rb"<(?:\w+:)?c\s([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.DOTALL)
_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_STYLE = re.compile(rb'\bs="([0-9]{1,6})"')
_TYPE = re.compile(rb'\bt="(\w+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", re.DOTALL)
_WORD = re.compile(rb"\w")  # what ``\b`` before ``r=`` rules out
_INLINE = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t>", re.DOTALL)
BUILTIN_PERCENT = {9, 10}  # "0%", "0.00%"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _xlsx(path: str, sheet: str, wanted: Wanted) -> Facts:
    facts = Facts()
    with zipfile.ZipFile(path) as package:
        names = set(package.namelist())
        percent = _percent_styles(package.read("xl/styles.xml")) if "xl/styles.xml" in names else set()
        if not percent:  # no style shows a percent (as none of ours): no fraction was typed as one
            wanted = Wanted(set(), wanted.blanks, wanted.long_texts)
            if not wanted:
                return facts
        part = _sheet_part(package, sheet)
        if part is None:
            return facts
        shared: dict[str, int] = {}
        for address, attributes, inner in _cells(package.read(part), wanted):
            kind = _TYPE.search(attributes)
            kind = kind.group(1) if kind else b"n"
            if address in wanted.fractions:
                style = _STYLE.search(attributes)
                if style is not None and int(style.group(1)) in percent:
                    facts.percent.append(address)
            elif address in wanted.blanks:
                value = _VALUE.search(inner)
                if kind == b"e":
                    facts.formulas[address] = _xml_text(value.group(1)) if value else "#N/A"
                elif (b"<f" in inner or b":f" in inner) and (value is None or not value.group(1).strip()):
                    facts.formulas[address] = ""
            elif address in wanted.long_texts:
                if kind == b"s":
                    value = _VALUE.search(inner)
                    if value is not None and value.group(1).strip().isdigit():
                        shared[address] = int(value.group(1))
                elif kind == b"inlineStr":
                    facts.texts[address] = "".join(_xml_text(t) for t in _INLINE.findall(inner))
        if shared and "xl/sharedStrings.xml" in names:
            facts.texts.update(_shared_strings(package, shared))
    facts.texts = {a: t for a, t in facts.texts.items() if len(t) > CALAMINE_TEXT_LIMIT}
    return facts


def _cells(xml: bytes, wanted: Wanted):
    """(address, attributes, inner XML) of each wanted cell of a sheet's XML, looked up by its
    ``r="F12"`` with a byte search from the last one found (cells are stored row by row; from the
    start again when one is not found further on) instead of matching every cell of the sheet:
    300 wanted cells of a 500-row sheet cost ~1 ms instead of ~50 (issue 20). A hit counts only
    when it is the reference of a cell's own start tag, as ``_CELL`` and ``_REF`` read it."""
    addresses = sorted(wanted.fractions | wanted.blanks | wanted.long_texts, key=parse_address)
    position = 0
    for address in addresses:
        reference = address.encode()
        found = _find_cell(xml, reference, position)
        if found is None and position:
            found = _find_cell(xml, reference, 0)
        if found is not None:
            position, attributes, inner = found
            yield address, attributes, inner


def _find_cell(xml: bytes, address: bytes, start: int) -> tuple[int, bytes, bytes] | None:
    needle = b'r="' + address + b'"'
    at = xml.find(needle, start)
    while at >= 0:
        opening = xml.rfind(b"<", 0, at)
        match = _CELL.match(xml, opening) if opening >= 0 and not _WORD.match(xml, at - 1) else None
        if match is not None and match.start(1) <= at < match.end(1):
            where = _REF.search(match.group(1))
            if where is not None and where.group(1) + where.group(2) == address:
                return match.end(), match.group(1), match.group(2) or b""
        at = xml.find(needle, at + 1)
    return None


def _xml_text(raw: bytes) -> str:
    from xml.sax.saxutils import unescape

    return unescape(raw.decode("utf-8", "replace"), {"&quot;": '"', "&apos;": "'"})


def _shared_strings(package, wanted: dict[str, int]) -> dict[str, str]:
    """The shared strings at the wanted indices, whole (streamed: only those are kept)."""
    from defusedxml.ElementTree import iterparse

    by_index: dict[int, list[str]] = {}
    for address, index in wanted.items():
        by_index.setdefault(index, []).append(address)
    last, found, index = max(by_index), {}, 0
    with package.open("xl/sharedStrings.xml") as part:
        for _, element in iterparse(part, events=("end",)):
            if element.tag != f"{_MAIN}si":
                continue
            if index in by_index:
                text = "".join(t.text or "" for t in element.iter(f"{_MAIN}t"))
                found.update({address: text for address in by_index[index]})
            element.clear()
            index += 1
            if index > last:
                break
    return found


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


# --- .ods ----------------------------------------------------------------------------

_ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODF_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"


def _ods(path: str, sheet: str, wanted: Wanted) -> Facts:
    """ODF marks a percentage cell itself (``office:value-type="percentage"``), a formula by
    ``table:formula`` and LibreOffice an error by ``calcext:value-type="error"``.

    ``content.xml`` is streamed (defusedxml) and each row dropped once read;
    repeated rows and cells are counted, never expanded, and the walk stops
    below the last candidate row, so a hostile sheet costs no more than its
    rows above the data.
    """
    from defusedxml.ElementTree import iterparse

    addresses = {parse_address(a): a for a in wanted.fractions | wanted.blanks | wanted.long_texts}
    last_row = max(row for row, _ in addresses)
    table_tag, row_tag = f"{{{_ODF_TABLE}}}table", f"{{{_ODF_TABLE}}}table-row"
    cell_tags = {f"{{{_ODF_TABLE}}}table-cell", f"{{{_ODF_TABLE}}}covered-table-cell"}
    name_key, rows_key = f"{{{_ODF_TABLE}}}name", f"{{{_ODF_TABLE}}}number-rows-repeated"
    cols_key, type_key = f"{{{_ODF_TABLE}}}number-columns-repeated", f"{{{_ODF_OFFICE}}}value-type"
    formula_key, calc_type_key = f"{{{_ODF_TABLE}}}formula", f"{{{_ODF_CALCEXT}}}value-type"
    facts, inside, row = Facts(), False, 0
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
                hits = [addresses[(row, c)] for c in range(column, column + min(repeat, 16384))
                        if (row, c) in addresses]
                for address in hits:
                    _ods_cell(cell, address, wanted, facts, type_key, formula_key, calc_type_key)
                column += repeat
            row += int(element.get(rows_key, "1"))
            element.clear()
            if row > last_row:
                break
    return facts


def _ods_cell(cell, address, wanted, facts, type_key, formula_key, calc_type_key) -> None:
    if address in wanted.fractions and cell.get(type_key) == "percentage":
        facts.percent.append(address)
    elif address in wanted.blanks and cell.get(formula_key):
        text = "".join(cell.itertext()).strip()
        if cell.get(calc_type_key) == "error" or text.startswith(("#", "Err:")):
            facts.formulas[address] = text or "#N/A"
        elif cell.get(type_key) is None:
            facts.formulas[address] = ""
    elif address in wanted.long_texts:
        text = "\n".join("".join(p.itertext()) for p in cell)
        if len(text) > CALAMINE_TEXT_LIMIT:
            facts.texts[address] = text


# --- .xls ----------------------------------------------------------------------------


def _xls(path: str, sheet: str, wanted: Wanted) -> Facts:
    """Through xlrd's cell types and XF/FORMAT records (.xls is at most 65,536 rows by format)."""
    import xlrd

    facts = Facts()
    try:
        book = xlrd.open_workbook(path, formatting_info=True, on_demand=True, logfile=_Quiet())
        grid = book.sheet_by_name(sheet)
    except Exception:  # a BIFF variant xlrd cannot read: calamine already read the values
        return facts
    for address in wanted.fractions | wanted.blanks:
        row, column = parse_address(address)
        if row >= grid.nrows or column >= grid.ncols:
            continue
        if address in wanted.fractions:
            fmt = book.format_map.get(book.xf_list[grid.cell_xf_index(row, column)].format_key)
            if fmt is not None and is_percent_format(fmt.format_str):
                facts.percent.append(address)
        elif grid.cell_type(row, column) == xlrd.XL_CELL_ERROR:
            facts.formulas[address] = xlrd.error_text_from_code.get(grid.cell_value(row, column), "#N/A")
    return facts


class _Quiet:
    """A log file for xlrd that keeps its warnings about odd records off stdout."""

    def write(self, text: str) -> None:
        pass
