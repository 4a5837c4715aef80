"""The LKjIP tables after the year's last round (TW4, S2 or the annual round), from the recap:
``Pengukuran Kinerja`` (the year's realisasi against the annual target, beside last year's where
the ledger has it), ``Analisis Faktor`` (the units' own words per indicator) and ``Efisiensi
Anggaran`` (pagu and spending per program, serapan over the lines whose spending is known).
The two long sheets' bodies are sheet XML spliced in, in blocks kept between runs."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

from sopkinerja.forms import layouts as L
from sopkinerja.forms.e81 import LINE_HEIGHT, _Columns, _decimals, _lines, dpa_key
from sopkinerja.forms.sheet import (
    Formats,
    number_cell,
    open_workbook,
    page_setup,
    row_xml,
    text_cell,
    write_title,
    xf,
)
from sopkinerja.models import Period
from sopkinerja.report.splice import Splice, Spool, splice
from sopkinerja.rules import kategori, serapan


def write(recap, config, previous: dict, path: Path, language: str, created, cache: Path | None = None) -> None:
    """``previous``: indicator code -> (realisasi, capaian) of last year (``consolidate.last_year``);
    ``cache``: a folder keeping the long sheets' row blocks between runs (derived, safe to delete)."""
    year = Period.parse(recap.period).year
    agency = config.agency
    values = {"agency": agency.short_name, "region": agency.region, "year": year, "last": year - 1}
    workbook = open_workbook(path, L.say(L.LKJIP_TITLE, language).format(**values), created)
    f = Formats(workbook)
    table = recap.table
    col = _Columns(table)  # each column read whole when first asked for; a block made again reads its rows
    footers = {u.code: u.footer for u in recap.units}
    # A province's year is 500,000 indicators: those two sheets' bodies are sheet XML spliced into
    # what xlsxwriter wrote (report.splice, as the E.81's), not a Python call per cell.
    import xlsxwriter

    from sopkinerja.files import KeptCache, code_mark

    order = _by_objective(col)
    context = KeptCache.key(LKJIP_CACHE_VERSION, code_mark(), xlsxwriter.__version__, language, values)
    with Spool(path.parent) as spool:  # the blocks wait there, not in memory
        kept = _Kept(cache, context, order, _shows(recap, col, previous, footers), col, spool)
        bodies = [_measurement(workbook, f, col, previous, values, language, order, kept),
                  _factors(workbook, f, col, footers, values, language, order, kept)]
        kept.kept.prune()
        _budget(workbook, f, col, recap, values, language)
        workbook.close()
        splice(path, [Splice(f"xl/worksheets/sheet{number}.xml", first, blocks, first + len(col["kode_indikator"]),
                             len(layout.columns) - 1)
                      for number, ((first, blocks), layout) in enumerate(
                          zip(bodies, (L.LKJIP_MEASUREMENT, L.LKJIP_FACTORS), strict=True), start=1)])


# The table's columns the LKjIP reads (its long sheets', its budget sheet's, its rows' digests).
TABLE_COLUMNS = ("kode_unit", "kode_indikator", "indikator", "sasaran", "satuan", "program", "target_tahunan",
                 "realisasi_sd", "capaian_tahunan_persen", "pagu", "realisasi_anggaran", "faktor_pendorong",
                 "faktor_penghambat", "tindak_lanjut")
PROCESS_FROM = 100_000  # table rows from which an LKjIP mostly to be made is written beside the E.81 (design.md)


@contextlib.contextmanager
def beside(recap, args: tuple | None, stage: Path) -> Iterator[Callable[[], None]]:
    """A call that writes the LKjIP (``write(recap, *args)``: ``args`` end with the cache
    folder; nothing when ``args`` is None). With ``PROCESS_FROM`` rows or more and most of its
    blocks not kept, the LKjIP is started here in a spawn process of its own (its table columns
    handed over through a file in ``stage``, ``pool.dump_columns``: no copy of the table in this
    process's memory) and the call waits for it; a process that cannot start or dies is a write
    in this process instead. Leaving the block waits for the process."""
    if args is None or len(recap.table) < PROCESS_FROM or not _mostly_to_make(len(recap.table), args[-1]):
        yield lambda: write(recap, *args) if args is not None else None
        return
    from dataclasses import replace

    from sopkinerja import pool

    handed = stage / ".lkjip-columns"
    try:
        pool.dump_columns(recap.table, TABLE_COLUMNS, replace(recap, table=None, by_round={}, master_marks={}),
                          handed)
    except ValueError:  # a value the hand-over does not carry: written here
        handed.unlink(missing_ok=True)
        yield lambda: write(recap, *args)
        return
    try:
        with pool.beside(write_handed, (handed, *args), lambda: write(recap, *args)) as wait:
            yield wait
    finally:
        handed.unlink(missing_ok=True)


