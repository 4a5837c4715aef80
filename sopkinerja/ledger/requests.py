"""The requests generate issued (SOP steps 2-3) and what each was pre-filled with."""

from __future__ import annotations

import json
import sqlite3

from sopkinerja.records import IssuedRequest


class Requests:
    """Methods of ``Ledger`` (requests); ``self.db`` is its SQLite connection."""

    def latest_request(self, period: str, unit_code: str) -> IssuedRequest | None:
        return _request(self.db.execute(
            "SELECT * FROM requests WHERE period = ? AND unit_code = ? "
            "ORDER BY issued_at DESC, rowid DESC LIMIT 1", (period, unit_code)).fetchone())

    def request(self, request_id: str) -> IssuedRequest | None:
        return _request(self.db.execute("SELECT * FROM requests WHERE request_id = ?", (request_id,)).fetchone())

    def request_rows(self, request_id: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM request_rows WHERE request_id = ? ORDER BY position", (request_id,)).fetchall()

    def prefilled(self, request_id: str) -> dict[str, dict]:
        """Row key (indicator code, budget line) -> what the request's row was pre-filled with; the
        rows' JSON decoded in one call (a request of 500 indicators: a fifth of the time of 700)."""
        rows = self.db.execute("SELECT indicator_code, prefilled FROM request_rows WHERE request_id = ? "
                               "ORDER BY position", (request_id,)).fetchall()
        values = json.loads(f"[{','.join(text for _, text in rows)}]")
        return dict(zip([code for code, _ in rows], values, strict=True))

    def requests_mark(self) -> tuple:
        """Changes whenever a request is issued (what a file's check reads of the requests)."""
        return tuple(self.db.execute("SELECT COUNT(*), MAX(rowid), SUM(rowid) FROM requests").fetchone())

    def issued_any(self, period: str) -> bool:
        """Whether a request of the period showed any row (its round was collected): whether
        ``issued_numbers(period)`` is not empty, without reading it."""
        return self.db.execute("SELECT 1 FROM request_rows rr JOIN requests r USING (request_id) WHERE r.period = ? "
                               "LIMIT 1", (period,)).fetchone() is not None

    def first_issued_at(self, period: str) -> str | None:
        """When the period's first request went out (ISO 8601), or None before ``generate``."""
        return self.db.execute("SELECT MIN(issued_at) FROM requests WHERE period = ?", (period,)).fetchone()[0]

    def issued_numbers(self, period: str, unit: str | None = None) -> dict[str, tuple]:
        """Row key (indicator code, budget line) -> (round target, annual target, pagu) as its unit's
        latest request of the period showed them (``None`` where a request did not hold one: the
        first template kept no annual target, budget lines no targets); one unit's when given."""
        rows = self.tuples(
            "SELECT rr.indicator_code, rr.target, rr.annual, rr.budget FROM request_rows rr "
            f"JOIN requests r USING (request_id) WHERE r.period = ?{' AND r.unit_code = ?' if unit else ''} "
            "ORDER BY r.issued_at, r.rowid", (period, *((unit,) if unit else ())))
        return {code: (target, annual, budget) for code, target, annual, budget in rows}

    def add_request(self, request: dict, rows: list[dict]) -> None:
        """Insert one issued request and its pre-filled rows (call inside a transaction)."""
        self.db.execute(
            "INSERT INTO requests (request_id, unit_code, period, template_version, issued_at, "
            "file_name, run_id, fingerprint, replaces, spec) VALUES (:request_id, :unit_code, :period, "
            ":template_version, :issued_at, :file_name, :run_id, :fingerprint, :replaces, :spec)",
            {"spec": None, **request})
        self.db.executemany(
            "INSERT INTO request_rows (request_id, position, indicator_code, row_key, prefilled, target, annual, "
            "budget) VALUES (:request_id, :position, :indicator_code, :row_key, :prefilled, :target, :annual, "
            ":budget)", rows)

    def request_spec(self, request_id: str) -> bytes | None:
        """What the request's workbook was written from (``generate.spec.pack_spec``), when kept."""
        row = self.db.execute("SELECT spec FROM requests WHERE request_id = ?", (request_id,)).fetchone()
        return None if row is None else row[0]

    def has_request_spec(self, request_id: str) -> bool:
        row = self.db.execute("SELECT spec IS NOT NULL FROM requests WHERE request_id = ?", (request_id,)).fetchone()
        return row is not None and row[0] == 1

    def set_request_spec(self, request_id: str, spec: bytes) -> None:
        self.db.execute("UPDATE requests SET spec = ? WHERE request_id = ?", (spec, request_id))

    def set_request_file(self, request_id: str, file_name: str, sha256: str) -> None:
        self.db.execute("UPDATE requests SET file_name = ?, sha256 = ? WHERE request_id = ?",
                        (file_name, sha256, request_id))


def _request(row: sqlite3.Row | None) -> IssuedRequest | None:
    return None if row is None else IssuedRequest(**{k: row[k] for k in IssuedRequest.__annotations__})
