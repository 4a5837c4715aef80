"""Validate one parsed return against what was issued (ledger) and the rules of product.md §2-3.

Each check is a small generator that yields Issue values; ``CHECKS`` is the
registry, run in order. Checks never raise on bad data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sopkinerja import layout as L
from sopkinerja.cells import clean_text
from sopkinerja.issues import ERROR, Issue
from sopkinerja.models import is_percentage_measure
from sopkinerja.numbers import BLANK, INVALID, parse_number
from sopkinerja.ingest.reader import address, decode
from sopkinerja.times import is_blank, parse_pair, show_time

REQUIRED_COLUMNS = ("code", "name", "measure", "target", "actual", "budget", "spent")
TEXT_KEYS = L.INPUT_TEXT_KEYS
TOLERANCE = 1e-9


@dataclass(slots=True)
class Value:
    """One accepted input value of one indicator, with where it came from."""

    indicator: str
    field: str
    number: float | None = None
    text: str | None = None
    original: str | None = None
    cell: str | None = None


@dataclass
class StepEvent:
    step: int
    started_at: datetime | None
    ended_at: datetime | None
    actor: str
    nip: str


@dataclass(frozen=True)
class Rules:
    """What checking a file needs from the configuration and the SOP (sent to the workers)."""

    period: str
    deadline: datetime
    locale: str
    extreme: tuple[float, float]
    tz: object
    signoff_step: int | None


@dataclass
class Context:
    """What the checks look at: the parsed file, what was issued, and the workspace rules."""

    parsed: dict
    file: str
    sha256: str
    received_at: datetime
    request: dict | None
    issued: dict[str, dict]  # indicator code -> pre-filled values
    rules: Rules
    newer_request: str | None = None
    rows: dict[str, dict] = field(default_factory=dict)  # indicator code -> parsed row
    values: list[Value] = field(default_factory=list)
    steps: list[StepEvent] = field(default_factory=list)

    @property
    def unit(self) -> str | None:
        return self.request["unit_code"] if self.request else None

    def issue(self, issue_code: str, /, sheet: str | None = None, cell: str | None = None, **params) -> Issue:
        return Issue(issue_code, file=self.file, unit=self.unit, sheet=sheet, cell=cell, params=params,
                     sha256=self.sha256)


def load_issued(ledger, request_id: str) -> tuple[dict | None, dict[str, dict]]:
    request = ledger.request(request_id)
    if request is None:
        return None, {}
    issued = {row["indicator_code"]: json.loads(row["prefilled"]) for row in ledger.request_rows(request_id)}
    return dict(request), issued


def check_identity(ctx: Context):
    parsed = ctx.parsed
    if parsed.get("error"):
        extra = {"limit": parsed["limit"]} if "limit" in parsed else {}
        yield ctx.issue(parsed["error"], detail=parsed.get("detail", ""), **extra)
        return
    if parsed.get("request_id") is None:
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
                yield ctx.issue("over-budget", sheet=data["sheet"], cell=address(data, row["row"], "spent"), value=spent,
                                budget=float(issued["budget"]))
        for key in TEXT_KEYS:
            text = clean_text(decode(row["cells"].get(key)))
            if text:
                ctx.values.append(Value(code, key, text=text, cell=address(data, row["row"], key)))
        if actual is not None:
            yield from _achievement(ctx, data, row, code, actual, issued)


def _number(ctx, data, row, code, key, issued, percent_cells):
    raw = decode(row["cells"].get(key))
    where = {"sheet": data["sheet"], "cell": address(data, row["row"], key)}
    column = L.LABELS[key]
    parsed = parse_number(raw, ctx.rules.locale)
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
    target = issued["target"]
    if not target:
        return
    # product.md §2: PermenPANRB 8/2021 lower-is-better capaian for polarity "-".
    capaian = (2 * target - actual) / target * 100 if issued["polarity"] == "-" else actual / target * 100
    low, high = ctx.rules.extreme
    if capaian > high or capaian < low:
        yield ctx.issue("extreme-achievement", sheet=data["sheet"], cell=address(data, row["row"], "actual"),
                        capaian=round(capaian, 2), code=code)


def check_log(ctx: Context):
    log = ctx.parsed.get("log")
    if log is None:
        if ctx.rules.signoff_step is not None:
            yield ctx.issue("missing-signoff", sheet=L.LOG_SHEET, step=ctx.rules.signoff_step)
        return
    signed = False
    window = _collection_window(ctx)
    for row in log["rows"]:
        step = _step_number(decode(row["cells"].get("step")))
        if step is None:
            continue
        raws = {key: decode(row["cells"].get(key)) for key in ("start", "end")}
        pair = parse_pair(raws["start"], raws["end"], ctx.rules.tz)  # "15.30" beside a full date is that day
        times = dict(zip(("start", "end"), pair))
        for key in ("start", "end"):
            raw = raws[key]
            if not is_blank(raw) and times[key] is None:
                yield ctx.issue("unreadable-time", sheet=log["sheet"], cell=address(log, row["row"], key),
                                value=clean_text(raw)[:60], step=step)
            meant, other = _day_month(times[key], window)
            if other is not None:
                yield ctx.issue("ambiguous-date", sheet=log["sheet"], cell=address(log, row["row"], key), step=step,
                                value=show_time(times[key]), read=show_time(meant), other=show_time(other))
                times[key] = meant
        if times["start"] and times["end"] and times["end"] < times["start"]:
            yield ctx.issue("time-reversed", sheet=log["sheet"], cell=address(log, row["row"], "end"), step=step,
                            start=show_time(times["start"]), end=show_time(times["end"]))
        name = clean_text(decode(row["cells"].get("name")))
        nip = clean_text(decode(row["cells"].get("nip"))).replace(" ", "")
        if times["start"] or times["end"]:
            ctx.steps.append(StepEvent(step, times["start"], times["end"], name, nip))
        if step == ctx.rules.signoff_step and times["end"] and name:
            signed = True
    if ctx.rules.signoff_step is not None and not signed:
        row = next((r for r in log["rows"] if _step_number(decode(r["cells"].get("step"))) == ctx.rules.signoff_step), None)
        cell = address(log, row["row"], "end") if row else None
        yield ctx.issue("missing-signoff", sheet=log["sheet"], cell=cell, step=ctx.rules.signoff_step)


def _collection_window(ctx: Context) -> tuple[datetime, datetime] | None:
    """When the unit's steps can have happened: from the day before the request
    was issued to a day after its file was received (clocks and habits differ)."""
    if not ctx.request or not ctx.request["issued_at"]:
        return None
    issued = datetime.fromisoformat(ctx.request["issued_at"]).astimezone(ctx.rules.tz)
    return issued - timedelta(days=1), ctx.received_at + timedelta(days=1)


def _day_month(moment: datetime | None, window) -> tuple[datetime | None, datetime | None]:
    """(the time meant, the other reading) of a date whose day and month may be swapped.

    A day-first date typed on a computer set to month-first (en-US) is stored
    with day and month swapped: ``01/10/2026`` becomes 10 January. When only
    the swapped reading lies in the collection window, that is the one meant;
    when both do, the date is kept as read. Either way the other reading is
    returned so the cell is flagged; None when there is no doubt.
    """
    if moment is None or window is None or moment.day > 12 or moment.day == moment.month:
        return moment, None
    swapped = moment.replace(month=moment.day, day=moment.month)
    start, end = window
    if start <= swapped <= end:
        return (moment, swapped) if start <= moment <= end else (swapped, moment)
    return moment, None


def _step_number(raw: object) -> int | None:
    value = parse_number(raw).value
    return int(value) if value is not None and float(value).is_integer() else None


def check_timeliness(ctx: Context):
    if ctx.received_at > ctx.rules.deadline:
        from sopkinerja.i18n import format_datetime

        yield ctx.issue("late-submission", received=format_datetime(ctx.received_at.astimezone(ctx.rules.deadline.tzinfo)),
                        deadline=format_datetime(ctx.rules.deadline))


# Identity first: without a known request for this period nothing else can be checked.
CHECKS = (check_structure, check_prefilled, check_values, check_log, check_timeliness)


def validate(ctx: Context) -> list[Issue]:
    issues = list(check_identity(ctx))
    if any(issue.severity == ERROR for issue in issues):
        return issues
    for check in CHECKS:
        issues.extend(check(ctx))
    return issues
