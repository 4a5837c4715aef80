"""The recap workbook (product.md §3.7), written with xlsxwriter: native charts, Indonesian formats.

No value that came from a unit's file is written as a formula: every cell is
written with an explicit type (write_string / write_number), so a unit's text
such as ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import math
from pathlib import Path

from sopkinerja.cells import wrapped_lines
from sopkinerja.consolidate import Recap
from sopkinerja.report.rows import TABLE_COLUMNS, TABLE_FORMATS, Placement, UnitPieces
from sopkinerja.report.splice import Column, Splice, splice
from sopkinerja.rules import KATEGORI

MAX_UNIT_SHEETS = 100  # beyond this the agency table and the CSV carry the detail
TABLE_TOP = 2  # the indicator tables' header row (0-based); rows start below it
BAND_FILL = {"Sangat Tinggi": "#C6EFCE", "Tinggi": "#E2EFDA", "Sedang": "#FFF2CC", "Rendah": "#FCE4D6",
             "Sangat Rendah": "#F8CBAD"}


def write_placeholder(path: Path, recap: Recap, view, sop, messages, created, timing=None
                      ) -> tuple[list[Placement], list[Column]]:
    """The workbook with its indicator tables' title, header and settings only.

    Returns where each table's rows go and the style of each column; the rows
    themselves (``report.rows``) are spliced in by ``splice_tables``.
    """
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                               "strings_to_urls": False, "nan_inf_to_errors": False})
    # The run's time, not the wall clock: the same inputs give the same bytes.
    workbook.set_properties({"title": view.title, "author": "sopkinerja", "company": view.agency,
                             "created": created})
    f = _formats(workbook)
    summary = workbook.add_worksheet(messages("recap.sheet_summary"))
    _summary(workbook, summary, recap, view, f, messages)
    counts = recap.table["kode_unit"].value_counts().to_dict()
    order = list(dict.fromkeys(recap.table["kode_unit"].tolist()))
    tables = [(messages("recap.sheet_agency"), view.title, order)]
    taken = {messages(f"recap.{key}") for key in ("sheet_summary", "sheet_agency", "sheet_analysis",
                                                  "sheet_completeness", "sheet_issues", "sheet_timing")}
    tables += [(_sheet_name(u.code, taken), f"{u.code} {u.name}", [u.code]) for u in recap.units[:MAX_UNIT_SHEETS]]
    placements = []
    for name, title, codes in tables:
        sheet = workbook.add_worksheet(name)
        _indicator_table(sheet, sum(counts.get(c, 0) for c in codes), f, messages, title)
        placements.append(Placement(f"xl/worksheets/sheet{len(workbook.worksheets())}.xml", tuple(codes)))
    _analysis(workbook.add_worksheet(messages("recap.sheet_analysis")), recap, view, f, messages)
    _completeness(workbook.add_worksheet(messages("recap.sheet_completeness")), recap, view, f, messages)
    _issues(workbook.add_worksheet(messages("recap.sheet_issues")), view, f, messages)
    _steps(workbook.add_worksheet(messages("recap.sheet_timing")), view, sop, timing, f, messages)
    workbook.close()
    return placements, _layout(f)


def splice_tables(path: Path, placements: list[Placement], pieces: dict[str, UnitPieces]) -> None:
    """Put each unit's row blocks into the tables ``write_placeholder`` left empty."""
    splices = []
    for placement in placements:
        first, blocks = TABLE_TOP + 2, []
        for code in (c for c in placement.codes if c in pieces):
            blocks.append(pieces[code].blocks[first])
            first += pieces[code].rows
        splices.append(Splice(placement.part, TABLE_TOP + 1, blocks, first - 1, len(TABLE_COLUMNS) - 1))
    splice(path, splices)


def _layout(f) -> list[Column]:
    # xlsxwriter gives a format its style index when a cell uses it; a format equal to an
    # earlier one shares that index, which only _get_xf_index() answers (tested: test_report).
    style = {name: fmt._get_xf_index() for name, fmt in f.items()}
    bands = {label: style[label] for label in BAND_FILL}
    return [Column("text", style["text"], style["blank"], bands if name == "kategori" else None) if fmt == "text"
            else Column("number", style[fmt], style["blank"])
            for name, fmt in zip(TABLE_COLUMNS, TABLE_FORMATS, strict=True)]


