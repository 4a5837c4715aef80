"""Formulir E.81 (Permendagri 86/2017, evaluasi hasil Renja Perangkat Daerah) from the recap.

``build`` makes the form's body in DPA order — program, kegiatan, sub kegiatan
(Rp on each, summed upward), indicators (K) — from the consolidated year
(``consolidate.Recap``: the table and each round's own values) and the
master's Renstra columns, as sheet XML in chunks kept between runs (a
province's form has 600,000 rows; one unit resubmitting rewrites the chunks
holding its sub kegiatan); ``write`` lays the rest out with xlsxwriter as
``forms.layouts`` says and splices the body in. Every unit value is written
as a number or a string, never a formula.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

from sopkinerja.cells import column_letter
from sopkinerja.forms import layouts as L
from sopkinerja.forms.sheet import (
    Formats,
    blocks_of,
    inline_text,
    open_workbook,
    page_setup,
    row_xml,
    signature_block,
    text_cell,
    write_title,
    xf,
)
from sopkinerja.models import Period, budget_key, due
from sopkinerja.rules import capaian, kategori, round_half_up, serapan

MEASURED = tuple(c.key for c in L.E81_COLUMNS if c.pair)  # the K / Rp pairs, columns 5-14
_AT = {key: index for index, key in enumerate(MEASURED)}
LETTERS = [column_letter(index) for index in range(L.sheet_width(L.E81_COLUMNS))]  # the form's columns' letters
KINDS = ("program", "activity", "sub_activity", "indicator")
# The table's text columns the forms read (missing texts come out of pandas as NaN: read as "").
TEXT_COLUMNS = ("indikator", "sasaran", "program", "kegiatan", "sub_kegiatan", "satuan", "keterangan",
                "faktor_pendorong", "faktor_penghambat", "tindak_lanjut")


@dataclass(slots=True)
class FormRow:
    """One row of the form's body: ``k`` and ``rp`` hold one value (or None) per measured column."""

    kind: str  # program, activity, sub_activity, indicator
    number: str
    objective: str
    name: str  # column 3: the program, kegiatan or sub kegiatan as the DPA writes it
    indicator: str  # column 4
    k: list = field(default_factory=lambda: [None] * len(MEASURED))
    rp: list = field(default_factory=lambda: [None] * len(MEASURED))
    unit: str = ""
    remarks: str = ""
    decimals: int = 0


@dataclass
class FooterBlock:
    """The averages and predikat per quarter and for column 12, and the unit's words."""

    unit: str  # the unit's name, or the Perangkat Daerah's for the agency
    averages: dict[str, float | None]  # q1..q4, year
    texts: dict[str, str]  # E81_FOOTER_TEXTS key -> text ("" when none)


@dataclass
class E81:
    """The form's content: the title, the body as deflated sheet XML (``rows`` rows from
    ``first_row``), the footer blocks and, per measured column, the largest K and Rp it shows."""

    title: list[str]
    body: list  # report.splice.Block, in order
    rows: int
    first_row: int  # Excel row of the body's first row
    footers: list[FooterBlock]
    largest: list[tuple[float, float]] = field(default_factory=list)


E81_CACHE_VERSION = "3"  # part of every kept chunk's key: change it when the body's XML changes
CHUNK_ROWS = 500  # sub kegiatan are kept in chunks of about this many rows (one unit's change: a few)


@dataclass
class _Chunk:
    """A kept run of sub kegiatan: its rows' XML (deflated) and, per sub kegiatan, what the rows
    above it and the column widths need of it."""

    block: object  # report.splice.Block
    rp: object  # the Rp its kegiatan sums, one row each (sub kegiatan, or indicators with their own pagu; NaN: none)
    rate_k: float  # the largest |renstra rate| of K on its indicator rows
    rate_rp: float  # ... of Rp on its sub kegiatan rows


