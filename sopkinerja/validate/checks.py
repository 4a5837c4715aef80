"""The checks of a returned workbook's data sheet (product.md §3.6): identity, structure,
pre-filled values, inputs, timeliness. Each yields Issue values and never raises on bad data."""

from __future__ import annotations

import functools
import math

from sopkinerja import layout as L
from sopkinerja.cells import clean_text
from sopkinerja.ingest.reader import address, decode
from sopkinerja.layout import earlier_key
from sopkinerja.models import Period, budget_key
from sopkinerja.numbers import BLANK, INVALID, parse_number
from sopkinerja.records import Value
from sopkinerja.rules import capaian, is_percentage_measure, year_so_far
from sopkinerja.validate.context import Context

# The first template (before the year's cycle) kept budget on each indicator row.
REQUIRED_V1 = ("code", "name", "measure", "target", "actual", "budget", "spent")
PREFILLED_V1 = ("code", "name", "measure", "polarity", "target", "budget")
REQUIRED = ("code", "name", "measure", "method", "annual", "target", "actual")
TEXT_KEYS = L.INPUT_TEXT_KEYS
TOLERANCE = 1e-9


def is_budget_row(issued: dict) -> bool:
    """A sub kegiatan's budget row (keyed ``SUB …``/``IND …``), not an indicator."""
    return "code" not in issued


def _first_template(ctx: Context) -> bool:
    return bool(ctx.request) and ctx.request.get("template_version") == "1"


def _what(code: str, issued: dict) -> dict:
    """How a message names the row: ``indikator SEK-01`` or ``sub kegiatan 5.01.01.2.01.0001``."""
    if not is_budget_row(issued):
        return {"code": code}
    name = issued.get("name") or code
    return {"code": name.split(maxsplit=1)[0] if name[:1].isdigit() else name[:80], "what_key": "issue.what_budget"}


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
    for key in _required(ctx):
        if key not in data["columns"]:
            yield ctx.issue("missing-column", sheet=sheet, column=L.LABELS[key])
    if "code" not in data["columns"] and "row_key" not in data["columns"]:
        return
    known = {code.upper(): code for code in ctx.issued}
    inputs = (*L.INPUT_NUMBER_KEYS, *L.EARLIER_KEYS)
    for row in data["rows"]:
        cells = row["cells"]
        key = clean_text(decode(cells.get("row_key")) or decode(cells.get("code")))
        code = known.get(key.upper())
        if code is None and cells.get("row_key") is None:  # a budget row that lost its hidden key
            code = known.get(budget_key(key, "").upper()) if key else None
        has_input = any(cells.get(k) is not None for k in inputs)
        if code is None:
            if has_input or (cells.get("row_key") is not None):
                cell = address(data, row["row"], "code")
                yield ctx.issue("unexpected-indicator", sheet=sheet, cell=cell, code=key[:80] or "-")
            continue
        if code in ctx.rows:
            yield ctx.issue("unexpected-indicator", sheet=sheet, cell=address(data, row["row"], "code"),
                            code=code)
            continue
        ctx.rows[code] = row
    for code, prefilled in ctx.issued.items():
        if code not in ctx.rows:
            name = prefilled["name"][:120]
            yield ctx.issue("missing-indicator", sheet=sheet, code=_what(code, prefilled)["code"], name=name)


def _required(ctx: Context) -> tuple[str, ...]:
    if _first_template(ctx):
        return REQUIRED_V1
    layout = L.layout_for(Period.parse(ctx.rules.period))
    budget = ("budget", "spent") if any(is_budget_row(v) for v in ctx.issued.values()) else ()
    return (*REQUIRED, *(key for _, key in layout.earlier), *budget)


