"""SOP steps 6 and 9: consolidate accepted values per unit and for the agency (pandas).

Capaian, kategori and serapan follow product.md §2. Only values from each
unit's accepted answer count; a rejected or missing unit appears with its
status and no values. Raw capaian is kept; the optional cap applies to
averages only.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime

# The flat table's columns (product.md §3.7, the recap CSV), in order.
CSV_COLUMNS = (
    "periode", "kode_unit", "nama_unit", "kode_indikator", "indikator", "satuan", "polaritas", "target",
    "realisasi", "capaian_persen", "kategori", "pagu", "realisasi_anggaran", "serapan_persen", "status_unit",
)
EXTRA_COLUMNS = ("sasaran", "program", "kegiatan", "sub_kegiatan", "capaian_sebelumnya", "periode_sebelumnya",
                 "perubahan_capaian", "sel_realisasi", "teks_asli_realisasi")
# Permendagri 86/2017 evaluation scale, half-open bands (lower bound, label).
BANDS = ((91.0, "Sangat Tinggi"), (76.0, "Tinggi"), (66.0, "Sedang"), (51.0, "Rendah"),
         (-math.inf, "Sangat Rendah"))
KATEGORI = tuple(label for _, label in BANDS)
UNIT_STATUS = {"accepted": "diterima", "rejected": "ditolak", "missing": "belum-mengirim"}


def capaian(actual: float | None, target: float | None, polarity: str) -> float | None:
    """product.md §2: higher-is-better ``r/t*100``; lower-is-better ``(2t-r)/t*100``
    (PermenPANRB 8/2021); undefined (None) when a value is missing or the target is 0."""
    if actual is None or target is None or target == 0:
        return None
    if polarity == "-":
        return (2 * target - actual) / target * 100
    return actual / target * 100


def kategori(value: float | None) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return next(label for lower, label in BANDS if value >= lower)


def serapan(spent: float | None, budget: float | None) -> float | None:
    if spent is None or not budget:
        return None
    return spent / budget * 100


@dataclass
class Numbers:
    """Totals that add up: the agency row is ``sum(unit rows)`` (as coverage.py does)."""

    indicators: int = 0
    filled: int = 0
    capaian_sum: float = 0.0  # of defined (capped) capaian, for the average
    capaian_count: int = 0
    budget: float = 0.0
    spent: float = 0.0
    per_kategori: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KATEGORI})

    def __add__(self, other: Numbers) -> Numbers:
        if other == 0:
            return self
        return Numbers(
            self.indicators + other.indicators, self.filled + other.filled,
            self.capaian_sum + other.capaian_sum, self.capaian_count + other.capaian_count,
            self.budget + other.budget, self.spent + other.spent,
            {k: self.per_kategori[k] + other.per_kategori[k] for k in KATEGORI})

    __radd__ = __add__

    @property
    def average(self) -> float | None:
        return self.capaian_sum / self.capaian_count if self.capaian_count else None

    @property
    def absorption(self) -> float | None:
        return serapan(self.spent, self.budget) if self.budget else None


@dataclass
class UnitRecap:
    code: str
    name: str
    status: str  # accepted, rejected, missing
    on_time: bool | None
    received_at: datetime | None
    file: str | None
    errors: int
    warnings: int
    numbers: Numbers


@dataclass
class Completeness:
    """DHIS2-style reporting rates: expected, received, accepted, on time."""

    expected: int
    received: int
    accepted: int
    on_time: int
    missing: list[str]
    rejected: list[str]

    @property
    def reporting_rate(self) -> float | None:
        return self.accepted / self.expected * 100 if self.expected else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.expected * 100 if self.expected else None


@dataclass
class Recap:
    period: str
    table: object  # pandas.DataFrame with CSV_COLUMNS + EXTRA_COLUMNS
    units: list[UnitRecap]
    total: Numbers
    completeness: Completeness
    cap: float | None


def consolidate(ledger, master, period: str, unit_statuses, cap: float | None) -> Recap:
    """Build the agency table from the ledger's accepted values for ``period``."""
    import pandas as pd

    values = _accepted_values(ledger, period)
    issued = _issued(ledger, period)
    history = _history(ledger, master, period)
    rows = []
    statuses = {u.unit: u for u in unit_statuses}
    for unit in master.units:
        status = statuses[unit.code]
        for indicator in master.indicators_of(unit.code):
            rows.append(_row(period, unit, indicator, status, issued.get(indicator.code),
                             values.get((unit.code, indicator.code), {}), history.get(indicator.code)))
    table = pd.DataFrame(rows, columns=list(CSV_COLUMNS + EXTRA_COLUMNS))
    units = [_unit_recap(table, unit, statuses[unit.code], cap) for unit in master.units]
    total = sum((u.numbers for u in units), Numbers())
    return Recap(period, table, units, total, _completeness(unit_statuses), cap)