def build(recap, master, config, issues, language: str, styles: dict, first_row: int,
          cache: Path | None = None, spool=None) -> E81:
    """The form of ``recap``'s round: the year's rounds so far in their quarter columns; the body
    from Excel row ``first_row`` in the body ``styles`` (xf indices, ``_body_styles``).

    The body's tree (``_Plan``: DPA order, numbers, where each chunk of about ``CHUNK_ROWS`` rows
    starts) follows from the master alone and is kept by the units' master marks. Each chunk's
    rows are kept in ``cache`` by a digest of everything they show (its units' piece keys from
    consolidation, their status and refused revisions — or, for a recap without keys, every
    row's values — where it starts, its numbers): one unit resubmitting rewrites the chunks that
    hold its sub kegiatan, and the program and kegiatan rows above them (their Rp are sums), not
    the whole form; the table's columns are then read for those chunks' rows only. With a
    ``spool`` (``report.splice.Spool``) the chunks' blocks wait there, not in memory."""
    import xlsxwriter

    from sopkinerja.files import KeptCache, code_mark
    from sopkinerja.report.splice import Block

    period = Period.parse(recap.period)
    table = recap.table
    col = _Columns(table)
    plan = _kept_plan(recap, master, col, cache)
    names = {u.code: u.name for u in master.units}
    rejected_revision = {i.unit for i in issues if i.code == "revision-rejected"}
    quarter_of = {code: L.E81_ROUND_COLUMN[Period.parse(code).kind][Period.parse(code).number]
                  for code in recap.rounds}
    rounds = [(code, quarter_of[code], recap.by_round[code]) for code in recap.rounds if code in recap.by_round]
    due_then = {code: Period.parse(code) for code in recap.rounds}
    positions = L.sheet_columns(L.E81_COLUMNS)
    base_widths = [float(w) for column in L.E81_COLUMNS for w in column.widths]  # text columns are never widened
    kept = KeptCache(cache, ".e81", _Chunk)

    @functools.cache
    def indicators() -> dict:  # every row's, for digests without the units' keys only
        return {i.code: i for i in master.indicators}

    @functools.cache
    def first_line() -> dict:  # every row's, for digests without the units' keys only
        return {line.indicators[0]: line for line in master.budget_lines.values()}

    # What a chunk's rows show, per unit: its piece's key (consolidate: its answers, requests, master
    # rows, code), its status and whether its revision was refused; else (a recap made elsewhere)
    # a digest of every row.
    statuses = {u.code: u.status for u in recap.units}
    per_unit = {code: f"{key}|{statuses.get(code)}|{code in rejected_revision}"
                for code, key in recap.unit_keys.items()}
    every = None if per_unit and plan.units <= per_unit.keys() else _row_digests(
        table, col, indicators(), first_line(), rounds, rejected_revision)
    context = KeptCache.key(E81_CACHE_VERSION, code_mark(), xlsxwriter.__version__, language, styles,
                            [(code, quarter, values.collected) for code, quarter, values in rounds],
                            sorted(due_then), positions, base_widths)

    def chunk_key(chunk) -> str:
        offset, _, segments, units, static = chunk
        digest = hashlib.sha256(f"{context}|{first_row + offset}|".encode())
        digest.update(static)
        if every is None:  # a sub kegiatan is one unit's (the master check); rows without one may be several's
            digest.update("|".join(per_unit[u] for u in units).encode())
        else:
            for _, _, found, _, line_row, _ in segments:
                digest.update(every[list(found)].tobytes())
                if line_row >= 0:
                    digest.update(every[line_row].tobytes())
        return digest.hexdigest()

    chunks = [chunk for program in plan.programs for activity in program[5] for chunk in activity[4]]
    keys = [chunk_key(chunk) for chunk in chunks]
    # Many chunks to make (a first run): the columns whole; a few (a resubmission): their rows only.
    whole = sum(chunk[1] for chunk, key in zip(chunks, keys, strict=True) if not kept.has(key)) > (
        WHOLE_FROM * plan.rows)

    # Looked up once for the form's 500,000 rows, not on each.
    quarters_at = [(_AT[quarter], values.actual) for _, quarter, values in rounds]
    remark_rounds = [(code, L.say(L.ROUND_NAMES[quarter], language), values, _DueThen(due_then[code]))
                     for code, quarter, values in rounds]
    not_rate = [index for index, key in enumerate(MEASURED) if key != "renstra_rate"]
    target_at, last_at, annual_at, year_at = _AT["renstra_target"], _AT["renstra_last"], _AT["annual"], _AT["year"]
    so_far_at, rate_at = _AT["renstra_so_far"], _AT["renstra_rate"]

    def indicator_row(index: int, col) -> FormRow:
        code = col["kode_indikator"][index]
        indicator = master.indicator(code)  # a cached master makes only its unit's indicators
        row = FormRow("indicator", "", "", "", col["indikator"][index], unit=names[col["kode_unit"][index]])
        k = row.k
        k[target_at] = indicator.renstra_target
        k[last_at] = last = indicator.renstra_actual_last
        k[annual_at] = _value(col["target_tahunan"][index])
        for at, actual in quarters_at:
            k[at] = _value(actual[index])
        year = _value(col["realisasi_sd"][index])
        k[year_at] = year
        so_far = year if col["metode"][index] != "kumulatif" else (
            None if year is None or last is None else year + last)
        k[so_far_at] = so_far
        k[rate_at] = capaian(so_far, k[target_at], col["polaritas"][index])
        row.decimals = _decimals([k[at] for at in not_rate])
        own_line = master.first_lines(col["kode_unit"][index]).get(code)  # a cached master: the unit's only
        if own_line is not None and own_line.key.startswith("IND "):  # its own pagu, without a sub kegiatan
            _budget(row, index, own_line, col, rounds)
        row.remarks = _remarks(index, code, indicator, col, remark_rounds, rejected_revision, language)
        return row

    rate = _AT["renstra_rate"]
    body: list = []  # Blocks; a program's or kegiatan's place is kept until its Rp are summed
    largest_rate = [0.0, 0.0]  # |renstra rate| of K on indicator rows, of Rp on the rows above them
    tops: list = []  # the Rp no other row sums (arrays of rows): the largest Rp is on one of them

    def place(row: FormRow, slot: int, offset: int) -> None:
        largest_rate[1] = max(largest_rate[1], _abs(row.rp[rate]))
        body[slot] = Block.of("".join(_body_rows([row], first_row + offset, positions, base_widths, styles)))

    def segment_rows(segment, col) -> tuple[list[FormRow], list[list], float, float]:
        """A sub kegiatan's rows (its own, then its indicators'), the Rp its kegiatan sums and
        the largest |renstra rate| of K and of Rp on them."""
        sub, sub_number, found, line_key, line_row, sub_unit = segment
        rows, children = [], []
        sub_rp = None
        if sub:
            sub_row = FormRow("sub_activity", sub_number, "", sub, "", unit=sub_unit)
            if line_key is not None:
                _budget(sub_row, line_row, master.budget_line(line_key), col, rounds)
            rows.append(sub_row)
            sub_rp = list(sub_row.rp)
        rate_k = 0.0
        for index in found:
            row = indicator_row(index, col)
            rows.append(row)
            rate_k = max(rate_k, _abs(row.k[rate]))
            if not sub and any(v is not None for v in row.rp):
                children.append(list(row.rp))  # an indicator with its own pagu
        return rows, ([sub_rp] if sub_rp is not None else children), rate_k, _abs(sub_rp[rate]) if sub_rp else 0.0

    def take(chunk, key: str, activity_children: list) -> None:
        """The chunk's rows, kept or made (and kept); their Rp go to ``activity_children``."""
        offset, _, segments, _, _ = chunk
        found = kept.get(key)
        if found is None:
            rows, rps, rate_k, rate_rp = [], [], 0.0, 0.0
            source = col if whole else col.rows(segments)
            for segment in segments:
                made, summed, segment_k, segment_rp = segment_rows(segment, source)
                rows += made
                rps += summed
                rate_k, rate_rp = max(rate_k, segment_k), max(rate_rp, segment_rp)
            found = _Chunk(Block.of("".join(_body_rows(rows, first_row + offset, positions, base_widths, styles))),
                           _rp_rows(rps), rate_k, rate_rp)
            kept.put(key, found)
        body.append(found.block if spool is None else spool.park(found.block))
        largest_rate[0] = max(largest_rate[0], found.rate_k)
        largest_rate[1] = max(largest_rate[1], found.rate_rp)
        activity_children.append(found.rp)

    key_of = iter(keys)
    for program, program_number, program_unit, objective, program_offset, activities in plan.programs:
        if program:
            program_row = FormRow("program", program_number, objective, program, "", unit=program_unit)
            body.append(None)
            program_slot = len(body) - 1
        program_children: list = []  # the Rp that add up to the program's (arrays of rows, _rp_rows)
        for activity, activity_number, activity_unit, activity_offset, activity_chunks in activities:
            if activity:
                activity_row = FormRow("activity", activity_number, "", activity, "", unit=activity_unit)
                body.append(None)
                activity_slot = len(body) - 1
            activity_children: list = []
            for chunk in activity_chunks:
                take(chunk, next(key_of), activity_children)
            if activity:
                _sum_up(activity_row, activity_children)
                place(activity_row, activity_slot, activity_offset)
                program_children.append(_rp_rows([activity_row.rp]))
            else:
                program_children += activity_children
        if program:
            _sum_up(program_row, program_children)
            place(program_row, program_slot, program_offset)
            tops.append(_rp_rows([program_row.rp]))
        else:
            tops.extend(program_children)
    kept.prune()

    title = _title(config, period, list(dict.fromkeys(plan.objectives)), language)
    fields = ("renstra_target", "renstra_actual_last")  # the same indicators' largest values: any order
    measured = [master.column(name) for name in fields] if master.count == len(table) else [
        [getattr(master.indicator(code), name) for code in col["kode_indikator"]] for name in fields]
    largest = _largest(table, measured, rounds, largest_rate, tops)
    return E81(title, body, plan.rows, first_row, _footers(recap, rounds, language), largest)


