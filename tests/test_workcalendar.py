"""Working-minute arithmetic (product.md §2; Perpres 21/2023 hours, Indonesian holidays)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from sopkinerja.config import CalendarConfig, _calendar
from sopkinerja.workcalendar import WorkCalendar

WIB = ZoneInfo("Asia/Jakarta")


def _default(**overrides):
    values = {f"kalender.jam_kerja.{d}": None for d in ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu")}
    values.update({"kalender.libur_nasional": None, "kalender.cuti_bersama": None, "kalender.libur_tambahan": None})
    values.update(overrides)
    return WorkCalendar(_calendar(values, "Asia/Jakarta"))


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


@pytest.mark.parametrize("start, end, minutes", [
    ("2026-10-06 08:00", "2026-10-06 10:30", 150),          # same morning (Tuesday)
    ("2026-10-06 11:00", "2026-10-06 14:00", 120),          # across lunch 12:00-13:00
    ("2026-10-06 15:00", "2026-10-07 09:00", 60 + 90),      # across a night
    ("2026-10-09 15:00", "2026-10-12 08:30", 90 + 60),      # Friday (till 16:30) across a weekend
    ("2026-10-09 11:00", "2026-10-09 14:00", 30 + 60),      # Friday's longer break 11:30-13:00
    ("2026-08-14 15:00", "2026-08-18 08:30", 90 + 60),      # across Independence Day (Mon 17 August)
    ("2026-10-10 09:00", "2026-10-10 12:00", 0),            # a Saturday
    ("2026-10-06 06:00", "2026-10-06 07:30", 0),            # before office hours
    ("2026-10-06 10:00", "2026-10-06 09:00", 0),            # end before start
    ("2026-10-05 07:30", "2026-10-09 16:30", 5 * 450),  # a whole week: 37.5 hours (Perpres 21/2023)
])
def test_working_minutes(start, end, minutes):
    assert _default().working_minutes(at(start), at(end)) == pytest.approx(minutes)


def test_a_configured_cuti_bersama_day_is_off():
    calendar = _default(**{"kalender.cuti_bersama": (date(2026, 10, 7),)})
    assert calendar.working_minutes(at("2026-10-06 15:00"), at("2026-10-08 08:30")) == pytest.approx(60 + 60)
    assert calendar.holiday_name(date(2026, 10, 7)) == "Cuti bersama"


def test_other_office_hours_and_time_zones():
    from datetime import time

    config = CalendarConfig(timezone="Asia/Makassar", hours={0: ((time(8), time(16)),)})
    calendar = WorkCalendar(config)
    # 08:00-10:00 WITA on a Monday, given in WIB (07:00-09:00).
    assert calendar.working_minutes(at("2026-10-05 07:00"), at("2026-10-05 09:00")) == pytest.approx(120)


def test_national_holidays_can_be_switched_off():
    calendar = _default(**{"kalender.libur_nasional": False})
    assert calendar.working_minutes(at("2026-08-17 07:30"), at("2026-08-17 12:00")) == pytest.approx(270)


def test_calendar_minutes():
    assert WorkCalendar.calendar_minutes(at("2026-10-09 15:00"), at("2026-10-12 08:30")) == pytest.approx(3930)
