"""The recap as view data: plain dataclasses with every number already formatted (Indonesian).

Templates only loop and print (style.md): rounding, colours and chart
geometry are decided here. Rounding: capaian and serapan to 2 decimals,
rupiah to whole rupiah, counts as integers; an undefined value shows as ``-``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

from sopkinerja.consolidate import Recap
from sopkinerja.models import Period
from sopkinerja.numbers import format_number
from sopkinerja.rules import KATEGORI, kategori
from sopkinerja.times import show_time

BAND_CLASS = {"Sangat Tinggi": "st", "Tinggi": "t", "Sedang": "s", "Rendah": "r", "Sangat Rendah": "sr"}
BAND_COLOUR = {"st": "#1a7f37", "t": "#57ab5a", "s": "#d4a72c", "r": "#e16f24", "sr": "#cf222e", "na": "#8c959f"}
STATUS_LABEL = {"accepted": "Diterima", "rejected": "Ditolak", "missing": "Belum mengirim"}
HTML_TABLE_ROWS = 2000  # beyond this the page shows the first rows; the workbook and CSV carry all
ANALYSIS_ROWS = 20000  # rows of the units' words in the page and the workbook; the CSV carries all
NARRATIVE_COLUMNS = ("faktor_pendorong", "faktor_penghambat", "tindak_lanjut", "bukti_dukung", "keterangan")


def pct(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format_number(round(value, 2), 2, fixed=True)


def rupiah(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return "Rp " + format_number(float(round(value)), 0)


def number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format_number(float(value), 2)


@dataclass
class Bar:
    label: str
    value: str
    y: float
    width: float
    colour: str


@dataclass
class Segment:
    x: float
    width: float
    colour: str
    title: str


@dataclass
class StackRow:
    label: str
    y: float
    segments: list[Segment]


@dataclass
class UnitRow:
    code: str
    name: str
    status: str
    status_class: str
    on_time: str
    indicators: str
    filled: str
    average: str
    band_class: str
    annual: str
    counts: list[str]
    budget: str
    spent: str
    absorption: str
    errors: str
    warnings: str


@dataclass
class IndicatorRow:
    unit: str
    code: str
    name: str
    measure: str
    polarity: str
    method: str
    annual_target: str
    target: str
    actual_period: str
    actual: str
    capaian: str
    band: str
    band_class: str
    annual: str
    budget: str
    spent: str
    absorption: str
    previous: str
    change: str


@dataclass
class AnalysisRow:
    """One indicator's words from its unit: faktor pendorong, penghambat, tindak lanjut, bukti, keterangan."""

    unit: str
    code: str
    name: str
    texts: list[str]


@dataclass
class UnitAnalysisRow:
    """A unit's analysis under its table (the four E.81 footer texts)."""

    code: str
    name: str
    texts: list[str]


@dataclass
class YearBar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str  # the value shown above the bar
    label_x: float
    label_y: float
    title: str


@dataclass
class YearLine:
    """One unit's average capaian per round of the year: a small column chart."""

    code: str
    name: str
    bars: list[YearBar]
    values: list[str]


@dataclass
class IssueRow:
    severity: str
    severity_class: str
    unit: str
    file: str
    where: str
    code: str
    message: str


@dataclass
class StepRow:
    number: str
    description: str
    actor: str
    standard: str
    scope: str


@dataclass
class TimingStepRow:
    number: str
    description: str
    actor: str
    standard: str
    scope: str
    median: str
    maximum: str
    exceeded: str
    unrecorded: str
    ok_class: str


@dataclass
class TimingDetailRow:
    step: str
    unit: str
    start: str
    end: str
    working: str
    calendar: str
    standard: str
    difference: str
    status: str
    status_class: str
    source: str


@dataclass
class GanttBar:
    label: str
    y: float
    x: float
    width: float
    standard_x: float
    standard_width: float
    colour: str
    title: str


@dataclass
class RecapView:
    """Everything ``recap.html.j2`` shows, in one declared type."""

    title: str
    agency: str
    region: str
    period: str
    period_label: str
    language: str
    deadline: str
    generated: str
    kategori: list[str]
    kategori_classes: list[str]
    units: list[UnitRow]
    total: UnitRow
    indicators: list[IndicatorRow]
    indicators_note: str
    completeness: dict[str, str]
    missing: list[str]
    rejected: list[str]
    issues: list[IssueRow]
    steps: list[StepRow]
    sop_total: str
    average_chart: list[Bar]
    average_chart_height: float
    kategori_chart: list[StackRow]
    kategori_chart_height: float
    legend: list[tuple[str, str]] = field(default_factory=list)
    budget_note: str = ""
    analysis: list[AnalysisRow] = field(default_factory=list)
    analysis_note: str = ""
    unit_analysis: list[UnitAnalysisRow] = field(default_factory=list)
    rounds: list[str] = field(default_factory=list)  # the year's rounds so far, as column heads
    year_lines: list[YearLine] = field(default_factory=list)
    year_chart_title: str = ""
    timing_steps: list[TimingStepRow] = field(default_factory=list)
    timing_rows: list[TimingDetailRow] = field(default_factory=list)
    monitoring: list = field(default_factory=list)  # timing.MonitoringRow
    cycle: dict[str, str] = field(default_factory=dict)
    gantt: list[GanttBar] = field(default_factory=list)
    gantt_height: float = 0
    gantt_ticks: list[tuple[float, str]] = field(default_factory=list)
    css: str = ""


