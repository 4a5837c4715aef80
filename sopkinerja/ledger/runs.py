"""The ledger's record of runs, and the state the last run left (nothing changed, nothing done)."""

from __future__ import annotations


class Runs:
    """Methods of ``Ledger`` (runs); ``self.db`` is its SQLite connection."""

    def start_run(self, command: str, period: str, started_at: str) -> int:
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO runs (command, period, started_at) VALUES (?, ?, ?)",
                (command, period, started_at))
        return cursor.lastrowid

    def finish_run(self, run_id: int, finished_at: str, outcome: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE runs SET finished_at = ?, outcome = ? WHERE id = ?",
                            (finished_at, outcome, run_id))

    def has_run(self, command: str, period: str) -> bool:
        return self.db.execute("SELECT 1 FROM runs WHERE command = ? AND period = ? LIMIT 1",
                               (command, period)).fetchone() is not None

    def get_state(self, key: str) -> bytes | None:
        row = self.db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_state(self, key: str, value: bytes) -> None:
        """Call inside a transaction."""
        self.db.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, value))

    def change_marks(self, skip_sistem_steps: list[int]) -> tuple:
        """What ``generate``, ``step`` and ``ignore`` have written (requests; manual events and sistem
        events but those of ``skip_sistem_steps``, which run writes itself; files set aside):
        changes when they write."""
        steps = skip_sistem_steps or [-1]
        marks = ",".join("?" * len(steps))
        requests = self.db.execute("SELECT COUNT(*), MAX(rowid), SUM(rowid) FROM requests").fetchone()
        events = self.db.execute(
            f"SELECT COUNT(*), MAX(id), SUM(id) FROM step_events WHERE source = 'manual' OR "
            f"(source = 'sistem' AND step NOT IN ({marks}))", steps).fetchone()
        ignored = self.db.execute("SELECT COUNT(*), MAX(id), SUM(id), COUNT(undone_at) FROM ignored").fetchone()
        return tuple(requests), tuple(events), tuple(ignored)
