"""Ingest (``run``, first step): find every received file, archive it byte for byte, record it.

Nothing else happens to a file before it is in the content-addressed archive
and the ledger (product.md §3.5), so whatever the planner later does to the
inbox cannot lose it. E-mails (.eml, .mbox) are opened here and each
attachment is archived and recorded as a file of its own.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import mailbox
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath, PureWindowsPath

from sopkinerja.atomic import write_bytes

ARCHIVE_FOLDER = "berkas"
WORKBOOK_FORMATS = ("xlsx", "xlsm", "xls", "ods")
EMAIL_FORMATS = ("eml", "mbox")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_EMAIL_HEADERS = re.compile(rb"^(?:From |Return-Path:|Received:|Date:|From:|To:|Subject:|MIME-Version:|"
                            rb"Message-ID:|Delivered-To:|X-[A-Za-z-]+:)", re.IGNORECASE)


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
    too_large: bool = False


def sniff(data: bytes, name: str = "") -> str:
    """The format from the bytes, never the file name (which only breaks ties for e-mail)."""
    if not data:
        return "empty"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _sniff_zip(data)
    if data[:8] == OLE_MAGIC:
        if ENCRYPTED_PACKAGE in data[:1 << 20] or ENCRYPTED_PACKAGE in data[-(1 << 16):]:
            return "encrypted"  # an OOXML workbook saved with a password
        lowered = data.lower()  # stream names are UTF-16 and any case ("WORKBOOK" is seen)
        if b"w\x00o\x00r\x00k\x00b\x00o\x00o\x00k" in lowered or b"b\x00o\x00o\x00k" in lowered:
            return "xls"
        return "unsupported:ole"
    head = data[:2048].lstrip()
    for magic, what in ((b"%PDF", "pdf"), (b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF8", "gif"),
                        (b"{\\rtf", "rtf")):
        if head.startswith(magic):
            return f"unsupported:{what}"
    if _EMAIL_HEADERS.match(head) and (name.lower().endswith((".eml", ".mbox", ".msg")) or b"\n\n" in data
                                       or b"\r\n\r\n" in data):
        return "mbox" if head.startswith(b"From ") else "eml"
    if head[:1] == b"<":
        return "unsupported:html-xml"
    return "unsupported:text" if _looks_textual(head) else "unsupported:binary"


def _sniff_zip(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        if "mimetype" in names:
            kind = archive.read("mimetype")[:100]
            if b"opendocument.spreadsheet" in kind:
                return "ods"
            return "unsupported:opendocument"
        if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
            if "xl/workbook.bin" in names:
                return "unsupported:xlsb"
            return "xlsm" if "xl/vbaProject.bin" in names else "xlsx"
        types = archive.read("[Content_Types].xml")[:1 << 20] if "[Content_Types].xml" in names else b""
        if b"ms-excel.sheet.macroEnabled.main" in types:
            return "xlsm"
        if b"spreadsheetml.sheet.main" in types:  # the workbook part kept under another name
            return "xlsx"
        if any(n.startswith("word/") for n in names):
            return "unsupported:docx"
        if any(n.startswith("ppt/") for n in names):
            return "unsupported:pptx"
        return "unsupported:zip"
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
        return "corrupt"


def _looks_textual(head: bytes) -> bool:
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return b"\x00" not in head


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


def safe_attachment_name(name: str | None, index: int) -> str:
    """The last part of whatever path an attachment claims, without characters Windows refuses."""
    raw = (name or "").replace("\x00", "")
    leaf = PureWindowsPath(PurePosixPath(raw).name).name
    leaf = re.sub(r'[<>:"/\\|?*\x00-\x1f]+', "_", leaf).strip(" .")
    return leaf[:150] or f"lampiran-{index}"


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
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def archive(workspace_root: Path, archive_dir: Path, data: bytes, sha256: str, extension: str) -> str:
    """Store bytes once under ``arsip/berkas/ab/<sha256>.<ext>``; return the path relative to the workspace."""
    target = archive_dir / ARCHIVE_FOLDER / sha256[:2] / f"{sha256}.{extension or 'bin'}"
    if not target.exists():
        write_bytes(target, data)
    try:
        return target.relative_to(workspace_root).as_posix()
    except ValueError:
        return str(target)


def archive_stream(workspace_root: Path, archive_dir: Path, source: Path, extension: str) -> tuple[str, int, str]:
    """Archive a file too large to hold in memory: hashed and copied in chunks of 1 MiB.

    Returns (sha256, size, path relative to the workspace).
    """
    import tempfile

    from sopkinerja.atomic import fsync

    folder = archive_dir / ARCHIVE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=".masuk.", suffix=".tmp", dir=folder)
    temp = Path(name)
    try:
        hasher, size = hashlib.sha256(), 0
        with open(source, "rb") as reader, os.fdopen(handle, "wb") as writer:
            for chunk in iter(lambda: reader.read(1 << 20), b""):
                hasher.update(chunk)
                writer.write(chunk)
                size += len(chunk)
        sha256 = hasher.hexdigest()
        target = folder / sha256[:2] / f"{sha256}.{extension or 'bin'}"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fsync(temp)
            os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    try:
        return sha256, size, target.relative_to(workspace_root).as_posix()
    except ValueError:
        return sha256, size, str(target)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
