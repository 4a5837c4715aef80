"""The ledger: the workspace's SQLite record of requests, files, values, issues and step events.

The one place the package speaks SQL: every statement is a named method,
grouped by tables (``runs``, ``requests``, ``files``, ``rounds``, ``events``, ``mail``);
``schema`` holds the append-only migrations.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sopkinerja.errors import LedgerError, WorkspaceBusy
from sopkinerja.ledger.events import Events
from sopkinerja.ledger.files import Files, pack_parse, unpack_parse
from sopkinerja.ledger.mail import Mail
from sopkinerja.ledger.requests import Requests
from sopkinerja.ledger.rounds import Rounds, Segment
from sopkinerja.ledger.runs import Runs
from sopkinerja.ledger.schema import MIGRATIONS, SCHEMA_VERSION, _statements

__all__ = ["LEDGER_NAME", "LOCK_NAME", "MIGRATIONS", "SCHEMA_VERSION", "Ledger", "Segment", "pack_parse",
           "unpack_parse", "workspace_lock"]

LEDGER_NAME = "buku-besar.sqlite"
LOCK_NAME = "sopkinerja.lock"


class Ledger(Runs, Requests, Files, Rounds, Events, Mail):
    """An open ledger; use ``transaction()`` for every write. Its methods, one per question
    or record, live in the mixins by table group; they take and return plain rows, tuples,
    ``records`` types — never a stage's own types."""

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

    def tuples(self, sql: str, args=()) -> list[tuple]:
        """The rows of a query as plain tuples: the big reads skip making a ``sqlite3.Row`` per
        row (and a tuple of it after; measured: a third of consolidation's reading)."""
        cursor = self.db.cursor()
        cursor.row_factory = None
        return cursor.execute(sql, args).fetchall()

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

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
