"""Ingest (``run``, first step): find every received file, archive it byte for byte, record it.

Nothing else happens to a file before it is in the content-addressed archive
and the ledger (product.md §3.5), so whatever the planner later does to the
inbox cannot lose it. Containers (e-mails, Outlook messages, winmail.dat,
.zip) are opened here, within bounds, and each member is archived and
recorded as a file of its own. Operating-system and office leftovers are
archived too and listed as ignored; symbolic links are not followed and are
listed. A file that cannot be read now (no permission, still being copied)
becomes an issue, and is read again by the next run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sopkinerja.ingest.archive import ARCHIVE_FOLDER, archive, archive_stream, digest
from sopkinerja.ingest.containers import MAX_DEPTH, ContainerError, members
from sopkinerja.ingest.formats import CONTAINER_FORMATS, EMAIL_FORMATS, SYSTEM_FILE, WORKBOOK_FORMATS, extension, sniff
from sopkinerja.issues import Issue

__all__ = ["ARCHIVE_FOLDER", "CONTAINER_FORMATS", "EMAIL_FORMATS", "SYSTEM_FILE", "WORKBOOK_FORMATS", "Intake",
           "Received", "Skipped", "discover", "format_issues", "receive_inbox", "sniff"]

INGEST_BATCH = 64  # files recorded per ledger transaction (one disk sync each)
UNSUPPORTED = {"empty": ("unreadable-file", "empty"), "corrupt": ("unreadable-file", "corrupt"),
               "encrypted": ("encrypted-file", "")}
# Why a file could not be taken in: reason code -> the names of its values (message ingest.why_<reason>).
REASONS = {"empty": (), "corrupt": (), "too-many": ("count",), "too-big": ("mb",), "msg": ("error",),
           "tnef-missing": (), "tnef": ("error",), "zip": ("error",), "member": ("name", "error"),
           "nested": ("depth",), "crash": ("error",), "open": ("error",), "busy": ()}


def reason_params(detail: str) -> dict:
    """``reason|value|...`` as message parameters in the reader's language (``detail_key``); a
    detail stored in words by an earlier version is shown as it is."""
    reason, *values = detail.split("|")
    names = REASONS.get(reason)
    if names is None or len(values) != len(names):
        return {"detail": detail}
    return {"detail_key": f"ingest.why_{reason.replace('-', '_')}", **dict(zip(names, values, strict=True))}
# Names the operating system or an office suite writes on its own (product.md §3.5).
SYSTEM_NAMES = {"desktop.ini", "thumbs.db", "ehthumbs.db", ".ds_store", ".gitkeep", ".gitignore"}


@dataclass(frozen=True)
class Received:
    """One file as received: where it came from, its bytes' identity and its format."""

    sha256: str
    size: int
    original_path: str  # relative to the inbox, "/" separated; "mail.eml#2:Nama.xlsx" for attachments
    original_name: str
    received_at: datetime
    format: str  # xlsx, xlsm, xls, ods, a container, "system-file", "unsupported:<what>", "empty", ...
    archive_path: str  # relative to the workspace
    container: str | None = None  # sha256 of the container a member came in
    sender: str | None = None  # the From address of the e-mail it came in

    def record(self, ledger, run_id: int | None, mtime_ns: int | None, seen_at: datetime) -> bool:
        """Into the ledger (inside a transaction); False when this receipt was recorded before."""
        return ledger.add_receipt(
            sha256=self.sha256, size=self.size, archive_path=self.archive_path, format=self.format,
            original_path=self.original_path, original_name=self.original_name,
            received_at=self.received_at.isoformat(), container=self.container, run_id=run_id, mtime_ns=mtime_ns,
            seen_at=seen_at.isoformat(), sender=self.sender)


@dataclass(frozen=True)
class Skipped:
    """Something in the inbox that is not read: a system file or a link (listed as ignored)."""

    file: str  # relative to the inbox
    note: str  # catalogue key of why


@dataclass
class Intake:
    """What ingest found: new receipts, what it skipped, and files it could not take this time."""

    new_files: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[Issue] = field(default_factory=list)
    retry: bool = False  # a file could not be taken now: the next run must look again


def is_system_file(name: str) -> bool:
    """An operating-system or office leftover: lock files, thumbnails, folder settings, the
    resource forks macOS puts in archives, Windows' download marks, hidden files."""
    lower = name.lower()
    return lower in SYSTEM_NAMES or name.startswith((".", "~$")) or lower.endswith(":zone.identifier")


