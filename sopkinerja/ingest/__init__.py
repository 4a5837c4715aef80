"""Ingest (``run``, first step): find every received file, archive it byte for byte, record it.

Nothing else happens to a file before it is in the content-addressed archive
and the ledger (product.md §3.5), so whatever the planner later does to the
inbox cannot lose it. E-mails (.eml, .mbox) are opened here and each
attachment is archived and recorded as a file of its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sopkinerja.ingest.archive import ARCHIVE_FOLDER, archive, archive_stream, digest
from sopkinerja.ingest.containers import email_attachments
from sopkinerja.ingest.formats import EMAIL_FORMATS, WORKBOOK_FORMATS, sniff
from sopkinerja.issues import Issue

__all__ = ["ARCHIVE_FOLDER", "EMAIL_FORMATS", "WORKBOOK_FORMATS", "Received", "discover", "format_issues",
           "receive_inbox", "sniff"]

INGEST_BATCH = 64  # files recorded per ledger transaction (one disk sync each)
UNSUPPORTED = {"empty": ("unreadable-file", "0 byte"), "corrupt": ("unreadable-file", "zip rusak"),
               "encrypted": ("encrypted-file", "")}


@dataclass(frozen=True)
class Received:
    """One file as received: where it came from, its bytes' identity and its format."""

    sha256: str
    size: int
    original_path: str  # relative to the inbox, "/" separated; "mail.eml#2:Nama.xlsx" for attachments
    original_name: str
    received_at: datetime
    format: str  # xlsx, xlsm, xls, ods, eml, mbox, or "unsupported:<what>", "empty", "encrypted", "corrupt"
    archive_path: str  # relative to the workspace
    container: str | None = None  # sha256 of the e-mail an attachment came in

    def record(self, ledger, run_id: int | None, mtime_ns: int | None) -> bool:
        """Into the ledger (inside a transaction); False when this receipt was recorded before."""
        return ledger.add_receipt(
            sha256=self.sha256, size=self.size, archive_path=self.archive_path, format=self.format,
            original_path=self.original_path, original_name=self.original_name,
            received_at=self.received_at.isoformat(), container=self.container, run_id=run_id, mtime_ns=mtime_ns)


def discover(inbox: Path) -> list[Path]:
    """Every file under the inbox, sorted; links that lead outside it are not followed."""
    inbox = Path(inbox)
    if not inbox.is_dir():
        return []
    root = inbox.resolve()
    found = []
    for folder, dirs, files in os.walk(inbox, followlinks=False):
        dirs.sort()
        # "SEK.xlsx" before "SEK (1).xlsx", as Windows Explorer lists them: with equal
        # receipt times the first listed is the original and the other its duplicate.
        for name in sorted(files, key=lambda n: (Path(n).stem, Path(n).suffix)):
            path = Path(folder) / name
            if name.startswith((".~lock.", "~$")):  # office lock files, not documents
                continue
            try:
                real = path.resolve()
            except OSError:
                continue
            if real.is_file() and (real == root or root in real.parents):
                found.append(path)
    return found


def receive_inbox(workspace, ledger, run_id: int) -> int:
    """Archive and record every new file of the inbox (and every attachment of its e-mails);
    return how many receipts are new."""
    config = workspace.config
    inbox = config.paths.inbox
    limit = int(config.max_file_mb * 1024 * 1024)
    added = 0
    new = []
    for path in discover(inbox):
        rel = path.relative_to(inbox).as_posix()
        stat = path.stat()
        if not ledger.known_receipt(rel, stat.st_size, stat.st_mtime_ns):
            new.append((path, rel, stat))
    # Each file is archived (and synced) before the transaction that records it; a
    # transaction per INGEST_BATCH files, not per file (one disk sync each).
    for start in range(0, len(new), INGEST_BATCH):
        with ledger.transaction():
            for path, rel, stat in new[start:start + INGEST_BATCH]:
                received_at = datetime.fromtimestamp(stat.st_mtime, config.calendar.tz)
                added += _receive(workspace, ledger, run_id, path, rel, stat, received_at, limit)
    return added


def _receive(workspace, ledger, run_id, path, rel, stat, received_at, limit) -> int:
    archive_dir = workspace.config.paths.archive
    extension = path.suffix.lstrip(".").lower()[:8]
    if stat.st_size > limit:  # archived in chunks, never read whole, never opened as a workbook
        sha256, size, stored = archive_stream(workspace.root, archive_dir, path, extension)
        received = Received(sha256, size, rel, path.name, received_at, "too-large", stored)
        return int(received.record(ledger, run_id, stat.st_mtime_ns))
    data = path.read_bytes()
    sha256 = digest(data)
    fmt = sniff(data, path.name)
    stored = archive(workspace.root, archive_dir, data, sha256, extension or fmt)
    received = Received(sha256, len(data), rel, path.name, received_at, fmt, stored)
    added = int(received.record(ledger, run_id, stat.st_mtime_ns))
    if fmt in EMAIL_FORMATS:
        try:
            attachments = email_attachments(data, fmt)
        except Exception:  # a broken e-mail is reported as such, its bytes are archived already
            attachments = []
            ledger.set_file_format(sha256, "corrupt")
        for index, (name, payload, sent) in enumerate(attachments, 1):
            child = digest(payload)
            child_fmt = sniff(payload, name)
            child_ext = Path(name).suffix.lstrip(".").lower()[:8] or child_fmt
            child_stored = archive(workspace.root, archive_dir, payload, child, child_ext)
            Received(child, len(payload), f"{rel}#{index}:{name}", name, sent or received_at, child_fmt,
                     child_stored, container=sha256).record(ledger, run_id, None)
    return added


def format_issues(outcome, limit_mb: float) -> list[Issue]:
    """What a file that is no workbook gets: unreadable, encrypted, too large or unsupported."""
    fmt = outcome.format
    if fmt in UNSUPPORTED:
        code, detail = UNSUPPORTED[fmt]
        return [Issue(code, file=outcome.file, params={"detail": detail}, sha256=outcome.sha256)]
    if fmt == "too-large":
        return [Issue("file-too-large", file=outcome.file, params={"limit": f"{limit_mb:g} MB"},
                      sha256=outcome.sha256)]
    if fmt in EMAIL_FORMATS:
        return []  # its attachments are files of their own
    what = fmt.split(":", 1)[-1]
    return [Issue("unsupported-format", file=outcome.file, params={"what": what}, sha256=outcome.sha256)]
