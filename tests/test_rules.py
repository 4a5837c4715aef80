"""The domain rules of product.md §2 as tables: capaian and its rounding, kategori bands after
rounding, serapan, averages, how a year adds up by ``metode``, when an indicator is due
(``frekuensi``), the round's target, the value range; and the request workbook's live formulas
(year so far, capaian), the one allowed twin, computed by a real LibreOffice."""

import shutil
from decimal import ROUND_HALF_UP, Decimal

import pytest
from conftest import soffice_convert

from sopkinerja.models import Indicator, Period
from sopkinerja.rules import (
    capaian,
    default_method,
    for_average,
    is_percentage_measure,
    kategori,
    round_half_up,
    serapan,
    value_range,
    year_so_far,
)


@pytest.mark.parametrize("actual, target, polarity, expected", [
    (90, 100, "+", 90.0),
    (120, 100, "+", 120.0),
    (0, 100, "+", 0.0),          # 0 is a value
    (None, 100, "+", None),      # blank is not zero: undefined
    (5, 0, "+", None),           # target 0, higher is better: undefined, never a division error
    (0, 0, "+", None),
    (5, None, "+", None),        # target missing
    (8.0, 10, "-", 120.0),       # lower is better: (2*10-8)/10*100
    (10, 10, "-", 100.0),
    (25, 10, "-", -50.0),        # raw capaian is kept, even negative
    (0, 0, "-", 100.0),          # zero audit findings against a target of zero
    (3, 0, "-", 0.0),            # any finding against a target of zero
    (None, 0, "-", None),
    (65.52, 72, "+", 91.0),      # 90.99999999999999 in floating point: shown and banded as 91,00
    (2, 3, "+", 66.67),          # rounded half-up to 2 decimals
    (1, 3, "+", 33.33),
    (1, 8, "+", 12.5),
    (0.125, 1, "+", 12.5),
    (0.00125, 0.1, "+", 1.25),   # a tie on the exact decimals: half up
    (float("nan"), 10, "+", None),
])
def test_capaian(actual, target, polarity, expected):
    assert capaian(actual, target, polarity) == expected


def _exact_band(actual: float, target: float, polarity: str) -> str:
    """The oracle: the capaian of the decimals as written, rounded half-up, then banded."""
    r, t = Decimal(str(actual)), Decimal(str(target))
    value = ((2 * t - r) / t if polarity == "-" else r / t) * 100
    value = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    for lower, label in ((91, "Sangat Tinggi"), (76, "Tinggi"), (66, "Sedang"), (51, "Rendah")):
        if value >= lower:
            return label
    return "Sangat Rendah"


def _boundary_pairs():
    """Hundreds of (realisasi, target) pairs whose capaian sits on a band edge, or a hair either
    side of it, with realisasi written to two decimals as units type it."""
    pairs = {(65.52, 72.0, "+"), (9.1, 10.0, "+"), (4.56, 6.0, "+"), (17.29, 19.0, "+")}
    targets = (72, 10, 6, 19, 3, 7, 12.5, 25, 50, 68, 95, 100, 137, 250, 365, 1.7, 4.4, 8.75, 14.2)
    for target in targets:
        t = Decimal(str(target))
        for edge in (91, 76, 66, 51):
            exact = t * edge / 100
            for delta in (Decimal("0"), Decimal("0.01"), Decimal("-0.01"), Decimal("0.005"), Decimal("-0.005")):
                actual = (exact + delta).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                if actual > 0:
                    pairs.add((float(actual), float(target), "+"))
            # lower is better: (2T - R)/T = edge/100  ->  R = T * (2 - edge/100)
            mirrored = t * (2 - Decimal(edge) / 100)
            for delta in (Decimal("0"), Decimal("0.01"), Decimal("-0.01")):
                actual = (mirrored + delta).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                pairs.add((float(actual), float(target), "-"))
    return sorted(pairs)


BOUNDARY_PAIRS = _boundary_pairs()


def test_the_boundary_table_is_large_and_has_real_float_traps():
    assert len(BOUNDARY_PAIRS) >= 300
    traps = [(r, t) for r, t, p in BOUNDARY_PAIRS if p == "+" and r / t * 100 != float(
        Decimal(str(r)) / Decimal(str(t)) * 100)]
    assert len(traps) >= 50  # pairs where plain floating point is off the exact decimal


