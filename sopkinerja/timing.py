"""Stage ``timing``: how long every SOP step took against its standard time (mutu baku).

Events come from three sources (product.md §3.7 ``sumber``): ``sistem`` (the
tool's own work and each file's receipt), ``berkas`` (declared by the unit in
``Log Proses``) and ``manual`` (``sopkinerja step``). Per step — and per unit
where the SOP says the step is done by every unit — the most direct source
wins: manual, then berkas, then sistem; a missing start or end is taken from
the next source. The SOP's own data drives everything; no step number is
written in code.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime

from sopkinerja.models import Sop, SopStep
from sopkinerja.records import StepEvent
from sopkinerja.workcalendar import WorkCalendar

SOURCES = ("manual", "berkas", "sistem")  # precedence, most direct first
SESUAI, MELEBIHI, TIDAK_TERCATAT = "sesuai", "melebihi", "tidak-tercatat"
CSV_COLUMNS = ("langkah", "uraian", "pelaksana", "kode_unit", "mulai", "selesai", "menit_kerja", "menit_baku",
               "selisih_menit", "status", "sumber", "menit_kalender", "selesai_menurut_unit")


@dataclass
class TimingRow:
    step: SopStep
    unit: str | None
    start: datetime | None
    end: datetime | None
    working: float | None
    calendar: float | None
    status: str
    source: str | None
    declared_end: datetime | None = None  # the unit's own end (Log Proses) where the receipt is the end

    @property
    def difference(self) -> float | None:
        return None if self.working is None else round(self.working - self.step.standard_minutes, 2)

    def csv(self) -> dict:
        return {"langkah": self.step.number, "uraian": self.step.description, "pelaksana": self.step.actor,
                "kode_unit": self.unit or "", "mulai": self.start.isoformat() if self.start else "",
                "selesai": self.end.isoformat() if self.end else "", "menit_kerja": self.working,
                "menit_baku": self.step.standard_minutes, "selisih_menit": self.difference,
                "status": self.status, "sumber": self.source or "", "menit_kalender": self.calendar,
                "selesai_menurut_unit": self.declared_end.isoformat() if self.declared_end else ""}


@dataclass
class StepSummary:
    """Per step for the agency: median and maximum over units, how many exceeded the standard."""

    step: SopStep
    rows: list[TimingRow]
    median: float | None
    maximum: float | None
    exceeded: int
    unrecorded: int
    start: datetime | None
    end: datetime | None
    standard_end: datetime | None

    @property
    def ok(self) -> bool:
        return self.exceeded == 0 and self.unrecorded == 0


@dataclass
class TimingLog:
    rows: list[TimingRow]
    steps: list[StepSummary]
    cycle_start: datetime | None
    cycle_end: datetime | None
    cycle_working: float | None
    cycle_standard: int
    units: list[str] = field(default_factory=list)


def events(ledger, period: str) -> list[StepEvent]:
    """This period's events; a unit's declared (berkas) events only from its current answer."""
    return ledger.step_events(period)


def run_steps(sop: Sop) -> list[int]:
    """The steps whose ``sistem`` events ``run`` itself records (delivery, the agency recap)."""
    return [s.number for s in (sop.by_role("serah-data"), sop.by_role("rekap-badan")) if s is not None]


def record_run_events(ledger, sop: Sop, period: str, units, started: datetime, ended: datetime) -> None:
    """``sistem`` events of run: each unit's file received (delivery) and the agency recap itself.
    The previous run's are gone already (``decide.record`` removed them)."""
    delivery, recap = sop.by_role("serah-data"), sop.by_role("rekap-badan")
    with ledger.transaction():
        if delivery is not None:
            for unit in units:
                if unit.received_at is not None:
                    ledger.add_step_event(StepEvent(
                        delivery.number, ended_at=unit.received_at, actor="sopkinerja", period=period,
                        unit_code=unit.unit, source="sistem", note=unit.file, recorded_at=unit.received_at))
        if recap is not None:
            ledger.add_step_event(StepEvent(recap.number, started, ended, actor="sopkinerja", period=period,
                                            source="sistem", note="run", recorded_at=ended))


