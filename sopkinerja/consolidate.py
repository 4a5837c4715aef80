"""SOP steps 6 and 9: consolidate accepted values per unit and for the agency (pandas).

The year's cycle (product.md §2): every round's accepted values make one
series per indicator and per budget line (``series``); an indicator's
``realisasi`` is its year so far by ``metode`` and its capaian compares that
with the round's target, beside its progress against the annual target.
Budget belongs to the sub kegiatan: its pagu (the revised one when given)
and its spending so far sit on the sub kegiatan's first indicator row only,
so a column sum is the true total; serapan counts only the sub kegiatan
whose spending is known, and the recap names whose budget is left out.
Only values from each unit's accepted answer count; raw capaian is kept, a
negative one counts as 0 and the optional cap applies in averages only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from pathlib import Path

import numpy as np

from sopkinerja.files import KeptCache, code_mark
from sopkinerja.models import FREQUENCIES, Indicator, Period, due
from sopkinerja.rules import KATEGORI, capaian, for_average, kategori, serapan, year_so_far
from sopkinerja.series import YearSeries, year_series

# The flat table's columns (product.md §3.7, the recap CSV), in order: v1, then v2.
CSV_COLUMNS = (
    "periode", "kode_unit", "nama_unit", "kode_indikator", "indikator", "satuan", "polaritas", "target",
    "realisasi", "capaian_persen", "kategori", "pagu", "realisasi_anggaran", "serapan_persen", "status_unit",
    "metode", "target_tahunan", "realisasi_periode", "realisasi_sd", "capaian_tahunan_persen",
    "faktor_pendorong", "faktor_penghambat", "tindak_lanjut", "bukti_dukung", "keterangan",
)
EXTRA_COLUMNS = ("sasaran", "program", "kegiatan", "sub_kegiatan", "frekuensi", "wajib", "capaian_sebelumnya",
                 "periode_sebelumnya", "perubahan_capaian")
UNIT_STATUS = {"accepted": "diterima", "rejected": "ditolak", "missing": "belum-mengirim"}
# The units' own words: the ledger's field -> the CSV column.
NARRATIVES = {"drivers": "faktor_pendorong", "obstacles": "faktor_penghambat", "follow_up": "tindak_lanjut",
              "evidence": "bukti_dukung", "note": "keterangan"}


@dataclass
class Numbers:
    """Totals that add up: the agency row is ``sum(unit rows)`` (as coverage.py does)."""

    indicators: int = 0
    filled: int = 0  # indicators with this round's value
    capaian_sum: float = 0.0  # of defined capaian as they count in an average (rules.for_average)
    capaian_count: int = 0
    budget: float = 0.0  # pagu of every budget line (pagu perubahan where given)
    spent: float = 0.0  # spending so far of the lines whose spending is known
    per_kategori: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KATEGORI})
    annual_sum: float = 0.0  # progress against the annual target, as it counts in an average
    annual_count: int = 0
    budget_known: float = 0.0  # pagu of the lines whose spending is known: serapan's denominator

    def __add__(self, other: Numbers) -> Numbers:
        if other == 0:
            return self
        return Numbers(
            self.indicators + other.indicators, self.filled + other.filled,
            self.capaian_sum + other.capaian_sum, self.capaian_count + other.capaian_count,
            self.budget + other.budget, self.spent + other.spent,
            {k: self.per_kategori[k] + other.per_kategori[k] for k in KATEGORI},
            self.annual_sum + other.annual_sum, self.annual_count + other.annual_count,
            self.budget_known + other.budget_known)

    __radd__ = __add__

    @property
    def average(self) -> float | None:
        return self.capaian_sum / self.capaian_count if self.capaian_count else None

    @property
    def annual_average(self) -> float | None:
        return self.annual_sum / self.annual_count if self.annual_count else None

    @property
    def absorption(self) -> float | None:
        """Serapan over the budget lines whose spending is known (product.md §2)."""
        return serapan(self.spent, self.budget_known) if self.budget_known else None

    @property
    def budget_left_out(self) -> float:
        return self.budget - self.budget_known


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
    rounds: dict[str, float | None] = field(default_factory=dict)  # period code -> average capaian then
    footer: dict[str, str] = field(default_factory=dict)  # the unit's analysis (layout.FOOTER keys)


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
class RoundValues:
    """What one round of the year said, aligned with the table's rows (the official forms' quarter
    columns): each indicator's own value and each budget line's spending on its first row (NaN
    when not known), the units whose answer that round was accepted, and the agency's average
    capaian then (on that round's year so far and target)."""

    actual: np.ndarray
    spent: np.ndarray
    answered: frozenset[str]
    average: float | None = None
    late: frozenset[str] = frozenset()  # indicator codes whose value for the round came in a later round
    collected: bool = True  # requests were issued for the round (a workspace may begin mid-year)


@dataclass
class Recap:
    period: str
    table: object  # pandas.DataFrame with CSV_COLUMNS + EXTRA_COLUMNS
    units: list[UnitRecap]
    total: Numbers
    completeness: Completeness
    cap: float | None
    rounds: tuple[str, ...] = ()  # the year's rounds so far, oldest first
    by_round: dict[str, RoundValues] = field(default_factory=dict)  # period code -> that round's values
    # unit code -> the key of its piece: a digest of everything its rows and round values come from
    # (the forms key their kept chunks by it instead of hashing every row again)
    unit_keys: dict[str, str] = field(default_factory=dict)
    # unit code -> a digest of its master rows and budget lines (with its name): the forms keep
    # what follows from the master alone (the E.81's tree) by these
    master_marks: dict[str, bytes] = field(default_factory=dict)

    @property
    def budget_left_out(self) -> list[UnitRecap]:
        """Units whose budget is not in the agency's serapan (missing, rejected, spending unknown)."""
        return [u for u in self.units if u.numbers.budget_left_out > 0]


def consolidate(ledger, master, period: str, unit_statuses, cap: float | None, cache: Path | None = None) -> Recap:
    """Build the agency table from the ledger's accepted values of the year up to ``period``.

    Unit by unit (``_unit_piece``): a unit's rows depend only on its own answers, requests and
    master rows, so each unit's piece is kept in ``cache`` (derived data, safe to delete) by a key
    of those, and one resubmission consolidates one unit again. The agency's figures are summed
    from the pieces in master order, as the one table's were. Column-wise where it pays
    (numpy); each rule is the one function of ``sopkinerja.rules``, applied row by row, never
    as a vectorised twin.
    """
    import pandas as pd

    current = Period.parse(period)
    rounds = current.so_far()
    statuses = {u.unit: u for u in unit_statuses}
    pieces = KeptCache(cache, ".unit", UnitPiece)
    marks = ledger.round_marks([p.code for p in _read_rounds(current)])
    code = code_mark()
    units, unit_keys, master_marks = [], {}, {}
    found: dict[str, UnitPiece] = {}
    for unit in master.units:
        accepted = statuses[unit.code].status == "accepted"
        master_marks[unit.code] = master.unit_marks[unit.code]
        unit_keys[unit.code] = key = KeptCache.key(PIECE_VERSION, code, period, cap, unit.code, unit.name, accepted,
                                                   marks.get(unit.code, ()), master_marks[unit.code])
        piece = pieces.get(key)
        if piece is not None:
            found[unit.code] = piece
    missing = [unit for unit in master.units if unit.code not in found]
    found.update(_built(ledger, master, missing, statuses, current, cap, pieces, unit_keys))
    parts = []
    for unit in master.units:
        piece = found.pop(unit.code)
        piece.columns.update(_master_columns(unit, master, current))
        parts.append(piece)
    pieces.prune()
    status_of = {code: UNIT_STATUS[s.status] for code, s in statuses.items()}
    unit_codes = [p.columns["kode_unit"] for p in parts]
    rows = sum(len(codes) for codes in unit_codes)
    columns: dict[str, object] = {}
    for name in CSV_COLUMNS + EXTRA_COLUMNS:
        if name == "periode":
            columns[name] = np.empty(rows, dtype=object)
            columns[name].fill(period)  # one str shared (np.full makes one per row)
        elif name == "status_unit":
            columns[name] = _objects((status_of.get(code) for codes in unit_codes for code in codes), rows)
        elif name in FLOAT_COLUMNS:
            columns[name] = _joined([p.columns[name] for p in parts])
        else:
            columns[name] = _objects(chain.from_iterable(p.columns[name] for p in parts), rows)
        for p in parts:
            p.columns.pop(name, None)  # one copy at a time (memory)
    table = pd.DataFrame(columns, copy=False)
    del columns
    for unit, piece in zip(master.units, parts, strict=True):
        status = statuses[unit.code]
        averages = {p.code: (sum(found.tolist()) / len(found) if len(found) else None)
                    for p, found in zip(rounds, piece.counted, strict=True)}
        units.append(UnitRecap(unit.code, unit.name, status.status, status.on_time, status.received_at,
                               status.file, status.errors, status.warnings, piece.numbers, averages, piece.footer))
    total = sum((u.numbers for u in units), Numbers())
    by_round = {}
    for index, p in enumerate(rounds):
        count = sum(len(piece.counted[index]) for piece in parts)
        every = sum(chain.from_iterable(piece.counted[index].tolist() for piece in parts))  # in order, as floats
        by_round[p.code] = RoundValues(
            _joined([piece.own[index] for piece in parts]), _joined([piece.spent[index] for piece in parts]),
            frozenset(unit.code for unit, piece in zip(master.units, parts, strict=True) if piece.answered[index]),
            every / count if count else None,
            frozenset(c for piece in parts for c in piece.late[index]), ledger.issued_any(p.code))
    return Recap(period, table, units, total, _completeness(unit_statuses), cap, tuple(p.code for p in rounds),
                 by_round, unit_keys, master_marks)


# The table's float columns (numpy arrays in a piece, joined with numpy).
FLOAT_COLUMNS = frozenset({"target", "target_tahunan", "realisasi", "realisasi_periode", "realisasi_sd",
                           "capaian_persen", "capaian_tahunan_persen", "pagu", "realisasi_anggaran",
                           "serapan_persen", "capaian_sebelumnya", "perubahan_capaian"})
PIECE_VERSION = "4"  # part of every kept piece's key: change it when a piece's content changes


@dataclass
class UnitPiece:
    """One unit's part of the consolidated year: its table rows (the columns it works out; not
    ``periode``, ``status_unit`` nor what the master gives) and, per round of the year so far, its
    own values and spending, whether its answer was accepted, its late entries and its capaian as
    they count in an average."""

    columns: dict[str, object]
    own: list[np.ndarray]
    spent: list[np.ndarray]
    answered: list[bool]
    late: list[frozenset[str]]
    counted: list[np.ndarray]  # float arrays: Python floats per value held ~4x the memory
    footer: dict[str, str]
    numbers: Numbers


PARALLEL_FROM = 8  # units to build before a worker pool pays off (starting one costs ~0.5 s)
CHUNK = 4  # units per worker job


@dataclass(frozen=True)
class PieceJob:
    """What a worker needs to build some units' pieces: the ledger's path (it reads it, never
    writes), each unit with its indicators, budget lines, whether its answer is accepted and its
    piece's key, the round, the cap and the folder the pieces are kept in."""

    ledger: str
    units: tuple[tuple, ...]  # (unit, indicators, first lines, accepted, key)
    period: str
    cap: float | None
    cache: str | None


def _built(ledger, master, units, statuses, current: Period, cap, pieces: KeptCache, keys: dict) -> dict:
    """The pieces of ``units`` (the ones not kept), built and kept: in a spawn pool on both cores
    when there are many (a cold run: the reading and the rules' Python work for 500,000 rows,
    and what it leaves in the heap stays in the workers), else here."""
    from sopkinerja.pool import map_jobs, worker_count

    def entry(unit) -> tuple:
        return (unit, master.indicators_of(unit.code), master.first_lines(unit.code),
                statuses[unit.code].status == "accepted", keys[unit.code])

    if len(units) < PARALLEL_FROM:
        built = _pieces_of(ledger, [entry(unit) for unit in units], current, cap, pieces)
        return {unit.code: piece for unit, piece in zip(units, built, strict=True)}
    # The pieces' keys are among ``pieces``' used ones already (``get`` asked for each): the
    # workers keep them in its folder and ``prune`` leaves them there.
    groups = [units[i:i + CHUNK] for i in range(0, len(units), CHUNK)]
    jobs = (PieceJob(str(ledger.path), tuple(entry(unit) for unit in group), current.code, cap,
                     None if pieces.folder is None else str(pieces.folder)) for group in groups)
    workers = worker_count(len(groups))
    out = {}
    for group, built in zip(groups, map_jobs(build_pieces, jobs, parallel=True, workers=workers, window=3 * workers),
                            strict=True):
        out.update((unit.code, piece) for unit, piece in zip(group, built, strict=True))
    return out


def build_pieces(job: PieceJob) -> list[UnitPiece]:
    """A worker's job (``_built``): the units' pieces, each kept in the job's cache folder."""
    from sopkinerja.ledger import Ledger

    kept = KeptCache(Path(job.cache) if job.cache is not None else None, ".unit", UnitPiece)
    ledger = Ledger.open_readonly(Path(job.ledger))
    try:
        return _pieces_of(ledger, job.units, Period.parse(job.period), job.cap, kept)
    finally:
        ledger.close()


def _pieces_of(ledger, entries, current: Period, cap: float | None, kept: KeptCache) -> list[UnitPiece]:
    """Each entry's (``PieceJob.units``) piece, built from ``ledger`` and kept in ``kept``."""
    out = []
    for unit, indicators, first_lines, accepted, key in entries:
        piece = _unit_piece(ledger, unit, indicators, first_lines, current, accepted, cap)
        kept.put(key, piece)
        out.append(piece)
    return out


def _master_columns(unit, master, current: Period) -> dict[str, list]:
    """The unit's rows as the master gives them (not kept with a piece: made again each time,
    from the master's columns: a cached master makes no ``Indicator`` for them)."""
    fields = master.columns_of(unit.code, _MASTER_FIELDS)
    due_of = {frequency: due(frequency, current) for frequency in set(fields["frequency"])}
    return {
        "kode_unit": fields["unit_code"], "nama_unit": [unit.name] * len(fields["code"]),
        "kode_indikator": fields["code"], "indikator": fields["name"], "satuan": fields["measure"],
        "polaritas": fields["polarity"], "sasaran": fields["objective"], "program": fields["program"],
        "kegiatan": fields["activity"], "sub_kegiatan": fields["sub_activity"], "metode": fields["method"],
        "frekuensi": fields["frequency"], "wajib": [due_of[frequency] for frequency in fields["frequency"]],
    }


_MASTER_FIELDS = ("unit_code", "code", "name", "measure", "polarity", "objective", "program", "activity",
                  "sub_activity", "method", "frequency")


def _read_rounds(period: Period) -> list[Period]:
    """The rounds whose ledger rows a unit's piece reads: the year so far, and last year's for the
    year's first round (its capaian sebelumnya)."""
    before = period.previous
    extra = list(before.so_far()) if before is not None and before.year != period.year else []
    return [*extra, *period.so_far()]


def _joined(arrays: list) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.array([], dtype=float)


def _objects(values, count: int) -> np.ndarray:
    """A column of ``count`` Python values as an object array, filled straight from ``values``:
    a list first would hold the column twice while the frame takes it (memory), and numpy does
    not read a tuple or list value as a row of its own here."""
    return np.fromiter(values, dtype=object, count=count)


def _unit_piece(ledger, unit, indicators, first_lines: dict, current: Period, accepted: bool,
                cap: float | None) -> UnitPiece:
    """One unit's rows of the year so far at ``current`` from its accepted answers and requests."""
    period = current.code
    rounds = current.so_far()
    line_of = {i.code: i.budget_key for i in indicators}
    series = year_series(ledger, current, line_of, unit.code)
    answered = [{who for who, code in series.answered if code == p.code} for p in rounds[:-1]]
    answered.append({unit.code} if accepted else set())
    own_values: list[list[float]] = [[] for _ in rounds]
    year = _year(indicators, series, rounds, answered, own_values)  # the year so far at each round
    # The round's targets as each round's request showed them.
    targets = [_targets(indicators, p, ledger.issued_numbers(p.code, unit.code)) for p in rounds[:-1]]
    issued = ledger.issued_numbers(period, unit.code)
    columns: dict[str, object] = {}
    target = _targets(indicators, current, issued)
    targets.append(target)
    annual = np.array([_nan(_annual(issued, i)) for i in indicators], dtype=float)
    own = np.array([_nan(series.actual.get((i.code, period))) for i in indicators], dtype=float)
    so_far = year[-1]
    polarity = [i.polarity for i in indicators]
    value = _each(capaian, so_far, target, polarity)
    capaians = [_each(capaian, year[index], targets[index], polarity) for index in range(len(rounds) - 1)] + [value]
    yearly = _each(capaian, so_far, annual, polarity)
    columns.update({"target": target, "target_tahunan": annual, "realisasi": so_far, "realisasi_periode": own,
                    "realisasi_sd": so_far, "capaian_persen": value, "kategori": [kategori(v) for v in value.tolist()],
                    "capaian_tahunan_persen": yearly})
    budget, spent, spent_by_round = _budget_columns(indicators, first_lines, series, current, issued)
    columns.update({"pagu": budget, "realisasi_anggaran": spent, "serapan_persen": _each(serapan, spent, budget)})
    previous, previous_period = _previous(ledger, indicators, current, capaians, line_of, unit.code)
    columns.update({"capaian_sebelumnya": previous, "periode_sebelumnya": previous_period,
                    "perubahan_capaian": value - previous})
    texts, footers = _narratives(ledger, period, unit.code)
    for field_name, column in NARRATIVES.items():
        columns[column] = [texts.get((unit.code, i.code, field_name)) for i in indicators]
    counted = [[for_average(v, cap) for v in values.tolist() if v == v] for values in capaians]
    numbers = _numbers(counted[-1], yearly, own, budget, spent, columns["kategori"], cap)
    late = [frozenset(key for kind, key, code in series.late if kind == "actual" and code == p.code) for p in rounds]
    return UnitPiece(columns, [np.array(v, dtype=float) for v in own_values], spent_by_round,
                     [unit.code in found for found in answered], late,
                     [np.array(found, dtype=float) for found in counted], footers.get(unit.code, {}), numbers)


def _numbers(counted: list[float], yearly, own, budget, spent, bands, cap) -> Numbers:
    """A unit's totals from its rows (``counted``: this round's capaian as they count in an average)."""
    annual = [for_average(v, cap) for v in yearly.tolist() if v == v]
    has_budget, has_spent = ~np.isnan(budget), ~np.isnan(spent)
    counts = {k: 0 for k in KATEGORI}
    for band in bands:
        if isinstance(band, str):
            counts[band] += 1
    return Numbers(
        indicators=len(own), filled=int((~np.isnan(own)).sum()),
        capaian_sum=float(sum(counted)), capaian_count=len(counted),
        budget=float(sum(budget[has_budget].tolist())), spent=float(sum(spent[has_spent].tolist())),
        per_kategori=counts, annual_sum=float(sum(annual)), annual_count=len(annual),
        budget_known=float(sum(budget[has_budget & has_spent].tolist())))


def _nan(value) -> float:
    return np.nan if value is None else float(value)


def _annual(issued: dict, indicator) -> float | None:
    """The annual target as the unit's latest request showed it, else as the master says now (a
    request of the first template showed none)."""
    found = issued.get(indicator.code)
    return found[1] if found is not None and found[1] is not None else indicator.target


def _each(rule, *columns) -> np.ndarray:
    """A rule of ``sopkinerja.rules`` applied row by row (NaN in, NaN out): the rule is written
    once, never as a vectorised twin (measured: ~0.3 s for 500,000 rows)."""
    results = [rule(*row) for row in zip(*(np.asarray(c).tolist() for c in columns), strict=True)]
    return np.array([np.nan if v is None else v for v in results], dtype=float)


def _targets(indicators, period: Period, issued: dict) -> np.ndarray:
    """The round's target as the unit saw it (its latest request), else as the master says now."""
    return np.array([_nan(issued[i.code][0] if i.code in issued else i.target_for(period))
                     for i in indicators], dtype=float)


def _year(indicators, series: YearSeries, rounds: tuple[Period, ...], answered: list[set[str]],
          own: list[list[float]] | None = None) -> list[np.ndarray]:
    """The year so far at each round, one array per round, in one pass over the indicators.

    At a round it is known for a unit whose answer that round was accepted (``answered``), when
    the round's own value is known or the indicator was not due then (its year carries on from
    the rounds before); ``rules.year_so_far`` decides it from the rounds' own values. ``own``
    (one list per round), when given, receives each round's own value (NaN when not known).
    """
    codes = [p.code for p in rounds]
    due = {f: [Indicator("", "", "", "", "+", None, frequency=f).due(p) for p in rounds] for f in FREQUENCIES}
    actual = series.actual
    out = [[] for _ in rounds]
    for indicator in indicators:
        values = [actual.get((indicator.code, code)) for code in codes]
        is_due, unit, method = due[indicator.frequency], indicator.unit_code, indicator.method
        if own is not None:
            for index, found in enumerate(values):
                own[index].append(np.nan if found is None else found)
        for index in range(len(codes)):
            if unit not in answered[index] or (values[index] is None and is_due[index]):
                out[index].append(np.nan)
            else:
                known = year_so_far(method, values[:index + 1])
                out[index].append(np.nan if known is None else known)
    return [np.array(column, dtype=float) for column in out]


def _budget_columns(indicators, first: dict, series: YearSeries, period: Period, issued):
    """Pagu and spending so far on each budget line's first indicator row (spending NaN when
    unknown), and each round's own spending there (one array per round of the year so far).

    The round's spending is known when the unit's accepted answer gives it (on the sub kegiatan's
    row, or per indicator in a return of the first template, summed per line by the series).
    ``first``: indicator code -> the budget line it is the first indicator of.
    """
    codes = [p.code for p in period.so_far()]
    budget, spent = [], []
    by_round: list[list[float]] = [[] for _ in codes]
    for indicator in indicators:
        line = first.get(indicator.code)
        if line is None or line.effective_budget is None:
            budget.append(np.nan)
            spent.append(np.nan)
            for column in by_round:
                column.append(np.nan)
            continue
        for column, code in zip(by_round, codes, strict=True):
            found = series.spent.get((line.key, code))
            column.append(np.nan if found is None else found)
        shown = issued.get(line.key)
        budget.append(float(shown[2] if shown is not None and shown[2] is not None else line.effective_budget))
        known = series.spending(line.key, period) is not None
        spent.append(float(series.spent_so_far(line.key, period)) if known else np.nan)
    return (np.array(budget, dtype=float), np.array(spent, dtype=float),
            [np.array(column, dtype=float) for column in by_round])


def _previous(ledger, indicators, period: Period, capaians, line_of, unit: str | None = None
              ) -> tuple[np.ndarray, list]:
    """Each indicator's capaian in the round before, on that round's year so far and target: the
    year's previous round's (``capaians``: each round's of this year, late entries included), or
    last year's last round's for the year's first."""
    before = period.previous
    if before is None:
        return np.full(len(indicators), np.nan), [None] * len(indicators)
    if before.year == period.year:
        value = capaians[-2]
    else:
        series = year_series(ledger, before, line_of, unit)
        rounds = before.so_far()
        answered = [{who for who, code in series.answered if code == p.code} for p in rounds]
        so_far = _year(indicators, series, rounds, answered)[-1]
        target = _targets(indicators, before, ledger.issued_numbers(before.code, unit))
        value = _each(capaian, so_far, target, [i.polarity for i in indicators])
    code = before.code  # one str for every row (``Period.code`` makes a new one each time)
    return value, [code if v == v else None for v in value.tolist()]


def _narratives(ledger, period: str, unit: str | None = None) -> tuple[dict, dict]:
    """(unit, indicator, field) -> text of the indicators, and unit -> {footer key: text}."""
    texts, footers = {}, {}
    for who, code, name, text in ledger.accepted_texts(period, unit):
        if code:
            texts[(who, code, name)] = text
        else:
            footers.setdefault(who, {})[name] = text
    return texts, footers


def _completeness(unit_statuses) -> Completeness:
    statuses = list(unit_statuses)
    return Completeness(
        expected=len(statuses),
        received=sum(u.status != "missing" for u in statuses),
        accepted=sum(u.status == "accepted" for u in statuses),
        on_time=sum(u.status == "accepted" and bool(u.on_time) for u in statuses),
        missing=[u.unit for u in statuses if u.status == "missing"],
        rejected=[u.unit for u in statuses if u.status == "rejected"])


def last_year(ledger, master, period: str) -> dict[str, tuple[float | None, float | None]]:
    """Per indicator code, last year's realisasi at its last round and its capaian against last
    year's annual target, where the ledger holds an accepted answer of that year (the LKjIP's
    comparison columns); empty when it holds none."""
    current = Period.parse(period)
    rounds = current.of_year()
    before = Period(current.year - 1, current.kind, rounds[-1].number)
    if not ledger.has_accepted([p.code for p in before.so_far()]):
        return {}  # without reading the master's 500,000 budget keys for nothing
    indicators = list(master.indicators)
    series = year_series(ledger, before, {i.code: i.budget_key for i in indicators})
    if not series.answered:
        return {}
    so_far_rounds = before.so_far()
    answered = [{unit for unit, code in series.answered if code == p.code} for p in so_far_rounds]
    so_far = _year(indicators, series, so_far_rounds, answered)[-1]
    issued = ledger.issued_numbers(before.code)
    out = {}
    for indicator, value in zip(indicators, so_far.tolist(), strict=True):
        if value != value:
            continue
        out[indicator.code] = (value, capaian(value, _annual(issued, indicator), indicator.polarity))
    return out