def _sheet_name(code: str, taken: set[str]) -> str:
    """A unit's sheet: its code, made valid, never one of the recap's own sheets (in its language;
    Excel compares sheet names without case)."""
    name = "".join("_" if ch in "[]:*?/\\" else ch for ch in code)[:31]
    return f"{name[:30]}_" if name.lower() in {t.lower() for t in taken} else name


def _formats(workbook) -> dict:
    border = {"border": 1, "border_color": "#BFBFBF", "valign": "top"}
    spec = {
        "title": {"bold": True, "font_size": 14}, "note": {"italic": True, "font_color": "#595959"},
        "header": {**border, "bold": True, "text_wrap": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF"},
        "text": {**border, "text_wrap": True}, "int": {**border, "num_format": "#,##0"},
        "dec": {**border, "num_format": "#,##0.00"}, "pct": {**border, "num_format": "#,##0.00"},
        "rp": {**border, "num_format": '"Rp "#,##0'}, "blank": {**border},
        "total_text": {**border, "bold": True, "bg_color": "#F2F2F2"},
        "total_int": {**border, "bold": True, "bg_color": "#F2F2F2", "num_format": "#,##0"},
        "total_pct": {**border, "bold": True, "bg_color": "#F2F2F2", "num_format": "#,##0.00"},
        "total_rp": {**border, "bold": True, "bg_color": "#F2F2F2", "num_format": '"Rp "#,##0'},
    }
    formats = {name: workbook.add_format(props) for name, props in spec.items()}
    for label, colour in BAND_FILL.items():
        formats[label] = workbook.add_format({**border, "bg_color": colour})
    return formats


def _num(sheet, row, col, value, fmt, blank) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        sheet.write_blank(row, col, None, blank)
    else:
        sheet.write_number(row, col, float(value), fmt)


def _page(sheet, header_row: int, last_col: int) -> None:
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.repeat_rows(header_row)
    sheet.freeze_panes(header_row + 1, 0)


def _fit(sheet, row: int, texts_and_widths) -> None:
    """The row tall enough for its wrapped texts (xlsxwriter cannot autofit; a long unit name or
    message otherwise runs over the next row when printed)."""
    lines = max((wrapped_lines(text, width) for text, width in texts_and_widths), default=1)
    if lines > 1:
        sheet.set_row(row, 15 * lines + 2)



def _header(sheet, row: int, labels: list[str], f) -> None:
    for col, label in enumerate(labels):
        sheet.write_string(row, col, label, f["header"])


def _summary(workbook, sheet, recap: Recap, view, f, m) -> None:
    sheet.write_string(0, 0, view.title, f["title"])
    sheet.write_string(1, 0, f"{view.agency} {view.region} - {view.period_label}", f["note"])
    sheet.write_string(2, 0, f"{m('recap.generated')}: {view.generated}", f["note"])
    labels = [m("recap.code"), m("recap.unit"), m("recap.status"), m("recap.on_time"), m("recap.indicators"),
              m("recap.filled"), m("recap.average"), m("recap.average_annual"), *KATEGORI, m("recap.budget"),
              m("recap.spent"), m("recap.absorption"), m("recap.errors"), m("recap.warnings")]
    top = 4
    _header(sheet, top, labels, f)
    sheet.set_row(top, 30)
    for index, (unit, shown) in enumerate(zip(recap.units, view.units, strict=True), top + 1):
        # Spending is known only from an accepted answer.
        _numbers_row(sheet, index, (unit.code, unit.name, shown.status, shown.on_time), unit.numbers,
                     unit.errors, unit.warnings, unit.status == "accepted", f, "")
        _fit(sheet, index, ((unit.name, 42), (shown.status, 14)))
    last = top + len(recap.units)
    _totals(sheet, last + 1, recap, f, m)
    if view.budget_note:
        sheet.write_string(last + 2, 1, view.budget_note, f["note"])
    for col, width in enumerate((10, 42, 14, 11, 10, 9, 12, 12, 9, 9, 9, 9, 9, 18, 18, 11, 8, 10)):
        sheet.set_column(col, col, width)
    _page(sheet, top, len(labels) - 1)
    if recap.units:
        _charts(workbook, sheet, top, last, m, below=last + 4)


def _totals(sheet, row: int, recap: Recap, f, m) -> None:
    _numbers_row(sheet, row, ("", m("recap.total"), "", ""), recap.total, sum(u.errors for u in recap.units),
                 sum(u.warnings for u in recap.units), True, f, "total_")


def _numbers_row(sheet, row: int, texts, n, errors: int, warnings: int, answered: bool, f, style: str) -> None:
    """One row of ``Ringkasan``: a unit's or, with style ``total_``, the agency's (a sum of Numbers)."""
    text, whole = f[f"{style}text"], f[f"{style}int"]
    blank = f["blank"] if not style else text
    for col, value in enumerate(texts):
        sheet.write_string(row, col, value, text)
    sheet.write_number(row, 4, n.indicators, whole)
    sheet.write_number(row, 5, n.filled, whole)
    _num(sheet, row, 6, n.average, f[f"{style}pct"], blank)
    _num(sheet, row, 7, n.annual_average, f[f"{style}pct"], blank)
    for offset, label in enumerate(KATEGORI):
        sheet.write_number(row, 8 + offset, n.per_kategori[label], whole)
    _num(sheet, row, 13, n.budget or None, f[f"{style}rp"], blank)
    _num(sheet, row, 14, n.spent if n.budget_known and answered else None, f[f"{style}rp"], blank)
    _num(sheet, row, 15, n.absorption if answered else None, f[f"{style}pct"], blank)
    sheet.write_number(row, 16, errors, whole)
    sheet.write_number(row, 17, warnings, whole)


def _charts(workbook, sheet, top: int, last: int, m, below: int | None = None) -> None:
    name = sheet.get_name().replace("'", "''")
    below = last + 3 if below is None else below
    average = workbook.add_chart({"type": "bar"})
    average.add_series({"name": m("recap.average"), "categories": [name, top + 1, 0, last, 0],
                        "values": [name, top + 1, 6, last, 6], "fill": {"color": "#1F4E78"},
                        "data_labels": {"value": True, "num_format": "0.0"}})
    average.set_title({"name": m("recap.chart_average")})
    average.set_legend({"none": True})
    average.set_x_axis({"min": 0})  # capaian from zero, or small differences look huge
    average.set_y_axis({"reverse": True})
    sheet.insert_chart(below, 0, average, {"x_scale": 1.4, "y_scale": 1.2})
    kategori = workbook.add_chart({"type": "bar", "subtype": "stacked"})
    for offset, label in enumerate(KATEGORI):
        kategori.add_series({"name": [name, top, 8 + offset], "categories": [name, top + 1, 0, last, 0],
                             "values": [name, top + 1, 8 + offset, last, 8 + offset],
                             "fill": {"color": BAND_FILL[label]}, "border": {"color": "#7F7F7F"}})
    kategori.set_title({"name": m("recap.chart_kategori")})
    kategori.set_y_axis({"reverse": True})
    sheet.insert_chart(below, 8, kategori, {"x_scale": 1.4, "y_scale": 1.2})


def _indicator_table(sheet, rows: int, f, m, title: str) -> None:
    """Title, header and settings of an indicator table of ``rows`` rows; the rows are spliced in later.

    One blank cell per body format sits in the first body row so xlsxwriter
    gives each format its style index; that row is replaced by the real rows.
    """
    sheet.write_string(0, 0, title, f["title"])
    labels = [m("recap.unit"), m("recap.code"), m("recap.indicator"), m("recap.measure"), "+/-", m("recap.method"),
              m("recap.annual_target"), m("recap.target"), m("recap.actual_period"), m("recap.actual_so_far"),
              m("recap.capaian"), m("recap.kategori"), m("recap.capaian_annual"), m("recap.budget"),
              m("recap.spent"), m("recap.absorption"), m("recap.previous"), m("recap.change"), m("recap.unit_status")]
    top = TABLE_TOP
    _header(sheet, top, labels, f)
    for col, fmt in enumerate(("blank", *sorted(set(TABLE_FORMATS)), *BAND_FILL)):
        sheet.write_blank(top + 1, col, None, f[fmt])
    sheet.set_row(top, 45)
    for col, width in enumerate((10, 12, 50, 11, 5, 12, 12, 12, 12, 12, 11, 14, 12, 18, 18, 11, 11, 11, 14)):
        sheet.set_column(col, col, width)
    sheet.autofilter(top, 0, top + max(rows, 1), len(labels) - 1)
    _page(sheet, top, len(labels) - 1)


ANALYSIS_WIDTHS = (12, 12, 40, 40, 40, 40, 30, 36)


def _analysis(sheet, recap: Recap, view, f, m) -> None:
    """Per indicator the units' own words (faktor pendorong, penghambat, tindak lanjut, bukti
    dukung, keterangan), then each unit's analysis under its table: the material of E.81 and LKjIP."""
    sheet.write_string(0, 0, m("recap.analysis"), f["title"])
    labels = [m("recap.unit"), m("recap.code"), m("recap.indicator"), m("recap.drivers"), m("recap.obstacles"),
              m("recap.follow_up"), m("recap.evidence"), m("recap.remarks")]
    top = 2
    _header(sheet, top, labels, f)
    row = top
    for item in view.analysis:
        row += 1
        for col, value in enumerate((item.unit, item.code, item.name, *item.texts)):
            sheet.write_string(row, col, value, f["text"])
        _fit(sheet, row, zip((item.unit, item.code, item.name, *item.texts), ANALYSIS_WIDTHS, strict=False))
    if not view.analysis:
        row += 1
        sheet.write_string(row, 0, m("recap.analysis_none"), f["note"])
    if view.analysis_note:
        row += 1
        sheet.write_string(row, 0, view.analysis_note, f["note"])
    row += 2
    sheet.write_string(row, 0, m("recap.unit_analysis"), f["title"])
    row += 1
    _header(sheet, row, [m("recap.unit"), m("recap.code"), m("recap.footer_drivers"), m("recap.footer_obstacles"),
                         m("recap.footer_next_quarter"), m("recap.footer_next_renja")], f)
    for item in view.unit_analysis:
        row += 1
        for col, value in enumerate((item.name, item.code, *item.texts)):
            sheet.write_string(row, col, value, f["text"])
        _fit(sheet, row, zip((item.name, item.code, *item.texts), ANALYSIS_WIDTHS, strict=False))
    for col, width in enumerate(ANALYSIS_WIDTHS):
        sheet.set_column(col, col, width)
    sheet.autofilter(top, 0, top + max(len(view.analysis), 1), len(labels) - 1)
    _page(sheet, top, len(labels) - 1)


def _completeness(sheet, recap: Recap, view, f, m) -> None:
    sheet.write_string(0, 0, m("recap.completeness"), f["title"])
    c = recap.completeness
    rows = [(m("recap.expected"), c.expected, "int"), (m("recap.received"), c.received, "int"),
            (m("recap.accepted"), c.accepted, "int"), (m("recap.on_time_count"), c.on_time, "int"),
            (m("recap.reporting_rate"), c.reporting_rate, "pct"), (m("recap.on_time_rate"), c.on_time_rate, "pct")]
    for index, (label, value, fmt) in enumerate(rows, 2):
        sheet.write_string(index, 0, label, f["text"])
        _num(sheet, index, 1, value, f[fmt], f["blank"])
    row = len(rows) + 3
    sheet.write_string(row, 0, m("recap.missing_units"), f["header"])
    sheet.write_string(row, 1, ", ".join(view.missing) or "-", f["text"])
    sheet.write_string(row + 1, 0, m("recap.rejected_units"), f["header"])
    sheet.write_string(row + 1, 1, ", ".join(view.rejected) or "-", f["text"])
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 80)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)