E81_PLAN_VERSION = "1"  # part of the kept plan's key: change it when _Plan or how it is made changes
PLAN_FOLDER = "e81-pohon"  # beside the rounds' e81-<round> folders: the tree of every round
WHOLE_FROM = 0.1  # more of the body's rows than this share to make again: the table's columns read whole
# The table's columns an indicator's or sub kegiatan's rows read.
BODY_COLUMNS = ("kode_unit", "kode_indikator", "indikator", "metode", "polaritas", "target_tahunan", "realisasi_sd",
                "realisasi_periode", "pagu", "realisasi_anggaran", "keterangan", "wajib", "status_unit")


class _Columns(dict):
    """The table's columns, each read when first asked for: a float column as the table's own
    array (NaN for none; read through ``_value``: 500,000 Python floats would hold 4x the memory),
    the others as lists (text columns: "" for none)."""

    def __init__(self, table):
        super().__init__()
        self.table = table
        self.arrays: dict = {}

    def __missing__(self, name: str):
        column = self.table[name]
        self[name] = column.to_numpy() if column.dtype.kind == "f" else _cleaned(name, column.tolist())
        return self[name]

    def rows(self, segments) -> dict[str, dict]:
        """The body's columns at the rows of ``segments`` only (table index -> value)."""
        at = [i for _, _, found, *_ in segments for i in found]
        at += [line_row for *_, line_row, _ in segments if line_row >= 0]
        return self.at(at, BODY_COLUMNS)

    def at(self, at: list[int], names) -> dict[str, dict]:
        """The columns ``names`` at the table rows ``at`` only (table index -> value): a few
        chunks made again need not turn whole columns into lists."""
        import numpy as np

        indices = np.array(at, dtype=np.int64)
        out = {}
        for name in names:
            if name not in self.arrays:
                self.arrays[name] = self.table[name].to_numpy()
            out[name] = dict(zip(at, _cleaned(name, self.arrays[name][indices].tolist()), strict=True))
        return out


def _cleaned(name: str, values: list) -> list:
    """A text column's values with "" for none (pandas gives NaN or None); other columns' as they are."""
    return [v if isinstance(v, str) else "" for v in values] if name in TEXT_COLUMNS else values