def timing_log(found: list[StepEvent], sop: Sop, unit_codes: list[str], calendar: WorkCalendar) -> TimingLog:
    rows, summaries = [], []
    by_key: dict[tuple, list[StepEvent]] = {}  # (step, unit) -> events in order; a scan per unit is quadratic
    for event in found:
        by_key.setdefault((event.step, event.unit_code), []).append(event)
    for step in sop.steps:
        targets = unit_codes if step.scope == "unit" else [None]
        step_rows = [_row(step, unit, by_key.get((step.number, unit), []), calendar) for unit in targets]
        rows += step_rows
        summaries.append(_summary(step, step_rows, calendar))
    starts = [s.start for s in summaries if s.start]
    ends = [s.end for s in summaries if s.end]
    first, last = summaries[0] if summaries else None, summaries[-1] if summaries else None
    cycle_start = first.start if first and first.start else (min(starts) if starts else None)
    cycle_end = last.end if last and last.end else (max(ends) if ends else None)
    working = calendar.working_minutes(cycle_start, cycle_end) if cycle_start and cycle_end else None
    return TimingLog(rows, summaries, cycle_start, cycle_end, working, sop.total_minutes, list(unit_codes))


def _row(step: SopStep, unit: str | None, candidates: list[StepEvent], calendar: WorkCalendar) -> TimingRow:
    newest_first = sorted(candidates, key=lambda e: (e.recorded_at, e.id), reverse=True)
    ordered = sorted(newest_first, key=lambda e: SOURCES.index(e.source))  # stable: newest first per source
    start = next((e.started_at for e in ordered if e.started_at), None)
    end = next((e.ended_at for e in ordered if e.ended_at), None)
    source = ordered[0].source if ordered else None
    declared = None
    receipt = next((e.ended_at for e in ordered if e.source == "sistem" and e.ended_at), None)
    if step.role == "serah-data" and receipt is not None and source != "manual":
        # Handing the data over ends when the file is received, whatever the unit's Log Proses says;
        # its own time is kept beside (a difference of more than a working day is an issue of the file).
        declared = next((e.ended_at for e in ordered if e.source == "berkas" and e.ended_at), None)
        end, source = receipt, "sistem"
    start_at = start.astimezone(calendar.tz) if start else None
    end_at = end.astimezone(calendar.tz) if end else None
    declared = declared.astimezone(calendar.tz) if declared else None
    if start_at is None or end_at is None or end_at < start_at:
        return TimingRow(step, unit, start_at, end_at, None, None, TIDAK_TERCATAT, source, declared)
    working = calendar.working_minutes(start_at, end_at)
    status = SESUAI if working <= step.standard_minutes else MELEBIHI
    return TimingRow(step, unit, start_at, end_at, working, calendar.calendar_minutes(start_at, end_at),
                     status, source, declared)


def _summary(step: SopStep, rows: list[TimingRow], calendar: WorkCalendar) -> StepSummary:
    measured = [r.working for r in rows if r.working is not None]
    starts = [r.start for r in rows if r.start]
    ends = [r.end for r in rows if r.end]
    start = min(starts) if starts else None
    return StepSummary(
        step, rows, statistics.median(measured) if measured else None, max(measured) if measured else None,
        sum(r.status == MELEBIHI for r in rows), sum(r.status == TIDAK_TERCATAT for r in rows),
        start, max(ends) if ends else None,
        calendar.add_working_minutes(start, step.standard_minutes) if start else None)


@dataclass
class MonitoringRow:
    """One row of the PermenPANRB 35/2012 monitoring form, as printed."""

    step: str
    description: str
    good: str  # berjalan dengan baik: Ya / Tidak / -
    note: str
    action: str


