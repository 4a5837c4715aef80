"""Private parts of libraries we lean on: if an upgrade changes them, fail here, loudly."""

from __future__ import annotations

import inspect

import pytest


def test_xlsxwriter_format_style_index_is_what_the_spliced_rows_need(tmp_path):
    """report.xlsx reads each format's style index with ``Format._get_xf_index`` (report.splice
    writes cells with those indices); equal formats share one index."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    sheet = workbook.add_worksheet()
    first, twin, other = (workbook.add_format(p) for p in ({"bold": True}, {"bold": True}, {"italic": True}))
    for column, fmt in enumerate((first, twin, other)):
        sheet.write_blank(0, column, None, fmt)
    indices = [fmt._get_xf_index() for fmt in (first, twin, other)]
    workbook.close()
    assert all(isinstance(i, int) for i in indices)
    assert indices[0] == indices[1] != indices[2]


@pytest.mark.parametrize("formula", [
    '=IF(AND(ISNUMBER(G9),ISNUMBER(F9),F9<>0),G9/F9*100,"")',
    '=IF(AND(ISNUMBER(G9),ISNUMBER(F9),F9<>0),(2*F9-G9)/F9*100,"")',
])
def test_xlsxwriter_prepare_formula_hook_stores_our_formulas_as_written(tmp_path, formula):
    """generate.workbook replaces ``Worksheet._prepare_formula`` on its sheets to skip the
    future-function expansion; for our formulas that must give exactly what xlsxwriter would."""
    import xlsxwriter
    from xlsxwriter.worksheet import Worksheet

    from sopkinerja.generate.datasheet import _plain_formulas

    assert list(inspect.signature(Worksheet._prepare_formula).parameters) == [
        "self", "formula", "expand_future_functions"]
    workbook = xlsxwriter.Workbook(str(tmp_path / "y.xlsx"))
    sheet = workbook.add_worksheet()
    expected = sheet._prepare_formula(formula)
    _plain_formulas(sheet)
    assert sheet._prepare_formula(formula) == expected
    workbook.close()
