"""``sopkinerja period CODE [--deadline T]``: move the workspace to the next round (product.md §3.1).

Sets ``[periode] kode`` and ``batas_waktu`` in ``sopkinerja.toml`` and
nothing else: comments, order and every other key stay as the planner wrote
them (tomlkit edits the document in place). The new file is checked as a
configuration before it replaces the old one, atomically. A round that is
not later than the current one, or lies beyond next year, is refused unless
``force``: moving back by mistake would send last quarter's requests again.
Without ``--deadline`` the deadline is the 10th of the month after the
round, 16:00, moved to the next working day of the agency's calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sopkinerja.config import CONFIG_NAME, load_config
from sopkinerja.errors import SopkinerjaError
from sopkinerja.models import Period

DEFAULT_DAY = 10  # product.md §3.2's example: returns are due on the 10th after the quarter
DEFAULT_TIME = time(16, 0)


@dataclass(frozen=True)
class PeriodChange:
    previous: str
    period: str
    deadline: datetime
    config: Path

    def document(self) -> dict:
        return {"previous": self.previous, "period": self.period, "deadline": self.deadline.isoformat(),
                "config": str(self.config)}


def move(root: Path, code: str, deadline: str | None = None, force: bool = False) -> PeriodChange:
    """Point the workspace at round ``code``; raise SopkinerjaError saying what is wrong."""
    import tomlkit

    from sopkinerja.atomic import write_text

    config = load_config(root)
    try:
        target = Period.parse(code)
    except ValueError:
        raise SopkinerjaError("period.bad_code", code=code) from None
    current = config.period
    if not force and not (target.end >= current.end and target.year <= current.year + 1):
        raise SopkinerjaError("period.backwards" if target.end < current.end else "period.too_far",
                              code=target.code, current=current.code)
    due = _deadline(deadline, target, config)
    path = Path(root) / CONFIG_NAME
    original = path.read_text(encoding="utf-8-sig")
    document = tomlkit.parse(original)
    table = document.get("periode")
    if table is None:  # load_config would have refused a file without it
        raise SopkinerjaError("period.no_table", path=str(path))
    _replace(table, "kode", target.code)
    _replace(table, "batas_waktu", due)
    write_text(path, tomlkit.dumps(document))
    try:
        load_config(root)  # e.g. a deadline the configuration refuses: the file goes back as it was
    except SopkinerjaError:
        write_text(path, original)
        raise
    return PeriodChange(current.code, target.code, due, path)


def default_deadline(period: Period, calendar) -> datetime:
    """The 10th of the month after ``period`` at 16:00 in the agency's zone, or the next working day."""
    month = period.end.month % 12 + 1
    year = period.end.year + (1 if period.end.month == 12 else 0)
    day = date(year, month, DEFAULT_DAY)
    work = _work_calendar(calendar)
    while work.is_day_off(day):
        day += timedelta(days=1)
    return datetime.combine(day, DEFAULT_TIME, tzinfo=calendar.tz)


def _deadline(text: str | None, period: Period, config) -> datetime:
    if text is None:
        return default_deadline(period, config.calendar)
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        try:
            value = datetime.combine(date.fromisoformat(text.strip()), DEFAULT_TIME)
        except ValueError:
            raise SopkinerjaError("period.bad_deadline", value=text) from None
    if len(text.strip()) == 10:  # a date alone: the end of that working day
        value = datetime.combine(value.date(), DEFAULT_TIME)
    return value.astimezone(config.calendar.tz) if value.tzinfo else value.replace(tzinfo=config.calendar.tz)


def _work_calendar(calendar):
    from sopkinerja.workcalendar import WorkCalendar

    return WorkCalendar(calendar)


def _replace(table, key: str, value) -> None:
    """Set ``key`` keeping the comment written after its value on the same line."""
    import tomlkit

    item = tomlkit.item(value)
    old = table.get(key)
    if old is not None and hasattr(old, "trivia"):
        item.trivia.comment_ws, item.trivia.comment = old.trivia.comment_ws, old.trivia.comment
    table[key] = item
