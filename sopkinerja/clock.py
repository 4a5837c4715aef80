"""The one place the wall clock is read; everything else is given ``now``."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

ENV_VAR = "SOPKINERJA_NOW"  # fixes the clock for tests, demos and reproducible runs
WIB = ZoneInfo("Asia/Jakarta")


def now(tz: ZoneInfo = WIB) -> datetime:
    """The current time (aware), or ``SOPKINERJA_NOW`` when set (naive means WIB)."""
    fixed = os.environ.get(ENV_VAR)
    if fixed:
        value = datetime.fromisoformat(fixed)
        return value if value.tzinfo else value.replace(tzinfo=tz)
    return datetime.now(UTC).astimezone(tz)