def discover(inbox: Path) -> list[Path]:
    """Every file to read under the inbox, sorted (system files included: they are archived too)."""
    return [path for path, note in _walk(inbox) if note is None]


def _walk(inbox: Path):
    """(path, None) for every file, (path, note key) for a link, never followed; sorted."""
    inbox = Path(inbox)
    if not inbox.is_dir():
        return
    for folder, dirs, files in os.walk(inbox, followlinks=False):
        for name in sorted(d for d in dirs if (Path(folder) / d).is_symlink()):
            yield Path(folder) / name, "ingest.link"
        dirs[:] = sorted(d for d in dirs if not (Path(folder) / d).is_symlink())
        # "SEK.xlsx" before "SEK (1).xlsx", as Windows Explorer lists them: with equal
        # receipt times the first listed is the original and the other its duplicate.
        for name in sorted(files, key=lambda n: (Path(n).stem, Path(n).suffix)):
            path = Path(folder) / name
            yield path, ("ingest.link" if path.is_symlink() else None)


def shown_path(path: Path, inbox: Path) -> tuple[str, bool]:
    """The path under the inbox as text, "/" separated, and whether its name was valid text.

    A name that is not valid text (bytes of another encoding on a Linux share)
    is shown with the odd bytes escaped (``Laporan\\xe9.xlsx``), so it can still
    be stored, shown and told apart.
    """
    rel = path.relative_to(inbox).as_posix()
    try:
        rel.encode("utf-8")
        return rel, True
    except UnicodeEncodeError:
        return os.fsencode(rel).decode("utf-8", "backslashreplace"), False


def receive_inbox(workspace, ledger, run_id: int, seen_at: datetime) -> Intake:
    """Archive and record every new file of the inbox (and every member of its containers)."""
    config = workspace.config
    inbox = config.paths.inbox
    limit = int(config.max_file_mb * 1024 * 1024)
    intake = Intake()
    new = []
    shown_inbox = workspace.relative(inbox)
    for path, note in _walk(inbox):
        rel, valid = shown_path(path, inbox)
        if note is not None:
            intake.skipped.append(Skipped(rel, note))
            continue
        if not valid:
            intake.problems.append(Issue("file-name-unreadable", file=f"{shown_inbox}/{rel}", params={"shown": rel}))
        try:
            stat = path.stat()
        except OSError as exc:
            intake.problems.append(_cannot_read(f"{shown_inbox}/{rel}", exc))
            intake.retry = True
            continue
        if is_system_file(path.name):
            intake.skipped.append(Skipped(rel, "ingest.system"))
        if not ledger.known_receipt(rel, stat.st_size, stat.st_mtime_ns):
            new.append((path, rel, stat))
    # Each file is archived (and synced) before the transaction that records it; a
    # transaction per INGEST_BATCH files, not per file (one disk sync each).
    for start in range(0, len(new), INGEST_BATCH):
        with ledger.transaction():
            for path, rel, stat in new[start:start + INGEST_BATCH]:
                try:
                    intake.new_files += _receive(workspace, ledger, run_id, path, rel, stat, limit, seen_at)
                except _NotNow as problem:
                    intake.problems.append(problem.issue(f"{shown_inbox}/{rel}"))
                    intake.retry = True
    return intake


