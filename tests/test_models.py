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


def _indicator(method="nilai_akhir", **targets):
    return Indicator("SEK", "I", "n", "dokumen", "+", 12.0, period_targets=targets, method=method)


def test_round_target_uses_the_quarter_when_given():
    assert _indicator(target_tw3=9.0).target_for(Period.parse("2026-TW3")) == 9.0
    assert _indicator("kumulatif", target_tw3=9.0).target_for(Period.parse("2026-TW3")) == 9.0


@pytest.mark.parametrize("method, expected", [("nilai_akhir", 12.0), ("rata_rata", 12.0), ("kumulatif", None)])
def test_a_missing_round_target_is_the_annual_one_for_levels_only(method, expected):
    """product.md §2: 70 % of a count's annual target at TW3 is on track, never "Rendah"."""
    assert _indicator(method, target_tw3=9.0).target_for(Period.parse("2026-TW2")) == expected
    assert _indicator(method, target_tw3=9.0).target_for(Period.parse("2026")) == 12.0


def test_round_target_for_a_semester():
    assert _indicator(target_s1=5.0).target_for(Period.parse("2026-S1")) == 5.0


@pytest.mark.parametrize("code, previous", [
    ("2026-TW3", "2026-TW2"), ("2026-TW1", "2025-TW4"), ("2026-S1", "2025-S2"), ("2026-S2", "2026-S1"),
    ("2026", "2025")])
def test_the_round_before(code, previous):
    assert Period.parse(code).previous == Period.parse(previous)


def test_the_rounds_of_a_year():
    tw3 = Period.parse("2026-TW3")
    assert [p.code for p in tw3.earlier()] == ["2026-TW1", "2026-TW2"]
    assert [p.code for p in tw3.so_far()] == ["2026-TW1", "2026-TW2", "2026-TW3"]
    assert [p.short for p in Period.parse("2026-TW4").so_far()] == ["TW I", "TW II", "TW III", "TW IV"]
    assert [p.short for p in Period.parse("2026-S2").so_far()] == ["S1", "S2"]
    assert Period.parse("2026-TW4").last_of_year and Period.parse("2026-S2").last_of_year
    assert not tw3.last_of_year and Period.parse("2026").last_of_year


def test_budget_belongs_to_the_sub_kegiatan():
    sub = "5.01.02.2.01.0005 Pelaksanaan Musrenbang Kabupaten/Kota"
    first = Indicator("P2EP", "A", "a", "dokumen", "+", 1.0, sub_activity=sub, budget=295e6)
    second = Indicator("P2EP", "B", "b", "%", "+", 60.0, sub_activity=sub, budget=None, budget_revised=310e6)
    alone = Indicator("P2EP", "C", "c", "dokumen", "+", 1.0, budget=5e6)
    from sopkinerja.models import Master, Unit

    master = Master((Unit("P2EP", "Bidang"),), (first, second, alone))
    line = master.budget_lines["SUB 5.01.02.2.01.0005"]
    assert line.indicators == ("A", "B") and line.budget == 295e6 and line.effective_budget == 310e6
    assert master.budget_lines["IND C"].effective_budget == 5e6 and len(master.budget_lines) == 2
