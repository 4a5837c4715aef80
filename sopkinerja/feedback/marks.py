"""What a feedback workbook adds to a unit's workbook: every problem cell filled and commented, the
input cells' validations put back, the ``Hasil Validasi`` sheet first; and reproducible bytes."""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict

from sopkinerja import layout as L
from sopkinerja.cells import column_letter, wrapped_lines
from sopkinerja.i18n import format_datetime
from sopkinerja.issues import ERROR, INFO, WARNING

FILLS = {ERROR: "F8CBAD", WARNING: "FFE699", INFO: "DDEBF7"}
SEVERITY_KEYS = {ERROR: "feedback.error", WARNING: "feedback.warning", INFO: "feedback.info"}


def put(cell, value):
    """Write a value a unit sent as that value: text that looks like a formula (``=HYPERLINK(...)``,
    ``+cmd|...``, ``@SUM(...)``) stays text, never a formula Excel would run."""
    cell.value = value
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"
    return cell


def cover_in_print_area(sheet, cell_ref: str) -> None:
    """Widen the sheet's print area down (and right) to a flagged cell outside it."""
    from openpyxl.utils.cell import coordinate_from_string, range_boundaries

    if not sheet.print_area:
        return
    area = sheet.print_area if isinstance(sheet.print_area, str) else sheet.print_area[0]
    area = area.split("!")[-1].replace("$", "").split(",")[0]
    min_col, min_row, max_col, max_row = range_boundaries(area)
    letter, row = coordinate_from_string(cell_ref)
    from openpyxl.utils import column_index_from_string, get_column_letter

    column = column_index_from_string(letter)
    if row > max_row or column > max_col:
        sheet.print_area = (f"{get_column_letter(min_col)}{min_row}:"
                            f"{get_column_letter(max(max_col, column))}{max(max_row, row)}")


def mark_cells(workbook, issues, msg) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    notes: dict[tuple[str, str], list] = defaultdict(list)
    for issue in issues:
        if issue.sheet and issue.cell and issue.sheet in workbook.sheetnames:
            notes[(issue.sheet, issue.cell)].append(issue)
    for (sheet_name, cell_ref), found in notes.items():
        cell = workbook[sheet_name][cell_ref]
        worst = min(found, key=lambda i: (ERROR, WARNING, INFO).index(i.severity)).severity
        cell.fill = PatternFill("solid", fgColor=FILLS[worst])
        # In the user's words: "Galat: ..." / "Error: ..." (the code stays in Hasil Validasi's Kode column).
        text = "\n".join(f"{msg(f'feedback.{i.severity}')}: {i.message(msg)}" for i in found)
        cover_in_print_area(workbook[sheet_name], cell_ref)
        comment = Comment(text[:2000], "sopkinerja")
        comment.width, comment.height = 320, 40 + 18 * (len(text) // 45 + len(found))
        cell.comment = comment


def ensure_validations(workbook, parsed: dict, msg) -> None:
    """Put back the input cells' validation where the re-saved file lost it."""
    from openpyxl.worksheet.datavalidation import DataValidation

    data = (parsed or {}).get("data")
    if not data or data["sheet"] not in workbook.sheetnames or "actual" not in data["columns"]:
        return
    sheet = workbook[data["sheet"]]
    letter_of = {key: column_letter(col) for key, col in data["columns"].items()}
    covered = " ".join(str(v.sqref) for v in sheet.data_validations.dataValidation)
    rows = [r["row"] + 1 for r in data["rows"] if r["cells"].get("row_key") or r["cells"].get("code")]
    if not rows:
        return
    for key in ("actual", "spent"):
        if key not in letter_of or f"{letter_of[key]}{rows[0]}" in covered:
            continue
        rule = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                              showInputMessage=True, showErrorMessage=True,
                              promptTitle=msg(f"workbook.input_{key}_title")[:32],
                              prompt=msg(f"workbook.input_{key}")[:255],
                              errorTitle=msg("workbook.error_title")[:32], error=msg(f"workbook.error_{key}")[:255])
        for row in rows:
            rule.add(f"{letter_of[key]}{row}")
        sheet.add_data_validation(rule)


def summary_sheet(workbook, workspace, outcome, unit, issues, msg) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    if L.FEEDBACK_SHEET in workbook.sheetnames:
        del workbook[L.FEEDBACK_SHEET]
    sheet = workbook.create_sheet(L.FEEDBACK_SHEET, 0)
    config = workspace.config
    errors = sum(i.severity == ERROR for i in issues)
    warnings = sum(i.severity == WARNING for i in issues)
    lines = [
        msg("feedback.title"),
        msg("feedback.unit", unit=unit.name, code=unit.unit),
        msg("feedback.period", label=config.period.label(config.language), code=config.period.code),
        msg("feedback.file", file=outcome.file, received=format_datetime(outcome.received_at, config.language)),
        msg("feedback.rejected" if errors else "feedback.accepted", errors=errors, warnings=warnings),
        msg("feedback.next", deadline=format_datetime(config.deadline, config.language)),
    ]
    for row, text in enumerate(lines, 1):
        sheet.cell(row=row, column=1, value=text).font = Font(bold=row in (1, 5), size=14 if row == 1 else 11)
    header_row = len(lines) + 2
    headers = [msg("feedback.col_no"), msg("feedback.col_level"), msg("feedback.col_sheet"),
               msg("feedback.col_cell"), msg("feedback.col_message"), msg("feedback.col_code")]
    for col, text in enumerate(headers, 1):
        cell = sheet.cell(row=header_row, column=col, value=text)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E78")
    for index, issue in enumerate(issues, 1):
        row = header_row + index
        values = [index, msg(SEVERITY_KEYS[issue.severity]), issue.sheet or "-", issue.cell or "-",
                  issue.message(msg), issue.code]
        for col, value in enumerate(values, 1):
            cell = put(sheet.cell(row=row, column=col), value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row=row, column=2).fill = PatternFill("solid", fgColor=FILLS[issue.severity])
    widths = (5, 12, 16, 8, 90, 24)
    for col, width in zip("ABCDEF", widths, strict=True):
        sheet.column_dimensions[col].width = width
    for index, issue in enumerate(issues, 1):  # tall enough for the wrapped message (no overlap in print)
        lines = max(wrapped_lines(issue.message(msg), widths[4]), wrapped_lines(issue.code, widths[5]))
        sheet.row_dimensions[header_row + index].height = 15 * lines + 2
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    # A4 landscape, one page wide, the header on every page, every row in the print area.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_area = f"A1:F{header_row + max(len(issues), 1)}"
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    workbook.active = 0
    for other in workbook.worksheets[1:]:
        other.sheet_view.tabSelected = False


def stable_zip(data: bytes, stamp) -> bytes:
    """The same workbook gives the same bytes.

    openpyxl stamps "now" twice: as every zip entry's time and, whatever was
    set before, as the document's modified date at save time. Both are pinned
    (to the receipt time of the unit's file).
    """
    import re

    modified = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>" + modified + rb"\g<2>", content)
            stable = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            stable.compress_type = zipfile.ZIP_DEFLATED
            stable.external_attr = info.external_attr
            target.writestr(stable, content)
    return out.getvalue()