class _NotNow(Exception):
    """A file that cannot be taken in this run (read again by the next one)."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail  # reason|value|... (REASONS)

    def issue(self, shown: str) -> Issue:
        return Issue("unreadable-file", file=shown, params=reason_params(self.detail))


def _cannot_open(exc: OSError) -> str:
    return f"open|{exc.strerror or type(exc).__name__}"


def _cannot_read(shown: str, exc: OSError) -> Issue:
    return _NotNow(_cannot_open(exc)).issue(shown)


def _receive(workspace, ledger, run_id, path: Path, rel: str, stat, limit: int, seen_at: datetime) -> int:
    archive_dir = workspace.config.paths.archive
    received_at = datetime.fromtimestamp(stat.st_mtime, workspace.config.calendar.tz)
    ext = extension(path.name, "")
    if is_system_file(path.name):
        fmt = SYSTEM_FILE
    elif stat.st_size > limit:  # archived in chunks, never read whole, never opened as a workbook
        try:
            sha256, size, stored = archive_stream(workspace.root, archive_dir, path, ext)
        except OSError as exc:
            raise _NotNow(_cannot_open(exc)) from exc
        received = Received(sha256, size, rel, rel.rsplit("/", 1)[-1], received_at, "too-large", stored)
        return int(received.record(ledger, run_id, stat.st_mtime_ns, seen_at))
    else:
        fmt = None
    try:
        data = path.read_bytes()
        after = path.stat()
    except OSError as exc:
        raise _NotNow(_cannot_open(exc)) from exc
    if (after.st_size, after.st_mtime_ns) != (stat.st_size, stat.st_mtime_ns) or len(data) != stat.st_size:
        raise _NotNow("busy")
    sha256 = digest(data)
    fmt = fmt or sniff(data, path.name)
    fetched = ledger.mail_in_file(sha256) if fmt == "eml" else None
    if fetched is not None:  # taken from the IMAP folder by fetch: the server's receipt time counts
        received_at = datetime.fromisoformat(fetched[1]).astimezone(workspace.config.calendar.tz)
    stored = archive(workspace.root, archive_dir, data, sha256, extension(path.name, fmt))
    received = Received(sha256, len(data), rel, rel.rsplit("/", 1)[-1], received_at, fmt, stored)
    added = int(received.record(ledger, run_id, stat.st_mtime_ns, seen_at))
    if fmt in CONTAINER_FORMATS:
        _unpack(workspace, ledger, run_id, received, data, stat.st_mtime_ns, seen_at, 1,
                server_time=fetched is not None)
    return added


def _local(moment: datetime | None, workspace) -> datetime | None:
    """A time an e-mail states, shown in the agency's own zone (an Outlook delivery time is UTC)."""
    return moment.astimezone(workspace.config.calendar.tz) if moment is not None else None


def _unpack(workspace, ledger, run_id, container: Received, data: bytes, mtime_ns, seen_at, depth: int,
            server_time: bool = False) -> None:
    """Archive and record each member of a container (and of the containers inside it); with
    ``server_time`` (a fetched e-mail) its attachments keep the server's receipt time, not the
    Date the sender's computer wrote."""
    try:
        found = members(data, container.format)
    except ContainerError as exc:  # named on the container: its own bytes are archived already
        ledger.set_file_format(container.sha256, f"corrupt:{exc}")
        return
    except Exception as exc:  # noqa: BLE001 - a reader's crash on one container stops nothing else
        ledger.set_file_format(container.sha256, f"corrupt:crash|{type(exc).__name__}")
        return
    for index, member in enumerate(found, 1):
        child = digest(member.data)
        if member.system:
            fmt = SYSTEM_FILE
        elif member.encrypted:
            fmt = "encrypted"
        else:
            fmt = sniff(member.data, member.name)
        stored = archive(workspace.root, workspace.config.paths.archive, member.data, child,
                         extension(member.name, fmt))
        received = Received(child, len(member.data), f"{container.original_path}#{index}:{member.name}",
                            member.name, (None if server_time else _local(member.sent, workspace))
                            or container.received_at, fmt, stored,
                            container=container.sha256, sender=member.sender or container.sender)
        received.record(ledger, run_id, mtime_ns, seen_at)  # a container copied again: its members again
        if fmt in CONTAINER_FORMATS:
            if depth >= MAX_DEPTH:
                ledger.set_file_format(child, f"corrupt:nested|{MAX_DEPTH}")
            else:
                _unpack(workspace, ledger, run_id, received, member.data, mtime_ns, seen_at, depth + 1)


def format_issues(outcome, limit_mb: float) -> list[Issue]:
    """What a file that is no workbook gets: unreadable, encrypted, too large or unsupported."""
    fmt = outcome.format
    if fmt in UNSUPPORTED:
        code, detail = UNSUPPORTED[fmt]
        return [Issue(code, file=outcome.file, params=reason_params(detail) if detail else {"detail": ""},
                      sha256=outcome.sha256)]
    if fmt.startswith("corrupt:"):  # a container that could not be opened, with why
        return [Issue("unreadable-file", file=outcome.file, params=reason_params(fmt.split(":", 1)[1]),
                      sha256=outcome.sha256)]
    if fmt == "too-large":
        return [Issue("file-too-large", file=outcome.file, params={"limit": f"{limit_mb:g} MB"},
                      sha256=outcome.sha256)]
    if fmt in CONTAINER_FORMATS or fmt == SYSTEM_FILE:
        return []  # its members are files of their own; a system file is listed as ignored
    what = fmt.split(":", 1)[-1]
    return [Issue("unsupported-format", file=outcome.file, params={"what": what}, sha256=outcome.sha256)]
