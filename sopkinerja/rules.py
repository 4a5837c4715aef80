"""The domain rules of product.md §2, each written once: capaian, kategori, serapan, percent indicators.

Validation, the recap and the forms call these functions; nothing else
computes them (the live capaian formula of the request workbook is the one
allowed twin, and a test keeps it equal to ``capaian``). A missing number is
``None``; NaN, which pandas uses for missing, counts as missing too.
"""

from __future__ import annotations

import math

# Permendagri 86/2017 evaluation scale, half-open bands (lower bound, label).
BANDS = ((91.0, "Sangat Tinggi"), (76.0, "Tinggi"), (66.0, "Sedang"), (51.0, "Rendah"),
         (-math.inf, "Sangat Rendah"))
KATEGORI = tuple(label for _, label in BANDS)
# The satuan that mean percent: out-of-range above 100, "90%" typed in a cell is 90.
PERCENT_MEASURES = frozenset({"%", "persen", "persentase", "percent"})


def _missing(value: float | None) -> bool:
    return value is None or value != value  # NaN is the only value unequal to itself


def capaian(actual: float | None, target: float | None, polarity: str) -> float | None:
    """Achievement in percent: higher-is-better ``r/t*100``; lower-is-better ``(2t-r)/t*100``
    (PermenPANRB 8/2021); undefined (None) when a value is missing or the target is 0."""
    if _missing(actual) or _missing(target) or target == 0:
        return None
    if polarity == "-":
        return (2 * target - actual) / target * 100
    return actual / target * 100


def kategori(value: float | None) -> str | None:
    """The band of a capaian (half-open: 91 is Sangat Tinggi, 90.99 Tinggi)."""
    if _missing(value):
        return None
    return next(label for lower, label in BANDS if value >= lower)


def serapan(spent: float | None, budget: float | None) -> float | None:
    """Budget absorption in percent; undefined without spending or without a pagu."""
    if _missing(spent) or _missing(budget) or not budget:
        return None
    return spent / budget * 100


def is_percentage_measure(measure: str) -> bool:
    """Whether a ``satuan`` means percent (product.md §3.6 ``out-of-range``: 0-100)."""
    return measure.strip().lower() in PERCENT_MEASURES