def _row(period, unit, indicator, status, prefilled, values, previous) -> dict:
    target = prefilled["target"] if prefilled else indicator.target
    budget = prefilled["budget"] if prefilled else indicator.budget
    actual = values.get("actual", (None, None, None))
    spent = values.get("spent", (None, None, None))[0]
    value = capaian(actual[0], target, indicator.polarity)
    change = value - previous[0] if value is not None and previous and previous[0] is not None else None
    return {
        "periode": period, "kode_unit": unit.code, "nama_unit": unit.name, "kode_indikator": indicator.code,
        "indikator": indicator.name, "satuan": indicator.measure, "polaritas": indicator.polarity,
        "target": target, "realisasi": actual[0], "capaian_persen": value, "kategori": kategori(value),
        "pagu": budget, "realisasi_anggaran": spent, "serapan_persen": serapan(spent, budget),
        "status_unit": UNIT_STATUS[status.status], "sasaran": indicator.objective, "program": indicator.program,
        "kegiatan": indicator.activity, "sub_kegiatan": indicator.sub_activity,
        "capaian_sebelumnya": previous[0] if previous else None,
        "periode_sebelumnya": previous[1] if previous else None, "perubahan_capaian": change,
        "sel_realisasi": actual[2], "teks_asli_realisasi": actual[1],
    }


def _unit_recap(table, unit, status, cap) -> UnitRecap:
    mine = table[table["kode_unit"] == unit.code]
    defined = [v for v in mine["capaian_persen"] if v is not None and not math.isnan(v)]
    capped = [min(v, cap) if cap is not None else v for v in defined]
    counts = {k: int((mine["kategori"] == k).sum()) for k in KATEGORI}
    budget_rows = mine[mine["pagu"].notna()]
    numbers = Numbers(
        indicators=len(mine), filled=int(mine["realisasi"].notna().sum()),
        capaian_sum=float(sum(capped)), capaian_count=len(capped),
        budget=float(budget_rows["pagu"].sum()) if len(budget_rows) else 0.0,
        spent=float(budget_rows["realisasi_anggaran"].fillna(0).sum()) if len(budget_rows) else 0.0,
        per_kategori=counts)  # the pagu counts whatever the status; spending only from accepted answers
    return UnitRecap(unit.code, unit.name, status.status, status.on_time, status.received_at, status.file,
                     status.errors, status.warnings, numbers)


def _completeness(unit_statuses) -> Completeness:
    statuses = list(unit_statuses)
    return Completeness(
        expected=len(statuses),
        received=sum(u.status != "missing" for u in statuses),
        accepted=sum(u.status == "accepted" for u in statuses),
        on_time=sum(u.status == "accepted" and bool(u.on_time) for u in statuses),
        missing=[u.unit for u in statuses if u.status == "missing"],
        rejected=[u.unit for u in statuses if u.status == "rejected"])


def _accepted_values(ledger, period: str) -> dict[tuple[str, str], dict[str, tuple]]:
    rows = ledger.db.execute(
        "SELECT s.unit_code, v.indicator_code, v.field, v.number, v.original, v.cell FROM submission_values v "
        "JOIN submissions s ON s.sha256 = v.sha256 WHERE s.period = ? AND s.status = 'accepted'",
        (period,)).fetchall()
    values: dict[tuple[str, str], dict[str, tuple]] = {}
    for row in rows:
        values.setdefault((row["unit_code"], row["indicator_code"]), {})[row["field"]] = (
            row["number"], row["original"], row["cell"])
    return values


def _issued(ledger, period: str) -> dict[str, dict]:
    """The pre-filled values of each unit's latest request: the target the unit saw."""
    rows = ledger.db.execute(
        "SELECT rr.indicator_code, rr.prefilled FROM request_rows rr JOIN requests r USING (request_id) "
        "WHERE r.period = ? ORDER BY r.issued_at, r.rowid", (period,)).fetchall()
    return {row["indicator_code"]: json.loads(row["prefilled"]) for row in rows}


def _history(ledger, master, period: str) -> dict[str, tuple[float | None, str]]:
    """Each indicator's capaian in the latest earlier period with an accepted value."""
    from sopkinerja.models import Period

    current = Period.parse(period)
    rows = ledger.db.execute(
        "SELECT s.period, v.indicator_code, v.number FROM submission_values v JOIN submissions s "
        "ON s.sha256 = v.sha256 WHERE s.status = 'accepted' AND v.field = 'actual' AND s.period != ?",
        (period,)).fetchall()
    earlier = {}
    polarity = {i.code: i.polarity for i in master.indicators}
    for row in rows:
        try:
            when = Period.parse(row["period"])
        except ValueError:
            continue
        if when.end >= current.end or row["indicator_code"] not in polarity:
            continue
        best = earlier.get(row["indicator_code"])
        if best is None or when > best[0]:
            earlier[row["indicator_code"]] = (when, row["number"])
    out = {}
    for code, (when, actual) in earlier.items():
        target = _issued(ledger, when.code).get(code, {}).get("target")
        out[code] = (capaian(actual, target, polarity[code]), when.code)
    return out