@dataclass
class _Plan:
    """What of the E.81's body follows from the master alone (the table's rows are the master's,
    in its order): the tree in DPA order with each level's number, unit and place (row offset
    from the body's first), and its chunks of sub kegiatan.

    ``programs``: (name, number, unit, objective, offset, activities), activities: (name, number,
    unit, offset, chunks), chunks: (offset, rows, segments, units, static), segments: (sub
    kegiatan, number, table indices of its indicators, budget line key or None, table index of
    the line's first indicator or -1, unit); "" for an empty level (no row)."""

    programs: list
    objectives: list[str]
    units: frozenset
    rows: int


def _kept_plan(recap, master, col: _Columns, cache: Path | None) -> _Plan:
    """The body's tree, kept beside ``cache`` (``PLAN_FOLDER``: one for every round, as the tree
    follows from the master alone) by every unit's master mark (consolidate) when the recap has
    them for all the master's units; else made from ``col`` (the recap's table). A round's first
    run finds the tree the round before made (at 1,000 units ~3 s of the form's one thread)."""
    from sopkinerja.files import KeptCache, code_mark

    marks = recap.master_marks
    if not marks or any(u.code not in marks for u in master.units):
        return _plan(col, master)
    kept = KeptCache(cache.parent / PLAN_FOLDER if cache is not None else None, ".plan", _Plan)
    key = KeptCache.key(E81_PLAN_VERSION, code_mark(), len(recap.table),
                        [(u.code, u.name, marks[u.code]) for u in master.units])
    plan = kept.get(key)
    if plan is None:
        plan = _plan(col, master)
        kept.put(key, plan)
    kept.prune()
    return plan


def _plan(col: _Columns, master) -> _Plan:
    """The body's tree from the table's master columns (``_Plan``)."""
    codes, indicator_codes = col["kode_unit"], col["kode_indikator"]
    names = {u.code: u.name for u in master.units}
    line_of = {code: budget_key(sub, code) for code, sub in zip(master.column("code"), master.column("sub_activity"),
                                                                 strict=True)}
    lines = master.budget_lines
    row_of = {code: index for index, code in enumerate(indicator_codes)}
    tree: dict = {}  # program -> kegiatan -> sub kegiatan -> indicator rows (table indices)
    for index, (program, activity, sub) in enumerate(zip(col["program"], col["kegiatan"], col["sub_kegiatan"],
                                                         strict=True)):
        tree.setdefault(program, {}).setdefault(activity, {}).setdefault(sub, []).append(index)
    numbers = [0, 0, 0]  # the running No of program, kegiatan, sub kegiatan
    offset = [0]  # the next row of the body

    def number(depth: int) -> str:
        numbers[depth] += 1
        numbers[depth + 1:] = [0] * (2 - depth)
        return ".".join(str(n) for n in numbers[:depth + 1])

    def level(depth: int, name: str) -> tuple[str, int]:
        if not name:
            return "", -1
        offset[0] += 1
        return number(depth), offset[0] - 1

    def close(pending: list) -> tuple:
        count = sum(len(found) + (1 if sub else 0) for sub, _, found, *_ in pending)
        static = "".join(f"|{sub}|{sub_number}|{line_key or ''}|{len(found)}|"
                         for sub, sub_number, found, line_key, *_ in pending)
        units: set[str] = set()
        for sub, _, found, _, line_row, _ in pending:
            units.update({codes[found[0]]} if sub else {codes[i] for i in found})
            if line_row >= 0:
                units.add(codes[line_row])
        chunk = (offset[0], count, list(pending), tuple(sorted(units)),
                 hashlib.blake2b(static.encode("utf-8", "surrogatepass"), digest_size=16).digest())
        offset[0] += count
        return chunk

    programs, objectives, every_unit = [], [], set(codes)
    for program in sorted(tree, key=dpa_key):
        activities = tree[program]
        members = [i for subs in activities.values() for found in subs.values() for i in found]
        found_objectives = list(dict.fromkeys(col["sasaran"][i] for i in members if col["sasaran"][i]))
        objectives += found_objectives
        program_number, program_offset = level(0, program)
        planned = []
        for activity in sorted(activities, key=dpa_key):
            subs = activities[activity]
            activity_number, activity_offset = level(1, activity)
            chunks, pending, pending_rows = [], [], 0
            for sub in sorted(subs, key=dpa_key):
                found = subs[sub]
                line = lines.get(line_of[indicator_codes[found[0]]]) if sub else None
                pending.append((sub, number(2) if sub else "", _compact(found),
                                line.key if line is not None else None,
                                row_of[line.indicators[0]] if line is not None else -1,
                                _one_unit(found, codes, names) if sub else ""))
                pending_rows += len(found) + 1
                if pending_rows >= CHUNK_ROWS:
                    chunks.append(close(pending))
                    pending, pending_rows = [], 0
            if pending:
                chunks.append(close(pending))
            activity_unit = _one_unit([i for found in subs.values() for i in found], codes, names) if activity else ""
            planned.append((activity, activity_number, activity_unit, activity_offset, chunks))
        programs.append((program, program_number, _one_unit(members, codes, names) if program else "",
                         "; ".join(found_objectives), program_offset, planned))
    return _Plan(programs, objectives, frozenset(every_unit), offset[0])


def _abs(value) -> float:
    return abs(value) if value is not None and value == value else 0.0