def is_filled(ctx: Context) -> bool:
    """Whether any input of an issued row, or the footer, holds something (product.md §3.5 ``not-filled``)."""
    formulas = ctx.parsed.get("formula_cells") or {}
    data = ctx.parsed.get("data")
    inputs = (*L.INPUT_NUMBER_KEYS, *L.INPUT_TEXT_KEYS, *L.EARLIER_KEYS)
    if any(clean_text(decode(entry.get("text"))) for entry in (ctx.parsed.get("footer") or {}).values()):
        return True
    return any(row["cells"].get(key) is not None or address(data, row["row"], key) in formulas
               for row in ctx.rows.values() for key in inputs if key in data["columns"])


def check_prefilled(ctx: Context):
    """Tamper check against the ledger, never against anything inside the file (product.md §3.4)."""
    data = ctx.parsed.get("data")
    first = _first_template(ctx)
    for code, row in ctx.rows.items():
        issued = ctx.issued[code]
        for key, expected in _locked(issued, first):
            if key not in data["columns"]:
                continue
            found = row["cells"].get(key)
            if type(found) is dict:  # a tagged date (reader.encode): nearly every cell is not
                found = decode(found)
            if type(found) is type(expected) and found == expected:
                continue  # as issued (nearly every cell): the same however it is compared
            if not _same(found, expected):
                yield ctx.issue("prefilled-changed", sheet=data["sheet"], cell=address(data, row["row"], key),
                                column=L.LABELS[key], value=_show(found), original=_show(expected))


def _locked(issued: dict, first_template: bool) -> list[tuple[str, object]]:
    """(column key, the value issued) of a row's locked cells."""
    if first_template:
        return [(key, issued[key]) for key in PREFILLED_V1 if key in issued]
    earlier = [(_earlier_column(p), value) for p, value in issued["before"].items() if value is not None]
    if is_budget_row(issued):
        return [("budget", issued["budget"]), *earlier]
    return [("code", issued["code"]), ("name", issued["name"]), ("measure", issued["measure"]),
            ("polarity", issued["polarity"]), ("method", issued["method_label"]), ("annual", issued["annual"]),
            ("target", issued["target"]), *earlier]


@functools.lru_cache(maxsize=64)
def _earlier_column(period: str) -> str:
    """An earlier round's column key (a return's 500 rows each name the same few rounds)."""
    return earlier_key(Period.parse(period))


def _same(found: object, issued: object) -> bool:
    if isinstance(issued, (int, float)) and not isinstance(issued, bool):
        number = found if type(found) is float and math.isfinite(found) else parse_number(found).value
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
    first = _first_template(ctx)
    for code, row in ctx.rows.items():
        issued = ctx.issued[code]
        if is_budget_row(issued):
            yield from _budget_values(ctx, data, row, code, issued)
        elif first:
            yield from _first_template_values(ctx, data, row, code, issued)
        else:
            yield from _indicator_values(ctx, data, row, code, issued)
    yield from _footer_values(ctx, data)


def _indicator_values(ctx: Context, data, row, code, issued):
    """The earlier rounds' open cells, this round's realisasi (blank allowed when not due, or with
    a reason in Keterangan), the texts, and the plausibility of the year so far's capaian."""
    note = yield from _texts(ctx, data, row, code)
    series = []
    for earlier, key in L.layout_for(Period.parse(ctx.rules.period)).earlier:
        given = issued["before"].get(earlier.code)
        if given is None and key in data["columns"] and row["cells"].get(key) is not None:
            given = yield from _number(ctx, data, row, code, key, issued, field=f"actual@{earlier.code}")
        series.append(given)
    required = "blank" if issued["due"] and not note else "not-due" if not issued["due"] else "reason"
    actual = yield from _number(ctx, data, row, code, "actual", issued, blank=required, reason=note)
    if actual is not None:
        series.append(actual)
        yield from _achievement(ctx, data, row, code, year_so_far(issued["method"], series), issued)


