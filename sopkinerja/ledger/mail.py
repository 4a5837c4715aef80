"""The messages ``send`` and ``remind`` made (issue 19): recorded before and after each goes out."""

from __future__ import annotations


class Mail:
    """Methods of ``Ledger`` (mail_out); ``self.db`` is its SQLite connection."""

    def mail_started(self, kind: str, period: str, unit_code: str, request_id: str | None, message_id: str,
                     recipient: str, at: str) -> int:
        cursor = self.db.execute(
            "INSERT INTO mail_out (kind, period, unit_code, request_id, message_id, recipient, status, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 'sending', ?)", (kind, period, unit_code, request_id, message_id, recipient, at))
        return int(cursor.lastrowid)

    def mail_finished(self, mail_id: int, status: str, at: str, detail: str | None = None) -> None:
        self.db.execute("UPDATE mail_out SET status = ?, finished_at = ?, detail = ? WHERE id = ?",
                        (status, at, detail, mail_id))

    def mail_sent(self, kind: str, period: str, unit_code: str, request_id: str | None) -> bool:
        """Whether this unit was already sent this message (this request, for ``send``)."""
        return self.db.execute(
            "SELECT 1 FROM mail_out WHERE kind = ? AND period = ? AND unit_code = ? AND status = 'sent' "
            "AND (request_id IS ? OR request_id = ?) LIMIT 1",
            (kind, period, unit_code, request_id, request_id)).fetchone() is not None

    def mail_log(self, period: str) -> list[tuple]:
        """(kind, unit, request, message id, recipient, status, started, finished, detail), oldest first."""
        return [tuple(r) for r in self.db.execute(
            "SELECT kind, unit_code, request_id, message_id, recipient, status, started_at, finished_at, detail "
            "FROM mail_out WHERE period = ? ORDER BY id", (period,)).fetchall()]
