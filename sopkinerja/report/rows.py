"""The agency table's rows, unit by unit: sheet-XML blocks for the recap workbook and CSV text.

At provincial scale (1,000 units × 500 indicators) writing these rows is most
of a run's work, so it is split per unit: each unit's pieces are built in a
worker process (both cores, while the main process renders the HTML) and kept
in a cache by what they show (``BlockCache``). A unit whose rows did not change
is not built again; one resubmission rebuilds one unit (docs/performance.md).

The CSV text is what ``DataFrame.to_csv`` wrote before (tested byte for byte):
UTF-8 with BOM, ``\\r\\n``, minimal quoting, numbers as ``%.10g``, a missing
value empty; and a text that would run as a formula gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sopkinerja.consolidate import CSV_COLUMNS, NARRATIVES
from sopkinerja.report.splice import Block, BlockCache, Column, rows_xml

# The indicator tables of the workbook (Rekap Badan and one sheet per unit): the method, the
# annual and the round's target, this round's value and the year so far, both capaians.
TABLE_COLUMNS = ("kode_unit", "kode_indikator", "indikator", "satuan", "polaritas", "metode", "target_tahunan",
                 "target", "realisasi_periode", "realisasi_sd", "capaian_persen", "kategori",
                 "capaian_tahunan_persen", "pagu", "realisasi_anggaran", "serapan_persen", "capaian_sebelumnya",
                 "perubahan_capaian", "status_unit")
# The recap workbook's format of each column (report.xlsx._formats); all but "text" are numbers.
TABLE_FORMATS = ("text", "text", "text", "text", "text", "text", "dec", "dec", "dec", "dec", "pct", "text", "pct",
                 "rp", "rp", "pct", "pct", "pct", "text")
# What a worker gets of each unit's rows: the tables' columns, then what only the CSV shows.
JOB_COLUMNS = (*TABLE_COLUMNS, "realisasi", *NARRATIVES.values())
NUMBER_COLUMNS = frozenset({*(name for name, fmt in zip(TABLE_COLUMNS, TABLE_FORMATS, strict=True) if fmt != "text"),
                            "realisasi"})
ROWS_VERSION = "4"  # part of every cached piece's key: change it when the XML or CSV of a row changes
PARALLEL_FROM = 8  # units to build before a worker pool pays off
CHUNK = 8  # units per worker job


@dataclass(frozen=True)
class UnitJob:
    """What a worker needs to build one unit's pieces."""

    code: str
    name: str
    period: str
    columns: tuple[list, ...]  # values of JOB_COLUMNS, this unit's rows
    first_rows: tuple[int, ...]  # Excel rows where this unit's blocks start (one per sheet)
    layout: tuple[Column, ...]
    methods: tuple[tuple[str, str], ...] = ()  # metode -> the words the workbook shows


@dataclass
class UnitPieces:
    blocks: dict[int, Block]  # first Excel row -> block
    csv: bytes
    rows: int
    csv_block: Block | None = None  # the CSV rows as kept (deflated where they were made: a worker)


def build(job: UnitJob) -> UnitPieces:
    columns = list(job.columns[:len(TABLE_COLUMNS)])
    kategori = TABLE_COLUMNS.index("kategori")
    columns[kategori] = [b if isinstance(b, str) else "-" for b in columns[kategori]]  # shown, not in the CSV
    method, words = TABLE_COLUMNS.index("metode"), dict(job.methods)
    columns[method] = [words.get(m, m) for m in columns[method]]
    blocks = {first: Block.of(rows_xml(first, columns, job.layout)) for first in job.first_rows}
    csv = csv_rows(job.period, job.name, job.columns)
    return UnitPieces(blocks, csv, len(job.columns[0]), Block.of(csv.decode("utf-8")))


def build_chunk(jobs: list[UnitJob]) -> list[UnitPieces]:
    return [build(job) for job in jobs]


def csv_header() -> bytes:
    return _csv([list(CSV_COLUMNS)])


def csv_rows(period: str, name: str, columns) -> bytes:
    by_name = dict(zip(JOB_COLUMNS, columns, strict=True))
    fields = []
    for column in CSV_COLUMNS:
        if column == "periode":
            fields.append([neutral(period)] * len(columns[0]))
        elif column == "nama_unit":
            fields.append([neutral(name)] * len(columns[0]))
        elif column in NUMBER_COLUMNS:
            fields.append(["" if v is None or v != v else f"{v:.10g}" for v in by_name[column]])
        else:
            fields.append(_texts(by_name[column]))
    return _csv(zip(*fields, strict=True))


def _texts(values) -> list:
    """Each value as the CSV writes it: a text ``neutral``, none or NaN empty, anything else as it
    is (one pass per column: 6,500,000 cells at 1,000 units)."""
    return [neutral(v) if type(v) is str else "" if v is None or (isinstance(v, float) and v != v) else v
            for v in values]


FORMULA_START = ("=", "@", "\t", "\r")


def neutral(text: str) -> str:
    """The usual CSV-injection defence: a text a spreadsheet would take for a formula
    (``=...``, ``@...``, ``+...``, ``-...``) gets a leading apostrophe. A lone ``+`` or
    ``-`` (the polarity column) is no formula and stays as it is."""
    if text.startswith(FORMULA_START) or (len(text) > 1 and text[0] in "+-"):
        return "'" + text
    return text


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


@dataclass(frozen=True)
class Placement:
    """Where the table rows go in the workbook: per sheet part, the units it shows in order."""

    part: str
    codes: tuple[str, ...]


