"""The checks of a returned workbook's data sheet (product.md §3.6): identity, structure,
pre-filled values, inputs, timeliness. Each yields Issue values and never raises on bad data."""

from __future__ import annotations

from sopkinerja import layout as L
from sopkinerja.cells import clean_text
from sopkinerja.ingest.reader import address, decode
from sopkinerja.numbers import BLANK, INVALID, parse_number
from sopkinerja.records import Value
from sopkinerja.rules import capaian, is_percentage_measure
from sopkinerja.validate.context import Context

REQUIRED_COLUMNS = ("code", "name", "measure", "target", "actual", "budget", "spent")
TEXT_KEYS = L.INPUT_TEXT_KEYS
TOLERANCE = 1e-9


def check_identity(ctx: Context):
    parsed = ctx.parsed
    if parsed.get("error"):
        extra = {"limit": parsed["limit"]} if "limit" in parsed else {}
        yield ctx.issue(parsed["error"], detail=parsed.get("detail", ""), **extra)
        return
    if len(parsed.get("ids") or ()) > 1:  # one row of another unit's id cannot hijack a sheet
        yield ctx.issue("mixed-identity", sheet=parsed.get("sheet"), ids=", ".join(parsed["ids"]))
    elif parsed.get("request_id") is None:
        yield ctx.issue("not-a-request-workbook")
    elif ctx.request is None:
        yield ctx.issue("unknown-request", request_id=parsed["request_id"])
    elif ctx.request["period"] != ctx.rules.period:
        yield ctx.issue("wrong-period", period=ctx.request["period"], expected=ctx.rules.period)
    elif ctx.newer_request:
        yield ctx.issue("outdated-request", request_id=ctx.request["request_id"], newer=ctx.newer_request)


def check_structure(ctx: Context):
    data = ctx.parsed.get("data")
    if data is None:
        yield ctx.issue("missing-sheet", sheet=L.DATA_SHEET)
        return
    sheet = data["sheet"]
    for key in REQUIRED_COLUMNS:
        if key not in data["columns"]:
            yield ctx.issue("missing-column", sheet=sheet, column=L.LABELS[key])
    if "code" not in data["columns"] and "row_key" not in data["columns"]:
        return
    known = {code.upper(): code for code in ctx.issued}
    for row in data["rows"]:
        cells = row["cells"]
        key = clean_text(decode(cells.get("row_key")) or decode(cells.get("code")))
        code = known.get(key.upper())
        has_input = any(cells.get(k) is not None for k in ("actual", "spent"))
        if code is None:
            if has_input or (cells.get("row_key") is not None):
                cell = address(data, row["row"], "code")
                yield ctx.issue("unexpected-indicator", sheet=sheet, cell=cell, code=key or "-")
            continue
        if code in ctx.rows:
            yield ctx.issue("unexpected-indicator", sheet=sheet, cell=address(data, row["row"], "code"),
                            code=code)
            continue
        ctx.rows[code] = row
    for code, prefilled in ctx.issued.items():
        if code not in ctx.rows:
            yield ctx.issue("missing-indicator", sheet=sheet, code=code, name=prefilled["name"][:120])


def is_filled(ctx: Context) -> bool:
    """Whether any input of an issued indicator row holds something (product.md §3.5 ``not-filled``)."""
    formulas = ctx.parsed.get("formula_cells") or {}
    data = ctx.parsed.get("data")
    inputs = (*L.INPUT_NUMBER_KEYS, *L.INPUT_TEXT_KEYS)
    return any(row["cells"].get(key) is not None or address(data, row["row"], key) in formulas
               for row in ctx.rows.values() for key in inputs)


def check_prefilled(ctx: Context):
    """Tamper check against the ledger, never against anything inside the file (product.md §3.4)."""
    data = ctx.parsed.get("data")
    for code, row in ctx.rows.items():
        issued = ctx.issued[code]
        for key in L.PREFILLED_KEYS:
            if key not in data["columns"]:
                continue
            found = decode(row["cells"].get(key))
            if not _same(found, issued[key]):
                yield ctx.issue("prefilled-changed", sheet=data["sheet"], cell=address(data, row["row"], key),
                                column=L.LABELS[key], value=_show(found), original=_show(issued[key]))


def _same(found: object, issued: object) -> bool:
    if isinstance(issued, (int, float)) and not isinstance(issued, bool):
        number = parse_number(found).value
        return number is not None and abs(number - issued) <= TOLERANCE * max(1.0, abs(issued))
    if issued is None:
        return found is None or clean_text(found) == ""
    return clean_text(found) == clean_text(issued)


