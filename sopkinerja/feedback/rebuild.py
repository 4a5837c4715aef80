"""The feedback workbook for a return openpyxl cannot edit faithfully (.xls, .ods, damaged, huge):
the whole request workbook rebuilt from the ledger, with the unit's values put back in place.

The request is written again by the request writer itself from the spec the
ledger kept when it was issued (title block, formats, validation, protection,
``Log Proses`` with its real labels, ``Petunjuk``, ``_meta``, the same
request id), so a unit that fixes the marked cells and sends it back is
accepted cleanly. Its cost follows the cells that hold something: the unit's
file is not opened again, only what the reader found in it is used.
Issues are moved to where the same value sits in the rebuilt workbook.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

from sopkinerja import layout as L
from sopkinerja.cells import cell_address
from sopkinerja.generate.datasheet import footer_positions
from sopkinerja.generate.spec import Filled, RequestSpec, unpack_spec
from sopkinerja.ingest.reader import decode
from sopkinerja.issues import Issue
from sopkinerja.models import Period
from sopkinerja.numbers import parse_number


def rebuilt(workspace, ledger, outcome, scratch: Path):
    """(an openpyxl workbook of the rebuilt request with the unit's values, the issues moved onto it)."""
    from sopkinerja.feedback import loading
    from sopkinerja.generate.workbook import write_request_workbook

    spec = request_spec(workspace, ledger, outcome.request)
    parsed = outcome.parsed or {}
    filled, moved = _values(parsed, spec)
    try:
        write_request_workbook(spec, str(scratch), filled)
        workbook = loading.load(io.BytesIO(scratch.read_bytes()))
    finally:
        scratch.unlink(missing_ok=True)
    layout = L.layout_for(Period.parse(spec.period_code))
    return workbook, [_moved(issue, parsed, moved, layout) for issue in outcome.issues]


def request_spec(workspace, ledger, request) -> RequestSpec:
    """The spec the request was written from. A request issued before the ledger kept specs of
    this layout gets the unit's newest request of its period when there is one (its return is
    ``outdated-request``: the new format is what the unit should fill), else a spec rebuilt from
    today's master and configuration with the pre-filled values the ledger holds."""
    blob = ledger.request_spec(request["request_id"])
    spec = unpack_spec(blob) if blob else None
    if spec is not None:
        return spec
    latest = ledger.latest_request(request["period"], request["unit_code"])
    if latest is not None and latest["request_id"] != request["request_id"]:
        blob = ledger.request_spec(latest["request_id"])
        spec = unpack_spec(blob) if blob else None
        if spec is not None:
            return spec
    from datetime import datetime

    from sopkinerja.generate import build_spec

    master = workspace.master().master
    unit = master.unit(request["unit_code"])
    spec = build_spec(workspace, master, workspace.sop(), unit, request["request_id"],
                      datetime.fromisoformat(request["issued_at"]))
    issued = ledger.prefilled(request["request_id"])
    rows = [dataclasses.replace(row, values={**row.values, **issued[row.key]}) if row.key in issued else row
            for row in spec.rows if row.kind == "group" or row.key in issued]
    return dataclasses.replace(spec, rows=tuple(rows))


def _values(parsed: dict, spec: RequestSpec) -> tuple[Filled, dict]:
    """The unit's inputs by row and step, and where each of its cells goes in the rebuilt sheets."""
    data_rows = {row.key: L.FIRST_DATA_ROW + index for index, row in enumerate(spec.rows)
                 if row.kind in ("indicator", "budget")}
    log_rows = {item.step: L.LOG_HEADER_ROW + offset for offset, item in enumerate(spec.log_rows, 1)}
    filled, moved = Filled(), {}
    data = parsed.get("data")
    if data:
        keys = {column: key for key, column in data["columns"].items()}
        codes = {code.upper(): code for code in data_rows}
        for row in data["rows"]:
            cells = row["cells"]
            code = codes.get(str(decode(cells.get("row_key")) or decode(cells.get("code")) or "").strip().upper())
            if code is None:
                continue
            for column, key in keys.items():
                moved[(data["sheet"], cell_address(row["row"], column))] = (L.DATA_SHEET, data_rows[code], key)
            for key in (*L.INPUT_NUMBER_KEYS, *L.INPUT_TEXT_KEYS, *L.EARLIER_KEYS):
                if cells.get(key) is not None:
                    filled.data[(code, key)] = decode(cells[key])
        footer_rows = footer_positions(spec)
        for key, entry in (parsed.get("footer") or {}).items():
            if key in footer_rows and entry.get("cell"):
                moved[(data["sheet"], entry["cell"])] = (L.DATA_SHEET, footer_rows[key], "measure")
                if entry.get("text") is not None:
                    filled.data[("", key)] = decode(entry["text"])
    log = parsed.get("log")
    if log:
        keys = {column: key for key, column in log["columns"].items()}
        for row in log["rows"]:
            step = parse_number(decode(row["cells"].get("step"))).value
            if step is None or int(step) not in log_rows:
                continue
            for column, key in keys.items():
                moved[(log["sheet"], cell_address(row["row"], column))] = (L.LOG_SHEET, log_rows[int(step)], key)
            for key in ("start", "end", "name", "nip"):
                if row["cells"].get(key) is not None:
                    filled.log[(int(step), key)] = decode(row["cells"][key])
    return filled, moved


def _moved(issue: Issue, parsed: dict, moved: dict, layout) -> Issue:
    """The issue on the rebuilt workbook's cell holding the same value; a cell with no place
    there (a row that was not issued, a column of another layout) keeps only its sheet."""
    if not issue.sheet:
        return issue
    target = moved.get((issue.sheet, issue.cell)) if issue.cell else None
    if target is not None and target[0] == L.DATA_SHEET and target[2] not in layout.keys:
        target = None
    if target is None:
        sheet = _sheet_for(issue.sheet, parsed)
        return dataclasses.replace(issue, sheet=sheet, cell=None)
    sheet, row, key = target
    column = layout.index(key) if sheet == L.DATA_SHEET else L.log_column_index(key)
    return dataclasses.replace(issue, sheet=sheet, cell=cell_address(row, column))


def _sheet_for(name: str, parsed: dict) -> str:
    if parsed.get("data") and name == parsed["data"]["sheet"]:
        return L.DATA_SHEET
    if parsed.get("log") and name == parsed["log"]["sheet"]:
        return L.LOG_SHEET
    return name
