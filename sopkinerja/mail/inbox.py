"""SOP step 8 by e-mail: ``sopkinerja fetch`` (issue 19).

Every new message of the configured IMAP folder is taken once, byte for byte,
into ``input/masuk/surel/<folder>/<uidvalidity>-<uid>.eml``; ``run`` then reads
it like any saved e-mail. Nothing on the server changes (``mail.imap``).

Each message is tracked by the folder's UIDVALIDITY and its UID in the ledger
(``mail_in``): the file is written (atomically, its modification time the
server's receipt time) before its row, so a crash in between only means the
same bytes are written again by the next fetch. A changed UIDVALIDITY (the
server rebuilt the folder) rescans the folder: a message whose bytes were
fetched before is recorded under its new UID without a second file. A
message over ``batas_mb`` is recorded and reported, not downloaded, and not
reported again; it is fetched once ``batas_mb`` is raised above its size.
The server's INTERNALDATE is the receipt time (product.md §3.5): ingest looks
it up by the file's sha256.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sopkinerja.errors import SopkinerjaError
from sopkinerja.files import safe_filename

MAIL_FOLDER = "surel"  # under the inbox folder


@dataclass
class Fetched:
    uid: int
    received_at: datetime
    size: int
    sender: str | None
    subject: str | None
    path: Path | None = None  # the .eml written (or the earlier one with the same bytes)
    status: str = "fetched"  # fetched, same (bytes fetched before), too-large, no-attachment, gone
    from_unit: bool = False  # (no-attachment) sent from a unit's address in the master


@dataclass
class FetchResult:
    folder: str
    uidvalidity: int = 0
    rescanned: bool = False  # UIDVALIDITY changed since the last fetch
    messages: list[Fetched] = field(default_factory=list)
    limit_mb: float = 0.0
    since: date | None = None  # mail received before this day is left alone

    @property
    def too_large(self) -> list[Fetched]:
        return [m for m in self.messages if m.status == "too-large"]

    @property
    def complete(self) -> bool:
        return not self.too_large

    def document(self, workspace) -> dict:
        return {"folder": self.folder, "uidvalidity": self.uidvalidity, "rescanned": self.rescanned,
                "limit_mb": self.limit_mb,
                "since": self.since.isoformat() if self.since else None,
                "messages": [{"uid": m.uid, "status": m.status, "received_at": m.received_at.isoformat(),
                              "size": m.size, "from": m.sender, "subject": m.subject,
                              "file": workspace.relative(m.path) if m.path else None} for m in self.messages]}


def fetch(workspace, clock: Callable[[], datetime], password: Callable[[], str] | None = None) -> FetchResult:
    """Take every new message of the ``[surel] folder`` into the inbox folder."""
    from sopkinerja.ingest.archive import digest
    from sopkinerja.mail import _password
    from sopkinerja.mail.imap import Incoming

    config = workspace.config
    mail = config.mail
    if mail is None:
        raise SopkinerjaError("mail.not_configured_fetch")
    result = FetchResult(mail.folder, limit_mb=mail.limit_mb)
    addresses = {u.email.lower() for u in workspace.master().master.units if u.email}
    limit = int(mail.limit_mb * 1024 * 1024)
    secret = password() if password is not None else _password(config)
    with workspace.lock(), workspace.ledger() as ledger, Incoming(mail, secret) as box:
        separator = box.separator(mail.folder)
        folder_dir = config.paths.inbox / MAIL_FOLDER
        for part in mail.folder.split(separator) if separator else [mail.folder]:
            folder_dir = folder_dir / safe_filename(part, fallback="folder")
        result.uidvalidity = box.examine(mail.folder)
        earlier = ledger.mail_in_validities(mail.folder)
        result.rescanned = bool(earlier) and result.uidvalidity not in earlier
        seen = ledger.mail_in_seen(mail.folder, result.uidvalidity)
        # Too large before, small enough for today's batas_mb: fetched now.
        retry = sorted(uid for uid, (status, size) in seen.items() if status == "too-large" and size <= limit)
        since = result.since = _since(workspace, ledger)
        new = retry + [uid for uid in box.uids_after(max(seen, default=0), since) if uid not in seen]
        for item in box.listed(new):
            # A server that gives no INTERNALDATE (none seen, but the field is optional to parse): now.
            message = Fetched(item.uid, item.received_at or clock(), item.size, item.sender, item.subject)
            result.messages.append(message)
            if not item.attached:  # a conversation, a newsletter: recorded, left on the server
                message.status = "no-attachment"
                message.from_unit = (item.sender or "") in addresses
                _record(workspace, ledger, result, message, None, clock)
                continue
            if item.size > limit:
                message.status = "too-large"
                _record(workspace, ledger, result, message, None, clock)
                continue
            data = box.body(item.uid)
            if data is None:
                message.status = "gone"
                continue
            sha256 = digest(data)
            _keep(workspace, ledger, folder_dir, result, message, data, sha256)
            _record(workspace, ledger, result, message, sha256, clock)
    return result


def _since(workspace, ledger) -> date:
    """The day from which mail is taken: the day before this round's first request went out
    (a day's margin for the server's zone), or the period's first day before ``generate``. Older
    mail stays on the server, untouched: a first fetch on a years-old inbox does not pull it all."""
    first = ledger.first_issued_at(workspace.config.period.code)
    if first is None:
        return workspace.config.period.start
    return datetime.fromisoformat(first).astimezone(workspace.config.calendar.tz).date() - timedelta(days=1)


def _keep(workspace, ledger, folder_dir: Path, result: FetchResult, message: Fetched, data: bytes,
          sha256: str) -> None:
    """The message's bytes into the inbox (atomically), dated with the server's receipt time;
    bytes fetched before (a rescan after a UIDVALIDITY change) are not written twice."""
    from sopkinerja.atomic import write_bytes

    before = ledger.mail_in_file(sha256)
    if before is not None and before[0] and (workspace.root / before[0]).is_file():
        message.status, message.path = "same", workspace.root / before[0]
        return
    path = folder_dir / f"{result.uidvalidity}-{message.uid}.eml"
    write_bytes(path, data)
    stamp = message.received_at.timestamp()
    os.utime(path, (stamp, stamp))
    message.path = path


def _record(workspace, ledger, result: FetchResult, message: Fetched, sha256: str | None, clock) -> None:
    with ledger.transaction():
        ledger.mail_in_add(folder=result.folder, uidvalidity=result.uidvalidity, uid=message.uid,
                           status="fetched" if message.status == "same" else message.status,
                           received_at=message.received_at.isoformat(), size=message.size, sha256=sha256,
                           path=workspace.relative(message.path) if message.path else None,
                           sender=message.sender, subject=message.subject,
                           fetched_at=clock().isoformat())