def build_view(recap: Recap, config, issues, sop, generated: str, messages, timing=None) -> RecapView:
    from sopkinerja.i18n import format_datetime

    units = [_unit_row(u.code, u.name, u.status, u.on_time, u.numbers, u.errors, u.warnings) for u in recap.units]
    total = _unit_row("", messages("recap.total"), "", None, recap.total,
                      sum(u.errors for u in recap.units), sum(u.warnings for u in recap.units))
    c = recap.completeness
    return RecapView(
        title=messages("recap.title", period=recap.period), agency=config.agency.name, region=config.agency.region,
        period=recap.period, period_label=config.period.label(config.language), language=config.language,
        deadline=format_datetime(config.deadline, config.language), generated=generated,
        kategori=list(KATEGORI), kategori_classes=[BAND_CLASS[k] for k in KATEGORI],
        units=units, total=total,
        indicators=[_indicator_row(r, method_words(messages))
                    for r in recap.table.head(HTML_TABLE_ROWS).to_dict("records")],
        indicators_note=messages("recap.table_capped", shown=format_number(float(HTML_TABLE_ROWS), 0),
                                 total=format_number(float(len(recap.table)), 0))
        if len(recap.table) > HTML_TABLE_ROWS else "",
        completeness={"expected": str(c.expected), "received": str(c.received), "accepted": str(c.accepted),
                      "on_time": str(c.on_time), "reporting_rate": pct(c.reporting_rate),
                      "on_time_rate": pct(c.on_time_rate)},
        missing=[f"{u.code} {u.name}" for u in recap.units if u.status == "missing"],
        rejected=[f"{u.code} {u.name}" for u in recap.units if u.status == "rejected"],
        issues=[_issue_row(i, messages) for i in issues if i.severity != "info"],
        steps=[StepRow(str(s.number), s.description, s.actor, format_number(float(s.standard_minutes), 0),
                       s.scope) for s in sop.steps],
        sop_total=format_number(float(sop.total_minutes), 0),
        average_chart=_average_bars(recap), average_chart_height=28 * max(len(recap.units), 1) + 30,
        kategori_chart=_kategori_rows(recap), kategori_chart_height=28 * max(len(recap.units), 1) + 10,
        legend=[(k, BAND_COLOUR[BAND_CLASS[k]]) for k in KATEGORI],
        budget_note=_budget_note(recap, messages), **_analysis(recap, messages),
        rounds=[Period.parse(code).short for code in recap.rounds], year_lines=_year_lines(recap),
        year_chart_title=messages("recap.year_chart", year=Period.parse(recap.period).year),
        **(_timing(timing, messages) if timing is not None else {}),
    )


def _budget_note(recap: Recap, messages) -> str:
    """Whose pagu the agency's serapan leaves out, and why (product.md §2)."""
    items = []
    for unit in recap.budget_left_out:
        reason = {"missing": "recap.left_out_missing", "rejected": "recap.left_out_rejected"}.get(
            unit.status, "recap.left_out_unknown")
        items.append(messages("recap.budget_left_out_item", code=unit.code, name=unit.name,
                              amount=rupiah(unit.numbers.budget_left_out), reason=messages(reason)))
    return messages("recap.budget_known_note", units="; ".join(items)) if items else ""


def _analysis(recap: Recap, messages) -> dict:
    """The units' own words, per indicator with any, then per unit (its footer)."""
    from sopkinerja import layout as L

    table = recap.table
    texts = table[list(NARRATIVE_COLUMNS)]
    has_text = texts.notna().any(axis=1).to_numpy()
    chosen = table[has_text]
    rows = [AnalysisRow(r["kode_unit"], r["kode_indikator"], r["indikator"],
                        [r[c] if isinstance(r[c], str) else "" for c in NARRATIVE_COLUMNS])
            for r in chosen.head(ANALYSIS_ROWS).to_dict("records")]
    note = messages("recap.table_capped", shown=format_number(float(ANALYSIS_ROWS), 0),
                    total=format_number(float(len(chosen)), 0)) if len(chosen) > ANALYSIS_ROWS else ""
    units = [UnitAnalysisRow(u.code, u.name, [u.footer.get(key, "") for key, _ in L.FOOTER])
             for u in recap.units if any(u.footer.get(key) for key, _ in L.FOOTER)]
    return {"analysis": rows, "analysis_note": note, "unit_analysis": units}


