"""The ``Indikator`` sheet: each row checked and read into an ``Indicator`` (product.md §2, §3.3).

Every problem is reported with its sheet, row and column, all at once. The
defaults of §2 are applied here and marked (``Indicator.defaulted``) so the
Kasubbag can see how many indicators got a method from their satuan. A
sub-kegiatan's pagu belongs to the sub-kegiatan: it may be given on any one
of its rows or repeated, never two different values.
"""

from __future__ import annotations

from sopkinerja.cells import clean_text
from sopkinerja.errors import Problem
from sopkinerja.models import FREQUENCIES, METHODS, PERIOD_TARGETS, POLARITIES, Indicator
from sopkinerja.numbers import format_number, parse_number
from sopkinerja.rules import default_method, is_percentage_measure

TEXT_FIELDS = ("kode_unit", "kode", "sasaran", "program", "kegiatan", "sub_kegiatan",
               "indikator", "satuan", "polaritas", "metode", "frekuensi")
TARGET_FIELDS = ("target", *PERIOD_TARGETS, "target_renstra", "realisasi_renstra_lalu")
BUDGET_FIELDS = ("pagu", "pagu_perubahan", "pagu_renstra", "anggaran_renstra_lalu")  # per sub-kegiatan
RANGE_FIELDS = ("nilai_min", "nilai_maks")
NUMBER_FIELDS = (*TARGET_FIELDS, *BUDGET_FIELDS, *RANGE_FIELDS)
MINUS_SIGNS = {"\u2212": "-", "\u2013": "-", "\u2014": "-"}
WORDS = {"kumulatif": "kumulatif", "nilai akhir": "nilai_akhir", "nilai_akhir": "nilai_akhir",
         "rata-rata": "rata_rata", "rata rata": "rata_rata", "rata_rata": "rata_rata"}
_NO_TARGETS: dict = {}  # shared by every indicator without period targets; never mutated


def read_indicators(table, unit_codes, locale, errors, warnings, problem, check_code) -> list[Indicator]:
    indicators: list[Indicator] = []
    seen: dict[str, int] = {}
    known = {code.upper(): code for code in unit_codes or ()}  # None: the Unit sheet is missing, not checked
    read = _row_reader(table, TEXT_FIELDS + NUMBER_FIELDS)
    # One string object per distinct text: a province's 500,000 indicators repeat the
    # same units, measures and programs, and the master stays in memory for a run.
    shared: dict[str, str] = {}
    budgets: dict[str, list] = {}
    for number, row in table.rows:
        raw = read(row)
        text = {c: shared.setdefault(value, value) for c in TEXT_FIELDS for value in (clean_text(raw[c]),)}
        for column in ("kode_unit", "kode", "indikator", "satuan"):
            if not text[column]:
                errors.append(problem("master.empty_value", table, number, column))
        unit_code = known.get(text["kode_unit"].upper(), text["kode_unit"])
        if unit_codes is not None and text["kode_unit"] and text["kode_unit"].upper() not in known:
            errors.append(problem("master.unknown_unit", table, number, "kode_unit", value=text["kode_unit"]))
        code = text["kode"]
        check_code(table, number, code, seen, "master.duplicate_indicator", errors)
        polarity = _polarity(table, text["polaritas"], number, errors, problem)
        method = _choice(table, number, "metode", text["metode"], WORDS, METHODS, errors, problem)
        frequency = _choice(table, number, "frekuensi", text["frekuensi"], {f: f for f in FREQUENCIES},
                            FREQUENCIES, errors, problem)
        numbers = {column: _number(table, raw[column], number, column, locale, text["satuan"], errors, warnings,
                                   problem) for column in NUMBER_FIELDS if raw[column] is not None}
        low, high = numbers.get("nilai_min"), numbers.get("nilai_maks")  # None: blank or unreadable
        if low is not None and high is not None and low > high:
            errors.append(problem("master.range_reversed", table, number, "nilai_maks", low=low, high=high))
        _negatives(table, number, numbers, low, errors, problem)
        indicator = Indicator(
            unit_code=unit_code, code=code, name=text["indikator"], measure=text["satuan"],
            polarity=polarity, target=numbers.get("target"), objective=text["sasaran"],
            program=text["program"], activity=text["kegiatan"], sub_activity=text["sub_kegiatan"],
            period_targets={c: numbers[c] for c in PERIOD_TARGETS if numbers.get(c) is not None} or _NO_TARGETS,
            budget=numbers.get("pagu"), method=method or default_method(text["satuan"]),
            frequency=frequency or "triwulanan", min_value=0.0 if low is None else low, max_value=high,
            budget_revised=numbers.get("pagu_perubahan"), renstra_target=numbers.get("target_renstra"),
            renstra_budget=numbers.get("pagu_renstra"), renstra_actual_last=numbers.get("realisasi_renstra_lalu"),
            renstra_spent_last=numbers.get("anggaran_renstra_lalu"), defaulted=not text["metode"])
        indicators.append(indicator)
        budgets.setdefault(indicator.budget_key, []).append((number, unit_code, numbers))
    _budget_lines(table, budgets, errors, problem)
    if not table.rows:
        errors.append(Problem("master.no_rows", {"sheet": table.name}))
    return indicators


