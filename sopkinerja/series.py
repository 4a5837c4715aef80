"""The year's series (product.md §2): each round's own value per indicator and per budget line,
from the ledger's accepted answers, and the year so far by ``metode``.

A round's value is what that round's accepted answer said; a value the unit
gave later for a round it had missed (an earlier round's column left open
in a later request) counts for its own round, marked as entered late, unless
that round's own answer has it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from sopkinerja.models import Period
from sopkinerja.rules import year_so_far


@dataclass
class YearSeries:
    """Per (indicator code or budget key, period code): the round's value. Plain floats in dicts
    (a province's year holds millions; an object per value costs four times the memory)."""

    actual: dict[tuple[str, str], float] = field(default_factory=dict)
    spent: dict[tuple[str, str], float] = field(default_factory=dict)
    late: set[tuple[str, str, str]] = field(default_factory=set)  # (kind, key, period): entered in a later round
    answered: set[tuple[str, str]] = field(default_factory=set)  # (unit, period code) with an accepted answer

    def value(self, code: str, period: Period) -> float | None:
        return self.actual.get((code, period.code))

    def spending(self, key: str, period: Period) -> float | None:
        return self.spent.get((key, period.code))

    def is_late(self, kind: str, key: str, period: Period) -> bool:
        """Whether the round's value was given in a later round's file (an open earlier column)."""
        return (kind, key, period.code) in self.late

    def so_far(self, code: str, method: str, period: Period, own: float | None = None) -> float | None:
        """The year so far at ``period`` by ``method``; ``own`` stands for the period's own value
        when given (this round's file, not yet in the series)."""
        *earlier, this = _codes(period)
        values = [self.actual.get((code, p)) for p in earlier]
        values.append(own if own is not None else self.actual.get((code, this)))
        return year_so_far(method, values)

    def spent_so_far(self, key: str, period: Period, own: float | None = None) -> float | None:
        *earlier, this = _codes(period)
        values = [self.spent.get((key, p)) for p in earlier]
        values.append(own if own is not None else self.spent.get((key, this)))
        return year_so_far("kumulatif", values)


@cache
def _codes(period: Period) -> tuple[str, ...]:
    """The codes of the year's rounds up to ``period`` (asked for once per indicator: worked out once)."""
    return tuple(p.code for p in period.so_far())


def year_series(ledger, period: Period, line_of: dict[str, str] | None = None, unit: str | None = None) -> YearSeries:
    """The series of ``period``'s year up to it (one unit's when given), in one query. ``line_of``
    (indicator code -> budget line) attributes the spending a first-template return gave per
    indicator to its line, summed."""
    series = YearSeries()
    late: dict[str, dict] = {"actual": {}, "spent": {}}
    for round_code, who, code, name, number in ledger.accepted_series([p.code for p in period.so_far()], unit):
        series.answered.add((who, round_code))
        kind, _, for_period = name.partition("@")
        if kind not in late:
            continue
        if kind == "spent" and line_of and code in line_of and not for_period:  # per indicator: its line's
            key = (line_of[code], round_code)
            series.spent[key] = series.spent.get(key, 0.0) + number
        elif for_period:  # a late entry for an earlier round: the latest such answer wins
            late[kind][(code, for_period)] = number
        else:
            getattr(series, kind)[(code, round_code)] = number
    for kind, entries in late.items():
        target = getattr(series, kind)
        for key, number in entries.items():
            if key not in target:  # a round's own accepted value wins
                target[key] = number
                series.late.add((kind, *key))
    return series
