"""Consolidation: totals that add up (product.md §2)."""

import math

import pytest

from sopkinerja.consolidate import Numbers
from sopkinerja.rules import KATEGORI


def test_totals_are_the_sum_of_the_rows():
    a = Numbers(indicators=3, filled=2, capaian_sum=180.0, capaian_count=2, budget=100.0, spent=40.0,
                per_kategori={**{k: 0 for k in KATEGORI}, "Tinggi": 2}, budget_known=100.0)
    b = Numbers(indicators=1, filled=1, capaian_sum=60.0, capaian_count=1, budget=50.0, spent=50.0,
                per_kategori={**{k: 0 for k in KATEGORI}, "Rendah": 1}, budget_known=50.0)
    missing = Numbers(indicators=2, budget=400.0)  # a unit that did not answer: its pagu is left out
    total = sum([a, b, missing], Numbers())
    assert (total.indicators, total.filled, total.capaian_count) == (6, 3, 3)
    assert total.average == pytest.approx(80.0) and total.absorption == pytest.approx(60.0)
    assert total.budget == 550.0 and total.budget_left_out == 400.0
    assert total.per_kategori["Tinggi"] == 2 and total.per_kategori["Rendah"] == 1
    assert Numbers().average is None and Numbers().absorption is None
    assert not math.isnan(sum([a], Numbers()).average)
