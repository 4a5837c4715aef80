"""Formats from bytes, never from the file name (product.md §3.5): what a received file really is."""

from __future__ import annotations

import io
import re
import zipfile

WORKBOOK_FORMATS = ("xlsx", "xlsm", "xls", "ods")
EMAIL_FORMATS = ("eml", "mbox", "msg", "tnef")
CONTAINER_FORMATS = (*EMAIL_FORMATS, "zip")  # what a workbook arrives in: opened, each member a file
SYSTEM_FILE = "system-file"  # an operating-system or office leftover, listed as ignored
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TNEF_MAGIC = b"\x78\x9f\x3e\x22"  # winmail.dat (Outlook's Rich Text attachments)
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_EMAIL_HEADERS = re.compile(rb"^(?:From |Return-Path:|Received:|Date:|From:|To:|Subject:|MIME-Version:|"
                            rb"Message-ID:|Delivered-To:|X-[A-Za-z-]+:)", re.IGNORECASE)


def sniff(data: bytes, name: str = "") -> str:
    """The format from the bytes, never the file name (which only breaks ties for e-mail)."""
    if not data:
        return "empty"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _sniff_zip(data)
    if data[:8] == OLE_MAGIC:
        return _sniff_ole(data)
    if data[:4] == TNEF_MAGIC:
        return "tnef"
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
        if "content.xml" in names and "META-INF/manifest.xml" in names:  # an .ods re-zipped without mimetype
            manifest = archive.read("META-INF/manifest.xml")[:1 << 20]
            return "ods" if b"opendocument.spreadsheet" in manifest else "unsupported:opendocument"
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
        return "zip"  # a plain archive: a container whose members are read
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
        return "corrupt"


def _sniff_ole(data: bytes) -> str:
    """An OLE compound file by its directory (olefile): a workbook (``Workbook``/``Book``
    stream), an Outlook message (``__substg1.0_`` streams) or a password-protected OOXML
    package (``EncryptedPackage``). Never by bytes found anywhere: an e-mail subject
    "Book for ..." is no workbook stream."""
    if ENCRYPTED_PACKAGE in data[:1 << 20] or ENCRYPTED_PACKAGE in data[-(1 << 16):]:
        return "encrypted"  # an OOXML workbook saved with a password (named even when the file is damaged)
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            top = {entry[0].lower() for entry in ole.listdir(streams=True, storages=True)}
    except Exception:  # noqa: BLE001 - a damaged compound file: a workbook's stream name still tells
        lowered = data.lower()  # stream names are UTF-16 and any case ("WORKBOOK" is seen)
        if b"w\x00o\x00r\x00k\x00b\x00o\x00o\x00k\x00" in lowered:
            return "xls"  # the reader then says precisely what is broken
        return "corrupt"
    if "encryptedpackage" in top:
        return "encrypted"
    if "workbook" in top or "book" in top:
        return "xls"
    if any(name.startswith("__substg1.0_") for name in top):
        return "msg"
    return "unsupported:ole"


def extension(name: str, fmt: str) -> str:
    """The extension an archived copy gets: the received name's own (letters and digits, at
    most 8), else the format's, else ``bin``; never a character Windows refuses."""
    suffix = name.rsplit(".", 1)[1].lower() if "." in name else ""
    for candidate in (suffix, fmt):
        if 0 < len(candidate) <= 8 and candidate.isascii() and candidate.isalnum():
            return candidate
    return "bin"


def _looks_textual(head: bytes) -> bool:
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return b"\x00" not in head
