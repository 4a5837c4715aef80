"""Plain data shared by every stage: periods, units, indicators, the SOP."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

POLARITIES = ("+", "-")
# How an indicator's year adds up (product.md §2 ``metode``) and how often it is due (``frekuensi``).
METHODS = ("kumulatif", "nilai_akhir", "rata_rata")
FREQUENCIES = ("triwulanan", "semesteran", "tahunan")
# Target columns of the master, by period (product.md §2: the round's target).
QUARTER_TARGETS = ("target_tw1", "target_tw2", "target_tw3", "target_tw4")
SEMESTER_TARGETS = ("target_s1", "target_s2")
PERIOD_TARGETS = QUARTER_TARGETS + SEMESTER_TARGETS

_PERIOD_RE = re.compile(r"^(\d{4})(?:-(TW)([1-4])|-(S)([12]))?$")
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
PARSED_KEPT = 1024  # Period.parse's answers kept, by code (a bound: periods are frozen values)
_PARSED: dict[str, Period] = {}


@dataclass(frozen=True, order=True)
class Period:
    """A round of collection: a triwulan, a semester or a whole year."""

    year: int
    kind: str  # "TW", "S" or "Y"
    number: int = 0

    @classmethod
    def parse(cls, code: str) -> Period:
        """Parse ``2026-TW3``, ``2026-S1`` or ``2026``; raise ValueError otherwise."""
        keep = type(code) is str and cls is Period
        known = _PARSED.get(code) if keep else None
        if known is not None:  # validation asks for the same few codes on every row
            return known
        match = _PERIOD_RE.match(str(code).strip().upper())
        if not match or not 2000 <= int(match.group(1)) <= 2100:
            raise ValueError(code)
        year = int(match.group(1))
        if match.group(2):
            period = cls(year, "TW", int(match.group(3)))
        elif match.group(4):
            period = cls(year, "S", int(match.group(5)))
        else:
            period = cls(year, "Y", 0)
        if keep and len(_PARSED) < PARSED_KEPT:
            _PARSED[code] = period
        return period

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

    @property
    def short(self) -> str:
        """``TW III``, ``S1``, ``2026``: the period within its year, as column labels say it."""
        if self.kind == "TW":
            return f"TW {_ROMAN[self.number]}"
        return f"S{self.number}" if self.kind == "S" else str(self.year)

    def of_year(self) -> tuple[Period, ...]:
        """Every round of this kind in this year: TW1-TW4, S1-S2, or the year itself."""
        count = {"TW": 4, "S": 2, "Y": 1}[self.kind]
        return tuple(Period(self.year, self.kind, n if self.kind != "Y" else 0) for n in range(1, count + 1))

    def so_far(self) -> tuple[Period, ...]:
        """The rounds of this year up to and including this one (the year's series so far)."""
        return tuple(p for p in self.of_year() if p <= self)

    def earlier(self) -> tuple[Period, ...]:
        """The rounds of this year before this one."""
        return tuple(p for p in self.of_year() if p < self)

    @property
    def previous(self) -> Period | None:
        """The round before: the year's previous one, or last year's last (TW1 → TW4 of last year)."""
        if self.kind == "Y" or self.number == 1:
            return Period(self.year - 1, self.kind, 0 if self.kind == "Y" else len(self.of_year()))
        return Period(self.year, self.kind, self.number - 1)

    @property
    def last_of_year(self) -> bool:
        """TW4, S2 or the annual round: when the year's figures are final (LKjIP)."""
        return self == self.of_year()[-1]

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
    budget: float | None = None  # pagu (Rp) of its sub-kegiatan (or its own, without one)
    method: str = "kumulatif"  # metode: kumulatif, nilai_akhir, rata_rata
    frequency: str = "triwulanan"  # frekuensi: triwulanan, semesteran, tahunan
    min_value: float | None = 0.0  # nilai_min (product.md §2: 0 unless the master says lower)
    max_value: float | None = None  # nilai_maks (100 for a percentage unless the master says otherwise)
    budget_revised: float | None = None  # pagu_perubahan (APBD-P) of its sub-kegiatan
    renstra_target: float | None = None  # target_renstra: at the end of the Renstra period (K)
    renstra_budget: float | None = None  # pagu_renstra (Rp), of its sub-kegiatan
    renstra_actual_last: float | None = None  # realisasi_renstra_lalu: K achieved up to last year
    renstra_spent_last: float | None = None  # anggaran_renstra_lalu: Rp up to last year, of its sub-kegiatan
    defaulted: bool = False  # its metode came from the default for its satuan

    def target_for(self, period: Period) -> float | None:
        """product.md §2: the round's own target (up to the end of the period) when given; else the
        annual one for a level (``nilai_akhir``, ``rata_rata``) or the annual round; else None — a
        count (``kumulatif``) has no round capaian without a target for the round."""
        column = period.target_field
        if column is not None and self.period_targets.get(column) is not None:
            return self.period_targets[column]
        if column is None or self.method != "kumulatif":
            return self.target
        return None

    def due(self, period: Period) -> bool:
        """Whether a value is asked for in this round (``frekuensi``: ``due``)."""
        return due(self.frequency, period)

    @property
    def budget_key(self) -> str:
        """The budget line it belongs to: its sub-kegiatan (by its DPA code when it has one),
        or itself when it has none (product.md §2: budget belongs to the sub-kegiatan)."""
        return budget_key(self.sub_activity, self.code)

    @property
    def effective_budget(self) -> float | None:
        """The pagu that counts: the revised one (APBD-P) when given."""
        return self.budget_revised if self.budget_revised is not None else self.budget

    @property
    def is_percentage(self) -> bool:
        from sopkinerja.rules import is_percentage_measure

        return is_percentage_measure(self.measure)


def due(frequency: str, period: Period) -> bool:
    """Whether an indicator of this ``frekuensi`` is asked for a value in this round: quarterly
    every round, half-yearly in TW2 and TW4 (and each semester), yearly in the year's last round."""
    if frequency == "triwulanan" or period.kind == "Y":
        return True
    if frequency == "semesteran":
        return period.kind == "S" or period.number % 2 == 0
    return period.last_of_year


def budget_key(sub_activity: str, code: str) -> str:
    """``SUB 5.01.02.2.01.0005`` for a sub-kegiatan written "code name", ``SUB <name>`` without a
    code, ``IND <kode>`` for an indicator with no sub-kegiatan."""
    if not sub_activity:
        return f"IND {code}"
    key = _SUB_KEYS.get(sub_activity)
    if key is None:  # a province's 500,000 indicators share far fewer sub-kegiatan: worked out once each
        first = sub_activity.split(maxsplit=1)[0]
        key = f"SUB {first}" if any(ch.isdigit() for ch in first) and "." in first else f"SUB {sub_activity}"
        _SUB_KEYS[sub_activity] = key
    return key


_SUB_KEYS: dict[str, str] = {}


@dataclass(slots=True)
class BudgetLine:
    """A sub-kegiatan's budget (or an indicator's own, without one), counted once. Treated as
    immutable, not ``frozen`` (built for every sub kegiatan of a province's master each run:
    a frozen dataclass costs three times as long to build, as for ``Indicator``)."""

    key: str
    unit_code: str
    name: str  # the sub-kegiatan as the master writes it, or the indicator's name
    program: str
    activity: str
    indicators: tuple[str, ...]  # their codes, in master order
    budget: float | None = None
    budget_revised: float | None = None
    renstra_budget: float | None = None
    renstra_spent_last: float | None = None

    @property
    def effective_budget(self) -> float | None:
        return self.budget_revised if self.budget_revised is not None else self.budget


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

    def indicator(self, code: str) -> Indicator:
        """The indicator of this code (codes are unique in a master: its check); KeyError if none."""
        return self._by_code[code]

    def columns_of(self, unit_code: str, names: tuple[str, ...]) -> dict[str, list]:
        """The unit's indicators' fields ``names``, in master order: a list per field."""
        indicators = self.indicators_of(unit_code)
        return {name: [getattr(i, name) for i in indicators] for name in names}

    def column(self, name: str) -> list:
        """Every indicator's field ``name``, in master order."""
        return [getattr(i, name) for i in self.indicators]

    @property
    def count(self) -> int:
        """How many indicators it has."""
        return len(self.indicators)

    @cached_property
    def _by_code(self) -> dict[str, Indicator]:
        return {i.code: i for i in self.indicators}

    @cached_property
    def budget_lines(self) -> dict[str, BudgetLine]:
        """Every budget line by key, in master order (the master check guarantees one pagu each)."""
        groups: dict[str, list[Indicator]] = {}
        for indicator in self.indicators:
            groups.setdefault(indicator.budget_key, []).append(indicator)
        lines = {}
        for key, members in groups.items():
            first = members[0]
            amounts = [None, None, None, None]  # pagu, pagu perubahan, pagu Renstra, anggaran Renstra lalu
            for member in members:
                for index, value in enumerate((member.budget, member.budget_revised, member.renstra_budget,
                                               member.renstra_spent_last)):
                    if value is not None and amounts[index] is None:
                        amounts[index] = value
            lines[key] = BudgetLine(key, first.unit_code, first.sub_activity or first.name, first.program,
                                    first.activity, tuple(i.code for i in members), *amounts)
        return lines

    @cached_property
    def unit_marks(self) -> dict[str, bytes]:
        """Per unit, a digest of its master rows and budget lines: their fields' values, pickled
        (equal values, equal bytes; a different pickling only costs what is kept by it made
        again). Kept with the master's cache: what is derived per unit is kept by these."""
        import dataclasses
        import hashlib
        import pickle
        from operator import attrgetter

        of_indicator = attrgetter(*(f.name for f in dataclasses.fields(Indicator)))
        of_line = attrgetter(*(f.name for f in dataclasses.fields(BudgetLine)))
        marks = {}
        for unit in self.units:
            values = ([of_indicator(i) for i in self.indicators_of(unit.code)],
                      [(code, of_line(line)) for code, line in sorted(self.first_lines(unit.code).items())])
            marks[unit.code] = hashlib.blake2b(pickle.dumps(values, protocol=5), digest_size=16).digest()
        return marks

    def budget_line(self, key: str) -> BudgetLine:
        """The budget line of this key (``budget_key``); KeyError if none."""
        return self.budget_lines[key]

    def first_lines(self, unit_code: str) -> dict[str, BudgetLine]:
        """The unit's budget lines by the code of their first indicator (the row that shows a line)."""
        return self._lines_by_unit.get(unit_code, {})

    @cached_property
    def _lines_by_unit(self) -> dict[str, dict[str, BudgetLine]]:
        lines: dict[str, dict[str, BudgetLine]] = {}
        for line in self.budget_lines.values():
            lines.setdefault(line.unit_code, {})[line.indicators[0]] = line
        return lines

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
