"""The ``Data Kinerja`` sheet of a request workbook (product.md §3.4), written with xlsxwriter.

Title block, header, headings in DPA order (program, kegiatan), each sub
kegiatan's budget on its own row, the indicators with one column per earlier
round of the year (locked where the ledger holds the unit's accepted value,
an input where it does not), this round's Realisasi, the year so far and the
capaian as live formulas by ``metode``, and under the table the four
unit-level texts of the E.81 footer.
"""

from __future__ import annotations

from datetime import datetime

from sopkinerja import layout as L
from sopkinerja.cells import cell_address, column_letter
from sopkinerja.generate.spec import RequestSpec, SheetRow, clip
from sopkinerja.models import Period


def data_sheet(sheet, spec: RequestSpec, f: dict, msg, filled: dict) -> int:
    """Write the sheet; return its last row (for the print area)."""
    layout = L.layout_for(Period.parse(spec.period_code))
    _plain_formulas(sheet)
    for index, column in enumerate(layout.columns):
        sheet.set_column(index, index, column.width, None, {"hidden": column.kind == "hidden"})
    _title_block(sheet, spec, f, msg)
    for index, column in enumerate(layout.columns):
        sheet.write_string(L.HEADER_ROW, index, column.label, f["header"])
    sheet.set_row(L.HEADER_ROW, 45)
    inputs: dict[str, list[tuple[int, SheetRow]]] = {"indicator": [], "budget": []}
    row = L.FIRST_DATA_ROW
    for item in spec.rows:
        if item.kind == "group":
            _group_row(sheet, row, item, f, layout)
        elif item.kind == "budget":
            _budget_row(sheet, row, item, spec.request_id, f, filled, layout)
            inputs["budget"].append((row, item))
        else:
            _indicator_row(sheet, row, item, spec.request_id, f, filled, layout)
            inputs["indicator"].append((row, item))
        row += 1
    if not spec.rows:
        sheet.merge_range(row, 0, row, layout.last_visible, msg("workbook.no_indicators"), f["text"])
        row += 1
    _validations(sheet, inputs, f, msg, layout)
    row = _footer(sheet, row + 1, f, msg, filled, layout)  # (footer_positions says where)
    sheet.freeze_panes(L.FIRST_DATA_ROW, layout.index("measure"))
    sheet.protect("", {"format_columns": True, "format_rows": True})
    sheet.activate()
    first_input = L.FIRST_DATA_ROW + next((i for i, r in enumerate(spec.rows) if r.kind == "indicator"), 0)
    sheet.set_selection(first_input, layout.index("actual"), first_input, layout.index("actual"))
    return row


def _plain_formulas(sheet) -> None:
    """Skip xlsxwriter's per-formula expansion of Excel "future functions".

    It runs ~30 regular expressions on every formula (measured: ~70 ms of a
    500-row workbook). Our formulas use only IF, AND, ISNUMBER, COUNT, SUM,
    AVERAGE and ROUND, which need no expansion, so the formula is stored as
    written. Guarded: if a future xlsxwriter drops the hook, the normal path
    is used (tests/test_dependencies.py fails first).
    """
    if hasattr(sheet, "_prepare_formula"):
        sheet._prepare_formula = lambda formula, expand_future_functions=False: formula.lstrip("=")


def _title_block(sheet, spec: RequestSpec, f: dict, msg) -> None:
    from sopkinerja.i18n import format_datetime

    name, position, email, phone = spec.contact
    contact = ", ".join(part for part in (f"{name} ({position})" if position else name, email, phone) if part)
    lines = [
        (msg("workbook.title"), f["title"]),
        (f"{spec.agency_name} {spec.agency_region}".strip(), f["subtitle"]),
        (msg("workbook.unit_line", unit=spec.unit_name, code=spec.unit_code), None),
        (msg("workbook.period_line", label=spec.period_label, code=spec.period_code), None),
        (msg("workbook.deadline_line", deadline=format_datetime(spec.deadline, spec.language)), f["subtitle"]),
        (msg("workbook.contact_line", contact=contact or "-"), None),
        (msg("workbook.hint_line"), f["note"]),
    ]
    for row, (text, fmt) in enumerate(lines):
        sheet.write_string(row, 0, text, fmt)


