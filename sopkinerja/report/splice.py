"""Tables of hundreds of thousands of rows in a workbook xlsxwriter wrote: rows as XML, spliced in.

xlsxwriter writes everything that is not bulk data (styles, charts, print
settings, autofilter, defined names) through its public API, with each big
table's title and header only. Its body rows are then produced here as sheet
XML, one block per unit, each block deflated on its own, and spliced into the
package in place of the short placeholder. Why: xlsxwriter costs a Python call
per cell (7.5 million calls at 1,000 units × 500 indicators), this a list
comprehension per column; and a block whose rows did not change is not
compressed again (``BlockCache``), so one unit resubmitting does not pay for
the other 999 (docs/performance.md).

Cells are written the way xlsxwriter's constant-memory mode writes them
(inline strings, explicit cell references), which Excel, LibreOffice, WPS,
calamine and openpyxl all read. Every value is a typed string or number; a
unit's text such as ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import math
import re
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sopkinerja.cells import column_letter
from sopkinerja.files import KeptCache

LEVEL = 6  # what zipfile (and so xlsxwriter) uses: the parts around the blocks
# The blocks of rows (the recap's tables, the forms' bodies, kept entries): deflate level 1 is four
# times faster here than 6 (380 against 90 MB/s on the recap's 480 MB sheet at 1,000 units) for a
# part a quarter larger (10 % of the XML against 8 %); issue 20.
BLOCK_LEVEL = 1
ZIP_TIME = (0, (0 << 9) | (1 << 5) | 1)  # 1980-01-01 00:00: the same bytes on every run
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


def escape(text: str) -> str:
    """XML text as Excel expects it: & < > escaped, control characters as ``_xHHHH_``."""
    if not _SPECIAL.search(text):
        return text
    text = re.sub(r"(_x[0-9a-fA-F]{4}_)", r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Column:
    """How one column is written: ``kind`` is ``text`` or ``number``; ``style`` the xf index;
    ``blank`` the xf index of an empty cell; ``styles`` per text value (e.g. a band colour)."""

    kind: str
    style: int
    blank: int = 0
    styles: dict | None = None


_EDGE_SPACE = re.compile(r"(?m)^[^\S\n]|[^\S\n]$")


def text_cells(letter: str, rows: Sequence[int], values: Sequence, column: Column) -> list[str]:
    texts = ["" if v is None or v != v else v if isinstance(v, str) else str(v) for v in values]
    joined = "\n".join(texts)
    simple = (column.styles is None and not _SPECIAL.search(joined) and not _EDGE_SPACE.search(joined)
              and "" not in texts)
    if simple:  # the usual column: one f-string per cell, nothing to check
        style = column.style
        return [f'<c r="{letter}{row}" s="{style}" t="inlineStr"><is><t>{text}</t></is></c>'
                for row, text in zip(rows, texts, strict=True)]
    styles = column.styles or {}
    out = []
    for row, value in zip(rows, texts, strict=True):
        style = styles.get(value, column.style)
        if not value:
            out.append(f'<c r="{letter}{row}" s="{style}"/>')
            continue
        space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
        out.append(f'<c r="{letter}{row}" s="{style}" t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>')
    return out


def number_cells(letter: str, rows: Sequence[int], values: Sequence, column: Column) -> list[str]:
    style, blank = column.style, column.blank
    return [f'<c r="{letter}{row}" s="{blank}"/>' if value is None or value != value or value in (math.inf, -math.inf)
            else f'<c r="{letter}{row}" s="{style}"><v>{float(value)!r}</v></c>'
            for row, value in zip(rows, values, strict=True)]


def rows_xml(first_row: int, columns: Sequence[Sequence], layout: Sequence[Column]) -> str:
    """``<row>`` elements for the values (one sequence per column), starting at Excel row ``first_row``."""
    count = len(columns[0]) if columns else 0
    rows = range(first_row, first_row + count)
    cells = [(text_cells if spec.kind == "text" else number_cells)(column_letter(index), rows, values, spec)
             for index, (values, spec) in enumerate(zip(columns, layout, strict=True))]
    return "".join([f'<row r="{row}">{"".join(parts)}</row>' for row, *parts in zip(rows, *cells, strict=True)])


@dataclass(frozen=True)
class Block:
    """Rows deflated on their own (byte-aligned, not final): blocks concatenate into one stream."""

    data: bytes
    crc: int
    size: int
    # x^(8 * size) modulo the CRC-32 polynomial, for crc32_combine (0: not worked out, as in a block
    # kept by an earlier version; never 0 otherwise): worked out once, when the block is made
    shift: int = 0

    @classmethod
    def of(cls, xml: str, level: int = BLOCK_LEVEL) -> Block:
        raw = xml.encode("utf-8")
        deflate = zlib.compressobj(level, zlib.DEFLATED, -15)
        return cls(deflate.compress(raw) + deflate.flush(zlib.Z_SYNC_FLUSH), zlib.crc32(raw), len(raw),
                   crc32_shift(len(raw)))

    @property
    def packed(self) -> int:
        """Its deflated length."""
        return len(self.data)


@dataclass(frozen=True)
class Parked:
    """A block whose deflated bytes wait in a ``Spool`` (``data`` reads them back)."""

    spool: Spool
    at: int
    packed: int
    crc: int
    size: int
    shift: int

    @property
    def data(self) -> bytes:
        return self.spool.read(self.at, self.packed)


class Spool:
    """Deflated blocks parked in a temporary file until ``splice`` writes them: a province's E.81
    is ~80 MB of them, its recap ~50 MB, and held in memory until the end they set the run's
    peak (issue 20). The file is in ``folder`` (the run's stage: the same drive as the outputs)
    and goes when the spool is closed; one spool per thread."""

    def __init__(self, folder: Path | None = None):
        import tempfile

        self.file = tempfile.TemporaryFile(prefix=".spool-", dir=folder)  # noqa: SIM115 (closed by close)
        self.end = 0

    def park(self, block: Block | Parked) -> Parked:
        if isinstance(block, Parked):
            return block
        self.file.seek(self.end)
        self.file.write(block.data)
        parked = Parked(self, self.end, len(block.data), block.crc, block.size, block.shift)
        self.end += parked.packed
        return parked

    def read(self, at: int, length: int) -> bytes:
        self.file.seek(at)
        data = self.file.read(length)
        if len(data) != length:
            raise OSError(f"spool {self.file.name}: {length} bytes at {at}, read {len(data)}")
        return data

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BlockCache(KeptCache):
    """Compressed row blocks on disk by a key of what they show (``files.KeptCache``: derived data,
    safe to delete, a damaged entry is a miss). Blocks not used by the latest write are removed by
    ``prune``, so the folder holds one recap's worth."""

    def __init__(self, folder: Path | None):
        super().__init__(folder, ".blok", Block)

    def has(self, keys: list[str]) -> bool:
        """Whether every key has an entry (not read; ``get`` checks its bytes)."""
        return self.folder is not None and all((self.folder / f"{key}{self.suffix}").is_file() for key in keys)


_POLY = 0xEDB88320


def _multmodp(a: int, b: int) -> int:
    """a * b modulo the CRC-32 polynomial (reflected), as zlib's multmodp."""
    m, p = 1 << 31, 0
    while True:
        if a & m:
            p ^= b
            if not a & (m - 1):
                return p
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1


def _powers() -> list[int]:
    table, p = [], 1 << 30  # x^1
    for _ in range(32):
        table.append(p)
        p = _multmodp(p, p)
    return table


_X2N = _powers()  # x^(2^n) modulo the polynomial


def crc32_shift(length: int) -> int:
    """x^(8 * length) modulo the CRC-32 polynomial: what appending ``length`` bytes does to a CRC."""
    p, k, n = 1 << 31, 3, length
    while n:
        if n & 1:
            p = _multmodp(_X2N[k & 31], p)
        n >>= 1
        k += 1
    return p


def crc32_combine(crc1: int, crc2: int, len2: int, shift: int = 0) -> int:
    """zlib's crc32_combine (1.2.12 and later): the CRC of A+B from crc(A), crc(B) and len(B)
    (``shift``: ``crc32_shift(len2)`` when known)."""
    return _multmodp(shift or crc32_shift(len2), crc1) ^ crc2


@dataclass
class Splice:
    """Rows for one placeholder sheet: drop its rows after ``keep_rows`` (Excel rows), add ``blocks``."""

    part: str  # e.g. xl/worksheets/sheet2.xml
    keep_rows: int
    blocks: list[Block | Parked]
    last_row: int
    last_column: int
    resume_row: int | None = None  # the placeholder's rows from this Excel row on follow the blocks
    merges: tuple[str, ...] = ()  # ranges the blocks merge ("A10:D10"), added to the sheet's own


def splice(path: Path, splices: list[Splice]) -> None:
    """Rewrite the package at ``path`` with each placeholder's body replaced by its blocks."""
    by_part = {s.part: s for s in splices}
    with zipfile.ZipFile(path) as source:
        members = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    entries: list[tuple[str, list[Block | Parked]]] = []
    for name, data in members:
        wanted = by_part.get(name)
        if wanted is None:
            entries.append((name, [_final(data)]))
            continue
        head, tail = _cut(data.decode("utf-8"), wanted)
        tail = _merged(tail, wanted.merges)
        entries.append((name, [Block.of(head, LEVEL), *wanted.blocks, _final(tail.encode("utf-8"))]))
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as out:
        central, offset = [], 0
        for name, blocks in entries:
            crc, size = 0, 0
            for block in blocks:
                crc, size = crc32_combine(crc, block.crc, block.size, block.shift), size + block.size
            packed = sum(b.packed for b in blocks)
            if size >= 0xFFFFFFFF or packed >= 0xFFFFFFFF or offset >= 0xFFFFFFFF:
                raise ValueError("recap sheet larger than 4 GiB: beyond the ZIP format without ZIP64")
            encoded = name.encode("utf-8")
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, *ZIP_TIME, crc, packed, size,
                                  len(encoded), 0) + encoded)
            for block in blocks:
                out.write(block.data)
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, *ZIP_TIME, crc, packed,
                                       size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
            offset += 30 + len(encoded) + packed
        directory = b"".join(central)
        out.write(directory)
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory), offset, 0))
    temporary.replace(path)


