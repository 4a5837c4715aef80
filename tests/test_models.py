"""Periods and the round's target."""

from datetime import date

import pytest

from sopkinerja.models import Indicator, Period


@pytest.mark.parametrize(
    "code, start, end, field, label",
    [
        ("2026-TW1", date(2026, 1, 1), date(2026, 3, 31), "target_tw1", "Triwulan I 2026"),
        ("2026-TW3", date(2026, 7, 1), date(2026, 9, 30), "target_tw3", "Triwulan III 2026"),
        ("2026-TW4", date(2026, 10, 1), date(2026, 12, 31), "target_tw4", "Triwulan IV 2026"),
        ("2026-S1", date(2026, 1, 1), date(2026, 6, 30), "target_s1", "Semester I 2026"),
        ("2026-S2", date(2026, 7, 1), date(2026, 12, 31), "target_s2", "Semester II 2026"),
        ("2026", date(2026, 1, 1), date(2026, 12, 31), None, "Tahun 2026"),
        (" 2026-tw2 ", date(2026, 4, 1), date(2026, 6, 30), "target_tw2", "Triwulan II 2026"),
    ],
)
def test_period_codes(code, start, end, field, label):
    period = Period.parse(code)
    assert (period.start, period.end, period.target_field, period.label()) == (start, end, field, label)
    assert Period.parse(period.code) == period


@pytest.mark.parametrize("code", ["2026-TW5", "2026-Q3", "26-TW1", "2026-S3", "", "1999"])
def test_bad_period_codes(code):
    with pytest.raises(ValueError):
        Period.parse(code)


def _indicator(**targets):
    return Indicator("SEK", "I", "n", "dokumen", "+", 12.0, period_targets=targets)


def test_round_target_uses_the_quarter_when_given():
    assert _indicator(target_tw3=9.0).target_for(Period.parse("2026-TW3")) == 9.0


def test_round_target_falls_back_to_the_annual_target():
    assert _indicator(target_tw3=9.0).target_for(Period.parse("2026-TW2")) == 12.0
    assert _indicator(target_tw3=9.0).target_for(Period.parse("2026")) == 12.0


def test_round_target_for_a_semester():
    assert _indicator(target_s1=5.0).target_for(Period.parse("2026-S1")) == 5.0