def _group_row(sheet, row: int, item: SheetRow, f: dict, layout) -> None:
    """A program or kegiatan heading (its pagu, the sum of its sub kegiatan, shown)."""
    fmt = f[f"group{min(max(item.level, 1), 3)}"]
    budget = layout.index("budget")
    sheet.write_blank(row, 0, None, fmt)
    sheet.merge_range(row, 1, row, budget - 1, clip(item.text), fmt)
    amount = item.values.get("budget")
    if amount is None:
        sheet.write_blank(row, budget, None, fmt)
    else:
        sheet.write_number(row, budget, amount, f[f"group_rp{min(max(item.level, 1), 3)}"])
    for column in range(budget + 1, layout.last_visible + 1):
        sheet.write_blank(row, column, None, fmt)
    sheet.set_row(row, row_height(item.text, 110))


def _budget_row(sheet, row: int, item: SheetRow, request_id: str, f: dict, filled: dict, layout) -> None:
    """A sub kegiatan: its pagu, the earlier rounds' spending, this round's spending (input)."""
    v, col = item.values, layout.index
    key = v["key"]
    sheet.write_blank(row, 0, None, f["group3"])
    sheet.merge_range(row, 1, row, layout.index("target"), clip(item.text), f["group3"])
    for period, column_key in layout.earlier:
        value = v["before"].get(period.code)
        if value is None:
            write_input(sheet, row, col(column_key), filled.get((key, column_key)), f["in_rupiah"])
        else:
            sheet.write_number(row, col(column_key), value, f["rupiah_group"])
    sheet.write_blank(row, col("actual"), None, f["group3"])
    sheet.write_formula(row, col("cumulative"), _spent_so_far(row, layout), f["rupiah_group"], "")
    sheet.write_formula(row, col("achievement"), _serapan(row, layout), f["percent"], "")
    sheet.write_number(row, col("budget"), v["budget"], f["rupiah_group"])
    write_input(sheet, row, col("spent"), filled.get((key, "spent")), f["in_rupiah"])
    for column in L.INPUT_TEXT_KEYS:
        sheet.write_blank(row, col(column), None, f["group3"])
    sheet.write_string(row, col("row_key"), key, f["hidden"])
    sheet.write_string(row, col("request_id"), request_id, f["hidden"])
    sheet.set_row(row, row_height(item.text, 110))


def _indicator_row(sheet, row: int, item: SheetRow, request_id: str, f: dict, filled: dict, layout) -> None:
    v, col = item.values, layout.index
    code = v["code"]
    sheet.write_number(row, col("no"), item.number, f["center"])
    sheet.write_string(row, col("code"), code, f["text"])
    sheet.write_string(row, col("name"), clip(v["name"]), f["text"])
    sheet.write_string(row, col("measure"), v["measure"], f["center"])
    sheet.write_string(row, col("polarity"), v["polarity"], f["center"])
    sheet.write_string(row, col("method"), v["method_label"], f["text"])
    _number_or_blank(sheet, row, col("annual"), v["annual"], f)
    _number_or_blank(sheet, row, col("target"), v["target"], f)
    for period, column_key in layout.earlier:
        value = v["before"].get(period.code)
        if value is not None:
            _number_or_blank(sheet, row, col(column_key), value, f)
        elif v["due_before"].get(period.code, True):  # missed or before the tool: asked for now
            write_input(sheet, row, col(column_key), filled.get((code, column_key)), f["in_number"])
        else:
            sheet.write_blank(row, col(column_key), None, f["blocked"])
    write_input(sheet, row, col("actual"), filled.get((code, "actual")), f["in_number" if v["due"] else "in_optional"])
    sheet.write_formula(row, col("cumulative"), so_far_formula(row, v["method"], layout, v["due"]),
                        f["decimal_formula"], "")
    sheet.write_formula(row, col("achievement"), achievement_formula(row, v["polarity"], layout), f["percent"], "")
    sheet.write_blank(row, col("budget"), None, f["blocked"])
    sheet.write_blank(row, col("spent"), None, f["blocked"])
    for key in L.INPUT_TEXT_KEYS:
        write_input(sheet, row, col(key), filled.get((code, key)), f["in_text"])
    sheet.write_string(row, col("row_key"), code, f["hidden"])
    sheet.write_string(row, col("request_id"), request_id, f["hidden"])
    lines = max(_lines(v["name"], 46), sum(_lines(part, 22) for part in v["method_label"].split("\n")))
    if lines > 1:  # only wrapped texts need a taller row
        sheet.set_row(row, min(15 * lines, 409))