def monitoring(log: TimingLog, messages) -> list[MonitoringRow]:
    """The SOP monitoring form of PermenPANRB 35/2012, filled from the measurements."""
    table = []
    for summary in log.steps:
        scope = len(summary.rows)
        if summary.unrecorded == scope:
            good, note, action = "-", messages("timing.note_none"), messages("timing.action_record")
        elif summary.ok:
            good, note, action = messages("timing.yes"), messages(
                "timing.note_ok", maximum=_minutes(summary.maximum)), messages("timing.action_keep")
        else:
            good = messages("timing.no")
            parts = []
            if summary.exceeded:
                parts.append(messages("timing.note_exceeded", count=summary.exceeded, total=scope,
                                      maximum=_minutes(summary.maximum), standard=summary.step.standard_minutes))
            if summary.unrecorded:
                parts.append(messages("timing.note_unrecorded", count=summary.unrecorded, total=scope))
            note = " ".join(parts)
            action = messages("timing.action_exceeded") if summary.exceeded else messages("timing.action_record")
        table.append(MonitoringRow(str(summary.step.number), summary.step.description, good, note, action))
    return table


def _minutes(value: float | None) -> str:
    from sopkinerja.numbers import format_number

    return "-" if value is None else format_number(round(value, 1), 1)


def write_csv(log: TimingLog, path) -> None:
    import csv

    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for row in log.rows:
            writer.writerow({k: ("" if v is None else v) for k, v in row.csv().items()})


def record_step(workspace, number: int, start: datetime, end: datetime | None, unit: str | None,
                by: str | None, now: datetime) -> dict:
    """``sopkinerja step``: record a people's step (source ``manual``); errors name what is wrong."""
    from sopkinerja.errors import SopkinerjaError

    sop = workspace.sop()
    try:
        step = sop.step(number)
    except KeyError:
        raise SopkinerjaError("timing.unknown_step", step=number,
                              known=", ".join(str(s.number) for s in sop.steps)) from None
    master = workspace.master().master
    codes = {u.code.upper(): u.code for u in master.units}
    if unit is not None and unit.strip().upper() not in codes:
        raise SopkinerjaError("generate.unknown_unit", unit=unit, known=", ".join(codes.values()))
    if step.scope == "unit" and unit is None:
        raise SopkinerjaError("timing.unit_needed", step=number)
    if end is not None and end < start:
        raise SopkinerjaError("timing.reversed", step=number)
    event = StepEvent(number, start, end, actor=by, period=workspace.config.period.code,
                      unit_code=codes[unit.strip().upper()] if unit else None, source="manual", recorded_at=now)
    with workspace.lock(), workspace.ledger() as ledger, ledger.transaction():
        ledger.add_step_event(event)
    calendar = WorkCalendar(workspace.config.calendar)
    period = workspace.config.period
    first, last = cycle_window(period)
    outside = not first <= start.astimezone(workspace.config.calendar.tz).date() <= last
    return {"period": event.period, "step": number, "unit_code": event.unit_code, "started_at": start.isoformat(),
            "ended_at": end.isoformat() if end else None, "source": "manual", "actor": by,
            "recorded_at": now.isoformat(), "working_minutes": calendar.working_minutes(start, end) if end else None,
            "standard_minutes": step.standard_minutes,
            "warnings": [{"code": "outside-cycle", "from": first.isoformat(), "to": last.isoformat()}]
            if outside else []}


CYCLE_BEFORE_DAYS = 45  # the disposition and the request go out in the round's last weeks
CYCLE_AFTER_DAYS = 90  # returns, corrections and the recap in the weeks after it


def cycle_window(period):
    """The dates a step of ``period``'s collection plausibly falls in (a step outside is recorded,
    with a word: a June date for the TW3 cycle is a typo or the wrong period)."""
    from datetime import timedelta

    return period.end - timedelta(days=CYCLE_BEFORE_DAYS), period.end + timedelta(days=CYCLE_AFTER_DAYS)
