"""SOP step events (the timing log's sources), and SQLite's own integrity checks."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from sopkinerja.records import StepEvent


class Events:
    """Methods of ``Ledger`` (step events); ``self.db`` is its SQLite connection."""

    def add_step_event(self, event: StepEvent) -> None:
        """Record a step event (call inside a transaction)."""
        self.add_step_events([event])

    def add_step_events(self, events: list[StepEvent]) -> None:
        """Record step events in order, in one statement (call inside a transaction)."""
        names, marks = ", ".join(_EVENT_COLUMNS), ", ".join(":" + c for c in _EVENT_COLUMNS)
        self.db.executemany(f"INSERT INTO step_events ({names}) VALUES ({marks})", map(_event_row, events))

    def step_events(self, period: str) -> list[StepEvent]:
        """The period's events in the order recorded; a unit's declared (berkas) events only from
        its current answer (accepted or rejected)."""
        rows = self.db.execute(
            "SELECT e.* FROM step_events e LEFT JOIN submissions s ON s.sha256 = e.sha256 "
            "AND s.part = IFNULL(e.part, '') "
            "WHERE e.period = ? AND (e.source != 'berkas' OR s.status IN ('accepted', 'rejected')) "
            "ORDER BY e.recorded_at, e.id", (period,)).fetchall()
        return [_event(r) for r in rows]

    def has_step_event(self, period: str, step: int, source: str) -> bool:
        return self.db.execute("SELECT 1 FROM step_events WHERE period = ? AND step = ? AND source = ? LIMIT 1",
                               (period, step, source)).fetchone() is not None

    # --- integrity (verify) -------------------------------------------------------

    def integrity_problems(self) -> list[tuple[str, str]]:
        """What SQLite's own checks find, as (where, what): ``integrity_check`` lines and broken foreign keys."""
        found = [("integrity_check", str(line)) for (line,) in self.db.execute("PRAGMA integrity_check").fetchall()
                 if line != "ok"]
        found += [(str(row[0]), f"foreign key to {row[2]}") for row in self.db.execute("PRAGMA foreign_key_check")]
        return found


_EVENT_COLUMNS = ("period", "step", "unit_code", "started_at", "ended_at", "source", "actor", "nip", "sha256",
                  "note", "recorded_at", "part")


def _event(row: sqlite3.Row) -> StepEvent:
    moment = {k: datetime.fromisoformat(row[k]) if row[k] else None for k in ("started_at", "ended_at", "recorded_at")}
    return StepEvent(row["step"], moment["started_at"], moment["ended_at"], row["actor"], row["nip"], row["period"],
                     row["unit_code"], row["source"], row["sha256"], row["note"], moment["recorded_at"], row["id"],
                     row["part"])


def _event_row(event: StepEvent) -> dict:
    row = {name: getattr(event, name) for name in _EVENT_COLUMNS}
    for name in ("started_at", "ended_at", "recorded_at"):
        row[name] = row[name].isoformat() if row[name] is not None else None
    return row
