"""The year's series (product.md §2): each round's own value per indicator and per budget line,
from the ledger's accepted answers, and the year so far by ``metode``.

A round's value is what that round's accepted answer said; a value the unit
gave later for a round it had missed (an earlier round's column left open
in a later request) counts for its own round, marked as entered late, unless
that round's own answer has it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sopkinerja.models import Period
from sopkinerja.rules import year_so_far


@dataclass(frozen=True)
class Entry:
    value: float
    late: bool = False  # given in a later round's file


@dataclass
class YearSeries:
    """Per (indicator code or budget key, period code): the round's value."""

    actual: dict[tuple[str, str], Entry] = field(default_factory=dict)
    spent: dict[tuple[str, str], Entry] = field(default_factory=dict)
    answered: set[tuple[str, str]] = field(default_factory=set)  # (unit, period code) with an accepted answer

    def value(self, code: str, period: Period) -> float | None:
        entry = self.actual.get((code, period.code))
        return entry.value if entry else None

    def spending(self, key: str, period: Period) -> float | None:
        entry = self.spent.get((key, period.code))
        return entry.value if entry else None

    def so_far(self, code: str, method: str, period: Period, own: float | None = None) -> float | None:
        """The year so far at ``period`` by ``method``; ``own`` stands for the period's own value
        when given (this round's file, not yet in the series)."""
        values = [self.value(code, p) for p in period.earlier()]
        values.append(own if own is not None else self.value(code, period))
        return year_so_far(method, values)

    def spent_so_far(self, key: str, period: Period, own: float | None = None) -> float | None:
        values = [self.spending(key, p) for p in period.earlier()]
        values.append(own if own is not None else self.spending(key, period))
        return year_so_far("kumulatif", values)


def year_series(ledger, period: Period, line_of: dict[str, str] | None = None) -> YearSeries:
    """The series of ``period``'s year up to it, in one query. ``line_of`` (indicator code -> budget
    line) attributes the spending a first-template return gave per indicator to its line, summed."""
    series = YearSeries()
    late: dict[str, dict] = {"actual": {}, "spent": {}}
    per_indicator: dict[tuple[str, str], float] = {}
    for round_code, unit, code, name, number in ledger.accepted_series([p.code for p in period.so_far()]):
        series.answered.add((unit, round_code))
        kind, _, for_period = name.partition("@")
        if kind not in late:
            continue
        if kind == "spent" and line_of and code in line_of and not for_period:
            key = (line_of[code], round_code)
            per_indicator[key] = per_indicator.get(key, 0.0) + number
        elif for_period:  # a late entry for an earlier round: the latest such answer wins
            late[kind][(code, for_period)] = Entry(number, late=True)
        else:
            getattr(series, kind)[(code, round_code)] = Entry(number)
    for key, total in per_indicator.items():
        series.spent.setdefault(key, Entry(total))
    for kind, entries in late.items():
        target = getattr(series, kind)
        for key, entry in entries.items():
            target.setdefault(key, entry)  # a round's own accepted value wins
    return series
