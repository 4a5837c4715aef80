"""Plain data shared by every stage: periods, units, indicators, the SOP."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

POLARITIES = ("+", "-")
# Target columns of the master, by period (product.md §2: the round's target).
QUARTER_TARGETS = ("target_tw1", "target_tw2", "target_tw3", "target_tw4")
SEMESTER_TARGETS = ("target_s1", "target_s2")
PERIOD_TARGETS = QUARTER_TARGETS + SEMESTER_TARGETS

_PERIOD_RE = re.compile(r"^(\d{4})(?:-(TW)([1-4])|-(S)([12]))?$")
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True, order=True)
class Period:
    """A round of collection: a triwulan, a semester or a whole year."""

    year: int
    kind: str  # "TW", "S" or "Y"
    number: int = 0

    @classmethod
    def parse(cls, code: str) -> Period:
        """Parse ``2026-TW3``, ``2026-S1`` or ``2026``; raise ValueError otherwise."""
        match = _PERIOD_RE.match(str(code).strip().upper())
        if not match or not 2000 <= int(match.group(1)) <= 2100:
            raise ValueError(code)
        year = int(match.group(1))
        if match.group(2):
            return cls(year, "TW", int(match.group(3)))
        if match.group(4):
            return cls(year, "S", int(match.group(5)))
        return cls(year, "Y", 0)

    @property
    def code(self) -> str:
        if self.kind == "Y":
            return str(self.year)
        return f"{self.year}-{self.kind}{self.number}"

    @property
    def target_field(self) -> str | None:
        """The master column holding this round's target, or None for a year."""
        if self.kind == "TW":
            return f"target_tw{self.number}"
        if self.kind == "S":
            return f"target_s{self.number}"
        return None

    @property
    def start(self) -> date:
        months = {"TW": 3, "S": 6, "Y": 12}[self.kind]
        return date(self.year, 1 + months * max(self.number - 1, 0), 1)

    @property
    def end(self) -> date:
        months = {"TW": 3, "S": 6, "Y": 12}[self.kind]
        last_month = months * max(self.number, 1)
        return date(self.year, last_month, calendar.monthrange(self.year, last_month)[1])

    def label(self, language: str = "id") -> str:
        """Human label, e.g. ``Triwulan III 2026`` / ``Quarter III 2026``."""
        names = {
            "id": {"TW": "Triwulan", "S": "Semester", "Y": "Tahun"},
            "en": {"TW": "Quarter", "S": "Semester", "Y": "Year"},
        }[language if language == "en" else "id"]
        if self.kind == "Y":
            return f"{names['Y']} {self.year}"
        return f"{names[self.kind]} {_ROMAN[self.number]} {self.year}"

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class Unit:
    """An organisational unit that returns data: the Sekretariat or a Bidang."""

    code: str
    name: str
    head: str = ""  # kepala
    nip: str = ""
    email: str = ""


@dataclass(slots=True)
class Indicator:
    """One performance indicator of one unit, as the master defines it.

    Treated as immutable, though not ``frozen``: a province's master holds
    500,000 of them and a frozen dataclass costs three times as long to build
    (measured: 2.0 s against 0.6 s), which every run pays when loading the
    master cache.
    """

    unit_code: str
    code: str
    name: str  # indikator
    measure: str  # satuan
    polarity: str  # "+" higher is better, "-" lower is better
    target: float | None
    objective: str = ""  # sasaran
    program: str = ""
    activity: str = ""  # kegiatan
    sub_activity: str = ""  # sub_kegiatan
    period_targets: dict[str, float | None] = field(default_factory=dict)
    budget: float | None = None  # pagu (Rp)

    def target_for(self, period: Period) -> float | None:
        """product.md §2: the round's own target when given, else the annual one."""
        column = period.target_field
        if column is not None and self.period_targets.get(column) is not None:
            return self.period_targets[column]
        return self.target

    @property
    def is_percentage(self) -> bool:
        from sopkinerja.rules import is_percentage_measure

        return is_percentage_measure(self.measure)


@dataclass(frozen=True)
class Master:
    """The agency's master data: its units and their indicators."""

    units: tuple[Unit, ...]
    indicators: tuple[Indicator, ...]

    def unit(self, code: str) -> Unit:
        for unit in self.units:
            if unit.code == code:
                return unit
        raise KeyError(code)

    def indicators_of(self, unit_code: str) -> tuple[Indicator, ...]:
        return self._by_unit.get(unit_code, ())

    @cached_property
    def _by_unit(self) -> dict[str, tuple[Indicator, ...]]:
        """Indicators per unit, built once (a scan per unit is quadratic at provincial scale)."""
        groups: dict[str, list[Indicator]] = {}
        for indicator in self.indicators:
            groups.setdefault(indicator.unit_code, []).append(indicator)
        return {code: tuple(items) for code, items in groups.items()}


SCOPES = ("unit", "badan")
# What the tool knows about a step, so the timing log is driven by the SOP
# data, never by step numbers in code (issue: custom SOP files).
ROLES = (
    "disposisi",
    "siapkan-format",
    "kirim-format",
    "rapat",
    "isi-data",
    "rekap-unit",
    "validasi",
    "serah-data",
    "rekap-badan",
)


@dataclass(frozen=True)
class SopStep:
    """One row of the SOP table (uraian prosedur with its mutu baku)."""

    number: int
    description: str  # uraian
    actor: str  # pelaksana
    requirement: str  # kelengkapan
    standard_minutes: int  # waktu baku
    output: str
    scope: str  # "unit": done by each unit; "badan": once for the agency
    role: str = ""


@dataclass(frozen=True)
class Sop:
    """The SOP as data: its name and its steps in order."""

    name: str
    steps: tuple[SopStep, ...]

    @property
    def total_minutes(self) -> int:
        return sum(step.standard_minutes for step in self.steps)

    def step(self, number: int) -> SopStep:
        for step in self.steps:
            if step.number == number:
                return step
        raise KeyError(number)

    def by_role(self, role: str) -> SopStep | None:
        return next((s for s in self.steps if s.role == role), None)

    @property
    def unit_steps(self) -> tuple[SopStep, ...]:
        return tuple(s for s in self.steps if s.scope == "unit")