def _first_template_values(ctx: Context, data, row, code, issued):
    """A return of the first template (budget on the indicator row)."""
    actual = yield from _number(ctx, data, row, code, "actual", issued)
    if issued["budget"] is not None and "spent" in data["columns"]:
        spent = yield from _number(ctx, data, row, code, "spent", issued)
        if spent is not None and spent > issued["budget"] + TOLERANCE:
            yield ctx.issue("over-budget", sheet=data["sheet"], cell=address(data, row["row"], "spent"),
                            value=spent, budget=float(issued["budget"]))
    yield from _texts(ctx, data, row, code)
    if actual is not None:
        yield from _achievement(ctx, data, row, code, actual, issued)


def _budget_values(ctx: Context, data, row, key, issued):
    """A sub kegiatan's spending: this round's (required), the earlier rounds' open cells, and the
    year so far within the pagu that counts (pagu perubahan when given)."""
    so_far = 0.0
    for earlier, column in L.layout_for(Period.parse(ctx.rules.period)).earlier:
        given = issued["before"].get(earlier.code)
        if given is None and column in data["columns"] and row["cells"].get(column) is not None:
            given = yield from _number(ctx, data, row, key, column, issued, field=f"spent@{earlier.code}")
        so_far += given or 0.0
    if "spent" not in data["columns"]:
        return
    spent = yield from _number(ctx, data, row, key, "spent", issued)
    budget = issued.get("budget")
    if spent is not None and budget is not None and so_far + spent > budget + TOLERANCE * max(1.0, budget):
        yield ctx.issue("over-budget", sheet=data["sheet"], cell=address(data, row["row"], "spent"),
                        value=so_far + spent, budget=float(budget))


def _texts(ctx: Context, data, row, code):
    """The row's texts, kept whole however long (the limit is the workbook's own validation);
    returns the Keterangan."""
    note = ""
    for key in TEXT_KEYS:
        if key not in data["columns"]:
            continue
        text = clean_text(decode(row["cells"].get(key)))
        if text:
            cell = address(data, row["row"], key)
            ctx.values.append(Value(code, key, text=text, cell=cell))
            if len(text) > L.TEXT_MAX_LENGTH[key]:
                yield ctx.issue("text-too-long", sheet=data["sheet"], cell=cell, column=L.LABELS[key], code=code,
                                length=len(text), limit=L.TEXT_MAX_LENGTH[key])
            if key == "note":
                note = text
    return note


def _footer_values(ctx: Context, data):
    """The unit-level texts under the table (the E.81 footer), kept as the unit's own words."""
    for key, label in L.FOOTER:
        entry = (ctx.parsed.get("footer") or {}).get(key)
        text = clean_text(decode(entry.get("text"))) if entry else ""
        if not text:
            continue
        ctx.values.append(Value("", key, text=text, cell=entry.get("cell")))
        if len(text) > L.FOOTER_LIMIT:
            yield ctx.issue("text-too-long", sheet=data["sheet"], cell=entry.get("cell"), column=label, code="-",
                            length=len(text), limit=L.FOOTER_LIMIT)


def _range(key: str, issued: dict) -> tuple[float | None, float | None]:
    """The values allowed: the indicator's own (``nilai_min``/``nilai_maks``), 0-100 for a percentage
    of a first-template return, rupiah 0 or more."""
    if key == "spent" or key.startswith("before_") and is_budget_row(issued):
        return 0.0, None
    if "min" in issued:
        return issued["min"], issued["max"]
    return 0.0, 100.0 if is_percentage_measure(issued["measure"]) else None


