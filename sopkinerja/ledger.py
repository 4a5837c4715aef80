"""The ledger: the workspace's SQLite record of requests, files, values, issues and step events."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from sopkinerja.errors import LedgerError, WorkspaceBusy
from sopkinerja.records import IssuedRequest, StepEvent

LEDGER_NAME = "buku-besar.sqlite"
LOCK_NAME = "sopkinerja.lock"

# Each migration takes the schema from version N to N+1; index 0 makes version 1.
# Never edit a released migration: append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        command TEXT NOT NULL,
        period TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        outcome TEXT
    );
    CREATE TABLE requests (
        request_id TEXT PRIMARY KEY,
        unit_code TEXT NOT NULL,
        period TEXT NOT NULL,
        template_version TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        file_name TEXT NOT NULL,
        sha256 TEXT,
        run_id INTEGER REFERENCES runs(id)
    );
    CREATE INDEX requests_by_unit ON requests(period, unit_code);
    CREATE TABLE request_rows (
        request_id TEXT NOT NULL REFERENCES requests(request_id),
        position INTEGER NOT NULL,
        indicator_code TEXT NOT NULL,
        row_key TEXT NOT NULL,
        prefilled TEXT NOT NULL,
        PRIMARY KEY (request_id, indicator_code)
    );
    CREATE TABLE files (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        archive_path TEXT NOT NULL,
        first_received_at TEXT NOT NULL
    );
    CREATE TABLE receipts (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL REFERENCES files(sha256),
        original_path TEXT NOT NULL,
        original_name TEXT NOT NULL,
        received_at TEXT NOT NULL,
        container_sha256 TEXT,
        run_id INTEGER REFERENCES runs(id)
    );
    CREATE UNIQUE INDEX receipts_once ON receipts(sha256, original_path, IFNULL(container_sha256, ''));
    CREATE TABLE submissions (
        sha256 TEXT PRIMARY KEY REFERENCES files(sha256),
        request_id TEXT,
        unit_code TEXT,
        period TEXT,
        received_at TEXT NOT NULL,
        status TEXT NOT NULL,
        superseded_by TEXT,
        parsed_at TEXT NOT NULL,
        parser_version TEXT NOT NULL
    );
    CREATE INDEX submissions_by_unit ON submissions(period, unit_code);
    CREATE TABLE submission_values (
        sha256 TEXT NOT NULL REFERENCES submissions(sha256),
        indicator_code TEXT NOT NULL,
        field TEXT NOT NULL,
        number REAL,
        text TEXT,
        original TEXT,
        cell TEXT,
        PRIMARY KEY (sha256, indicator_code, field)
    );
    CREATE TABLE issues (
        id INTEGER PRIMARY KEY,
        sha256 TEXT,
        period TEXT,
        unit_code TEXT,
        code TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
        sheet TEXT,
        cell TEXT,
        params TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX issues_by_file ON issues(sha256);
    CREATE TABLE step_events (
        id INTEGER PRIMARY KEY,
        period TEXT NOT NULL,
        step INTEGER NOT NULL,
        unit_code TEXT,
        started_at TEXT,
        ended_at TEXT,
        source TEXT NOT NULL CHECK (source IN ('sistem', 'berkas', 'manual')),
        actor TEXT,
        nip TEXT,
        sha256 TEXT,
        note TEXT,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX step_events_by_period ON step_events(period, step, unit_code);
    """,
    # 2: generate reuses a request whose content is unchanged (fingerprint) and
    # records which earlier request a changed one replaces.
    """
    ALTER TABLE requests ADD COLUMN fingerprint TEXT;
    ALTER TABLE requests ADD COLUMN replaces TEXT REFERENCES requests(request_id);
    CREATE INDEX requests_by_fingerprint ON requests(period, unit_code, fingerprint);
    """,
    # 3: run ingests and parses once per content: the sniffed format of each
    # file, the size and mtime a receipt was seen with (to skip re-reading an
    # unchanged inbox file), and the parse of each workbook (zlib JSON).
    """
    ALTER TABLE files ADD COLUMN format TEXT;
    ALTER TABLE receipts ADD COLUMN size INTEGER;
    ALTER TABLE receipts ADD COLUMN mtime_ns INTEGER;
    CREATE INDEX receipts_by_path ON receipts(original_path);
    CREATE TABLE parses (
        sha256 TEXT PRIMARY KEY REFERENCES files(sha256),
        parser_version TEXT NOT NULL,
        parsed_at TEXT NOT NULL,
        result BLOB NOT NULL
    );
    """,
    # 4: what the last complete run saw (a fingerprint of its inputs) and what it
    # answered, so a run with nothing changed answers at once (issue 7).
    """
    CREATE TABLE state (
        key TEXT PRIMARY KEY,
        value BLOB NOT NULL
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def pack_parse(result: dict) -> bytes:
    import json
    import zlib

    return zlib.compress(json.dumps(result, ensure_ascii=False, sort_keys=True).encode())


def unpack_parse(blob: bytes) -> dict:
    import json
    import zlib

    return json.loads(zlib.decompress(blob))


class Ledger:
    """An open ledger; use ``transaction()`` for every write."""

    def __init__(self, connection: sqlite3.Connection, path: Path):
        self.db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path, migrate: bool = True) -> Ledger:
        """Open (creating if needed) and bring the schema up to date."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = sqlite3.connect(path, isolation_level=None, timeout=30)
            connection.row_factory = sqlite3.Row
            # A rollback journal, not WAL: it also works on the network drives
            # agencies keep shared folders on.
            connection.execute("PRAGMA journal_mode = DELETE")
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute("PRAGMA foreign_keys = ON")
            ledger = cls(connection, path)
            version = ledger.schema_version
        except sqlite3.DatabaseError as exc:
            raise LedgerError("ledger.unreadable", path=str(path), detail=str(exc)) from None
        if version > SCHEMA_VERSION:
            connection.close()
            raise LedgerError("ledger.too_new", path=str(path), found=version, known=SCHEMA_VERSION)
        if migrate and version < SCHEMA_VERSION:
            ledger.migrate()
        return ledger

    @classmethod
    def open_readonly(cls, path: Path) -> Ledger:
        """A read-only connection (the checking workers): never migrates, never writes."""
        connection = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        connection.row_factory = sqlite3.Row
        return cls(connection, Path(path))

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        """Apply each pending migration in its own transaction."""
        for version in range(self.schema_version, target):
            with self.transaction():
                for statement in _statements(MIGRATIONS[version]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {version + 1}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing: commit on success, roll back on any exception."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- runs -------------------------------------------------------------

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
        """What ``generate`` and ``step`` have written (requests; manual events and sistem events
        but those of ``skip_sistem_steps``, which run writes itself): changes when they write."""
        steps = skip_sistem_steps or [-1]
        marks = ",".join("?" * len(steps))
        requests = self.db.execute("SELECT COUNT(*), MAX(rowid), SUM(rowid) FROM requests").fetchone()
        events = self.db.execute(
            f"SELECT COUNT(*), MAX(id), SUM(id) FROM step_events WHERE source = 'manual' OR "
            f"(source = 'sistem' AND step NOT IN ({marks}))", steps).fetchone()
        return tuple(requests), tuple(events)

    # --- requests (SOP steps 2-3) ---------------------------------------------

    def latest_request(self, period: str, unit_code: str) -> IssuedRequest | None:
        return _request(self.db.execute(
            "SELECT * FROM requests WHERE period = ? AND unit_code = ? "
            "ORDER BY issued_at DESC, rowid DESC LIMIT 1", (period, unit_code)).fetchone())

    def request(self, request_id: str) -> IssuedRequest | None:
        return _request(self.db.execute("SELECT * FROM requests WHERE request_id = ?", (request_id,)).fetchone())

    def request_rows(self, request_id: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM request_rows WHERE request_id = ? ORDER BY position", (request_id,)).fetchall()

    def first_issued_at(self, period: str) -> str | None:
        """When the period's first request went out (ISO 8601), or None before ``generate``."""
        return self.db.execute("SELECT MIN(issued_at) FROM requests WHERE period = ?", (period,)).fetchone()[0]

    def issued_targets(self, period: str) -> list[tuple]:
        """(indicator code, target, pagu) of every request row of the period, oldest request first
        (so the last row of a code is what its unit's latest request showed)."""
        rows = self.db.execute(
            "SELECT rr.indicator_code, json_extract(rr.prefilled, '$.target'), json_extract(rr.prefilled, '$.budget') "
            "FROM request_rows rr JOIN requests r USING (request_id) WHERE r.period = ? ORDER BY r.issued_at, r.rowid",
            (period,)).fetchall()
        return [tuple(r) for r in rows]

    def issued_prefilled(self, period: str) -> dict[str, dict]:
        """Indicator code -> the pre-filled values of its unit's latest request of the period."""
        import json

        rows = self.db.execute(
            "SELECT rr.indicator_code, rr.prefilled FROM request_rows rr JOIN requests r USING (request_id) "
            "WHERE r.period = ? ORDER BY r.issued_at, r.rowid", (period,)).fetchall()
        return {row["indicator_code"]: json.loads(row["prefilled"]) for row in rows}

    def add_request(self, request: dict, rows: list[dict]) -> None:
        """Insert one issued request and its pre-filled rows (call inside a transaction)."""
        self.db.execute(
            "INSERT INTO requests (request_id, unit_code, period, template_version, issued_at, "
            "file_name, run_id, fingerprint, replaces) VALUES (:request_id, :unit_code, :period, "
            ":template_version, :issued_at, :file_name, :run_id, :fingerprint, :replaces)", request)
        self.db.executemany(
            "INSERT INTO request_rows (request_id, position, indicator_code, row_key, prefilled) "
            "VALUES (:request_id, :position, :indicator_code, :row_key, :prefilled)", rows)

    def set_request_file(self, request_id: str, file_name: str, sha256: str) -> None:
        self.db.execute("UPDATE requests SET file_name = ?, sha256 = ? WHERE request_id = ?",
                        (file_name, sha256, request_id))

    # --- received files (run) --------------------------------------------------

    def known_receipt(self, original_path: str, size: int, mtime_ns: int) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM receipts WHERE original_path = ? AND size = ? AND mtime_ns = ? LIMIT 1",
            (original_path, size, mtime_ns)).fetchone()
        return row is not None

    def add_receipt(self, *, sha256: str, size: int, archive_path: str, format: str, original_path: str,
                    original_name: str, received_at: str, container: str | None, run_id: int | None,
                    mtime_ns: int | None) -> bool:
        """Record a file and its receipt (inside a transaction); False when already recorded."""
        self.db.execute(
            "INSERT OR IGNORE INTO files (sha256, size, archive_path, first_received_at, format) "
            "VALUES (?, ?, ?, ?, ?)", (sha256, size, archive_path, received_at, format))
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO receipts (sha256, original_path, original_name, received_at, "
            "container_sha256, run_id, size, mtime_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (sha256, original_path, original_name, received_at, container, run_id, size, mtime_ns))
        return cursor.rowcount == 1

    def set_file_format(self, sha256: str, format: str) -> None:
        self.db.execute("UPDATE files SET format = ? WHERE sha256 = ?", (format, sha256))

    def receipts(self) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT r.*, f.format, f.archive_path, f.size AS file_size FROM receipts r "
            "JOIN files f ON f.sha256 = r.sha256 ORDER BY r.received_at, r.id").fetchall()

    def recorded_files(self) -> list[tuple[str, str]]:
        """(sha256, archive path) of every file, by sha256."""
        return [tuple(r) for r in self.db.execute("SELECT sha256, archive_path FROM files ORDER BY sha256")]

    def parse_result(self, sha256: str, parser_version: str) -> dict | None:
        blob = self.parse_blob(sha256, parser_version)
        return None if blob is None else unpack_parse(blob)

    def parse_blob(self, sha256: str, parser_version: str) -> bytes | None:
        row = self.db.execute("SELECT result FROM parses WHERE sha256 = ? AND parser_version = ?",
                              (sha256, parser_version)).fetchone()
        return None if row is None else row[0]

    def save_parse(self, sha256: str, parser_version: str, parsed_at: str, result: dict | bytes) -> None:
        """Store a parse (a dict, or the bytes ``pack_parse`` made of it in a worker)."""
        blob = result if isinstance(result, bytes) else pack_parse(result)
        self.db.execute("INSERT OR REPLACE INTO parses (sha256, parser_version, parsed_at, result) "
                        "VALUES (?, ?, ?, ?)", (sha256, parser_version, parsed_at, blob))

    # --- what run derives: submissions, values, issues ---------------------------

    def replace_round(self, period: str, shas: list[str], sistem_steps: list[int], submissions: list[tuple],
                      values: list[tuple], issues: list[tuple], events: list[StepEvent]) -> None:
        """Everything run derived for this round, deleted and inserted again (inside a transaction).

        Rows go in in the order given, so the same files give the same rows, ids included.
        ``submissions``: (sha256, request_id, unit_code, period, received_at, status, parsed_at,
        parser_version); ``values``: (sha256, indicator, field, number, text, original, cell);
        ``issues``: (sha256, period, unit_code, code, severity, sheet, cell, params JSON).
        """
        marks = ",".join("?" * len(shas))
        for step in sistem_steps:
            self.db.execute("DELETE FROM step_events WHERE period = ? AND step = ? AND source = 'sistem'",
                            (period, step))
        self.db.execute(f"DELETE FROM issues WHERE period = ? OR sha256 IN ({marks})", (period, *shas))
        self.db.execute(f"DELETE FROM submission_values WHERE sha256 IN ({marks})", shas)
        self.db.execute(f"DELETE FROM step_events WHERE source = 'berkas' AND sha256 IN ({marks})", shas)
        self.db.execute(f"DELETE FROM submissions WHERE sha256 IN ({marks})", shas)
        self.db.executemany(
            "INSERT INTO submissions (sha256, request_id, unit_code, period, received_at, status, "
            "superseded_by, parsed_at, parser_version) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)", submissions)
        self.db.executemany(
            "INSERT OR REPLACE INTO submission_values (sha256, indicator_code, field, number, text, "
            "original, cell) VALUES (?, ?, ?, ?, ?, ?, ?)", values)
        self.db.executemany(
            "INSERT INTO issues (sha256, period, unit_code, code, severity, sheet, cell, params) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", issues)
        for event in events:
            self.add_step_event(event)

    def accepted_values(self, period: str) -> list[tuple]:
        """(unit, indicator, realisasi, realisasi anggaran, realisasi's cell, its original text) of
        every indicator of the period's accepted answers."""
        rows = self.db.execute(
            "SELECT s.unit_code, v.indicator_code, "
            "MAX(CASE WHEN v.field = 'actual' THEN v.number END), MAX(CASE WHEN v.field = 'spent' THEN v.number END), "
            "MAX(CASE WHEN v.field = 'actual' THEN v.cell END), MAX(CASE WHEN v.field = 'actual' THEN v.original END) "
            "FROM submission_values v JOIN submissions s ON s.sha256 = v.sha256 "
            "WHERE s.period = ? AND s.status = 'accepted' GROUP BY s.unit_code, v.indicator_code", (period,)).fetchall()
        return [tuple(r) for r in rows]

    def accepted_actuals_outside(self, period: str) -> list[tuple[str, str, float | None]]:
        """(period, indicator, realisasi) of every accepted answer of every other period."""
        rows = self.db.execute(
            "SELECT s.period, v.indicator_code, v.number FROM submission_values v JOIN submissions s "
            "ON s.sha256 = v.sha256 WHERE s.status = 'accepted' AND v.field = 'actual' AND s.period != ?",
            (period,)).fetchall()
        return [tuple(r) for r in rows]

    def accepted_value_counts(self) -> list[tuple[str, int]]:
        """(sha256, number of values) of every accepted answer."""
        return [tuple(r) for r in self.db.execute(
            "SELECT v.sha256, COUNT(*) FROM submission_values v JOIN submissions s ON s.sha256 = v.sha256 "
            "WHERE s.status = 'accepted' GROUP BY v.sha256 ORDER BY v.sha256")]

    def submissions_of(self, period: str) -> list[sqlite3.Row]:
        """The period's submissions in receipt order, each with its first inbox path and issue counts."""
        return self.db.execute(
            "SELECT s.*, (SELECT original_path FROM receipts r WHERE r.sha256 = s.sha256 ORDER BY r.id LIMIT 1) "
            "AS path, (SELECT COUNT(*) FROM issues i WHERE i.sha256 = s.sha256 AND i.severity = 'error') AS errors, "
            "(SELECT COUNT(*) FROM issues i WHERE i.sha256 = s.sha256 AND i.severity = 'warning') AS warnings "
            "FROM submissions s WHERE s.period = ? ORDER BY s.received_at, s.sha256", (period,)).fetchall()

    # --- step events ---------------------------------------------------------

    def add_step_event(self, event: StepEvent) -> None:
        """Record a step event (call inside a transaction)."""
        row = {name: getattr(event, name) for name in _EVENT_COLUMNS}
        for name in ("started_at", "ended_at", "recorded_at"):
            row[name] = row[name].isoformat() if row[name] is not None else None
        names, marks = ", ".join(_EVENT_COLUMNS), ", ".join(":" + c for c in _EVENT_COLUMNS)
        self.db.execute(f"INSERT INTO step_events ({names}) VALUES ({marks})", row)

    def step_events(self, period: str) -> list[StepEvent]:
        """The period's events in the order recorded; a unit's declared (berkas) events only from
        its current answer (accepted or rejected)."""
        rows = self.db.execute(
            "SELECT e.* FROM step_events e LEFT JOIN submissions s ON s.sha256 = e.sha256 "
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

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_EVENT_COLUMNS = ("period", "step", "unit_code", "started_at", "ended_at", "source", "actor", "nip", "sha256",
                  "note", "recorded_at")


def _request(row: sqlite3.Row | None) -> IssuedRequest | None:
    return None if row is None else IssuedRequest(**{k: row[k] for k in IssuedRequest.__annotations__})


def _event(row: sqlite3.Row) -> StepEvent:
    moment = {k: datetime.fromisoformat(row[k]) if row[k] else None for k in ("started_at", "ended_at", "recorded_at")}
    return StepEvent(row["step"], moment["started_at"], moment["ended_at"], row["actor"], row["nip"], row["period"],
                     row["unit_code"], row["source"], row["sha256"], row["note"], moment["recorded_at"], row["id"])


def _statements(script: str) -> list[str]:
    """Split a migration script on semicolons (migrations hold no string literals with ';')."""
    return [s.strip() for s in script.split(";") if s.strip()]


@contextlib.contextmanager
def workspace_lock(archive_dir: Path, wait_seconds: float = 10.0) -> Iterator[None]:
    """One writer per workspace; the OS frees the lock if the process dies."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock, Timeout  # here: commands that take no lock start faster

    lock = FileLock(str(archive_dir / LOCK_NAME))
    try:
        lock.acquire(timeout=wait_seconds)
    except Timeout:
        raise WorkspaceBusy("workspace.busy", path=str(archive_dir.parent), seconds=wait_seconds) from None
    try:
        yield
    finally:
        lock.release()
