"""The ledger: the workspace's SQLite record of requests, files, values, issues and step events."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path


from sopkinerja.errors import LedgerError, WorkspaceBusy

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

    def get_state(self, key: str) -> bytes | None:
        row = self.db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_state(self, key: str, value: bytes) -> None:
        """Call inside a transaction."""
        self.db.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, value))

    # --- requests (SOP steps 2-3) ---------------------------------------------

    def latest_request(self, period: str, unit_code: str) -> sqlite3.Row | None:
        return self.db.execute(
            "SELECT * FROM requests WHERE period = ? AND unit_code = ? "
            "ORDER BY issued_at DESC, rowid DESC LIMIT 1", (period, unit_code)).fetchone()

    def request(self, request_id: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM requests WHERE request_id = ?", (request_id,)).fetchone()

    def request_rows(self, request_id: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM request_rows WHERE request_id = ? ORDER BY position", (request_id,)).fetchall()

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

    def add_receipt(self, received, run_id: int | None, mtime_ns: int | None) -> bool:
        """Record a file and its receipt (inside a transaction); False when already recorded."""
        self.db.execute(
            "INSERT OR IGNORE INTO files (sha256, size, archive_path, first_received_at, format) "
            "VALUES (?, ?, ?, ?, ?)",
            (received.sha256, received.size, received.archive_path, received.received_at.isoformat(),
             received.format))
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO receipts (sha256, original_path, original_name, received_at, "
            "container_sha256, run_id, size, mtime_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (received.sha256, received.original_path, received.original_name,
             received.received_at.isoformat(), received.container, run_id, received.size, mtime_ns))
        return cursor.rowcount == 1

    def receipts(self) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT r.*, f.format, f.archive_path, f.size AS file_size FROM receipts r "
            "JOIN files f ON f.sha256 = r.sha256 ORDER BY r.received_at, r.id").fetchall()

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

    # --- step events ---------------------------------------------------------

    def add_step_event(self, event: dict) -> None:
        """Record a step event (call inside a transaction); keys as the table's columns."""
        columns = ("period", "step", "unit_code", "started_at", "ended_at", "source", "actor",
                   "nip", "sha256", "note", "recorded_at")
        row = {key: event.get(key) for key in columns}
        self.db.execute(
            f"INSERT INTO step_events ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})",
            row)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
