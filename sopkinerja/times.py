"""Reading the dates and times people type in ``Log Proses`` (Indonesian day-first)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

EXCEL_EPOCH = datetime(1899, 12, 30)
MONTHS = {
    **{m: i for i, m in enumerate(("januari", "februari", "maret", "april", "mei", "juni", "juli",
                                     "agustus", "september", "oktober", "november", "desember"), 1)},
    **{m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "mei", "jun", "jul", "agu", "sep",
                                     "okt", "nov", "des"), 1)},
    **{m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july",
                                     "august", "september", "october", "november", "december"), 1)},
    "agt": 8, "ags": 8, "aug": 8, "oct": 10, "dec": 12, "may": 5, "pebruari": 2, "nopember": 11,
}
_TIME = r"(?:[ ,T]+(?:pukul|jam|pk\.?)?\s*(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*(?:wib|wita|wit)?)?"
_NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})" + _TIME + r"$", re.IGNORECASE)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME + r"$", re.IGNORECASE)
_WORDS = re.compile(r"^(?:[a-z]+,?\s+)?(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})" + _TIME + r"$", re.IGNORECASE)


def parse_datetime(raw: object, tz: tzinfo) -> datetime | None:
    """A cell value as an aware datetime in ``tz``, or None when it cannot be read.

    Accepts real date cells, Excel serial numbers, and text such as
    ``09/10/2026 08.30``, ``9 Oktober 2026 08:30``, ``Jumat, 9 Okt 2026 pukul 08.30``
    and ``2026-10-09 08:30``. Dates are day-first, as in Indonesia.
    """
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=tz)
    if isinstance(raw, date):
        return datetime.combine(raw, time(0), tz)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if not 1 <= raw < 2958466:  # Excel's valid serial range
            return None
        return (EXCEL_EPOCH + timedelta(seconds=round(float(raw) * 86400))).replace(tzinfo=tz)
    if isinstance(raw, str):
        return _parse_text(" ".join(raw.replace("\u00a0", " ").split()), tz)
    return None


def _parse_text(text: str, tz: tzinfo) -> datetime | None:
    for pattern, order in ((_ISO, "ymd"), (_NUMERIC, "dmy"), (_WORDS, "dMy")):
        match = pattern.match(text)
        if not match:
            continue
        a, b, c, hour, minute, second = match.groups()
        if order == "ymd":
            year, month, day = int(a), int(b), int(c)
        elif order == "dmy":
            day, month, year = int(a), int(b), int(c)
        else:
            day, year = int(a), int(c)
            month = MONTHS.get(b.lower())
            if month is None:
                return None
        if year < 100:
            year += 2000
        try:
            return datetime(year, month, day, int(hour or 0), int(minute or 0), int(second or 0), tzinfo=tz)
        except ValueError:
            return None
    return None


def show_time(moment: datetime | None) -> str:
    """A time as Log Proses and the reports show it: ``09/10/2026 08.30``; ``-`` when there is none."""
    return moment.strftime("%d/%m/%Y %H.%M") if moment else "-"


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


_TIME_ONLY = re.compile(r"^(?:pukul|jam|pk\.?)?\s*(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*(?:wib|wita|wit)?$",
                        re.IGNORECASE)


def parse_time_only(raw: object) -> time | None:
    """A time without a date: a time cell, a day fraction (Excel) or text like ``15.30``."""
    if isinstance(raw, time):
        return raw
    if isinstance(raw, timedelta):
        raw = raw.total_seconds() / 86400
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 0 <= raw < 1:
        seconds = round(raw * 86400)
        return time(seconds // 3600 % 24, seconds // 60 % 60, seconds % 60)
    if isinstance(raw, str):
        match = _TIME_ONLY.match(" ".join(raw.split()))
        if match and int(match.group(1)) < 24 and int(match.group(2)) < 60:
            return time(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))
    return None


def parse_pair(start_raw: object, end_raw: object, tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    """Start and end of one row; a time-only side takes its date from the other side."""
    start = None if is_blank(start_raw) else parse_datetime(start_raw, tz)
    end = None if is_blank(end_raw) else parse_datetime(end_raw, tz)
    if start is None and end is not None and not is_blank(start_raw):
        clock = parse_time_only(start_raw)
        start = datetime.combine(end.date(), clock, tz) if clock else None
    if end is None and start is not None and not is_blank(end_raw):
        clock = parse_time_only(end_raw)
        end = datetime.combine(start.date(), clock, tz) if clock else None
    return start, end