@pytest.mark.parametrize("actual, target, polarity", BOUNDARY_PAIRS)
def test_band_is_decided_on_the_rounded_capaian(actual, target, polarity):
    value = capaian(actual, target, polarity)
    assert kategori(value) == _exact_band(actual, target, polarity)
    assert value == round_half_up(value)  # what every output shows is the number the band used


@pytest.mark.parametrize("value, band", [
    (100, "Sangat Tinggi"), (91, "Sangat Tinggi"), (90.99, "Tinggi"), (76, "Tinggi"), (75.99, "Sedang"),
    (66, "Sedang"), (65.99, "Rendah"), (51, "Rendah"), (50.99, "Sangat Rendah"), (0, "Sangat Rendah"),
    (-20, "Sangat Rendah"), (None, None), (float("nan"), None),
])
def test_kategori_half_open_bands(value, band):
    assert kategori(value) == band


@pytest.mark.parametrize("value, cap, counted", [
    (120.0, None, 120.0), (120.0, 100.0, 100.0), (80.0, 100.0, 80.0), (-50.0, None, 0.0), (-50.0, 120.0, 0.0),
    (0.0, None, 0.0), (None, 100.0, None), (float("nan"), None, None),
])
def test_a_negative_capaian_counts_as_zero_and_the_cap_applies_in_averages_only(value, cap, counted):
    assert for_average(value, cap) == counted


@pytest.mark.parametrize("spent, budget, expected", [
    (50, 200, 25.0), (0, 200, 0.0), (None, 200, None), (10, 0, None), (10, None, None),
    (1, 3, 33.33), (2, 3, 66.67), (4986500000, 5071500000, 98.32)])
def test_serapan(spent, budget, expected):
    assert serapan(spent, budget) == expected


@pytest.mark.parametrize("measure, percent", [
    ("%", True), (" % ", True), ("persen", True), ("Persentase", True), ("percent", True),
    ("dokumen", False), ("indeks", False), ("% penduduk", False), ("", False)])
def test_one_percent_rule(measure, percent):
    assert is_percentage_measure(measure) is percent


@pytest.mark.parametrize("measure, method", [
    ("%", "nilai_akhir"), ("persen", "nilai_akhir"), ("Indeks", "nilai_akhir"), ("nilai", "nilai_akhir"),
    ("rasio", "nilai_akhir"), ("poin", "nilai_akhir"), ("tahun", "nilai_akhir"),
    ("rata-rata hari", "nilai_akhir"), ("dokumen", "kumulatif"), ("laporan", "kumulatif"),
    ("orang", "kumulatif"), ("kegiatan", "kumulatif"), ("ton", "kumulatif"), ("hari", "kumulatif"),
])
def test_default_method_by_satuan(measure, method):
    assert default_method(measure) == method


@pytest.mark.parametrize("measure, low, high, expected", [
    ("%", None, None, (0.0, 100.0)), ("%", None, 150.0, (0.0, 150.0)), ("%", -10.0, None, (-10.0, 100.0)),
    ("dokumen", None, None, (0.0, None)), ("indeks", 0.0, 1.0, (0.0, 1.0)), ("persen", -5.0, 5.0, (-5.0, 5.0)),
])
def test_value_range(measure, low, high, expected):
    assert value_range(measure, low, high) == expected


@pytest.mark.parametrize("method, values, expected", [
    ("kumulatif", [1, 2, 3], 6.0), ("kumulatif", [1, None, 3], 4.0), ("kumulatif", [None, None, 0], 0.0),
    ("kumulatif", [0.1, 0.2], 0.3),  # exact decimals: never 0.30000000000000004
    ("nilai_akhir", [70, 72, 71.5], 71.5), ("nilai_akhir", [70, 72, None], 72), ("nilai_akhir", [None], None),
    ("rata_rata", [10, 12, 14], 12.0), ("rata_rata", [10, None, 14], 12.0), ("rata_rata", [1, 2], 1.5),
    ("kumulatif", [], None),
])
def test_the_year_so_far_by_method(method, values, expected):
    assert year_so_far(method, values) == expected