def _row_reader(table, names: tuple[str, ...]):
    """A fast accessor: one dict of raw values per row (blank cells as None)."""
    positions = [(name, table.columns.get(name)) for name in names]

    def read(row: list[object]) -> dict[str, object]:
        size = len(row)
        return {name: (row[i] if i is not None and i < size and row[i] != "" else None)
                for name, i in positions}

    return read


def _budget_lines(table, budgets: dict[str, list], errors, problem) -> None:
    """product.md §2: one pagu per sub-kegiatan, repeated or given once; never two values, never
    two units (a sub-kegiatan is carried out by one unit)."""
    for key, rows in budgets.items():
        if not key.startswith("SUB ") or len(rows) < 2:
            continue
        for column in BUDGET_FIELDS:
            given = [(number, numbers[column]) for number, _, numbers in rows if numbers.get(column) is not None]
            for number, value in given[1:]:
                if value != given[0][1]:
                    errors.append(problem("master.budget_conflict", table, number, column,
                                          value=format_number(value), first=format_number(given[0][1]),
                                          first_row=given[0][0], sub=key[4:]))
        units = {unit for _, unit, _ in rows}
        if len(units) > 1 and any(numbers.get("pagu") is not None for _, _, numbers in rows):
            number = next(n for n, unit, _ in rows if unit != rows[0][1])
            errors.append(problem("master.budget_units", table, number, "sub_kegiatan", sub=key[4:],
                                  units=", ".join(sorted(units))))


def _negatives(table, number, numbers, low, errors, problem) -> None:
    """Amounts are never negative; a target may be, where the indicator's own range allows it
    (``nilai_min`` below 0, e.g. laju pertumbuhan ekonomi)."""
    for column, value in numbers.items():
        if value is None or value >= 0 or column in RANGE_FIELDS:
            continue
        if column in TARGET_FIELDS and low is not None and low < 0:
            continue
        errors.append(problem("master.negative", table, number, column, value=value))


def _choice(table, number, column, text, words, allowed, errors, problem) -> str | None:
    if not text:
        return None
    value = words.get(text.strip().lower().replace("  ", " "))
    if value is None:
        errors.append(problem("master.bad_choice", table, number, column, value=text, options=", ".join(allowed)))
    return value


def _polarity(table, raw: str, number: int, errors, problem) -> str:
    value = MINUS_SIGNS.get(raw, raw)
    if value not in POLARITIES:
        errors.append(problem("master.bad_polarity", table, number, "polaritas", value=raw))
    return value


def _number(table, raw, number, column, locale, measure, errors, warnings, problem) -> float | None:
    parsed = parse_number(raw, locale)
    if parsed.kind == "blank":
        return None
    if parsed.value is None:
        errors.append(problem("master.not_a_number", table, number, column, value=clean_text(raw)))
        return None
    if parsed.ambiguous:
        warnings.append(problem("master.ambiguous", table, number, column,
                                value=parsed.original, read=parsed.value, other=parsed.alternative))
    if (column in TARGET_FIELDS and is_percentage_measure(measure) and parsed.kind == "number"
            and 0 < parsed.value < 1):
        warnings.append(problem("master.percent_fraction", table, number, column,
                                value=parsed.value, percent=round(parsed.value * 100, 4)))
    return parsed.value