def footer_positions(spec: RequestSpec) -> dict[str, int]:
    """Footer key -> its zero-based row (the text sits in the ``measure`` column onwards)."""
    title = L.FIRST_DATA_ROW + max(len(spec.rows), 1) + 1
    return {key: title + offset for offset, (key, _) in enumerate(L.FOOTER, 1)}


def _footer(sheet, row: int, f: dict, msg, filled: dict, layout) -> int:
    """The four unit-level texts of the E.81 footer: a label, and an input across the sheet."""
    sheet.write_string(row, 1, msg("workbook.footer_title"), f["subtitle"])
    first_input, last = layout.index("measure"), layout.last_visible
    for offset, (key, label) in enumerate(L.FOOTER, 1):
        current = row + offset
        sheet.merge_range(current, 1, current, first_input - 1, label, f["footer_label"])
        value = filled.get(("", key))
        sheet.merge_range(current, first_input, current, last, "", f["in_text"])
        if value not in (None, ""):
            sheet.write_string(current, first_input, clip(str(value)), f["in_text"])
        sheet.set_row(current, 48)
    sheet.data_validation(row + 1, first_input, row + len(L.FOOTER), first_input, {
        "validate": "length", "criteria": "<=", "value": L.FOOTER_LIMIT,
        **prompts(msg, "footer", limit=L.FOOTER_LIMIT)})
    return row + len(L.FOOTER) + 1


def write_input(sheet, row: int, column: int, value, fmt) -> None:
    """An input cell: blank in a request, the unit's own value in a rebuilt feedback workbook —
    a number as a number, a date as a date, anything else as text (never a formula)."""
    if value is None or value == "":
        sheet.write_blank(row, column, None, fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value, fmt)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, column, value, fmt)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, column, value.replace(tzinfo=None), fmt)
    else:
        sheet.write_string(row, column, clip(str(value)), fmt)


def _number_or_blank(sheet, row: int, column: int, value: float | None, f: dict) -> None:
    if value is None:
        sheet.write_blank(row, column, None, f["text"])
    else:
        sheet.write_number(row, column, value, f["integer" if float(value).is_integer() else "decimal"])


def _run(row: int, layout) -> str:
    """The cells of the year's rounds on a row: the earlier rounds' columns through Realisasi."""
    first = layout.index(layout.earlier[0][1]) if layout.earlier else layout.index("actual")
    return f"{cell_address(row, first)}:{cell_address(row, layout.index('actual'))}"


def so_far_formula(row: int, method: str, layout, due: bool = True) -> str:
    """The year so far as the unit types (``rules.year_so_far``'s twin): the sum, the latest or
    the mean of the rounds' values. While a due Realisasi is blank it stays blank, as the recap
    leaves it; an indicator not due this round carries its year on from the rounds before."""
    cells = _run(row, layout)
    if method == "kumulatif":
        formula = f'IF(COUNT({cells})=0,"",SUM({cells}))'
    elif method == "rata_rata":
        formula = f'IF(COUNT({cells})=0,"",AVERAGE({cells}))'
    else:
        formula = '""'
        for key in [*(k for _, k in layout.earlier), "actual"]:  # oldest wraps innermost
            cell = cell_address(row, layout.index(key))
            formula = f"IF(ISNUMBER({cell}),{cell},{formula})"
    if due:
        actual = cell_address(row, layout.index("actual"))
        formula = f'IF(ISNUMBER({actual}),{formula},"")'
    return f"={formula}"


def achievement_formula(row: int, polarity: str, layout) -> str:
    """Live capaian of the year so far against the round's target (``rules.capaian``'s twin):
    rounded to 2 decimals; lower is better (2T-R)/T*100, and with target 0, 100 for 0."""
    so_far = cell_address(row, layout.index("cumulative"))
    target = cell_address(row, layout.index("target"))
    known = f"ISNUMBER({so_far}),ISNUMBER({target})"
    if polarity == "-":
        return (f'=IF(AND({known}),IF({target}=0,IF({so_far}<=0,100,0),'
                f'ROUND((2*{target}-{so_far})/{target}*100,2)),"")')
    return f'=IF(AND({known},{target}<>0),ROUND({so_far}/{target}*100,2),"")'