YEAR_WIDTH = 200.0  # one unit's small chart (templates/recap.html.j2)
YEAR_HEIGHT = 60.0
YEAR_BASE = 56.0  # the bars stand on this line
YEAR_TALLEST = 38.0  # room above for the value


def _year_lines(recap: Recap) -> list[YearLine]:
    """Per unit, its average capaian at each round of the year so far, one bar per round on a
    common scale of 0-120 % (or the highest average): the year at a glance."""
    values = [v for u in recap.units for v in u.rounds.values() if v is not None]
    top = max([120.0, *values])
    slot = YEAR_WIDTH / max(len(recap.rounds), 1)
    lines = []
    for unit in recap.units:
        bars, shown = [], []
        for index, code in enumerate(recap.rounds):
            value = unit.rounds.get(code)
            shown.append(pct(value))
            if value is None:
                continue
            height = round(max(max(value, 0.0) / top * YEAR_TALLEST, 1.0), 1)
            x = round(index * slot + slot * 0.2, 1)
            label = format_number(round(value, 1), 1, fixed=True)
            bars.append(YearBar(x, round(YEAR_BASE - height, 1), round(slot * 0.6, 1), height,
                                BAND_COLOUR[_band(value)[1]], label, round(index * slot + slot / 2, 1),
                                round(YEAR_BASE - height - 3, 1), f"{Period.parse(code).short}: {pct(value)}%"))
        lines.append(YearLine(unit.code, unit.name, bars, shown))
    return lines


def method_words(messages) -> dict[str, str]:
    """``metode`` -> the words the recap shows (Kumulatif, Nilai akhir, Rata-rata)."""
    from sopkinerja.models import METHODS

    return {method: messages(f"recap.method_{method}") for method in METHODS}


def minutes(value: float | None) -> str:
    return "-" if value is None else format_number(round(value, 1), 1)


STATUS_CLASS = {"sesuai": "accepted", "melebihi": "rejected", "tidak-tercatat": "missing"}


def _timing(timing, messages) -> dict:
    from sopkinerja.timing import monitoring

    steps = [TimingStepRow(str(s.step.number), s.step.description, s.step.actor,
                           format_number(float(s.step.standard_minutes), 0), s.step.scope, minutes(s.median),
                           minutes(s.maximum), str(s.exceeded), str(s.unrecorded),
                           "accepted" if s.ok else ("missing" if s.unrecorded == len(s.rows) else "rejected"))
             for s in timing.steps]
    def ended(r) -> str:  # step 8: the receipt, with the unit's own time beside it when it declared one
        if r.declared_end is None:
            return show_time(r.end)
        return f"{show_time(r.end)} " + messages("timing.declared_end", time=show_time(r.declared_end))

    rows = [TimingDetailRow(str(r.step.number), r.unit or "-", show_time(r.start), ended(r), minutes(r.working),
                            minutes(r.calendar), format_number(float(r.step.standard_minutes), 0),
                            minutes(r.difference), messages(f"timing.status_{r.status.replace('-', '_')}"),
                            STATUS_CLASS[r.status], r.source or "-") for r in timing.rows]
    difference = (timing.cycle_working - timing.cycle_standard) if timing.cycle_working is not None else None
    cycle = {"start": show_time(timing.cycle_start), "end": show_time(timing.cycle_end),
             "working": minutes(timing.cycle_working), "standard": format_number(float(timing.cycle_standard), 0),
             "difference": minutes(difference)}
    bars, ticks, height = _gantt(timing)
    return {"timing_steps": steps, "timing_rows": rows, "cycle": cycle, "gantt": bars, "gantt_ticks": ticks,
            "gantt_height": height,
            "monitoring": monitoring(timing, messages)}


