"""E-mail (issue 19): the messages ``send`` and ``remind`` made, recorded before and after each goes
out (mail_out), and the messages ``fetch`` took from the IMAP folder (mail_in)."""

from __future__ import annotations


class Mail:
    """Methods of ``Ledger`` (mail_out, mail_in); ``self.db`` is its SQLite connection."""

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

    # --- mail_in: what fetch took from the IMAP folder --------------------------------------

    def mail_in_seen(self, folder: str, uidvalidity: int) -> dict[int, tuple[str, int]]:
        """UID -> (status, size) of the messages of ``folder`` recorded under this UIDVALIDITY."""
        return {r[0]: (r[1], r[2]) for r in self.db.execute(
            "SELECT uid, status, size FROM mail_in WHERE folder = ? AND uidvalidity = ?", (folder, uidvalidity))}

    def mail_in_validities(self, folder: str) -> set[int]:
        return {r[0] for r in self.db.execute("SELECT DISTINCT uidvalidity FROM mail_in WHERE folder = ?", (folder,))}

    def mail_in_add(self, *, folder: str, uidvalidity: int, uid: int, status: str, received_at: str, size: int,
                    sha256: str | None, path: str | None, sender: str | None, subject: str | None,
                    fetched_at: str) -> None:
        """One message of the folder (inside a transaction): fetched (with its file) or too-large (and
        fetched later, once ``batas_mb`` allows it)."""
        self.db.execute(
            "INSERT INTO mail_in (folder, uidvalidity, uid, status, received_at, size, sha256, path, sender, "
            "subject, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (folder, uidvalidity, uid) DO UPDATE SET status = excluded.status, sha256 = excluded.sha256, "
            "path = excluded.path, fetched_at = excluded.fetched_at",
            (folder, uidvalidity, uid, status, received_at, size, sha256, path, sender, subject, fetched_at))

    def mail_in_file(self, sha256: str) -> tuple[str, str] | None:
        """(path, the server's receipt time) of the first fetched message with these bytes."""
        row = self.db.execute("SELECT path, received_at FROM mail_in WHERE sha256 = ? AND status = 'fetched' "
                              "ORDER BY id LIMIT 1", (sha256,)).fetchone()
        return None if row is None else (row[0], row[1])

    def mail_in_log(self) -> list[tuple]:
        """(folder, uidvalidity, uid, status, received, size, path, sender, subject), oldest first."""
        return [tuple(r) for r in self.db.execute(
            "SELECT folder, uidvalidity, uid, status, received_at, size, path, sender, subject FROM mail_in "
            "ORDER BY id").fetchall()]