def _row_digests(table, col, indicators, first_line, rounds, rejected_revision):
    """Per table row, a 64-bit digest of everything its indicator row and the sub kegiatan row it
    is the first of show (pandas' row hashing: the table's, the rounds' and the master's values)."""
    import numpy as np
    import pandas as pd

    codes = col["kode_indikator"]
    frame = table[["kode_unit", "nama_unit", "kode_indikator", "indikator", "metode", "polaritas", "target_tahunan",
                   "realisasi_sd", "realisasi_periode", "pagu", "realisasi_anggaran", "keterangan", "status_unit",
                   "wajib", "frekuensi"]].copy()
    frame["renstra"] = [repr((indicators[c].renstra_target, indicators[c].renstra_actual_last)) for c in codes]
    frame["line"] = [repr((line.key, line.renstra_budget, line.renstra_spent_last)) if (line := first_line.get(c))
                     else "" for c in codes]
    frame["rejected"] = [unit in rejected_revision for unit in col["kode_unit"]]
    for number, (_, _, values) in enumerate(rounds):
        frame[f"actual{number}"] = values.actual
        frame[f"spent{number}"] = values.spent
        frame[f"late{number}"] = [c in values.late for c in codes]
        frame[f"answered{number}"] = [unit in values.answered for unit in col["kode_unit"]]
    return np.asarray(pd.util.hash_pandas_object(frame, index=False).to_numpy(), dtype=np.uint64)

def _value(value) -> float | None:
    return None if value is None or value != value else float(value)


def dpa_key(name: str) -> tuple:
    """DPA order: by the code that starts the name ("5.01.02.2.01.0005 Pelaksanaan ..."), numerically;
    names without a code after them in alphabetical order, an empty level (none) first."""
    if not name:
        return (0, (), "")
    first = name.split(maxsplit=1)[0]
    parts = first.split(".")
    if all(part.isdigit() for part in parts) and any(ch.isdigit() for ch in first):
        return (1, tuple(int(part) for part in parts), name)
    return (2, (), name)


def _compact(indices: list[int]):
    """A sub kegiatan's table rows as kept in the plan: a range when they follow each other (as a
    unit's rows do), else a tuple."""
    if indices == list(range(indices[0], indices[-1] + 1)):
        return range(indices[0], indices[-1] + 1)
    return tuple(indices)


def _one_unit(members: list[int], codes: list[str], names) -> str:
    units = list(dict.fromkeys(codes[i] for i in members))
    return names[units[0]] if len(units) == 1 else ""


def _decimals(values) -> int:
    """The indicator's decimals: as many as its numbers use, at most 2."""
    places = 0
    for value in values:
        if value is None or float(value).is_integer():
            continue
        if abs(value * 10 - round(value * 10)) < 1e-7 * max(1.0, abs(value)):
            places = 1
        else:
            return 2
    return places


def _budget(row: FormRow, index: int, line, col, rounds) -> None:
    """Rp of one budget line (on its first indicator's table row): Renstra, pagu, each round's
    spending, the year so far, and what follows from them (columns 13 and 14)."""
    rp = row.rp
    rp[_AT["renstra_target"]] = line.renstra_budget
    rp[_AT["renstra_last"]] = line.renstra_spent_last
    rp[_AT["annual"]] = _value(col["pagu"][index])
    for _, quarter, values in rounds:
        rp[_AT[quarter]] = _value(values.spent[index])
    _derive_rp(row, _value(col["realisasi_anggaran"][index]))


def _derive_rp(row: FormRow, year: float | None) -> None:
    rp = row.rp
    rp[_AT["year"]] = year
    last = rp[_AT["renstra_last"]]
    so_far = None if year is None or last is None else year + last
    rp[_AT["renstra_so_far"]] = so_far
    rp[_AT["renstra_rate"]] = serapan(so_far, rp[_AT["renstra_target"]]) if rp[_AT["renstra_target"]] else None


def _rp_rows(rps: list[list]):
    """Rp vectors (None: none) as the rows of a float array (NaN: none)."""
    import numpy as np

    return np.array([[np.nan if v is None else v for v in rp] for rp in rps], dtype=float).reshape(
        len(rps), len(MEASURED))


def _stacked(blocks: list):
    import numpy as np

    return np.vstack(blocks) if blocks else np.empty((0, len(MEASURED)))


def _sum_up(parent: FormRow, children: list) -> None:
    """A program's or kegiatan's Rp: the sums of its sub kegiatan's (over those that have it), in
    their order; ``children``: arrays of Rp rows (``_rp_rows``)."""
    import numpy as np

    rows = _stacked(children)

    def known(key: str) -> float | None:
        column = rows[:, _AT[key]]
        values = column[~np.isnan(column)].tolist()
        return math.fsum(values) if values else None

    for key in ("renstra_target", "renstra_last", "annual", *L.E81_QUARTERS):
        parent.rp[_AT[key]] = known(key)
    _derive_rp(parent, known("year"))


