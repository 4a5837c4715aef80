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


# --- a round's rows replaced as a rewrite would (issue 20) --------------------------------------


def _file(ledger, sha):
    ledger.db.execute("INSERT OR IGNORE INTO files (sha256, size, archive_path, first_received_at) "
                      "VALUES (?, 1, 'a', '2026-10-01')", (sha,))


def _round(shas, values_of, issues_of, parsed_at="2026-10-12T09:00:00"):
    submissions = [(sha, "", f"REQ-{sha}", f"U{sha}", "2026-TW3", f"2026-10-0{n + 1}T10:00:00", "accepted",
                    parsed_at, "7") for n, sha in enumerate(shas)]
    values = [(sha, "", code, "actual", number, None, str(number), "F7") for sha in shas
              for code, number in values_of.get(sha, [])]
    issues = [(sha, "", "2026-TW3", f"U{sha}", code, "warning", "Data", "F7", "{}") for sha in shas
              for code in issues_of.get(sha, [])]
    return submissions, values, issues


def _rewrite(ledger, shas, submissions, values, issues):
    """The rewrite the incremental replace must equal: delete everything, insert in order."""
    marks = ",".join("?" * len(shas))
    ledger.db.execute(f"DELETE FROM issues WHERE period = '2026-TW3' OR sha256 IN ({marks})", shas)
    ledger.db.execute(f"DELETE FROM submission_values WHERE sha256 IN ({marks})", shas)
    ledger.db.execute(f"DELETE FROM submissions WHERE sha256 IN ({marks})", shas)
    ledger.db.executemany("INSERT INTO submissions (sha256, part, request_id, unit_code, period, received_at, status, "
                          "superseded_by, parsed_at, parser_version) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
                          submissions)
    ledger.db.executemany("INSERT OR REPLACE INTO submission_values (sha256, part, indicator_code, field, number, "
                          "text, original, cell) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values)
    ledger.db.executemany("INSERT INTO issues (sha256, part, period, unit_code, code, severity, sheet, cell, params) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", issues)


def _count_writes(ledger):
    """From now on, every row inserted into or deleted from the round's tables is counted in temp.writes."""
    ledger.db.execute("CREATE TEMP TABLE writes (n INTEGER)")
    for table in ("submissions", "submission_values", "issues"):
        for event in ("INSERT", "DELETE"):
            ledger.db.execute(f"CREATE TEMP TRIGGER count_{event.lower()}_{table} AFTER {event} ON main.{table} "
                              "BEGIN INSERT INTO writes VALUES (1); END")


def _tables(ledger):
    return {t: ledger.db.execute(f"SELECT rowid, * FROM {t} ORDER BY rowid").fetchall()
            for t in ("submissions", "submission_values", "issues")}


BEFORE = (["a", "b"], {"a": [("X-1", 1.0), ("X-2", 2.0)], "b": [("Y-1", 3.0)]}, {"a": ["blank"]})
AFTER = {
    "unchanged": BEFORE,
    "a file added": (["a", "b", "c"], {**BEFORE[1], "c": [("Y-1", 4.0), ("Y-2", 5.0)]}, {"a": ["blank"], "c": ["x"]}),
    "a value changed in the middle": (["a", "b"], {"a": [("X-1", 1.0), ("X-2", 9.0)], "b": [("Y-1", 3.0)]},
                                      {"a": ["blank"]}),
    "a file gone": (["b"], {"b": [("Y-1", 3.0)]}, {}),
    "rows fewer": (["a", "b"], {"a": [("X-1", 1.0)], "b": []}, {}),
    "a file put first": (["c", "a", "b"], {**BEFORE[1], "c": [("Z-1", 1.0)]}, {"a": ["blank"]}),
    "a repeated key": (["a", "b", "c"], {**BEFORE[1], "c": [("Z-1", 1.0), ("Z-1", 2.0)]}, {"a": ["blank"]}),
}


def _segments(values, made: list | None = None):
    """``values`` as one ``Segment`` per file (marked by its rows, as decide marks a file's packed
    values); each made segment's sha256 is appended to ``made``."""
    import marshal

    from sopkinerja.ledger import Segment

    by_file: dict[str, list] = {}
    for row in values:
        by_file.setdefault(row[0], []).append(row)

    def make(sha, rows):
        if made is not None:
            made.append(sha)
        return rows

    return [Segment(marshal.dumps(rows, 2), len(rows), lambda sha=sha, rows=rows: make(sha, rows))
            for sha, rows in by_file.items()]


def _as(shape, rows, made=None):
    submissions, values, issues = rows
    return (submissions, _segments(values, made) if shape == "segments" else values, issues)


@pytest.mark.parametrize("after", AFTER, ids=list(AFTER))
@pytest.mark.parametrize("other_round_after", [False, True], ids=["round-last", "another-round-after"])
@pytest.mark.parametrize("block", [1, 2, 1000], ids=["digest-per-row", "per-2-rows", "per-1000-rows"])
@pytest.mark.parametrize("shape", ["rows", "segments"])
def test_replacing_a_round_gives_the_rows_and_ids_of_a_rewrite(tmp_path, after, other_round_after, block, shape,
                                                               monkeypatch):
    """The second write finds what to keep from the first's digests (rows digested in blocks of
    ``block``, or values one file's segment each), or, after another round's write, by reading the
    rows back: either way the rows and ids of deleting and inserting everything."""
    from sopkinerja.ledger import rounds

    monkeypatch.setattr(rounds, "ROW_BLOCK", block)
    made: list[str] = []
    results, writes = [], []
    for name, incremental in (("inc", True), ("full", False)):
        with Ledger.open(tmp_path / f"{name}.sqlite") as ledger:
            for sha in "abcz":
                _file(ledger, sha)
            with ledger.transaction():
                shas, values_of, issues_of = BEFORE
                ledger.replace_round("2026-TW3", shas, [], *_as(shape, _round(shas, values_of, issues_of)), [])
            if other_round_after:  # another round's rows recorded after this one's
                with ledger.transaction():
                    other = ([("z", "", "R", "Uz", "2026-TW2", "2026-07-01", "accepted", "x", "7")],
                             [("z", "", "Q-1", "actual", 1.0, None, "1", "F7")],
                             [("z", "", "2026-TW2", "Uz", "w", "warning", "D", "F7", "{}")])
                    ledger.replace_round("2026-TW2", ["z"], [], *other, [])
            shas, values_of, issues_of = AFTER[after]
            rows = _round(shas, values_of, issues_of, parsed_at="2026-10-13T09:00:00")
            replaced = sorted(set(shas) | set(BEFORE[0]))
            _count_writes(ledger)
            with ledger.transaction():
                if incremental:
                    ledger.replace_round("2026-TW3", replaced, [], *_as(shape, rows, made), [])
                else:
                    _rewrite(ledger, replaced, *rows)
            writes.append(ledger.db.execute("SELECT COUNT(*) FROM temp.writes").fetchone()[0])
            results.append(_tables(ledger))
    assert results[0] == results[1]
    if after in ("unchanged", "a file added") and not other_round_after:
        assert writes[0] < writes[1]  # the values already there were kept, not written again
        if shape == "segments":  # and the kept files' rows were not even made
            assert made == sorted(set(shas) - set(BEFORE[0]))


@pytest.mark.parametrize("state", [b"not json", b'{"schema": 1}', None], ids=["torn", "foreign", "deleted"])
def test_a_round_written_again_after_its_digests_were_lost_is_a_rewrite(tmp_path, state):
    """What was remembered of the last write is damaged, from elsewhere or gone: the rows are read
    back and compared, with the rows and ids of a rewrite."""
    results = []
    for name, incremental in (("inc", True), ("full", False)):
        with Ledger.open(tmp_path / f"{name}.sqlite") as ledger:
            for sha in "abc":
                _file(ledger, sha)
            with ledger.transaction():
                ledger.replace_round("2026-TW3", BEFORE[0], [], *_round(*BEFORE), [])
                for table in ("submissions", "submission_values", "issues"):
                    key = f"rows-written:{table}:2026-TW3"
                    assert ledger.get_state(key) is not None
                    if state is None:
                        ledger.db.execute("DELETE FROM state WHERE key = ?", (key,))
                    else:
                        ledger.set_state(key, state)
            shas, values_of, issues_of = AFTER["a value changed in the middle"]
            rows = _round(shas, values_of, issues_of, parsed_at="2026-10-13T09:00:00")
            with ledger.transaction():
                if incremental:
                    ledger.replace_round("2026-TW3", ["a", "b"], [], *rows, [])
                else:
                    _rewrite(ledger, ["a", "b"], *rows)
            results.append(_tables(ledger))
    assert results[0] == results[1]


PARSED = {"format": "xlsx", "reader": "calamine", "sheets": ["Data Kinerja"], "meta": {"request_id": "SK-1"},
          "parts": [{"data": {"rows": [{"row": 8, "cells": {"actual": 0.9, "note": "naik", "on": {"d": "2026-10-01"},
                                                            "done": {"b": True}, "count": 3}}]},
                     "ids": [], "request_id": None, "long_texts": {"K9": "x" * 40000}}]}


def test_a_parse_is_stored_whole_and_an_older_json_one_still_reads():
    """Parses are pickled (issue 20: JSON cost 6 ms a return); a ledger's JSON ones still read."""
    import json
    import zlib

    from sopkinerja.ledger import pack_parse, unpack_parse

    assert unpack_parse(pack_parse(PARSED)) == PARSED
    older = zlib.compress(json.dumps(PARSED, ensure_ascii=False, sort_keys=True).encode())
    assert unpack_parse(older) == PARSED