TW = {n: Period(2026, "TW", n) for n in (1, 2, 3, 4)}
S = {n: Period(2026, "S", n) for n in (1, 2)}


@pytest.mark.parametrize("frequency, period, due", [
    ("triwulanan", TW[1], True), ("triwulanan", TW[3], True), ("triwulanan", S[1], True),
    ("semesteran", TW[1], False), ("semesteran", TW[2], True), ("semesteran", TW[3], False),
    ("semesteran", TW[4], True), ("semesteran", S[1], True), ("semesteran", S[2], True),
    ("tahunan", TW[1], False), ("tahunan", TW[3], False), ("tahunan", TW[4], True), ("tahunan", S[1], False),
    ("tahunan", S[2], True), ("tahunan", Period(2026, "Y", 0), True), ("triwulanan", Period(2026, "Y", 0), True),
])
def test_when_an_indicator_is_due(frequency, period, due):
    indicator = Indicator("SEK", "I", "n", "dokumen", "+", 10.0, frequency=frequency)
    assert indicator.due(period) is due


def _indicator(method, polarity="+", target=12.0, frequency="triwulanan", **targets):
    return Indicator("SEK", "I", "n", "x", polarity, target, period_targets=targets, method=method,
                     frequency=frequency)


# method, polarity, annual target, round targets, frequency, the rounds' own values TW1..TW3,
# then at TW3: due, the round's target, the year so far, capaian, capaian against the annual target.
YEAR_TABLE = [
    # counts: the year so far is the sum; the round's target is s.d. TW3
    ("kumulatif", "+", 12, {"target_tw3": 9}, "triwulanan", [3, 3, 3], True, 9, 9, 100.0, 75.0),
    ("kumulatif", "+", 12, {"target_tw3": 9}, "triwulanan", [1, 1, 1], True, 9, 3, 33.33, 25.0),
    # a count without its round target: no round capaian, only progress against the year
    ("kumulatif", "+", 12, {}, "triwulanan", [3, 3, 3], True, None, 9, None, 75.0),
    ("kumulatif", "+", 12, {"target_tw3": 0}, "triwulanan", [0, 0, 0], True, 0, 0, None, 0.0),
    ("kumulatif", "-", 12, {"target_tw3": 9}, "triwulanan", [2, 2, 2], True, 9, 6, 133.33, 150.0),
    ("kumulatif", "-", 0, {"target_tw3": 0}, "triwulanan", [0, 0, 0], True, 0, 0, 100.0, 100.0),
    ("kumulatif", "-", 0, {"target_tw3": 0}, "triwulanan", [0, 1, 0], True, 0, 1, 0.0, 0.0),
    # levels: the latest value; without a round target the annual one
    ("nilai_akhir", "+", 80, {}, "triwulanan", [70, 75, 78], True, 80, 78, 97.5, 97.5),
    ("nilai_akhir", "+", 80, {"target_tw3": 76}, "triwulanan", [70, 75, 78], True, 76, 78, 102.63, 97.5),
    ("nilai_akhir", "-", 8.75, {}, "triwulanan", [9.5, 9.2, 9.0], True, 8.75, 9.0, 97.14, 97.14),
    ("nilai_akhir", "+", None, {}, "triwulanan", [70, 75, 78], True, None, 78, None, None),
    ("nilai_akhir", "+", 0, {}, "triwulanan", [70, 75, 78], True, 0, 78, None, None),
    # averages: the mean of the rounds reported
    ("rata_rata", "-", 10, {}, "triwulanan", [12, 9, 9], True, 10, 10, 100.0, 100.0),
    ("rata_rata", "+", 10, {"target_tw3": 8}, "triwulanan", [6, None, 9], True, 8, 7.5, 93.75, 75.0),
    # not due this round: the year carries on from the rounds before
    ("nilai_akhir", "+", 80, {}, "semesteran", [None, 75, None], False, 80, 75, 93.75, 93.75),
    ("kumulatif", "+", 4, {"target_tw3": 2}, "semesteran", [None, 2, None], False, 2, 2, 100.0, 50.0),
    ("nilai_akhir", "+", 74.2, {}, "tahunan", [None, None, None], False, 74.2, None, None, None),
]