def _remarks(index, code, indicator, col, rounds, rejected_revision, language) -> str:
    """Keterangan: the unit's own text, then the tool's notes on where a value is missing from.
    ``rounds``: per round of the year so far, (its code, its name on the form, its values,
    ``_DueThen`` of it)."""
    notes = [col["keterangan"][index]] if col["keterangan"][index] else []
    unit = col["kode_unit"][index]
    status = col["status_unit"][index]
    if status == "diterima" and col["wajib"][index] and _value(col["realisasi_periode"][index]) is None:
        notes.append(L.say(L.NOTE_NOT_AVAILABLE, language))
    if unit in rejected_revision:
        notes.append(L.say(L.NOTE_REVISION_REJECTED, language))
    missing, late, rejected = [], [], []
    frequency = indicator.frequency
    for round_code, name, values, due_then in rounds:
        if code in values.late:
            late.append(name)
        elif values.collected and unit not in values.answered and due_then[frequency]:
            # This round's answer is known to be rejected; an earlier round's not accepted is "not in".
            (rejected if round_code == rounds[-1][0] and status == "ditolak" else missing).append(name)
    if missing:
        notes.append(L.say(L.NOTE_ROUND_MISSING, language).format(round=", ".join(missing)))
    if rejected:
        notes.append(L.say(L.NOTE_ROUND_REJECTED, language).format(round=", ".join(rejected)))
    if late:
        notes.append(L.say(L.NOTE_ENTERED_LATE, language).format(round=", ".join(late)))
    return "; ".join(notes)


class _DueThen(dict):
    """Frequency -> whether an indicator of it was due in ``period`` (``models.due``), worked out
    once per frequency instead of once per row."""

    def __init__(self, period: Period):
        super().__init__()
        self.period = period

    def __missing__(self, frequency: str) -> bool:
        self[frequency] = found = due(frequency, self.period)
        return found


def _title(config, period: Period, objectives: list[str], language: str) -> list[str]:
    agency = config.agency
    values = {"agency": agency.name, "region": agency.region, "year": period.year,
              "objectives": "; ".join(objectives) if objectives else "-"}
    return [L.say(line, language).format(**values) for line in L.E81_TITLE]


def _with_text(column):
    """The positions of a column's non-empty texts (a column of numbers or of nothing has none)."""
    import numpy as np

    try:
        return np.flatnonzero(column.str.len().gt(0).to_numpy())
    except AttributeError:  # not a column of strings
        return np.array([], dtype=np.int64)


def _footers(recap, rounds, language: str) -> list[FooterBlock]:
    """The agency's averages first, then each unit's averages and words (its footer cells, else
    its indicators' own words)."""
    def averages(per_round: dict, year: float | None) -> dict[str, float | None]:
        out = {quarter: per_round.get(code) for code, quarter, _ in rounds}
        out["year"] = year
        return out

    agency_rounds = {code: values.average for code, _, values in rounds}
    blocks = [FooterBlock(L.say(L.E81_AGENCY, language), averages(agency_rounds, recap.total.annual_average), {})]
    own: dict[str, dict[str, list[str]]] = {}
    table = recap.table
    for column in set(L.E81_FOOTER_FALLBACK.values()):  # the rows with words only (most have none)
        present = _with_text(table[column])
        units, texts = table["kode_unit"].to_numpy()[present].tolist(), table[column].to_numpy()[present].tolist()
        for unit, text in zip(units, texts, strict=True):
            own.setdefault(unit, {}).setdefault(column, []).append(text)
    for unit in recap.units:
        texts = {}
        for key, _ in L.E81_FOOTER_TEXTS:
            text = unit.footer.get(key, "")
            if not text and key in L.E81_FOOTER_FALLBACK:
                text = "; ".join(dict.fromkeys(own.get(unit.code, {}).get(L.E81_FOOTER_FALLBACK[key], [])))
            texts[key] = text
        rounds_average = {code: unit.rounds.get(code) for code, _, _ in rounds}
        blocks.append(FooterBlock(unit.name, averages(rounds_average, unit.numbers.annual_average), texts))
    return blocks


# --- writing ---------------------------------------------------------------------------------


def write(recap, master, config, issues, path: Path, signed_on: str, language: str, created,
          cache: Path | None = None) -> None:
    """The form of ``recap``'s round as an .xlsx: title block, two-level header with the numbered
    row, body, footer and signature block; A4 landscape, one page wide, header rows repeated,
    panes frozen. ``cache`` keeps the body's chunks between runs (``build``).

    xlsxwriter writes everything but the body (styles, merges, print set-up, the footer and the
    signature below where the body goes); the body's rows are sheet XML spliced in
    (``report.splice``, as the recap's tables): a province's form has 600,000 rows and a
    Python call per cell would cost three times the bare write of its values."""
    from sopkinerja.report.splice import Spool

    with Spool(path.parent) as spool:  # the body's chunks wait there, not in memory
        _write(recap, master, config, issues, path, signed_on, language, created, cache, spool)