def write_handed(handed: Path, *args) -> None:
    """``write`` in a process of its own, from the columns ``beside`` handed over."""
    from dataclasses import replace

    from sopkinerja.pool import load_columns

    table, recap = load_columns(handed)
    write(replace(recap, table=table), *args)


def _mostly_to_make(rows: int, cache: Path | None) -> bool:
    """Whether fewer than half of the two long sheets' blocks are kept in ``cache``."""
    if cache is None or not cache.is_dir():
        return True
    blocks = 2 * -(-rows // CHUNK_ROWS)
    return sum(1 for _ in cache.glob("*.lkjip")) < blocks / 2


def _start(workbook, layout: L.SheetLayout, f, values, language: str):
    sheet = workbook.add_worksheet(L.say(layout.name, language))
    width = L.sheet_width(layout.columns)
    for index, column in enumerate(layout.columns):
        sheet.set_column(index, index, column.widths[0])
    title = [L.say(L.LKJIP_TITLE, language).format(**values), L.say(layout.title, language).format(**values)]
    row = write_title(sheet, title, width, f, sum(c.widths[0] for c in layout.columns))
    labels = [L.say(column.label, language).format(**values) for column in layout.columns]
    sheet.set_row(row, LINE_HEIGHT * max(_lines(label, c.widths[0]) for label, c in zip(labels, layout.columns,
                                                                                          strict=True)) + 4)
    for index, label in enumerate(labels):
        sheet.write_string(row, index, label, f.header)
    for index, column in enumerate(layout.columns):
        sheet.write_string(row + 1, index, str(column.number), f.numbered)
    page_setup(sheet, row, row + 1, width)
    return sheet, row + 2


def _fit(sheet, row: int, layout: L.SheetLayout, texts: dict[int, str]) -> None:
    """The row tall enough for its wrapped texts (column index -> text)."""
    lines = _height([c.widths[0] for c in layout.columns], texts)
    if lines > 1:
        sheet.set_row(row, LINE_HEIGHT * lines + 2)


def _num(sheet, row, col, value, style, blank) -> None:
    if value is None or value != value:
        sheet.write_blank(row, col, None, blank)
    else:
        sheet.write_number(row, col, float(value), style)


def _text(sheet, row, col, text, style) -> None:
    sheet.write_string(row, col, text, style) if text else sheet.write_blank(row, col, None, style)


def _plain(value) -> float | None:
    return None if value is None or value != value else float(value)


def _by_objective(col) -> list[int]:
    """The rows grouped by sasaran, in the order each sasaran first appears (pandas' factorize numbers
    them so; a stable sort keeps the table's order within one)."""
    import numpy as np
    import pandas as pd

    groups = pd.factorize(np.array([objective or "" for objective in col["sasaran"]], dtype=object))[0]
    return np.argsort(groups, kind="stable").tolist()


def _measurement(workbook, f, col, previous, values, language, order, kept: _Kept) -> tuple[int, list]:
    """The sheet's header by xlsxwriter; its body as row XML (spliced in by ``write``): the first
    body row (0-based) and the rows' blocks."""
    _, row = _start(workbook, L.LKJIP_MEASUREMENT, f, values, language)
    text, percent = xf(f.texts["indicator"]), xf(f.number("indicator", 2))
    numbers = [xf(f.number("indicator", places)) for places in (0, 1, 2)]
    widths = [c.widths[0] for c in L.LKJIP_MEASUREMENT.columns]

    def rows(start: int, part, source):
        shown_objective = col["sasaran"][order[start - 1]] or "" if start else None
        for offset, index in enumerate(part, start=start):
            at = str(row + offset + 1)
            code = source["kode_indikator"][index]
            objective = source["sasaran"][index] or ""
            shown = objective if objective != shown_objective else ""
            shown_objective = objective
            last = previous.get(code)
            target, so_far = source["target_tahunan"][index], source["realisasi_sd"][index]
            number = numbers[min(_decimals([_plain(target), _plain(so_far), last[0] if last else None]), 2)]
            name, measure = source["indikator"][index], source["satuan"][index]
            value = _plain(source["capaian_tahunan_persen"][index])
            cells = [f'<c r="A{at}" s="{numbers[0]}"><v>{offset + 1}</v></c>',
                     text_cell("B", at, shown, text), text_cell("C", at, name, text), text_cell("D", at, measure, text),
                     number_cell("E", at, target, number, text), number_cell("F", at, so_far, number, text),
                     number_cell("G", at, value, percent, text), text_cell("H", at, kategori(value) or "", text),
                     number_cell("I", at, last[0] if last else None, number, text),
                     number_cell("J", at, last[1] if last else None, percent, text)]
            yield row_xml(at, cells, _height(widths, {1: shown, 2: name, 3: measure}), LINE_HEIGHT)

    # A chunk's first row shows its sasaran unless the row before it had the same: that one is in its key.
    return row, kept.blocks("measurement", row, (text, percent, numbers, widths), rows,
                            lambda start: col["sasaran"][order[start - 1]] if start else None, MEASUREMENT_COLUMNS)


def _factors(workbook, f, col, footers, values, language, order, kept: _Kept) -> tuple[int, list]:
    """Per indicator its unit's words; where the indicator has none, the unit's footer cells."""
    _, row = _start(workbook, L.LKJIP_FACTORS, f, values, language)
    text, whole = xf(f.texts["indicator"]), xf(f.number("indicator", 0))
    widths = [c.widths[0] for c in L.LKJIP_FACTORS.columns]

    def rows(start: int, part, source):
        for offset, index in enumerate(part, start=start):
            at = str(row + offset + 1)
            unit = footers.get(source["kode_unit"][index], {})
            words = [source[column][index] or unit.get(FALLBACK[column], "")
                     for column in ("faktor_pendorong", "faktor_penghambat", "tindak_lanjut")]
            name = source["indikator"][index]
            cells = [f'<c r="A{at}" s="{whole}"><v>{offset + 1}</v></c>', text_cell("B", at, name, text),
                     *(text_cell(letter, at, said, text) for letter, said in zip("CDE", words, strict=True))]
            lines = _height(widths, {1: name, **dict(enumerate(words, start=2))})
            yield row_xml(at, cells, lines, LINE_HEIGHT)

    return row, kept.blocks("factors", row, (text, whole, widths), rows, lambda start: None, FACTORS_COLUMNS)


# The unit's footer cell that stands in for an indicator's own words where it gave none.
FALLBACK = {"faktor_pendorong": "footer_drivers", "faktor_penghambat": "footer_obstacles",
            "tindak_lanjut": "footer_next_quarter"}
LKJIP_CACHE_VERSION = "2"  # part of every kept block's key: change it when a sheet's row XML changes
CHUNK_ROWS = 500
WHOLE_FROM = 0.1  # more of the rows than this share to make again: the table's columns read whole (as the E.81's)
# The table's columns each long sheet's rows read.
MEASUREMENT_COLUMNS = ("kode_indikator", "sasaran", "indikator", "satuan", "target_tahunan", "realisasi_sd",
                       "capaian_tahunan_persen")
FACTORS_COLUMNS = ("kode_unit", "indikator", "faktor_pendorong", "faktor_penghambat", "tindak_lanjut")


class _Kept:
    """The two long sheets' bodies in blocks of ``CHUNK_ROWS`` rows (in sasaran order), each kept
    in the cache by a digest of what its rows show (``shows``), its place and what it depends on
    of the row before: one unit resubmitting writes again the blocks holding its indicators,
    reading the table at their rows only."""

    def __init__(self, cache: Path | None, context: str, order: list[int], shows, col, spool=None):
        from sopkinerja.files import KeptCache
        from sopkinerja.report.splice import Block

        self.kept = KeptCache(cache, ".lkjip", Block)
        self.context, self.order, self.shows, self.col, self.spool = context, order, shows, col, spool
        self.shown: dict[int, bytes] = {}  # per block's start: both sheets' blocks hold the same rows

    def blocks(self, sheet: str, first: int, styles, rows, before, columns: tuple[str, ...]) -> list:
        import hashlib

        from sopkinerja.report.splice import Block

        starts = range(0, len(self.order), CHUNK_ROWS)
        keys = []
        for start in starts:
            part = self.order[start:start + CHUNK_ROWS]
            digest = hashlib.sha256(repr((self.context, sheet, first, start, styles, before(start))).encode("utf-8",
                                                                                                         "surrogatepass"))
            shown = self.shown.get(start)
            if shown is None:
                shown = self.shown[start] = self.shows(part)
            digest.update(shown)
            keys.append(digest.hexdigest())
        # Many blocks to make (a first run): the columns whole; a few (a resubmission): their rows only.
        whole = sum(len(self.order[start:start + CHUNK_ROWS]) for start, key in zip(starts, keys, strict=True)
                    if not self.kept.has(key)) > WHOLE_FROM * len(self.order)
        out = []
        for start, key in zip(starts, keys, strict=True):
            block = self.kept.get(key)
            if block is None:
                part = self.order[start:start + CHUNK_ROWS]
                block = Block.of("".join(rows(start, part, self.col if whole else self.col.at(part, columns))))
                self.kept.put(key, block)
            out.append(block if self.spool is None else self.spool.park(block))
        return out


def _shows(recap, col, previous: dict, footers: dict):
    """What a block's rows show, as bytes, for its rows (table indices): their indicator codes, the
    keys of their units' consolidated pieces (everything a unit's rows come from: its answers,
    requests, master rows, words) and last year's figures; for a recap without piece keys, a
    digest of every row's values."""
    keys = recap.unit_keys
    units, codes = col["kode_unit"], col["kode_indikator"]
    if not keys or any(unit not in keys for unit in set(units)):
        digests = _row_digests(recap.table, col, previous, footers)
        return lambda part: digests[part].tobytes()

    def shows(part: list[int]) -> bytes:
        return repr(([codes[i] for i in part], sorted({keys[units[i]] for i in part}),
                     [previous.get(codes[i]) for i in part])).encode("utf-8", "surrogatepass")

    return shows


def _row_digests(table, col, previous: dict, footers: dict):
    """Per table row, a 64-bit digest of what its rows on the two long sheets show."""
    import numpy as np
    import pandas as pd

    frame = table[["kode_unit", "kode_indikator", "indikator", "sasaran", "satuan", "target_tahunan", "realisasi_sd",
                   "capaian_tahunan_persen", "faktor_pendorong", "faktor_penghambat", "tindak_lanjut"]].copy()
    frame["last_year"] = [repr(previous.get(code)) for code in col["kode_indikator"]]
    words = {unit: repr([footer.get(key, "") for key in FALLBACK.values()]) for unit, footer in footers.items()}
    frame["footer"] = [words.get(unit, "") for unit in col["kode_unit"]]
    return np.asarray(pd.util.hash_pandas_object(frame, index=False).to_numpy(), dtype=np.uint64)


def _height(widths: list[float], texts: dict[int, str]) -> int:
    """How many lines the row needs for its wrapped texts (column index -> text)."""
    return max((_lines(text, widths[index]) for index, text in texts.items()), default=1)


def _budget(workbook, f, col, recap, values, language) -> None:
    """Per program: pagu of its lines, spending so far of those whose spending is known, serapan
    over those (product.md §2); the total, and a note naming the units left out."""
    sheet, row = _start(workbook, L.LKJIP_BUDGET, f, values, language)
    programs: dict[str, list[float]] = {}
    for program, budget, spent in zip(col["program"], col["pagu"], col["realisasi_anggaran"], strict=True):
        if budget != budget or budget is None:
            continue
        budget, spent = float(budget), float(spent)  # the columns are float arrays: Python floats in the sums
        sums = programs.setdefault(program or "", [0.0, 0.0, 0.0])  # pagu, spent, pagu of the known
        sums[0] += budget
        if spent == spent and spent is not None:
            sums[1] += spent
            sums[2] += budget
    text, rupiah, percent = f.texts["indicator"], f.rupiah["indicator"], f.number("indicator", 2)
    total = [0.0, 0.0, 0.0]
    for number_, program in enumerate(sorted(programs, key=dpa_key), start=1):
        sums = programs[program]
        _fit(sheet, row, L.LKJIP_BUDGET, {1: program})
        sheet.write_number(row, 0, number_, f.number("indicator", 0))
        _text(sheet, row, 1, program or L.say(L.LKJIP_NO_PROGRAM, language), text)
        sheet.write_number(row, 2, sums[0], rupiah)
        _num(sheet, row, 3, sums[1] if sums[2] else None, rupiah, text)
        _num(sheet, row, 4, serapan(sums[1], sums[2]) if sums[2] else None, percent, text)
        total = [a + b for a, b in zip(total, sums, strict=True)]
        row += 1
    strong_text, strong_rp, strong_pct = f.texts["program"], f.rupiah["program"], f.number("program", 2)
    sheet.write_blank(row, 0, None, strong_text)
    sheet.write_string(row, 1, L.say(L.LKJIP_TOTAL, language), strong_text)
    sheet.write_number(row, 2, total[0], strong_rp)
    _num(sheet, row, 3, total[1] if total[2] else None, strong_rp, strong_text)
    _num(sheet, row, 4, serapan(total[1], total[2]) if total[2] else None, strong_pct, strong_text)
    left_out = [u.name for u in recap.budget_left_out]
    if left_out:
        note = L.say(L.LKJIP_LEFT_OUT, language).format(units=", ".join(left_out))
        sheet.merge_range(row + 2, 0, row + 2, 4, note, f.subtitle)