def _spent_so_far(row: int, layout) -> str:
    spent = cell_address(row, layout.index("spent"))
    earlier = [cell_address(row, layout.index(k)) for _, k in layout.earlier]
    return f'=IF(ISNUMBER({spent}),SUM({",".join([*earlier, spent])}),"")'


def _serapan(row: int, layout) -> str:
    so_far = cell_address(row, layout.index("cumulative"))
    budget = cell_address(row, layout.index("budget"))
    return f'=IF(AND(ISNUMBER({so_far}),ISNUMBER({budget}),{budget}<>0),ROUND({so_far}/{budget}*100,2),"")'


def _lines(text: str, width_chars: int) -> int:
    return max(1, -(-len(text) // width_chars))


def row_height(text: str, width_chars: int) -> float:
    return min(15 * _lines(text, width_chars), 409)  # Excel's maximum row height


def _ranges(rows: list[int], column: int) -> str:
    """Contiguous runs of rows as an Excel multi-range, e.g. ``G10:G12 G14:G20``."""
    runs: list[list[int]] = []
    for row in rows:
        if runs and row == runs[-1][1] + 1:
            runs[-1][1] = row
        else:
            runs.append([row, row])
    letter = column_letter(column)
    return " ".join(f"{letter}{a + 1}:{letter}{b + 1}" for a, b in runs)


def _validations(sheet, inputs: dict, f: dict, msg, layout) -> None:
    """Data validation and prompts on every input; a realisasi within its indicator's range."""
    col = layout.index
    indicators, budgets = inputs["indicator"], inputs["budget"]
    by_range: dict[tuple, list[int]] = {}
    for row, item in indicators:
        by_range.setdefault((item.values["min"], item.values["max"]), []).append(row)
    for (low, high), rows in sorted(by_range.items(), key=lambda kv: kv[1][0]):
        rule = _range_rule(low, high)
        texts = prompts(msg, "actual", range=_range_text(low, high, msg))
        for key in ("actual", *(k for _, k in layout.earlier)):
            _validate(sheet, rows, col(key), {**rule, **texts})
    rupiah = {"validate": "decimal", "criteria": ">=", "value": 0, "error_type": "stop", **prompts(msg, "spent")}
    budget_rows = [r for r, _ in budgets]
    for key in ("spent", *(k for _, k in layout.earlier)):
        _validate(sheet, budget_rows, col(key), rupiah)
    rows = [r for r, _ in indicators]
    for key in L.INPUT_TEXT_KEYS:
        rule = {"validate": "length", "criteria": "<=", "value": L.TEXT_MAX_LENGTH[key]}
        _validate(sheet, rows, col(key), {**rule, **prompts(msg, "text", limit=L.TEXT_MAX_LENGTH[key])})
    for row in budget_rows:  # spending so far above the pagu turns red while the unit types
        so_far, budget = cell_address(row, col("cumulative")), cell_address(row, col("budget"))
        sheet.conditional_format(row, col("spent"), row, col("spent"), {
            "type": "formula", "criteria": f"=AND(ISNUMBER({so_far}),{so_far}>{budget})", "format": f["bad"]})


def _range_rule(low: float | None, high: float | None) -> dict:
    low, high = _plain(low), _plain(high)
    if high is None:
        return {"validate": "decimal", "criteria": ">=", "value": low, "error_type": "stop"}
    return {"validate": "decimal", "criteria": "between", "minimum": low, "maximum": high, "error_type": "stop"}


def _plain(value: float | None):
    """A whole number as an int, so the rule reads ``0``, not ``0.0``, in every office suite."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _range_text(low: float | None, high: float | None, msg) -> str:
    from sopkinerja.numbers import format_number

    if high is None:
        return msg("workbook.range_from", low=format_number(low))
    return msg("workbook.range_between", low=format_number(low), high=format_number(high))


def _validate(sheet, rows: list[int], column: int, options: dict) -> None:
    if not rows:
        return
    first = rows[0]
    sheet.data_validation(first, column, first, column, {**options, "multi_range": _ranges(rows, column)})


def prompts(msg, which: str, **params) -> dict:
    return {
        "input_title": msg(f"workbook.input_{which}_title")[:32],
        "input_message": msg(f"workbook.input_{which}", **params)[:255],
        "error_title": msg("workbook.error_title")[:32],
        "error_message": msg(f"workbook.error_{which}", **params)[:255],
    }
