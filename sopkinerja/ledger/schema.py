"""The ledger's schema: append-only migrations, each taking version N to N+1."""

from __future__ import annotations

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
    # 5: intake that never loses and never blocks (issue 15). A receipt knows when run first
    # saw it (the receipt time of a file whose own time is implausible) and who sent it (an
    # e-mail's From); the same path copied again with a new time is a new receipt (a later
    # receipt is newer). A workbook holding several units' sheets gives one submission per
    # sheet (``part``: "" for a workbook of one data sheet, else the sheet's name). The planner
    # can set a file aside (``ignored``). Each request keeps the spec it was written from, so
    # its feedback can rebuild the whole workbook.
    """
    ALTER TABLE receipts ADD COLUMN seen_at TEXT;
    ALTER TABLE receipts ADD COLUMN sender TEXT;
    DROP INDEX receipts_once;
    CREATE UNIQUE INDEX receipts_once ON receipts(sha256, original_path, IFNULL(container_sha256, ''),
                                                  IFNULL(mtime_ns, -1));
    ALTER TABLE requests ADD COLUMN spec BLOB;
    CREATE TABLE submissions_v5 (
        sha256 TEXT NOT NULL REFERENCES files(sha256),
        part TEXT NOT NULL DEFAULT '',
        request_id TEXT,
        unit_code TEXT,
        period TEXT,
        received_at TEXT NOT NULL,
        status TEXT NOT NULL,
        superseded_by TEXT,
        parsed_at TEXT NOT NULL,
        parser_version TEXT NOT NULL,
        PRIMARY KEY (sha256, part)
    );
    INSERT INTO submissions_v5 (sha256, part, request_id, unit_code, period, received_at, status, superseded_by,
                                parsed_at, parser_version)
        SELECT sha256, '', request_id, unit_code, period, received_at, status, superseded_by, parsed_at,
               parser_version FROM submissions;
    CREATE TABLE submission_values_v5 (
        sha256 TEXT NOT NULL,
        part TEXT NOT NULL DEFAULT '',
        indicator_code TEXT NOT NULL,
        field TEXT NOT NULL,
        number REAL,
        text TEXT,
        original TEXT,
        cell TEXT,
        PRIMARY KEY (sha256, part, indicator_code, field),
        FOREIGN KEY (sha256, part) REFERENCES submissions_v5(sha256, part)
    );
    INSERT INTO submission_values_v5 (sha256, part, indicator_code, field, number, text, original, cell)
        SELECT sha256, '', indicator_code, field, number, text, original, cell FROM submission_values;
    DROP TABLE submission_values;
    DROP TABLE submissions;
    ALTER TABLE submissions_v5 RENAME TO submissions;
    ALTER TABLE submission_values_v5 RENAME TO submission_values;
    CREATE INDEX submissions_by_unit ON submissions(period, unit_code);
    ALTER TABLE issues ADD COLUMN part TEXT NOT NULL DEFAULT '';
    ALTER TABLE step_events ADD COLUMN part TEXT;
    CREATE TABLE ignored (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL REFERENCES files(sha256),
        note TEXT NOT NULL,
        ignored_at TEXT NOT NULL,
        undone_at TEXT
    );
    CREATE INDEX ignored_by_file ON ignored(sha256);
    """,
    # 6: the year's cycle (issue 16). Each request row keeps the numbers the recap reads back for
    # every round (the round's target, the annual target, the pagu shown) as columns, beside the
    # pre-filled JSON: reading them out of 500,000 JSON documents per round cost seconds.
    """
    ALTER TABLE request_rows ADD COLUMN target REAL;
    ALTER TABLE request_rows ADD COLUMN annual REAL;
    ALTER TABLE request_rows ADD COLUMN budget REAL;
    UPDATE request_rows SET target = json_extract(prefilled, '$.target'), annual = json_extract(prefilled, '$.annual'),
        budget = json_extract(prefilled, '$.budget');
    """,
    # 7: e-mail (issue 19). Every message send and remind make, recorded before it goes out and
    # after (sent or failed), so a rerun never sends twice and a crash in between is visible.
    """
    CREATE TABLE mail_out (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        period TEXT NOT NULL,
        unit_code TEXT NOT NULL,
        request_id TEXT,
        message_id TEXT NOT NULL,
        recipient TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        detail TEXT
    );
    CREATE INDEX mail_out_by_unit ON mail_out(period, unit_code, kind);
    """,
    # 8: mail fetched from the IMAP folder (issue 19). One row per message seen, by folder,
    # UIDVALIDITY and UID, so every message is fetched once; the server's INTERNALDATE is the
    # receipt time of the .eml written for it (looked up by its sha256 when run reads it).
    """
    CREATE TABLE mail_in (
        id INTEGER PRIMARY KEY,
        folder TEXT NOT NULL,
        uidvalidity INTEGER NOT NULL,
        uid INTEGER NOT NULL,
        status TEXT NOT NULL,
        received_at TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT,
        path TEXT,
        sender TEXT,
        subject TEXT,
        fetched_at TEXT NOT NULL,
        UNIQUE (folder, uidvalidity, uid)
    );
    CREATE INDEX mail_in_by_sha ON mail_in(sha256);
    """,
    # 9: validation results kept between runs (issue 20). The key is a digest of everything a
    # file's check depends on (its bytes, where it was received and when, the requests, the rules,
    # the code); a run whose files did not change validates nothing again.
    """
    CREATE TABLE checks (
        key TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        result BLOB NOT NULL
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def _statements(script: str) -> list[str]:
    """Split a migration script on semicolons (migrations hold no string literals with ';')."""
    return [s.strip() for s in script.split(";") if s.strip()]
