"""Working time (product.md §2): SOP standard minutes are working minutes.

The clock runs only inside office hours (Perpres 21/2023 by default), and not
on weekends, Indonesian public holidays (the maintained ``holidays`` package)
or configured cuti bersama and extra days off.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cached_property

from sopkinerja.config import CalendarConfig


class WorkCalendar:
    """Counts working minutes between two moments, in the agency's time zone."""

    def __init__(self, config: CalendarConfig):
        self.config = config
        self.tz = config.tz

    @cached_property
    def _national(self):
        import holidays

        return holidays.country_holidays("ID", years=range(2020, 2041)) if self.config.national_holidays else {}

    def is_day_off(self, day: date) -> bool:
        return (day.weekday() not in self.config.hours or day in self.config.collective_leave
                or day in self.config.extra_holidays or day in self._national)

    def holiday_name(self, day: date) -> str | None:
        if day in self.config.collective_leave:
            return "Cuti bersama"
        if day in self.config.extra_holidays:
            return "Libur"
        return self._national.get(day) if self._national else None

    def working_minutes(self, start: datetime, end: datetime) -> float:
        """Minutes of office time between ``start`` and ``end`` (0 when end is not after start)."""
        start, end = start.astimezone(self.tz), end.astimezone(self.tz)
        if end <= start:
            return 0.0
        total = 0.0
        day = start.date()
        while day <= end.date():
            if not self.is_day_off(day):
                for opens, closes in self.config.hours[day.weekday()]:
                    span_start = datetime.combine(day, opens, self.tz)
                    span_end = datetime.combine(day, closes, self.tz)
                    overlap = (min(end, span_end) - max(start, span_start)).total_seconds()
                    if overlap > 0:
                        total += overlap / 60
            day += timedelta(days=1)
        return round(total, 2)

    @staticmethod
    def calendar_minutes(start: datetime, end: datetime) -> float:
        return round(max((end - start).total_seconds(), 0) / 60, 2)

    def add_working_minutes(self, start: datetime, minutes: float) -> datetime:
        """The moment ``minutes`` of office time after ``start`` (for drawing the standard)."""
        moment = start.astimezone(self.tz)
        left = minutes
        for _ in range(3660):  # at most ten years of days
            day = moment.date()
            if not self.is_day_off(day):
                for opens, closes in self.config.hours[day.weekday()]:
                    span_start = max(moment, datetime.combine(day, opens, self.tz))
                    span_end = datetime.combine(day, closes, self.tz)
                    available = (span_end - span_start).total_seconds() / 60
                    if available <= 0:
                        continue
                    if left <= available:
                        return span_start + timedelta(minutes=left)
                    left -= available
            moment = datetime.combine(day + timedelta(days=1), datetime.min.time(), self.tz)
        return moment