@pytest.mark.parametrize("method, polarity, annual, targets, frequency, values, due, target, so_far, "
                         "expected, annual_capaian", YEAR_TABLE)
def test_the_year_at_tw3(method, polarity, annual, targets, frequency, values, due, target, so_far, expected,
                         annual_capaian):
    indicator = _indicator(method, polarity, annual, frequency, **targets)
    period = TW[3]
    assert indicator.due(period) is due
    assert indicator.target_for(period) == target
    assert year_so_far(method, values) == so_far
    assert capaian(so_far, indicator.target_for(period), polarity) == expected
    assert capaian(so_far, indicator.target, polarity) == annual_capaian


# --- the twin: the request workbook's live formulas, computed by LibreOffice --------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
# (metode, polaritas, target s.d. TW3 or None, [TW I, TW II, TW III] as typed)
TWIN_CASES = [
    ("kumulatif", "+", 9, [3, 3, 3]), ("kumulatif", "+", 72, [20, 25.52, 20]), ("kumulatif", "+", 10, [3, 3.1, 3]),
    ("kumulatif", "+", 6, [1, 1.56, 2]), ("kumulatif", "+", 19, [5, 6, 6.29]), ("kumulatif", "+", 4, [None, None, 1]),
    ("kumulatif", "+", 0, [1, 2, 2]), ("kumulatif", "+", None, [1, 2, 2]), ("kumulatif", "+", 10, [None, None, None]),
    ("kumulatif", "+", 10, [0, 0, 0]), ("kumulatif", "-", 10, [2, 3, 3]), ("kumulatif", "-", 0, [0, 0, 0]),
    ("kumulatif", "-", 0, [0, 1, 0]), ("kumulatif", "-", 12.5, [4, 4, 3.25]),
    ("nilai_akhir", "+", 72, [60, 64, 65.52]), ("nilai_akhir", "+", 10, [9.1, None, None]),
    ("nilai_akhir", "+", 6, [4, 4.56, None]), ("nilai_akhir", "-", 8.75, [9.5, 9.2, 9.0]),
    ("nilai_akhir", "-", 10, [8, 10, 25]), ("nilai_akhir", "+", 19, [None, None, 17.29]),
    ("rata_rata", "-", 10, [12, 9, 9]), ("rata_rata", "+", 8, [6, None, 9]), ("rata_rata", "+", 3, [1, 2, 2]),
    ("rata_rata", "+", 7, [None, None, None]),
]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs it")
def test_workbook_formulas_equal_the_rules(tmp_path):
    """A request workbook as ``generate`` writes it for TW3 (the earlier rounds' columns open, as
    for an agency starting mid-year), filled as a unit types and recalculated by LibreOffice:
    ``Realisasi s.d. Periode Ini`` is ``rules.year_so_far`` and ``Capaian (%)`` is
    ``rules.capaian``, for every method and polarity, target 0, missing targets and blanks, and
    blank while this round's own value is (the indicators are due)."""
    import openpyxl
    from python_calamine import CalamineWorkbook

    from sopkinerja import layout as L
    from sopkinerja.generate.spec import RequestSpec, sheet_rows
    from sopkinerja.generate.workbook import write_request_workbook

    period = TW[3]
    indicators = [Indicator("SEK", f"K-{n:02d}", f"Indikator {n}", "x", polarity, 100.0,
                            period_targets={} if target is None else {"target_tw3": float(target)},
                            method=method, min_value=-1000.0)
                  for n, (method, polarity, target, _) in enumerate(TWIN_CASES, 1)]
    from datetime import datetime
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 9, 28, 8, tzinfo=ZoneInfo("Asia/Jakarta"))
    spec = RequestSpec("SK-TEST-TEST-TEST-TEST", "SEK", "Sekretariat", period.code, period.label(), moment, moment,
                       "Badan", "B", "Daerah", ("", "", "", ""), "id", sheet_rows(indicators, period), (), 2026)
    source = tmp_path / "kembar.xlsx"
    write_request_workbook(spec, str(source))
    layout = L.layout_for(period)
    workbook = openpyxl.load_workbook(source)
    sheet = workbook[L.DATA_SHEET]
    rows = {sheet.cell(r, layout.index("row_key") + 1).value: r for r in range(1, sheet.max_row + 1)}
    keys = [key for _, key in layout.earlier] + ["actual"]
    for indicator, (_, _, _, values) in zip(indicators, TWIN_CASES, strict=True):
        for key, value in zip(keys, values, strict=True):
            sheet.cell(rows[indicator.code], layout.index(key) + 1).value = value
    workbook.save(source)
    computed = soffice_convert(SOFFICE, source, tmp_path / "out", "xlsx")
    grid = CalamineWorkbook.from_path(str(computed)).get_sheet_by_name(L.DATA_SHEET).to_python(skip_empty_area=False)
    for indicator, (method, polarity, target, values) in zip(indicators, TWIN_CASES, strict=True):
        row = grid[rows[indicator.code] - 1]
        # Due this round: blank until this round's own value is typed, as the recap leaves it.
        so_far = year_so_far(method, values) if values[-1] is not None else None
        shown_so_far, shown_capaian = row[layout.index("cumulative")], row[layout.index("achievement")]
        case = (method, polarity, target, values, shown_so_far, shown_capaian)
        assert (shown_so_far == "") if so_far is None else shown_so_far == pytest.approx(so_far, abs=1e-9), case
        expected = capaian(so_far, target, polarity)
        assert (shown_capaian == "") if expected is None else shown_capaian == pytest.approx(expected, abs=1e-9), case


