"""Containers a workbook arrives in: e-mails (.eml, .mbox), each attachment a file of its own."""

from __future__ import annotations

import email
import email.policy
import mailbox
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath

from sopkinerja.files import safe_filename


def safe_attachment_name(name: str | None, index: int) -> str:
    """The last part of whatever path an attachment claims, without characters Windows refuses."""
    raw = (name or "").replace("\x00", "")
    leaf = PureWindowsPath(PurePosixPath(raw).name).name
    return safe_filename(leaf, fallback=f"lampiran-{index}")


def email_attachments(data: bytes, kind: str) -> list[tuple[str, bytes, datetime | None]]:
    """(name, bytes, the e-mail's Date) for every attachment of an .eml or every message of an .mbox."""
    messages = _mbox_messages(data) if kind == "mbox" else [email.message_from_bytes(data, policy=email.policy.default)]
    out = []
    for message in messages:
        sent = _date(message)
        for part in message.walk():
            if part.is_multipart():
                continue
            filename = part.get_filename()
            if not filename and part.get_content_disposition() != "attachment":
                continue
            payload = part.get_payload(decode=True) or b""
            out.append((safe_attachment_name(filename, len(out) + 1), payload, sent))
    return out


def _mbox_messages(data: bytes) -> list:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "kotak.mbox"
        path.write_bytes(data)
        box = mailbox.mbox(str(path), factory=lambda f: email.message_from_binary_file(
            f, policy=email.policy.default), create=False)
        try:
            return list(box)
        finally:
            box.close()


def _date(message) -> datetime | None:
    try:
        header = message["Date"]
        value = getattr(header, "datetime", None)
    except (ValueError, TypeError, IndexError):
        return None
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
