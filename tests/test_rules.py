"""The domain rules of product.md §2 (capaian, kategori, serapan, percent indicators), and the
request workbook's live capaian formula, the one allowed twin, computed by a real LibreOffice."""

import shutil

import pytest
from conftest import soffice_convert

from sopkinerja.rules import capaian, is_percentage_measure, kategori, serapan


@pytest.mark.parametrize("actual, target, polarity, expected", [
    (90, 100, "+", 90.0),
    (120, 100, "+", 120.0),
    (0, 100, "+", 0.0),          # 0 is a value
    (None, 100, "+", None),      # blank is not zero: undefined
    (5, 0, "+", None),           # target 0: undefined, never a division error
    (5, None, "+", None),        # target missing
    (8.0, 10, "-", 120.0),       # lower is better: (2*10-8)/10*100
    (10, 10, "-", 100.0),
    (25, 10, "-", -50.0),        # raw capaian is kept, even negative
    (0, 0, "-", None),
])
def test_capaian(actual, target, polarity, expected):
    result = capaian(actual, target, polarity)
    assert result == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize("value, band", [
    (100, "Sangat Tinggi"), (91, "Sangat Tinggi"), (90.999, "Tinggi"), (76, "Tinggi"), (75.99, "Sedang"),
    (66, "Sedang"), (65.999, "Rendah"), (51, "Rendah"), (50.99, "Sangat Rendah"), (0, "Sangat Rendah"),
    (-20, "Sangat Rendah"), (None, None), (float("nan"), None),
])
def test_kategori_half_open_bands(value, band):
    assert kategori(value) == band


@pytest.mark.parametrize("spent, budget, expected", [
    (50, 200, 25.0), (0, 200, 0.0), (None, 200, None), (10, 0, None), (10, None, None)])
def test_serapan(spent, budget, expected):
    assert serapan(spent, budget) == expected



@pytest.mark.parametrize("measure, percent", [
    ("%", True), (" % ", True), ("persen", True), ("Persentase", True), ("percent", True),
    ("dokumen", False), ("indeks", False), ("% penduduk", False), ("", False)])
def test_one_percent_rule(measure, percent):
    assert is_percentage_measure(measure) is percent


TWIN_CASES = [  # (target, realisasi, polaritas)
    (100, 90, "+"), (72, 65.52, "+"), (10, 9.1, "+"), (6, 4.56, "+"), (19, 17.29, "+"), (4, 1, "+"),
    (0, 5, "+"), (None, 5, "+"), (10, None, "+"), (10, 0, "+"), (3.5, 7, "+"),
    (10, 8, "-"), (10, 10, "-"), (10, 25, "-"), (0, 0, "-"), (0, 3, "-"), (12.5, 11.25, "-"),
]
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs it")
def test_workbook_capaian_formula_equals_the_rule(tmp_path):
    """The formula ``generate.workbook`` writes per row, filled and computed by LibreOffice, gives
    what ``rules.capaian`` gives, for each polarity, target 0 and blanks."""
    import openpyxl
    from python_calamine import CalamineWorkbook

    from sopkinerja import layout as L
    from sopkinerja.generate.workbook import _achievement_formula

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    col = {key: L.column_index(key) + 1 for key in ("target", "actual", "achievement")}
    for index, (target, actual, polarity) in enumerate(TWIN_CASES):
        row = L.FIRST_DATA_ROW + index  # zero-based, as the writer counts
        sheet.cell(row + 1, col["target"]).value = target
        sheet.cell(row + 1, col["actual"]).value = actual
        sheet.cell(row + 1, col["achievement"]).value = _achievement_formula(row, polarity)
    workbook.save(tmp_path / "kembar.xlsx")
    computed = soffice_convert(SOFFICE, tmp_path / "kembar.xlsx", tmp_path / "out", "xlsx")
    grid = CalamineWorkbook.from_path(str(computed)).get_sheet_by_name(sheet.title).to_python(skip_empty_area=False)
    for index, (target, actual, polarity) in enumerate(TWIN_CASES):
        shown = grid[L.FIRST_DATA_ROW + index][col["achievement"] - 1]
        expected = capaian(actual, target, polarity)
        if expected is None:
            assert shown == "", (target, actual, polarity, shown)
        else:
            assert shown == pytest.approx(expected, abs=1e-9), (target, actual, polarity, shown)