def _number(ctx, data, row, code, key, issued, field: str | None = None, blank: str = "blank", reason: str = ""):
    """Read one numeric input; the value is kept (as ``field``, default the column's key) when it
    can be used. ``blank``: "blank" a blank is ``missing-value``; "reason" it is
    ``value-not-available`` (the unit wrote why in Keterangan); "not-due" it is fine."""
    raw = decode(row["cells"].get(key))
    where = {"sheet": data["sheet"], "cell": address(data, row["row"], key)}
    column = L.LABELS[key]
    what = _what(code, issued)
    parsed = parse_number(raw, ctx.rules.locale)
    formula = (ctx.parsed.get("formula_cells") or {}).get(where["cell"])
    if parsed.kind == BLANK and formula is not None:  # calamine reads both as empty (field-notes.md)
        if formula:
            yield ctx.issue("formula-error", **where, column=column, **what, value=formula)
        else:
            yield ctx.issue("formula-no-value", **where, column=column, **what)
        return None
    if parsed.kind == BLANK:
        if blank == "reason":
            yield ctx.issue("value-not-available", **where, column=column, **what, reason=reason[:200])
        elif blank == "blank":
            yield ctx.issue("missing-value", **where, column=column, **what)
        return None
    if parsed.kind == INVALID:
        yield ctx.issue("not-a-number", **where, column=column, value=clean_text(raw)[:100], **what)
        return None
    value = parsed.value
    percent_cells = ctx.parsed.get("percent_cells") or ()
    percentage = key != "spent" and not is_budget_row(issued) and is_percentage_measure(issued["measure"])
    if percentage and where["cell"] in percent_cells:
        value = value * 100  # "90%" typed into a number cell is stored as 0.9
    elif percentage and 0 < value < 1:  # 0,55: meant 0.55 % or 55 %?
        yield ctx.issue("ambiguous-percent", **where, column=column, **what, value=value,
                        percent=round(value * 100, 6))
    if parsed.ambiguous:
        yield ctx.issue("ambiguous-number", **where, column=column, value=parsed.original,
                        read=value, other=_all_decimals(parsed.alternative))
    low, high = _range(key, issued)
    if value < 0 and (low is None or low >= 0):
        yield ctx.issue("negative-value", **where, column=column, value=value)
        return None  # an unusable value: no capaian, no budget check on top of the error
    if (low is not None and value < low - TOLERANCE) or (high is not None and value > high + TOLERANCE):
        shown = {"low": float(low) if low is not None else None, "high": float(high) if high is not None else None}
        yield ctx.issue("out-of-range", **where, column=column, value=value, **shown,
                        range_key="workbook.range_between" if high is not None else "workbook.range_from")
        return None
    original = parsed.original
    if percentage and where["cell"] in percent_cells:
        original = f"{raw} (format %)"
    ctx.values.append(Value(code, field or key, number=value, original=original, cell=where["cell"]))
    return value


def _achievement(ctx, data, row, code, so_far, issued):
    """A capaian of the year so far far outside the plausible range (product.md §3.6), rounded as shown."""
    value = capaian(so_far, issued["target"], issued["polarity"])
    low, high = ctx.rules.extreme
    if value is not None and (value > high or value < low):
        yield ctx.issue("extreme-achievement", sheet=data["sheet"], cell=address(data, row["row"], "actual"),
                        capaian=value, code=code)


def _all_decimals(value):
    """The other reading as it was typed (1.234 read the other way is 1,234, never "1,23")."""
    from sopkinerja.numbers import format_number

    if value is None or float(value).is_integer():
        return value
    places = len(repr(float(value)).split(".")[1].rstrip("0")) if "e" not in repr(float(value)) else 6
    return format_number(value, decimals=min(places, 6))


def check_timeliness(ctx: Context):
    if ctx.received_at > ctx.rules.deadline:
        received = ctx.received_at.astimezone(ctx.rules.deadline.tzinfo)
        # Times are shown in the reader's language when the message is made; with seconds when the
        # minute alone would not say why (received 16:00:01 against a deadline of 16:00).
        same_minute = received.replace(second=0, microsecond=0) == ctx.rules.deadline.replace(second=0, microsecond=0)
        yield ctx.issue("late-submission", received=received, deadline=ctx.rules.deadline,
                        **({"seconds": "received"} if same_minute else {}))
