"""Files people send, built in code for the tests: an Outlook .msg (an OLE compound file), a
winmail.dat (TNEF), a .zip, an .eml. Written from the formats' specifications (MS-CFB, MS-OXMSG,
MS-OXTNEF) with no library that writes them, so the readers are tested against real structures."""

from __future__ import annotations

import email.message
import io
import struct
import zipfile
from datetime import UTC, datetime

SECTOR, MINI, CUTOFF = 512, 64, 4096
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def compound_file(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file (MS-CFB version 3) holding ``streams``, keyed by "/"-separated paths;
    storages are made for every folder. Streams under 4,096 bytes go to the mini stream, as
    Outlook writes them."""
    entries = [{"name": "Root Entry", "type": 5, "children": [], "data": b""}]
    by_path = {"": 0}
    for path in sorted(streams):
        parts = path.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder not in by_path:
                by_path[folder] = len(entries)
                entries[by_path["/".join(parts[:depth - 1])]]["children"].append(len(entries))
                entries.append({"name": parts[depth - 1], "type": 1, "children": [], "data": b""})
        entries[by_path["/".join(parts[:-1])]]["children"].append(len(entries))
        entries.append({"name": parts[-1], "type": 2, "children": [], "data": streams[path]})
    mini, big = bytearray(), []
    for entry in entries:
        if entry["type"] == 2 and len(entry["data"]) < CUTOFF:
            entry["start"] = len(mini) // MINI
            mini += entry["data"] + b"\0" * (-len(entry["data"]) % MINI)
        elif entry["type"] == 2:
            big.append(entry)
    dir_sectors = -(-len(entries) * 128 // SECTOR)
    mini_sectors = -(-len(mini) // SECTOR)
    minifat_sectors = -(-(len(mini) // MINI) * 4 // SECTOR)
    big_sectors = [-(-len(e["data"]) // SECTOR) for e in big]
    others = dir_sectors + mini_sectors + minifat_sectors + sum(big_sectors)
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < others + fat_sectors:
        fat_sectors += 1
    fat = [FATSECT] * fat_sectors
    cursor = fat_sectors

    def chain(count: int) -> int:
        nonlocal cursor
        if count == 0:
            return END
        start = cursor
        fat.extend([*range(cursor + 1, cursor + count), END])
        cursor += count
        return start

    first_dir, first_mini, first_minifat = chain(dir_sectors), chain(mini_sectors), chain(minifat_sectors)
    for entry, count in zip(big, big_sectors, strict=True):
        entry["start"] = chain(count)
    fat += [FREE] * (fat_sectors * (SECTOR // 4) - len(fat))
    entries[0].update(start=first_mini if mini else END, data=bytes(len(mini)))
    minifat = [*[i + 1 for i in range(len(mini) // MINI - 1)], END] if mini else []
    for entry in entries:  # each stream's own chain in the mini FAT
        if entry["type"] == 2 and len(entry["data"]) < CUTOFF:
            count = max(1, -(-len(entry["data"]) // MINI))
            start = entry["start"]
            for index in range(start, start + count - 1):
                minifat[index] = index + 1
            minifat[start + count - 1] = END
    minifat += [FREE] * (minifat_sectors * (SECTOR // 4) - len(minifat))
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", bytes(16), 0x3E, 3,
                         0xFFFE, 9, 6, bytes(6), 0, fat_sectors, first_dir, 0, CUTOFF,
                         first_minifat if mini else END, minifat_sectors, END, 0)
    header += struct.pack("<109I", *(list(range(fat_sectors)) + [FREE] * (109 - fat_sectors)))
    # Unused directory slots are empty entries with no siblings (MS-CFB 2.6.3).
    empty = bytes(64) + struct.pack("<HBBIII", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM) + bytes(48)
    directory = b"".join(_entry(e, entries) for e in entries)
    directory += empty * (dir_sectors * SECTOR // 128 - len(entries))
    body = struct.pack(f"<{len(fat)}I", *fat) + directory
    body += bytes(mini).ljust(mini_sectors * SECTOR, b"\0")
    body += struct.pack(f"<{len(minifat)}I", *minifat) if minifat else b""
    for entry in big:
        body += entry["data"].ljust(-(-len(entry["data"]) // SECTOR) * SECTOR, b"\0")
    return header + body


def _entry(entry: dict, entries: list[dict]) -> bytes:
    """A directory entry; a storage's children are chained through their right siblings."""
    name = entry["name"].encode("utf-16-le") + b"\0\0"
    child = entry["children"][0] if entry["children"] else NOSTREAM
    right = NOSTREAM
    for siblings in (e["children"] for e in entries):
        if entries.index(entry) in siblings:
            position = siblings.index(entries.index(entry))
            right = siblings[position + 1] if position + 1 < len(siblings) else NOSTREAM
    start = entry.get("start", END if entry["type"] == 1 else 0)
    size = len(entry["data"]) if entry["type"] != 1 else 0
    return (name.ljust(64, b"\0") + struct.pack("<HBBIII", len(name), entry["type"], 1, NOSTREAM, right, child)
            + bytes(16) + struct.pack("<IQQIQ", 0, 0, 0, start if entry["type"] != 1 else 0, size))


def outlook_message(attachments: list[tuple[str, bytes]], subject: str = "Data kinerja",
                    sender: str = "unit@contoh.go.id", delivered: datetime | None = None) -> bytes:
    """An Outlook "Save As" .msg (MS-OXMSG) with its subject, sender, delivery time and attachments."""
    streams = {
        "__substg1.0_0037001F": subject.encode("utf-16-le"),
        "__substg1.0_5D01001F": sender.encode("utf-16-le"),
        "__substg1.0_1000001F": "Terlampir.".encode("utf-16-le"),
    }
    properties = bytes(32)
    if delivered is not None:
        ticks = int((delivered - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)
        properties += struct.pack("<IIQ", 0x0E060040, 6, ticks)
    streams["__properties_version1.0"] = properties
    for index, (name, data) in enumerate(attachments):
        base = f"__attach_version1.0_#{index:08X}"
        streams[f"{base}/__substg1.0_3707001F"] = name.encode("utf-16-le")
        streams[f"{base}/__substg1.0_37010102"] = data
        streams[f"{base}/__properties_version1.0"] = bytes(8)
    return compound_file(streams)


def winmail(attachments: list[tuple[str, bytes]]) -> bytes:
    """A winmail.dat (MS-OXTNEF) with the attachments, as Outlook's Rich Text mail carries them."""
    def attribute(level: int, kind: int, ident: int, data: bytes) -> bytes:
        return struct.pack("<BII", level, (kind << 16) | ident, len(data)) + data + struct.pack(
            "<H", sum(data) & 0xFFFF)

    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += attribute(1, 0x0008, 0x9006, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += attribute(1, 0x0006, 0x9007, struct.pack("<II", 1252, 0))  # attOemCodepage
    for name, data in attachments:
        out += attribute(2, 0x0006, 0x9002, struct.pack("<HIIII", 1, 0xFFFFFFFF, 0, 0, 0))  # attAttachRendData
        out += attribute(2, 0x0001, 0x8010, name.encode("cp1252") + b"\0")  # attAttachTitle
        out += attribute(2, 0x0006, 0x800F, data)  # attAttachData
    return out


def zipped(members: dict[str, bytes], encrypted: tuple[str, ...] = ()) -> bytes:
    """A .zip of the members; those named in ``encrypted`` carry the password flag."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    data = bytearray(out.getvalue())
    for name in encrypted:  # set bit 0 of the general purpose flags, local and central headers
        encoded = name.encode()
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            start = 0
            while (start := data.find(signature, start)) != -1:
                name_at = start + (30 if signature == b"PK\x03\x04" else 46)
                if data[name_at:name_at + len(encoded)] == encoded:
                    data[start + offset] |= 0x01
                start += 4
    return bytes(data)


def mail(attachments: list[tuple[str, bytes]], sender: str = "unit@contoh.go.id",
         date: str = "Mon, 05 Oct 2026 10:00:00 +0700", subject: str = "Data kinerja") -> bytes:
    """An .eml as a mail client saves it."""
    message = email.message.EmailMessage()
    message["From"], message["To"], message["Subject"], message["Date"] = sender, "data@contoh.go.id", subject, date
    message.set_content("Terlampir data kinerja.")
    for name, data in attachments:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()