def _final(raw: bytes) -> Block:
    deflate = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return Block(deflate.compress(raw) + deflate.flush(zlib.Z_FINISH), zlib.crc32(raw), len(raw), crc32_shift(len(raw)))


_ROW = re.compile(r'<row r="(\d+)"[ >]')


def _merged(tail: str, merges: tuple[str, ...]) -> str:
    """The sheet's XML from ``</sheetData>`` on with ``merges`` added to its ``<mergeCells>`` (made
    where the sheet has none, in the place the schema gives it: before what must follow it)."""
    if not merges:
        return tail
    cells = "".join(f'<mergeCell ref="{ref}"/>' for ref in merges)
    found = re.search(r'<mergeCells count="(\d+)">', tail)
    if found is not None:
        end = tail.index("</mergeCells>", found.end())
        count = int(found.group(1)) + len(merges)
        return f'{tail[:found.start()]}<mergeCells count="{count}">{tail[found.end():end]}{cells}{tail[end:]}'
    later = re.search(r"<(?:phoneticPr|conditionalFormatting|dataValidations|hyperlinks|printOptions|pageMargins"
                      r"|pageSetup|headerFooter|rowBreaks|colBreaks|drawing|legacyDrawing|tableParts|extLst)[ />]",
                      tail)
    at = later.start() if later is not None else tail.index("</worksheet>")
    return f'{tail[:at]}<mergeCells count="{len(merges)}">{cells}</mergeCells>{tail[at:]}'


def _cut(xml: str, wanted: Splice) -> tuple[str, str]:
    """The placeholder up to its last kept row (dimension widened), and from its first row at or
    after ``resume_row`` on (else from ``</sheetData>``): its rows between are dropped."""
    end = xml.index("</sheetData>")
    cut = _row_from(xml, wanted.keep_rows + 1, end)
    resume = end if wanted.resume_row is None else _row_from(xml, wanted.resume_row, end)
    ref = f"A1:{column_letter(wanted.last_column)}{max(wanted.last_row, wanted.keep_rows, 1)}"
    return re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>', xml[:cut], count=1), xml[resume:]


def _row_from(xml: str, row: int, end: int) -> int:
    """Where the sheet's first row numbered ``row`` or more starts (``end`` when there is none): a
    row left empty is not written, so the row itself may not be there."""
    return next((found.start() for found in _ROW.finditer(xml, 0, end) if int(found.group(1)) >= row), end)