def build_all(recap, layout: list[Column], placements: list[Placement], cache: BlockCache, csv_out,
              meanwhile: Callable[[], None] = lambda: None, methods: dict | None = None,
              spool=None) -> dict[str, UnitPieces]:
    """Every unit's pieces, from the cache or built; each unit's CSV text is written to
    ``csv_out`` in table order and the workbook blocks are returned (``csv`` left empty), parked
    in ``spool`` (``splice.Spool``) when one is given.

    With many units the building runs in a spawn pool on both cores, fed a few
    chunks ahead (so memory holds a window, not the whole table twice), while
    ``meanwhile`` runs in a thread of this process.
    """
    from concurrent.futures import ThreadPoolExecutor

    from sopkinerja.pool import map_jobs, worker_count

    table = recap.table
    # What a unit's rows show: its consolidated piece's key (everything they come from) with its
    # status; a recap made without keys hashes its rows.
    statuses = {u.code: u.status for u in recap.units}
    keys_of = {code: f"{key}|{statuses.get(code)}".encode() for code, key in recap.unit_keys.items()}
    spans = unit_spans(table, keys_of)
    columns = [table[name].to_numpy() for name in JOB_COLUMNS]
    words = tuple(sorted((methods or {}).items()))
    names = dict(zip(table["kode_unit"].tolist(), table["nama_unit"].tolist(), strict=True))
    first_rows: dict[str, list[int]] = {}
    for placement in placements:
        row = 4  # Excel row below the header (report.xlsx.TABLE_TOP + 2)
        for code in placement.codes:
            if code in spans:
                first_rows.setdefault(code, []).append(row)
                row += spans[code][2]

    keys = {}  # unit -> ({first row: block key}, CSV key): what each piece shows
    for code, (digest, _, _) in spans.items():
        keys[code] = ({first: cache.key(ROWS_VERSION, "xlsx", first, tuple(layout), words, digest)
                       for first in first_rows.get(code, [])},
                      cache.key(ROWS_VERSION, "csv", recap.period, names[code], digest))

    def plan(code: str):
        """(keys, cached pieces or None, job or None) for one unit."""
        _, start, count = spans[code]
        block_keys, csv_key = keys[code]
        blocks = {first: cache.get(key) for first, key in block_keys.items()}
        csv_block = cache.get(csv_key)
        if csv_block is not None and all(b is not None for b in blocks.values()):
            return (block_keys, csv_key), UnitPieces(blocks, _inflate(csv_block), count), None
        values = tuple(column[start:start + count].tolist() for column in columns)
        return (block_keys, csv_key), None, UnitJob(code, names[code], recap.period, values,
                                                    tuple(first_rows.get(code, [])), tuple(layout), words)

    codes = list(spans)
    groups = [codes[i:i + CHUNK] for i in range(0, len(codes), CHUNK)]
    to_build = sum(1 for block_keys, csv_key in keys.values() if not cache.has([*block_keys.values(), csv_key]))
    pieces: dict[str, UnitPieces] = {}

    def finish(planned, built_pieces) -> None:
        built = iter(built_pieces)
        for code, (unit_keys, cached, job) in planned:
            unit = cached if job is None else next(built)
            if job is not None:
                block_keys, csv_key = unit_keys
                for first, block in unit.blocks.items():
                    cache.put(block_keys[first], block)
                cache.put(csv_key, unit.csv_block)
            csv_out.write(unit.csv)
            blocks = unit.blocks if spool is None else {first: spool.park(b) for first, b in unit.blocks.items()}
            pieces[code] = UnitPieces(blocks, b"", unit.rows)

    planned_groups: deque = deque()  # what each job was planned from, in job order

    def jobs():
        for group in groups:
            planned = [(code, plan(code)) for code in group]
            planned_groups.append(planned)
            yield [job for _, (_, _, job) in planned if job is not None]

    parallel = to_build >= PARALLEL_FROM
    workers = worker_count(len(groups))
    with ThreadPoolExecutor(1) as side:
        side_job = side.submit(meanwhile) if parallel else None
        if side_job is None:
            meanwhile()
        for built in map_jobs(build_chunk, jobs(), parallel=parallel, workers=workers, window=3 * workers):
            finish(planned_groups.popleft(), built)
        if side_job is not None:
            side_job.result()
    return pieces


def unit_spans(table, keys: dict[str, bytes] | None = None) -> dict[str, tuple[bytes, int, int]]:
    """Per unit in table order: a digest of its rows' content, its first table row and row count.
    ``keys`` (unit -> what its rows come from: consolidation's piece key and its status), when it
    names every unit, is that digest; else the rows are hashed (0.6 s at 1,000 units)."""
    codes = table["kode_unit"].tolist()
    starts = [index for index in range(len(codes)) if index == 0 or codes[index] != codes[index - 1]]
    named = keys is not None and all(codes[start] in keys for start in starts)
    if not named:
        import pandas as pd

        hashes = pd.util.hash_pandas_object(table[list(JOB_COLUMNS)], index=False).to_numpy()
    spans = {}
    for start, end in zip(starts, [*starts[1:], len(codes)], strict=True):
        code = str(codes[start])
        spans[code] = (keys[code] if named else hashes[start:end].tobytes(), start, end - start)
    return spans


def _inflate(block: Block) -> bytes:
    import zlib

    return zlib.decompressobj(-15).decompress(block.data)