# --- the whole matrix: method x frequency x polarity x target present / missing / 0, at TW3 ---------

def _oracle(method, frequency, polarity, target_case, values):
    """product.md §2 read literally, on decimals: what TW3 must show."""
    due = frequency == "triwulanan"  # semesteran is due in TW2 and TW4, tahunan in TW4
    known = [Decimal(str(v)) for v in values if v is not None]
    if not known:
        so_far = None
    elif method == "kumulatif":
        so_far = sum(known)
    elif method == "nilai_akhir":
        so_far = known[-1]
    else:
        so_far = sum(known) / len(known)
    annual, round_target = {"present": (12, 9), "missing": (12, None), "zero": (0, 0)}[target_case]
    target = round_target if round_target is not None else (None if method == "kumulatif" else annual)

    def achievement(goal):
        if so_far is None or goal is None:
            return None
        goal = Decimal(goal)
        if goal == 0:
            return None if polarity == "+" else (100.0 if so_far <= 0 else 0.0)
        value = ((2 * goal - so_far) if polarity == "-" else so_far) / goal * 100
        return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    return due, target, None if so_far is None else float(so_far), achievement(target), achievement(annual)


SERIES = {"triwulanan": [4, 5, 6], "semesteran": [None, 5, None], "tahunan": [None, None, None]}
MATRIX = [(m, f, p, t) for m in ("kumulatif", "nilai_akhir", "rata_rata")
          for f in ("triwulanan", "semesteran", "tahunan") for p in ("+", "-") for t in ("present", "missing", "zero")]


@pytest.mark.parametrize("method, frequency, polarity, target_case", MATRIX)
def test_the_year_matrix_at_tw3(method, frequency, polarity, target_case):
    annual, round_target = {"present": (12.0, 9.0), "missing": (12.0, None), "zero": (0.0, 0.0)}[target_case]
    targets = {} if round_target is None else {"target_tw3": round_target}
    indicator = _indicator(method, polarity, annual, frequency, **targets)
    values = SERIES[frequency]
    due, target, so_far, expected, annual_expected = _oracle(method, frequency, polarity, target_case, values)
    assert indicator.due(TW[3]) is due
    assert indicator.target_for(TW[3]) == target
    assert year_so_far(method, values) == (pytest.approx(so_far) if so_far is not None else None)
    assert capaian(year_so_far(method, values), indicator.target_for(TW[3]), polarity) == expected
    assert capaian(year_so_far(method, values), indicator.target, polarity) == annual_expected


def test_the_matrix_is_whole():
    assert len(MATRIX) == 54