def _show(value: object) -> str:
    from sopkinerja.numbers import format_number

    if value is None or value == "":
        return "(kosong)"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(float(value))
    return clean_text(value)[:200]


def check_values(ctx: Context):
    data = ctx.parsed.get("data")
    percent_cells = set(ctx.parsed.get("percent_cells") or ())
    for code, row in ctx.rows.items():
        issued = ctx.issued[code]
        actual = yield from _number(ctx, data, row, code, "actual", issued, percent_cells)
        if issued["budget"] is not None and "spent" in data["columns"]:
            spent = yield from _number(ctx, data, row, code, "spent", issued, percent_cells)
            if spent is not None and spent > issued["budget"] + TOLERANCE:
                yield ctx.issue("over-budget", sheet=data["sheet"], cell=address(data, row["row"], "spent"),
                                value=spent, budget=float(issued["budget"]))
        for key in TEXT_KEYS:
            text = clean_text(decode(row["cells"].get(key)))
            if text:  # kept whole, however long: the limit is the request workbook's own validation
                cell = address(data, row["row"], key)
                ctx.values.append(Value(code, key, text=text, cell=cell))
                if len(text) > L.TEXT_MAX_LENGTH[key]:
                    yield ctx.issue("text-too-long", sheet=data["sheet"], cell=cell, column=L.LABELS[key], code=code,
                                    length=len(text), limit=L.TEXT_MAX_LENGTH[key])
        if actual is not None:
            yield from _achievement(ctx, data, row, code, actual, issued)


def _number(ctx, data, row, code, key, issued, percent_cells):
    raw = decode(row["cells"].get(key))
    where = {"sheet": data["sheet"], "cell": address(data, row["row"], key)}
    column = L.LABELS[key]
    parsed = parse_number(raw, ctx.rules.locale)
    formula = (ctx.parsed.get("formula_cells") or {}).get(where["cell"])
    if parsed.kind == BLANK and formula is not None:  # calamine reads both as empty (field-notes.md)
        if formula:
            yield ctx.issue("formula-error", **where, column=column, code=code, value=formula)
        else:
            yield ctx.issue("formula-no-value", **where, column=column, code=code)
        return None
    if parsed.kind == BLANK:
        yield ctx.issue("missing-value", **where, column=column, code=code)
        return None
    if parsed.kind == INVALID:
        yield ctx.issue("not-a-number", **where, column=column, value=clean_text(raw)[:100], code=code)
        return None
    value = parsed.value
    percentage = key == "actual" and is_percentage_measure(issued["measure"])
    if percentage and where["cell"] in percent_cells:
        value = value * 100  # "90%" typed into a number cell is stored as 0.9
    elif percentage and 0 < value < 1:  # 0,55: meant 0.55 % or 55 %?
        yield ctx.issue("ambiguous-percent", **where, column=column, code=code, value=value,
                        percent=round(value * 100, 6))
    if parsed.ambiguous:
        yield ctx.issue("ambiguous-number", **where, column=column, value=parsed.original,
                        read=value, other=parsed.alternative)
    if value < 0:
        yield ctx.issue("negative-value", **where, column=column, value=value)
        return None  # an unusable value: no capaian, no budget check on top of the error
    if percentage and value > 100:
        yield ctx.issue("out-of-range", **where, column=column, value=value)
        return None
    original = parsed.original
    if percentage and where["cell"] in percent_cells:
        original = f"{raw} (format %)"
    ctx.values.append(Value(code, key, number=value, original=original, cell=where["cell"]))
    return value


def _achievement(ctx, data, row, code, actual, issued):
    value = capaian(actual, issued["target"], issued["polarity"])
    low, high = ctx.rules.extreme
    if value is not None and (value > high or value < low):
        yield ctx.issue("extreme-achievement", sheet=data["sheet"], cell=address(data, row["row"], "actual"),
                        capaian=round(value, 2), code=code)


def check_timeliness(ctx: Context):
    if ctx.received_at > ctx.rules.deadline:
        from sopkinerja.i18n import format_datetime

        received = ctx.received_at.astimezone(ctx.rules.deadline.tzinfo)
        yield ctx.issue("late-submission", received=format_datetime(received),
                        deadline=format_datetime(ctx.rules.deadline))
