"""The ledger: schema migrations, transactions, and the one-writer lock."""

import sqlite3
import subprocess
import sys
import time

import pytest

from sopkinerja.errors import LedgerError, WorkspaceBusy
from sopkinerja.ledger import LOCK_NAME, MIGRATIONS, SCHEMA_VERSION, Ledger, workspace_lock


def _schema(ledger):
    rows = ledger.db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    return [tuple(r) for r in rows]


def test_a_new_ledger_has_the_latest_schema(tmp_path):
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        assert ledger.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
        names = {r[1] for r in _schema(ledger) if r[0] == "table"}
    assert {"requests", "request_rows", "files", "receipts", "submissions", "submission_values",
            "issues", "step_events", "runs"} <= names


@pytest.mark.parametrize("start", range(SCHEMA_VERSION))
def test_migration_from_every_older_version(tmp_path, start):
    old = Ledger.open(tmp_path / "old.sqlite", migrate=False)
    old.migrate(target=start)
    assert old.schema_version == start
    if start >= 1:  # data written under an older schema survives the upgrade
        with old.transaction():
            old.db.execute("INSERT INTO runs (command, started_at) VALUES ('generate', '2026-10-01')")
    old.close()
    with Ledger.open(tmp_path / "old.sqlite") as upgraded, Ledger.open(tmp_path / "new.sqlite") as fresh:
        assert upgraded.schema_version == SCHEMA_VERSION
        assert _schema(upgraded) == _schema(fresh)
        if start >= 1:
            assert upgraded.db.execute("SELECT command FROM runs").fetchall()[0][0] == "generate"


def test_reopening_is_idempotent(tmp_path):
    Ledger.open(tmp_path / "l.sqlite").close()
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        assert ledger.schema_version == SCHEMA_VERSION


def test_a_newer_ledger_is_refused(tmp_path):
    path = tmp_path / "l.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(LedgerError) as caught:
        Ledger.open(path)
    assert caught.value.key == "ledger.too_new"


def test_a_corrupt_ledger_is_explained(tmp_path):
    path = tmp_path / "l.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LedgerError) as caught:
        Ledger.open(path)
    assert caught.value.key == "ledger.unreadable"


def test_a_failed_transaction_leaves_nothing(tmp_path):
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        with pytest.raises(RuntimeError), ledger.transaction():
            ledger.db.execute("INSERT INTO runs (command, started_at) VALUES ('run', 'x')")
            raise RuntimeError("boom")
        assert ledger.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0


def test_step_event_sources_are_constrained(tmp_path):
    with Ledger.open(tmp_path / "l.sqlite") as ledger, pytest.raises(sqlite3.IntegrityError), ledger.transaction():
        ledger.db.execute(
            "INSERT INTO step_events (period, step, source, recorded_at) VALUES ('2026-TW3', 1, 'tebakan', 'x')")


HOLDER = """
import sys, time
from pathlib import Path
from sopkinerja.ledger import workspace_lock
with workspace_lock(Path(sys.argv[1]), wait_seconds=5):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_writer_is_refused_and_the_lock_dies_with_its_holder(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(WorkspaceBusy) as caught, workspace_lock(tmp_path, wait_seconds=0.3):
            pass
        assert time.monotonic() - started >= 0.3
        assert caught.value.key == "workspace.busy"
    finally:
        holder.kill()  # like a crash: the OS must free the lock
        holder.wait()
    with workspace_lock(tmp_path, wait_seconds=2):
        assert (tmp_path / LOCK_NAME).exists()