def _gantt(timing) -> tuple[list[GanttBar], list[tuple[float, str]], float]:
    """Each step from its earliest start to its latest end (calendar time), with its standard as a frame."""
    moments = [m for s in timing.steps for m in (s.start, s.end, s.standard_end) if m]
    height = 26 * max(len(timing.steps), 1) + 30
    if not moments:
        return [], [], height
    first, last = min(moments), max(moments)
    span = max((last - first).total_seconds(), 60.0)
    left, width = GANTT_LABEL_WIDTH, GANTT_WIDTH - GANTT_LABEL_WIDTH - 10
    x = lambda m: round(left + (m - first).total_seconds() / span * width, 1)  # noqa: E731
    bars = []
    for index, s in enumerate(timing.steps):
        y = 6 + 26 * index
        colour = BAND_COLOUR["na"] if s.start is None else (BAND_COLOUR["sr"] if s.exceeded else BAND_COLOUR["st"])
        start_x = x(s.start) if s.start else left
        end_x = x(s.end) if s.end else start_x
        std_end = x(s.standard_end) if s.standard_end else start_x
        bars.append(GanttBar(f"{s.step.number}", y, start_x, max(round(end_x - start_x, 1), 2.0), start_x,
                             max(round(std_end - start_x, 1), 1.0), colour,
                             f"{s.step.number}. {s.step.description}: {show_time(s.start)} - {show_time(s.end)}"))
    days = max(int(span // 86400), 1)
    step = max(days // 6, 1)
    ticks = []
    for offset in range(0, days + 1, step):
        moment = first + timedelta(days=offset)
        ticks.append((x(moment), moment.strftime("%d/%m")))
    return bars, ticks, height


def _band(value: float | None) -> tuple[str, str]:
    label = kategori(value)
    return (label or "-", BAND_CLASS.get(label, "na"))


def _unit_row(code, name, status, on_time, numbers, errors, warnings) -> UnitRow:
    label, band_class = _band(numbers.average)
    return UnitRow(
        code=code, name=name, status=STATUS_LABEL.get(status, ""), status_class=status,
        on_time={True: "Ya", False: "Tidak", None: "-"}[on_time], indicators=str(numbers.indicators),
        filled=str(numbers.filled), average=pct(numbers.average), band_class=band_class,
        annual=pct(numbers.annual_average),
        counts=[str(numbers.per_kategori[k]) for k in KATEGORI], budget=rupiah(numbers.budget or None),
        spent=rupiah(numbers.spent if numbers.budget_known and status in ("accepted", "") else None),
        absorption=pct(numbers.absorption if status in ("accepted", "") else None),
        errors=str(errors), warnings=str(warnings))


def _indicator_row(row: dict, methods: dict) -> IndicatorRow:
    label, band_class = _band(_float(row["capaian_persen"]))
    change = _float(row["perubahan_capaian"])
    return IndicatorRow(
        unit=row["kode_unit"], code=row["kode_indikator"], name=row["indikator"], measure=row["satuan"],
        polarity=row["polaritas"], method=methods.get(row["metode"], row["metode"]),
        annual_target=number(_float(row["target_tahunan"])), target=number(_float(row["target"])),
        actual_period=number(_float(row["realisasi_periode"])), actual=number(_float(row["realisasi_sd"])),
        capaian=pct(_float(row["capaian_persen"])), band=label, band_class=band_class,
        annual=pct(_float(row["capaian_tahunan_persen"])),
        budget=rupiah(_float(row["pagu"])), spent=rupiah(_float(row["realisasi_anggaran"])),
        absorption=pct(_float(row["serapan_persen"])), previous=pct(_float(row["capaian_sebelumnya"])),
        change=("+" if change and change > 0 else "") + pct(change) if change is not None else "-")


def _float(value) -> float | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def _issue_row(issue, messages) -> IssueRow:
    where = f"{issue.sheet}!{issue.cell}" if issue.sheet and issue.cell else (issue.sheet or "-")
    return IssueRow(messages(f"feedback.{issue.severity}"), issue.severity, issue.unit or "-", issue.file or "-",
                    where, issue.code, issue.message(messages))


CHART_WIDTH = 560.0
LABEL_WIDTH = 110.0
GANTT_WIDTH = 896.0  # the timeline's viewBox width (templates/recap.html.j2)
GANTT_LABEL_WIDTH = 80.0  # room for "Langkah 9" at 12px before the first bar


def _average_bars(recap: Recap) -> list[Bar]:
    """Horizontal bars of average capaian; the scale ends at the larger of 120% and the maximum."""
    values = [u.numbers.average for u in recap.units]
    top = max([120.0, *[v for v in values if v is not None]])
    bars = []
    for index, unit in enumerate(recap.units):
        value = unit.numbers.average
        band = _band(value)[1]
        width = 0.0 if value is None else max(0.0, value) / top * (CHART_WIDTH - LABEL_WIDTH - 60)
        bars.append(Bar(unit.code, pct(value), 10 + 28 * index, round(width, 1), BAND_COLOUR[band]))
    return bars


def _kategori_rows(recap: Recap) -> list[StackRow]:
    rows = []
    span = CHART_WIDTH - LABEL_WIDTH - 10
    for index, unit in enumerate(recap.units):
        counts = unit.numbers.per_kategori
        total = sum(counts.values())
        x, segments = LABEL_WIDTH, []
        for label in KATEGORI:
            if not total or not counts[label]:
                continue
            width = counts[label] / total * span
            segments.append(Segment(round(x, 1), round(width, 1), BAND_COLOUR[BAND_CLASS[label]],
                                    f"{label}: {counts[label]}"))
            x += width
        rows.append(StackRow(unit.code, 4 + 28 * index, segments))
    return rows