def _write(recap, master, config, issues, path: Path, signed_on: str, language: str, created, cache, spool) -> None:
    from sopkinerja.report.splice import Splice, splice

    title_rows = len(L.E81_TITLE)
    # The title's first line names the form alone (the sasaran come later, once the body is built).
    workbook = open_workbook(path, _title(config, Period.parse(recap.period), [], language)[0], created)
    f = Formats(workbook)
    styles = _body_styles(f)  # asked first: the body's xf indices do not depend on the rest of the sheet
    row = title_rows + 1  # write_title's: the title lines and an empty one
    first_body = row + 3  # 0-based, below the two header rows and the numbered one
    form = build(recap, master, config, issues, language, styles, first_body + 1, cache, spool)
    sheet = workbook.add_worksheet("E.81")
    positions = L.sheet_columns(L.E81_COLUMNS)
    width = L.sheet_width(L.E81_COLUMNS)
    widths = _widths(form)
    for index, chars in enumerate(widths):
        sheet.set_column(index, index, chars)
    row = write_title(sheet, form.title, width, f, sum(widths))
    assert row == title_rows + 1, "the title block's height is part of every kept chunk's place"
    header = row
    for column in L.E81_COLUMNS:
        first = positions[column.key]
        label = L.say(column.label, language)
        if column.pair:
            sheet.merge_range(row, first, row, first + 1, label, f.header)
            sheet.write_string(row + 1, first, L.say(L.K, language), f.header)
            sheet.write_string(row + 1, first + 1, L.say(L.RP, language), f.header)
            sheet.merge_range(row + 2, first, row + 2, first + 1, str(column.number), f.numbered)
        else:
            sheet.merge_range(row, first, row + 1, first, label, f.header)
            sheet.write_string(row + 2, first, str(column.number), f.numbered)
    sheet.set_row(row, 72)
    page_setup(sheet, header, row + 2, width)
    footer_styles = {"label": xf(f.footer_label), "text": xf(f.footer_text), "number": xf(f.footer_number)}
    footer, merges = _footer_rows(form.footers, first_body + form.rows + 1, positions, footer_styles, language,
                                  widths)
    footer_row = first_body + form.rows + len(footer)
    end = signature_block(sheet, footer_row + 1, config.signatures, signed_on, language, f,
                          left=(positions["objective"], positions["indicator"]),
                          right=(positions["renstra_so_far"], positions["remarks"]))
    workbook.close()
    splice(path, [Splice("xl/worksheets/sheet1.xml", first_body, [*form.body, *blocks_of(footer)], end, width - 1,
                         resume_row=footer_row + 1, merges=tuple(merges))])


def _body_styles(f: Formats) -> dict:
    """The xf index of every format the body uses (xlsxwriter assigns one when asked)."""
    return {kind: {"text": xf(f.texts[kind]), "rupiah": xf(f.rupiah[kind]),
                   "numbers": [xf(f.number(kind, places)) for places in (0, 1, 2)]}
            for kind in KINDS}


def _body_rows(rows: list[FormRow], first_row: int, positions, widths, styles):
    """The body's rows as sheet XML, one string per row (a province's form: 600,000 of them, so each
    row is put together from pieces made once per kind of row, its number put in last)."""
    text_at = [LETTERS[positions[key]] for key in ("number", "objective", "program", "indicator", "unit", "remarks")]
    pair_at = [(LETTERS[positions[key]], LETTERS[positions[key] + 1]) for key in MEASURED]
    fits = [_fits(widths[positions[key]]) for key in ("objective", "program", "indicator", "unit", "remarks")]
    rate = _AT["renstra_rate"]
    here = "\x00"  # the row's number, put in once the row is whole (never in a cell's XML: text escapes it)
    pieces: dict = {}

    def pieces_of(kind: str, decimals: int):
        """Per cell of a row of ``kind``: the XML before a value (texts: before its type) and of a blank."""
        style = styles[kind]
        plain, numbers = style["text"], style["numbers"]
        k_style, rp_style, rate_style = numbers[min(decimals, 2)], style["rupiah"], numbers[2]
        texts = [(f'<c r="{letter}{here}" s="{plain}"', f'<c r="{letter}{here}" s="{plain}"/>') for letter in text_at]
        measured = []
        for index, (k_letter, rp_letter) in enumerate(pair_at):
            k_is, rp_is = (rate_style, rate_style) if index == rate else (k_style, rp_style)
            measured.append((f'<c r="{k_letter}{here}" s="{k_is}"><v>', f'<c r="{k_letter}{here}" s="{plain}"/>'))
            measured.append((f'<c r="{rp_letter}{here}" s="{rp_is}"><v>', f'<c r="{rp_letter}{here}" s="{plain}"/>'))
        return texts, measured

    values = [None] * (2 * len(MEASURED))
    for offset, item in enumerate(rows):
        found = pieces.get((item.kind, item.decimals))
        if found is None:
            found = pieces[(item.kind, item.decimals)] = pieces_of(item.kind, item.decimals)
        texts, measured = found
        shown = (item.objective, item.name, item.indicator, item.unit, item.remarks)
        lines = max([_wraps(value, fit) for value, fit in zip(shown, fits, strict=True) if value] or [1])
        cells = [blank if not value else before + inline_text(value) for (before, blank), value in zip(
            texts, (item.number, *shown), strict=True)]
        values[0::2], values[1::2] = item.k, item.rp
        numbers = [blank if value is None else f"{before}{float(value)!r}</v></c>"
                   for (before, blank), value in zip(measured, values, strict=True)]
        height = f' ht="{LINE_HEIGHT * lines + 2:g}" customHeight="1"' if lines > 1 else ""
        yield (f'<row r="{here}"{height}>{"".join(cells[:4])}{"".join(numbers)}{cells[4]}{cells[5]}</row>'
               .replace(here, str(first_row + offset)))


LINE_HEIGHT = 11.5  # points per line of 9-point text


def _fits(chars: float) -> float:
    """Characters of 9-point text on one line of a column ``chars`` wide (a width measured in 11-point
    characters; words wrap whole, hence the slack)."""
    return max(chars * 1.1 - 2, 4)


@functools.lru_cache(maxsize=1 << 14)  # a form's texts repeat (sasaran, units, satuan, words)
def _wraps(text: str, fits: float) -> int:
    if "\n" not in text:
        return max(1, math.ceil(len(text) / fits))
    return sum(max(1, math.ceil(len(part) / fits)) for part in text.split("\n"))


