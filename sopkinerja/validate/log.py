"""The ``Log Proses`` checks: typed times, day and month swapped, the Kabid's sign-off (step 7)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sopkinerja import layout as L
from sopkinerja.cells import clean_text
from sopkinerja.ingest.reader import address, decode
from sopkinerja.numbers import parse_number
from sopkinerja.records import StepEvent
from sopkinerja.times import is_blank, parse_pair, show_time
from sopkinerja.validate.context import Context


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
        times = dict(zip(("start", "end"), pair, strict=True))
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
            ctx.steps.append(StepEvent(step, times["start"], times["end"], name or None, nip or None))
        if step == ctx.rules.signoff_step and times["end"] and name:
            signed = True
        if step == ctx.rules.delivery_step and times["end"]:
            yield from _declared_delivery(ctx, log, row, step, times["end"])
    if ctx.rules.signoff_step is not None and not signed:
        step = ctx.rules.signoff_step
        row = next((r for r in log["rows"] if _step_number(decode(r["cells"].get("step"))) == step), None)
        cell = address(log, row["row"], "end") if row else None
        yield ctx.issue("missing-signoff", sheet=log["sheet"], cell=cell, step=ctx.rules.signoff_step)


WORKING_DAY_MINUTES = 450  # 7.5 hours (Perpres 21/2023)


def _declared_delivery(ctx: Context, log, row, step: int, declared: datetime):
    """The unit's own time for handing the data over, against the real receipt: the receipt is what
    the timing log uses; more than a working day apart is worth a word (a copied Log Proses, a typo)."""
    if ctx.rules.calendar is None:
        return
    from sopkinerja.workcalendar import WorkCalendar

    received = ctx.received_at.astimezone(ctx.rules.tz)
    early, late = sorted((declared, received))
    if WorkCalendar(ctx.rules.calendar).working_minutes(early, late) > WORKING_DAY_MINUTES:
        yield ctx.issue("declared-time-differs", sheet=log["sheet"], cell=address(log, row["row"], "end"),
                        step=step, declared=declared, received=received)


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
