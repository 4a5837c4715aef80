"""Containers a workbook arrives in, opened within bounds: e-mails (.eml, .mbox, Outlook .msg,
winmail.dat) and .zip archives. Each member becomes a received file of its own.

Readers chosen for their licences (the project is MIT): the standard library
for e-mail and zip; olefile (BSD) for the .msg compound file, read here
stream by stream (extract-msg, the usual library, is GPL); tnefparse (LGPL)
only as the optional extra ``sopkinerja[tnef]``.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import io
import mailbox
import struct
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath, PureWindowsPath

from sopkinerja.files import safe_filename

MAX_MEMBERS = 500  # members read from one container
MAX_MEMBER_BYTES = 256 * 1024 * 1024  # what one container may unpack to, in all
MAX_DEPTH = 3  # a zip in an e-mail in a zip, at most


class ContainerError(Exception):
    """The container cannot be opened (damaged, or beyond the bounds): a reason code and its values
    (``str()`` is ``reason|value|...``, kept in the ledger and put in words when shown)."""

    def __init__(self, reason: str, *values: object):
        super().__init__("|".join([reason, *(str(v) for v in values)]))


@dataclass(frozen=True)
class Member:
    name: str  # safe for Windows; the last part of whatever path the member claims
    data: bytes
    sent: datetime | None = None  # the e-mail's Date (or delivery time)
    sender: str | None = None  # the e-mail's From address
    encrypted: bool = False  # a zip member with a password: its bytes as stored
    system: bool = False  # an operating-system leftover inside an archive (__MACOSX/, Thumbs.db)


def safe_attachment_name(name: str | None, index: int) -> str:
    """The last part of whatever path an attachment claims, without characters Windows refuses."""
    raw = (name or "").replace("\x00", "")
    leaf = PureWindowsPath(PurePosixPath(raw).name).name
    return safe_filename(leaf, fallback=f"lampiran-{index}")


def members(data: bytes, kind: str) -> list[Member]:
    """The members of a container of format ``kind`` (eml, mbox, msg, tnef, zip)."""
    opener = {"eml": _eml, "mbox": _mbox, "msg": _msg, "tnef": _tnef, "zip": _zip}[kind]
    found = opener(data)
    if len(found) > MAX_MEMBERS:
        raise ContainerError("too-many", MAX_MEMBERS)
    if sum(len(m.data) for m in found) > MAX_MEMBER_BYTES:
        raise ContainerError("too-big", MAX_MEMBER_BYTES // (1024 * 1024))
    return found


def email_attachments(data: bytes, kind: str) -> list[tuple[str, bytes, datetime | None]]:
    """(name, bytes, the e-mail's Date) for every attachment of an .eml or .mbox."""
    return [(m.name, m.data, m.sent) for m in members(data, kind)]


# --- e-mail (RFC 5322) -------------------------------------------------------------


def _eml(data: bytes) -> list[Member]:
    return _from_messages([email.message_from_bytes(data, policy=email.policy.default)])


def _mbox(data: bytes) -> list[Member]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "kotak.mbox"
        path.write_bytes(data)
        box = mailbox.mbox(str(path), factory=lambda f: email.message_from_binary_file(
            f, policy=email.policy.default), create=False)
        try:
            return _from_messages(list(box))
        finally:
            box.close()


def _from_messages(messages) -> list[Member]:
    out = []
    for message in messages:
        sent, sender = _date(message), _sender(message)
        for part in message.walk():
            if part.is_multipart():
                continue
            filename = part.get_filename()
            if not filename and part.get_content_disposition() != "attachment":
                continue
            payload = part.get_payload(decode=True) or b""
            out.append(Member(safe_attachment_name(filename, len(out) + 1), payload, sent, sender))
    return out


def _date(message) -> datetime | None:
    try:
        header = message["Date"]
        value = getattr(header, "datetime", None)
    except (ValueError, TypeError, IndexError):
        return None
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _sender(message) -> str | None:
    try:
        _, address = email.utils.parseaddr(str(message["From"] or ""))
    except (ValueError, TypeError, IndexError):
        return None
    return address.lower() or None


# --- Outlook .msg (an OLE compound file, MS-OXMSG) ------------------------------------

_ATTACH = "__attach_version1.0_#"
_EMBEDDED = "__substg1.0_3701000D"  # an attached message, itself a message storage
_DATA = "__substg1.0_37010102"
_NAMES = ("__substg1.0_3707001F", "__substg1.0_3707001E", "__substg1.0_3704001F", "__substg1.0_3704001E")
_SENDERS = ("__substg1.0_5D01001F", "__substg1.0_5D01001E", "__substg1.0_0C1F001F", "__substg1.0_0C1F001E")
_TIMES = (0x0E060040, 0x00390040)  # PR_MESSAGE_DELIVERY_TIME, PR_CLIENT_SUBMIT_TIME (PT_SYSTIME)


def _msg(data: bytes) -> list[Member]:
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001
        raise ContainerError("msg", type(exc).__name__) from exc
    with ole:
        return _msg_members(ole, [], 32, 0)


def _msg_members(ole, prefix: list[str], header: int, depth: int) -> list[Member]:
    """Attachments of the message at ``prefix`` (an attached message's own, flattened)."""
    sent = _msg_time(ole, prefix, header)
    sender = next((text for name in _SENDERS if "@" in (text := _msg_text(ole, [*prefix, name]) or "")), None)
    sender = sender.lower() if sender else None
    storages = sorted({entry[len(prefix)] for entry in ole.listdir(streams=True, storages=True)
                       if entry[:len(prefix)] == prefix and len(entry) > len(prefix)
                       and entry[len(prefix)].startswith(_ATTACH)})
    out = []
    for storage in storages:
        base = [*prefix, storage]
        name = next((text for n in _NAMES if (text := _msg_text(ole, [*base, n]))), None)
        if ole.exists("/".join([*base, _DATA])):
            payload = ole.openstream("/".join([*base, _DATA])).read()
            out.append(Member(safe_attachment_name(name, len(out) + 1), payload, sent, sender))
        elif ole.exists("/".join([*base, _EMBEDDED])) and depth < MAX_DEPTH:
            out += _msg_members(ole, [*base, _EMBEDDED], 24, depth + 1)
    return out


def _msg_text(ole, path: list[str]) -> str | None:
    joined = "/".join(path)
    if not ole.exists(joined):
        return None
    raw = ole.openstream(joined).read()
    text = raw.decode("utf-16-le" if path[-1].endswith("001F") else "cp1252", "replace")
    return text.rstrip("\x00").strip() or None


def _msg_time(ole, prefix: list[str], header: int) -> datetime | None:
    """The delivery (else submit) time from the fixed-length properties stream."""
    joined = "/".join([*prefix, "__properties_version1.0"])
    if not ole.exists(joined):
        return None
    raw = ole.openstream(joined).read()
    found = {}
    for offset in range(header, len(raw) - 15, 16):
        tag, _, value = struct.unpack_from("<IIQ", raw, offset)
        if tag in _TIMES and value:
            found[tag] = datetime(1601, 1, 1, tzinfo=UTC) + timedelta(microseconds=value // 10)
    return next((found[t] for t in _TIMES if t in found), None)


# --- winmail.dat (TNEF) -------------------------------------------------------------------


def _tnef(data: bytes) -> list[Member]:
    try:
        from tnefparse import TNEF
    except ImportError as exc:
        raise ContainerError("tnef-missing") from exc
    try:
        parsed = TNEF(data)
    except Exception as exc:  # noqa: BLE001
        raise ContainerError("tnef", type(exc).__name__) from exc
    out = []
    for attachment in parsed.attachments:
        name = getattr(attachment, "long_filename", lambda: None)() or attachment.name
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        out.append(Member(safe_attachment_name(name, len(out) + 1), attachment.data or b""))
    return out


# --- .zip ---------------------------------------------------------------------------------

_SYSTEM_IN_ZIP = ("__macosx/", "thumbs.db", "desktop.ini", ".ds_store")


def _zip(data: bytes) -> list[Member]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise ContainerError("zip", type(exc).__name__) from exc
    if len(infos) > MAX_MEMBERS:
        raise ContainerError("too-many", MAX_MEMBERS)
    if sum(info.file_size for info in infos) > MAX_MEMBER_BYTES:
        raise ContainerError("too-big", MAX_MEMBER_BYTES // (1024 * 1024))
    out = []
    for info in infos:
        name = safe_attachment_name(info.filename, len(out) + 1)
        lowered = info.filename.lower()
        system = lowered.startswith(_SYSTEM_IN_ZIP[0]) or PurePosixPath(lowered).name in _SYSTEM_IN_ZIP[1:] \
            or PurePosixPath(info.filename).name.startswith("._")
        if info.flag_bits & 0x1:  # encrypted: its bytes as stored, never decrypted
            out.append(Member(name, _stored_bytes(data, info), encrypted=True, system=system))
            continue
        try:
            payload = _read_bounded(archive, info)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError, EOFError) as exc:
            raise ContainerError("member", name, type(exc).__name__) from exc
        out.append(Member(name, payload, system=system))
    return out


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, stopping when it unpacks beyond what it declared (a zip bomb lies)."""
    chunks, size = [], 0
    with archive.open(info) as member:
        for chunk in iter(lambda: member.read(1 << 20), b""):
            size += len(chunk)
            if size > min(info.file_size, MAX_MEMBER_BYTES):
                raise ValueError("member larger than declared")
            chunks.append(chunk)
    return b"".join(chunks)


def _stored_bytes(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """The member's compressed bytes as they sit in the archive (for an encrypted member)."""
    start = info.header_offset
    if data[start:start + 4] != b"PK\x03\x04":
        return b""
    name_length, extra_length = struct.unpack_from("<HH", data, start + 26)
    begin = start + 30 + name_length + extra_length
    return data[begin:begin + info.compress_size]