def _issues(sheet, view, f, m) -> None:
    sheet.write_string(0, 0, m("recap.issues"), f["title"])
    labels = [m("recap.level"), m("recap.unit"), m("recap.file"), m("recap.where"), m("recap.issue_code"),
              m("recap.message")]
    _header(sheet, 2, labels, f)
    for index, issue in enumerate(view.issues, 3):
        for col, value in enumerate((issue.severity, issue.unit, issue.file, issue.where, issue.code, issue.message)):
            sheet.write_string(index, col, value, f["text"])
        _fit(sheet, index, ((issue.file, 40), (issue.where, 22), (issue.code, 22), (issue.message, 90)))
    for col, width in enumerate((11, 10, 40, 22, 22, 90)):
        sheet.set_column(col, col, width)
    sheet.autofilter(2, 0, 2 + max(len(view.issues), 1), len(labels) - 1)
    _page(sheet, 2, len(labels) - 1)


def _steps(sheet, view, sop, timing, f, m) -> None:
    """Per step (agency), the whole cycle, the PermenPANRB 35/2012 form, then every step per unit."""
    sheet.write_string(0, 0, m("recap.timing"), f["title"])
    labels = [m("recap.step"), m("recap.description"), m("recap.actor"), m("recap.standard"), m("recap.scope"),
              m("recap.median"), m("recap.maximum"), m("recap.exceeded"), m("recap.unrecorded")]
    _header(sheet, 2, labels, f)
    summaries = {s.step.number: s for s in timing.steps} if timing is not None else {}
    for index, step in enumerate(sop.steps, 3):
        sheet.write_number(index, 0, step.number, f["int"])
        sheet.write_string(index, 1, step.description, f["text"])
        sheet.write_string(index, 2, step.actor, f["text"])
        _fit(sheet, index, ((step.description, 60), (step.actor, 24)))
        sheet.write_number(index, 3, step.standard_minutes, f["int"])
        sheet.write_string(index, 4, step.scope, f["text"])
        summary = summaries.get(step.number)
        if summary is not None:
            minutes = [None if v is None else round(v, 1) for v in (summary.median, summary.maximum)]
            for col, value in enumerate((*minutes, summary.exceeded, summary.unrecorded), 5):
                _num(sheet, index, col, value, f["dec"], f["blank"])
    row = 3 + len(sop.steps)
    sheet.write_string(row, 1, m("recap.total"), f["total_text"])
    sheet.write_number(row, 3, sop.total_minutes, f["total_int"])
    row += 2
    for key in ("cycle_start", "cycle_end", "cycle_working", "cycle_standard", "cycle_difference"):
        sheet.write_string(row, 1, m(f"recap.{key}"), f["text"])
        sheet.write_string(row, 2, view.cycle.get(key.replace("cycle_", ""), "-"), f["text"])
        row += 1
    row += 1
    sheet.write_string(row, 0, m("recap.monitoring"), f["title"])
    row += 1
    labels = [m("recap.step"), m("recap.description"), m("recap.good"), m("recap.note"), m("recap.action")]
    _header(sheet, row, labels, f)
    for item in view.monitoring:
        row += 1
        for col, value in enumerate((item.step, item.description, item.good, item.note, item.action)):
            sheet.write_string(row, col, value, f["text"])
        _fit(sheet, row, ((item.description, 60), (item.note, 14), (item.action, 14)))
    row += 2
    sheet.write_string(row, 0, m("recap.timing_detail"), f["title"])
    row += 1
    _header(sheet, row, [m("recap.step"), m("recap.unit"), m("recap.start"), m("recap.end"), m("recap.working"),
                         m("recap.calendar"), m("recap.standard"), m("recap.difference"), m("recap.status"),
                         m("recap.source")], f)
    for item in view.timing_rows:
        row += 1
        values = (item.step, item.unit, item.start, item.end, item.working, item.calendar, item.standard,
                  item.difference, item.status, item.source)
        for col, value in enumerate(values):
            sheet.write_string(row, col, value, f["text"])
    for col, width in enumerate((8, 60, 24, 14, 14, 14, 14, 12, 14, 10)):
        sheet.set_column(col, col, width)
    _page(sheet, 2, len(labels) - 1)

