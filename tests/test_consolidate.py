"""Capaian, kategori, serapan and totals (product.md §2)."""

import math

import pytest

from sopkinerja.consolidate import Numbers
from sopkinerja.rules import KATEGORI, capaian, kategori, serapan


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


def test_totals_are_the_sum_of_the_rows():
    a = Numbers(indicators=3, filled=2, capaian_sum=180.0, capaian_count=2, budget=100.0, spent=40.0,
                per_kategori={**{k: 0 for k in KATEGORI}, "Tinggi": 2})
    b = Numbers(indicators=1, filled=1, capaian_sum=60.0, capaian_count=1, budget=50.0, spent=50.0,
                per_kategori={**{k: 0 for k in KATEGORI}, "Rendah": 1})
    total = sum([a, b], Numbers())
    assert (total.indicators, total.filled, total.capaian_count) == (4, 3, 3)
    assert total.average == pytest.approx(80.0) and total.absorption == pytest.approx(60.0)
    assert total.per_kategori["Tinggi"] == 2 and total.per_kategori["Rendah"] == 1
    assert Numbers().average is None and Numbers().absorption is None
    assert not math.isnan(sum([a], Numbers()).average)
