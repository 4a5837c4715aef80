"""The recap as view data: plain dataclasses with every number already formatted (Indonesian).

Templates only loop and print (style.md): rounding, colours and chart
geometry are decided here. Rounding: capaian and serapan to 2 decimals,
rupiah to whole rupiah, counts as integers; an undefined value shows as ``-``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sopkinerja.consolidate import KATEGORI, Recap
from sopkinerja.numbers import format_number

BAND_CLASS = {"Sangat Tinggi": "st", "Tinggi": "t", "Sedang": "s", "Rendah": "r", "Sangat Rendah": "sr"}
BAND_COLOUR = {"st": "#1a7f37", "t": "#57ab5a", "s": "#d4a72c", "r": "#e16f24", "sr": "#cf222e", "na": "#8c959f"}
STATUS_LABEL = {"accepted": "Diterima", "rejected": "Ditolak", "missing": "Belum mengirim"}


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
    target: str
    actual: str
    capaian: str
    band: str
    band_class: str
    budget: str
    spent: str
    absorption: str
    previous: str
    change: str


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
class RecapView:
    """Everything ``recap.html.j2`` shows, in one declared type."""

    title: str
    agency: str
    region: str
    period: str
    period_label: str
    deadline: str
    generated: str
    kategori: list[str]
    kategori_classes: list[str]
    units: list[UnitRow]
    total: UnitRow
    indicators: list[IndicatorRow]
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
    css: str = ""


def build_view(recap: Recap, config, issues, sop, generated: str, messages) -> RecapView:
    from sopkinerja.i18n import format_datetime

    units = [_unit_row(u.code, u.name, u.status, u.on_time, u.numbers, u.errors, u.warnings) for u in recap.units]
    total = _unit_row("", messages("recap.total"), "", None, recap.total,
                      sum(u.errors for u in recap.units), sum(u.warnings for u in recap.units))
    c = recap.completeness
    return RecapView(
        title=messages("recap.title", period=recap.period), agency=config.agency.name, region=config.agency.region,
        period=recap.period, period_label=config.period.label(config.language),
        deadline=format_datetime(config.deadline, config.language), generated=generated,
        kategori=list(KATEGORI), kategori_classes=[BAND_CLASS[k] for k in KATEGORI],
        units=units, total=total, indicators=[_indicator_row(r) for r in recap.table.to_dict("records")],
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
    )


def _band(value: float | None) -> tuple[str, str]:
    from sopkinerja.consolidate import kategori

    label = kategori(value)
    return (label or "-", BAND_CLASS.get(label, "na"))


def _unit_row(code, name, status, on_time, numbers, errors, warnings) -> UnitRow:
    label, band_class = _band(numbers.average)
    return UnitRow(
        code=code, name=name, status=STATUS_LABEL.get(status, ""), status_class=status,
        on_time={True: "Ya", False: "Tidak", None: "-"}[on_time], indicators=str(numbers.indicators),
        filled=str(numbers.filled), average=pct(numbers.average), band_class=band_class,
        counts=[str(numbers.per_kategori[k]) for k in KATEGORI], budget=rupiah(numbers.budget or None),
        spent=rupiah(numbers.spent if numbers.budget and status in ("accepted", "") else None),
        absorption=pct(numbers.absorption if status in ("accepted", "") else None),
        errors=str(errors), warnings=str(warnings))


def _indicator_row(row: dict) -> IndicatorRow:
    label, band_class = _band(_float(row["capaian_persen"]))
    change = _float(row["perubahan_capaian"])
    return IndicatorRow(
        unit=row["kode_unit"], code=row["kode_indikator"], name=row["indikator"], measure=row["satuan"],
        polarity=row["polaritas"], target=number(_float(row["target"])), actual=number(_float(row["realisasi"])),
        capaian=pct(_float(row["capaian_persen"])), band=label, band_class=band_class,
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
