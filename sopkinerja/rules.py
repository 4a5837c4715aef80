"""The domain rules of product.md §2, each written once: capaian and its rounding, kategori, serapan,
how a year adds up, what a percent indicator is, the default method and value range.

Validation, the recap and the forms call these functions; nothing else
computes them (the live formulas of the request workbook are the one
allowed twin, and a test keeps them equal to these). A missing number is
``None``; NaN, which pandas uses for missing, counts as missing too.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

# Permendagri 86/2017 evaluation scale, half-open bands (lower bound, label).
BANDS = ((91.0, "Sangat Tinggi"), (76.0, "Tinggi"), (66.0, "Sedang"), (51.0, "Rendah"),
         (-math.inf, "Sangat Rendah"))
KATEGORI = tuple(label for _, label in BANDS)
# The satuan that mean percent: out-of-range above 100, "90%" typed in a cell is 90.
PERCENT_MEASURES = frozenset({"%", "persen", "persentase", "percent"})
# Satuan of levels, whose year so far is the latest value (product.md §2 default metode).
LEVEL_MEASURES = frozenset({*PERCENT_MEASURES, "indeks", "nilai", "rasio", "poin", "tahun"})
_CENT = Decimal("0.01")


def _missing(value: float | None) -> bool:
    return value is None or value != value  # NaN is the only value unequal to itself


def round_half_up(value: float | None, places: int = 2) -> float | None:
    """``value`` rounded half-up (away from zero on a tie) to ``places`` decimals, on the decimal
    number the float stands for: 65.52 / 72 × 100 is 91.00, never 90.99999999999999 → 90.99."""
    if _missing(value) or value in (math.inf, -math.inf):
        return None
    quantum = _CENT if places == 2 else Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def _exact(x: float) -> Decimal:
    return Decimal(repr(x))


def capaian(actual: float | None, target: float | None, polarity: str) -> float | None:
    """Achievement in percent, rounded half-up to 2 decimals (product.md §2).

    Higher is better: ``R/T×100``. Lower is better: ``(2T−R)/T×100`` (PermenPANRB 8/2021); with
    T = 0, R = 0 is 100 and R > 0 is 0. Undefined (None) without both values, or with T = 0 and
    higher is better. Computed on the decimal numbers the values stand for, so a band edge is
    never missed by a floating-point hair.
    """
    if _missing(actual) or _missing(target):
        return None
    if target == 0:
        if polarity != "-":
            return None
        return 100.0 if actual <= 0 else 0.0
    quick = ((2 * target - actual) / target if polarity == "-" else actual / target) * 10000
    if math.isfinite(quick) and abs(abs(quick) % 1 - 0.5) > 1e-6:  # not near a tie: the float rounds right
        return math.copysign(math.floor(abs(quick) + 0.5), quick) / 100 + 0.0
    r, t = _exact(actual), _exact(target)  # a tie (x.xx5) or near one: decided on the exact decimals
    value = (2 * t - r) / t * 100 if polarity == "-" else r / t * 100
    return float(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def kategori(value: float | None) -> str | None:
    """The band of a (rounded) capaian; half-open: 91 is Sangat Tinggi, 90.99 Tinggi."""
    if _missing(value):
        return None
    return next(label for lower, label in BANDS if value >= lower)


def for_average(value: float | None, cap: float | None = None) -> float | None:
    """A capaian as it counts in an average: a negative one as 0, above ``cap`` as the cap."""
    if _missing(value):
        return None
    value = max(value, 0.0)
    return min(value, cap) if cap is not None else value


def serapan(spent: float | None, budget: float | None) -> float | None:
    """Budget absorption in percent (rounded half-up to 2 decimals); undefined without spending or
    without a pagu."""
    if _missing(spent) or _missing(budget) or not budget:
        return None
    return float((_exact(spent) / _exact(budget) * 100).quantize(_CENT, rounding=ROUND_HALF_UP))


def is_percentage_measure(measure: str) -> bool:
    """Whether a ``satuan`` means percent (product.md §3.6 ``out-of-range``: 0-100)."""
    return measure.strip().lower() in PERCENT_MEASURES


def default_method(measure: str) -> str:
    """product.md §2: ``nilai_akhir`` for levels (%, indeks, nilai, rasio, poin, tahun,
    rata-rata …), ``kumulatif`` for counts."""
    measure = measure.strip().lower()
    return "nilai_akhir" if measure in LEVEL_MEASURES or measure.startswith("rata-rata") else "kumulatif"


def value_range(measure: str, low: float | None, high: float | None) -> tuple[float | None, float | None]:
    """The plausible realisasi: from ``nilai_min`` (default 0) to ``nilai_maks`` (default 100 for
    a percentage, else none)."""
    if high is None and is_percentage_measure(measure):
        high = 100.0
    return (0.0 if low is None else low), high


def year_so_far(method: str, values: list[float | None]) -> float | None:
    """The year so far from the rounds' own values, oldest first (product.md §2): the sum for
    ``kumulatif``, the latest for ``nilai_akhir``, the mean for ``rata_rata``; over the rounds
    whose value is known; None when none is."""
    known = [v for v in values if not _missing(v)]
    if not known:
        return None
    if len(known) == 1 or method == "nilai_akhir":  # nothing to add up: the value as given
        return float(known[-1])
    if method == "kumulatif":
        return float(sum(_exact(v) for v in known))
    if method == "rata_rata":
        return float(sum(_exact(v) for v in known) / len(known))
    return known[-1]