@functools.lru_cache(maxsize=1 << 14)
def _lines(text: str, chars: float) -> int:
    """How many lines ``text`` wraps to in a column ``chars`` wide."""
    return _wraps(text, _fits(chars)) if text else 1


def _largest(table, renstra, rounds, rates, tops) -> list[tuple[float, float]]:
    """Per measured column the largest K and Rp (absolute) the form shows, from the columns they
    come from (numpy) rather than a pass over every cell: K from the table, the rounds and the
    master (``renstra``: the rows' target_renstra and realisasi_renstra_lalu); Rp from the rows
    nothing sums further up (amounts are never negative); the rates
    (``rates``: K's, Rp's) as the body found them."""
    import numpy as np

    def top(values) -> float:
        array = np.abs(values.astype(float) if isinstance(values, np.ndarray) else
                       np.asarray([np.nan if v is None else v for v in values], dtype=float))
        return float(np.nanmax(array)) if array.size and not np.isnan(array).all() else 0.0

    k = dict.fromkeys(MEASURED, 0.0)
    k["renstra_target"] = top(renstra[0])
    k["renstra_last"] = top(renstra[1])
    k["annual"] = top(table["target_tahunan"].to_numpy())
    for _, quarter, values in rounds:
        k[quarter] = top(values.actual)
    k["year"] = top(table["realisasi_sd"].to_numpy())
    k["renstra_so_far"] = k["year"] + k["renstra_last"]
    k["renstra_rate"] = rates[0]
    top_rows = _stacked(tops)
    rp = {key: top(top_rows[:, _AT[key]]) for key in MEASURED if key != "renstra_rate"}
    rp["renstra_rate"] = rates[1]
    return [(k[key], rp[key]) for key in MEASURED]


def _widths(form: E81) -> list[float]:
    """Each sheet column's width: the layout's, widened where a number would not fit (never "###")."""
    widths = [float(w) for column in L.E81_COLUMNS for w in column.widths]
    positions = L.sheet_columns(L.E81_COLUMNS)
    largest = form.largest or [(0.0, 0.0)] * len(MEASURED)
    for index, key in enumerate(MEASURED):
        for side in (0, 1):
            digits = len(f"{largest[index][side]:,.0f}") + 3 + 1  # separators, 2 decimals, a sign
            at = positions[key] + side
            widths[at] = max(widths[at], digits * 0.85 + 1.5)  # 9-point digits in 11-point characters
    return widths


def _footer_rows(blocks: list[FooterBlock], first_row: int, positions, styles: dict, language: str,
                 widths: list[float]) -> tuple[list[str], list[str]]:
    """The footer below the body as sheet XML rows from Excel row ``first_row`` on, and the ranges it
    merges: per block the averages and predikat rows, then the unit's words. Spliced in with the
    body (``report.splice``): through xlsxwriter a province's 30,000 merged ranges cost most of a
    resubmission's time."""
    label_span = (positions["number"], positions["indicator"])
    columns = ("renstra_target", "renstra_last", "annual", *L.E81_QUARTERS, "year", "renstra_so_far", "renstra_rate")
    text_span = (positions["renstra_target"], positions["renstra_rate"] + 1)
    text_width = sum(widths[text_span[0]:text_span[1] + 1])
    unit_at, remarks_at = positions["unit"], positions["remarks"]
    label_width = sum(widths[label_span[0]:label_span[1] + 1])
    label_style, text_style, number_style = styles["label"], styles["text"], styles["number"]
    rows: list[str] = []
    merges: list[str] = []
    row = first_row

    def merged(first: int, last: int, text: str, style: int, value: float | None = None) -> list[str]:
        at = str(row)
        merges.append(f"{LETTERS[first]}{at}:{LETTERS[last]}{at}")
        head = (f'<c r="{LETTERS[first]}{at}" s="{style}"><v>{value!r}</v></c>' if value is not None
                else text_cell(LETTERS[first], at, text, style))
        return [head, *(f'<c r="{LETTERS[col]}{at}" s="{style}"/>' for col in range(first + 1, last + 1))]

    def finish(cells: list[str], label: str, text: str, unit: str) -> None:
        at = str(row)
        cells.append(text_cell(LETTERS[unit_at], at, unit, text_style))
        cells.append(f'<c r="{LETTERS[remarks_at]}{at}" s="{text_style}"/>')
        lines = max(_lines(label, label_width), _lines(text, text_width), _lines(unit, widths[unit_at]))
        rows.append(row_xml(at, cells, lines, LINE_HEIGHT))

    for block in blocks:
        for label, show in ((L.E81_AVERAGE, "average"), (L.E81_PREDIKAT, "predikat")):
            said = L.say(label, language)
            cells = merged(*label_span, said, label_style)
            for key in columns:
                first = positions[key]
                value = block.averages.get(key) if key in (*L.E81_QUARTERS, "year") else None
                value = round_half_up(value) if value is not None else None
                if value is None:
                    cells += merged(first, first + 1, "", text_style)
                elif show == "average":
                    cells += merged(first, first + 1, "", number_style, float(value))
                else:
                    cells += merged(first, first + 1, kategori(value) or "", text_style)
            finish(cells, said, "", block.unit)
            row += 1
        for key, label in L.E81_FOOTER_TEXTS if block.texts else ():
            said, text = L.say(label, language), block.texts.get(key) or "-"
            finish([*merged(*label_span, said, label_style), *merged(*text_span, text, text_style)],
                   said, text, block.unit)
            row += 1
    return rows, merges
