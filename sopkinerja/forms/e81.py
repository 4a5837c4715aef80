"""Formulir E.81 (Permendagri 86/2017, evaluasi hasil Renja Perangkat Daerah) from the recap.

``rows`` builds the form's body in DPA order — program, kegiatan, sub kegiatan
(Rp on each, summed upward), indicators (K) — from the consolidated year
(``consolidate.Recap``: the table and each round's own values) and the
master's Renstra columns; ``write`` lays it out as ``forms.layouts`` says,
with xlsxwriter in constant-memory mode (a province's form has 600,000 rows).
Every unit value is written as a number or a string, never a formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from sopkinerja.forms import layouts as L
from sopkinerja.forms.sheet import Formats, open_workbook, page_setup, signature_block, write_title
from sopkinerja.models import Period
from sopkinerja.rules import capaian, kategori, round_half_up, serapan

MEASURED = tuple(c.key for c in L.E81_COLUMNS if c.pair)  # the K / Rp pairs, columns 5-14
_AT = {key: index for index, key in enumerate(MEASURED)}
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
    title: list[str]
    rows: list[FormRow]
    footers: list[FooterBlock]


def build(recap, master, config, issues, language: str) -> E81:
    """The form of ``recap``'s round: the year's rounds so far in their quarter columns."""
    period = Period.parse(recap.period)
    table = recap.table
    col = {name: table[name].tolist() for name in (
        "kode_unit", "kode_indikator", "indikator", "sasaran", "program", "kegiatan", "sub_kegiatan", "metode",
        "polaritas", "target_tahunan", "realisasi_sd", "realisasi_periode", "pagu", "realisasi_anggaran",
        "keterangan", "wajib", "status_unit", "frekuensi", "faktor_pendorong", "faktor_penghambat",
        "tindak_lanjut")}
    for name in TEXT_COLUMNS:
        if name in col:
            col[name] = [v if isinstance(v, str) else "" for v in col[name]]
    indicators = {i.code: i for i in master.indicators}
    names = {u.code: u.name for u in master.units}
    lines = master.budget_lines
    rejected_revision = {i.unit for i in issues if i.code == "revision-rejected"}
    quarter_of = {code: L.E81_ROUND_COLUMN[Period.parse(code).kind][Period.parse(code).number]
                  for code in recap.rounds}
    rounds = [(code, quarter_of[code], recap.by_round[code]) for code in recap.rounds if code in recap.by_round]
    due_then = {code: Period.parse(code) for code in recap.rounds}

    first_row = {line.indicators[0]: line for line in lines.values()}
    row_of = {code: index for index, code in enumerate(col["kode_indikator"])}

    # The tree in DPA order: program -> kegiatan -> sub kegiatan -> indicator rows (table indices).
    tree: dict = {}
    for index in range(len(col["kode_indikator"])):
        program, activity, sub = col["program"][index], col["kegiatan"][index], col["sub_kegiatan"][index]
        tree.setdefault(program, {}).setdefault(activity, {}).setdefault(sub, []).append(index)

    def indicator_row(index: int) -> FormRow:
        code = col["kode_indikator"][index]
        indicator = indicators[code]
        row = FormRow("indicator", "", "", "", col["indikator"][index], unit=names[col["kode_unit"][index]])
        k = row.k
        k[_AT["renstra_target"]] = indicator.renstra_target
        k[_AT["renstra_last"]] = indicator.renstra_actual_last
        k[_AT["annual"]] = _value(col["target_tahunan"][index])
        for _, quarter, values in rounds:
            k[_AT[quarter]] = _value(values.actual[index])
        year = _value(col["realisasi_sd"][index])
        k[_AT["year"]] = year
        last = k[_AT["renstra_last"]]
        so_far = year if col["metode"][index] != "kumulatif" else (
            None if year is None or last is None else year + last)
        k[_AT["renstra_so_far"]] = so_far
        k[_AT["renstra_rate"]] = capaian(so_far, k[_AT["renstra_target"]], col["polaritas"][index])
        row.decimals = _decimals([v for key, v in zip(MEASURED, k, strict=True) if key != "renstra_rate"])
        if code in first_row and first_row[code].key.startswith("IND "):  # its own pagu, without a sub kegiatan
            _budget(row, index, first_row[code], col, rounds)
        row.remarks = _remarks(index, code, indicator, col, rounds, due_then, rejected_revision, language)
        return row

    rows: list[FormRow] = []
    objectives: list[str] = []
    numbers = [0, 0, 0]  # the running No of program, kegiatan, sub kegiatan

    def level(depth: int, name: str, members: list[int]) -> FormRow | None:
        """The row of a named program (0), kegiatan (1) or sub kegiatan (2); None for an empty level."""
        if not name:
            return None
        numbers[depth] += 1
        numbers[depth + 1:] = [0] * (2 - depth)
        number = ".".join(str(n) for n in numbers[:depth + 1])
        row = FormRow(KINDS[depth], number, "", name, "", unit=_one_unit(members, col, names))
        rows.append(row)
        return row

    for program in sorted(tree, key=dpa_key):
        activities = tree[program]
        members = [i for subs in activities.values() for found in subs.values() for i in found]
        found_objectives = list(dict.fromkeys(col["sasaran"][i] for i in members if col["sasaran"][i]))
        objectives += found_objectives
        program_row = level(0, program, members)
        if program_row is not None:
            program_row.objective = "; ".join(found_objectives)
        program_children: list[FormRow] = []  # the rows whose Rp add up to the program's
        for activity in sorted(activities, key=dpa_key):
            subs = activities[activity]
            activity_row = level(1, activity, [i for found in subs.values() for i in found])
            activity_children: list[FormRow] = []
            for sub in sorted(subs, key=dpa_key):
                found = subs[sub]
                sub_row = level(2, sub, found)
                if sub_row is not None:
                    line = lines.get(indicators[col["kode_indikator"][found[0]]].budget_key)
                    if line is not None:
                        _budget(sub_row, row_of[line.indicators[0]], line, col, rounds)
                    activity_children.append(sub_row)
                for index in found:
                    row = indicator_row(index)
                    rows.append(row)
                    if sub_row is None and any(v is not None for v in row.rp):
                        activity_children.append(row)  # an indicator with its own pagu
            if activity_row is not None:
                _sum_up(activity_row, activity_children)
                program_children.append(activity_row)
            else:
                program_children += activity_children
        if program_row is not None:
            _sum_up(program_row, program_children)

    title = _title(config, period, list(dict.fromkeys(objectives)), language)
    return E81(title, rows, _footers(recap, col, rounds, language))


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


def _one_unit(members: list[int], col, names) -> str:
    units = list(dict.fromkeys(col["kode_unit"][i] for i in members))
    return names[units[0]] if len(units) == 1 else ""


def _decimals(values) -> int:
    """The indicator's decimals: as many as its numbers use, at most 2."""
    places = 0
    for value in values:
        if value is None:
            continue
        for candidate in (0, 1, 2):
            if abs(round(value, candidate) - value) < 1e-9:
                places = max(places, candidate)
                break
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


def _sum_up(parent: FormRow, children: list[FormRow]) -> None:
    """A program's or kegiatan's Rp: the sums of its sub kegiatan's (over those that have it)."""
    for key in ("renstra_target", "renstra_last", "annual", *L.E81_QUARTERS):
        known = [c.rp[_AT[key]] for c in children if c.rp[_AT[key]] is not None]
        parent.rp[_AT[key]] = math.fsum(known) if known else None
    known = [c.rp[_AT["year"]] for c in children if c.rp[_AT["year"]] is not None]
    _derive_rp(parent, math.fsum(known) if known else None)


def _remarks(index, code, indicator, col, rounds, due_then, rejected_revision, language) -> str:
    """Keterangan: the unit's own text, then the tool's notes on where a value is missing from."""
    notes = [col["keterangan"][index]] if col["keterangan"][index] else []
    unit = col["kode_unit"][index]
    status = col["status_unit"][index]
    if status == "diterima" and col["wajib"][index] and _value(col["realisasi_periode"][index]) is None:
        notes.append(L.say(L.NOTE_NOT_AVAILABLE, language))
    if unit in rejected_revision:
        notes.append(L.say(L.NOTE_REVISION_REJECTED, language))
    missing, late, rejected = [], [], []
    for round_code, quarter, values in rounds:
        name = L.say(L.ROUND_NAMES[quarter], language)
        if code in values.late:
            late.append(name)
        elif values.collected and unit not in values.answered and indicator.due(due_then[round_code]):
            # This round's answer is known to be rejected; an earlier round's not accepted is "not in".
            (rejected if round_code == rounds[-1][0] and status == "ditolak" else missing).append(name)
    if missing:
        notes.append(L.say(L.NOTE_ROUND_MISSING, language).format(round=", ".join(missing)))
    if rejected:
        notes.append(L.say(L.NOTE_ROUND_REJECTED, language).format(round=", ".join(rejected)))
    if late:
        notes.append(L.say(L.NOTE_ENTERED_LATE, language).format(round=", ".join(late)))
    return "; ".join(notes)


def _title(config, period: Period, objectives: list[str], language: str) -> list[str]:
    agency = config.agency
    values = {"agency": agency.name, "region": agency.region, "year": period.year,
              "objectives": "; ".join(objectives) if objectives else "-"}
    return [L.say(line, language).format(**values) for line in L.E81_TITLE]


def _footers(recap, col, rounds, language: str) -> list[FooterBlock]:
    """The agency's averages first, then each unit's averages and words (its footer cells, else
    its indicators' own words)."""
    def averages(per_round: dict, year: float | None) -> dict[str, float | None]:
        out = {quarter: per_round.get(code) for code, quarter, _ in rounds}
        out["year"] = year
        return out

    agency_rounds = {code: values.average for code, _, values in rounds}
    blocks = [FooterBlock(L.say(L.E81_AGENCY, language), averages(agency_rounds, recap.total.annual_average), {})]
    own: dict[str, dict[str, list[str]]] = {}
    for index, unit in enumerate(col["kode_unit"]):
        for column in set(L.E81_FOOTER_FALLBACK.values()):
            text = col[column][index]
            if text:
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


def write(form: E81, path: Path, signatures, signed_on: str, language: str, created) -> None:
    """The form as an .xlsx: title block, two-level header with the numbered row, body, footer and
    signature block; A4 landscape, one page wide, header rows repeated, panes frozen."""
    workbook = open_workbook(path, form.title[0], created, constant_memory=True)
    f = Formats(workbook)
    sheet = workbook.add_worksheet("E.81")
    positions = L.sheet_columns(L.E81_COLUMNS)
    width = L.sheet_width(L.E81_COLUMNS)
    widths = _widths(form)
    for index, chars in enumerate(widths):
        sheet.set_column(index, index, chars)
    row = write_title(sheet, form.title, width, f, sum(widths))
    header = row
    for column in L.E81_COLUMNS:
        first = positions[column.key]
        label = L.say(column.label, language)
        if column.pair:
            sheet.merge_range(row, first, row, first + 1, label, f.header)
        else:
            sheet.write_string(row, first, label, f.header)
    sheet.set_row(row, 72)
    row += 1
    for column in L.E81_COLUMNS:
        first = positions[column.key]
        if column.pair:
            sheet.write_string(row, first, L.say(L.K, language), f.header)
            sheet.write_string(row, first + 1, L.say(L.RP, language), f.header)
        else:  # merged down over the K / Rp row, its label already in the row above
            sheet.write_blank(row, first, None, f.header)
            # In constant memory merge_range cannot reach back to the row above once this row has a
            # cell; the merge itself is only this list, written at the end (xlsxwriter's own).
            sheet.merge.append([row - 1, first, row, first])
    row += 1
    for column in L.E81_COLUMNS:  # the numbered row
        first = positions[column.key]
        if column.pair:
            sheet.merge_range(row, first, row, first + 1, str(column.number), f.numbered)
        else:
            sheet.write_string(row, first, str(column.number), f.numbered)
    page_setup(sheet, header, row, width)
    row += 1
    text_at = [positions[key] for key in ("number", "objective", "program", "indicator")]
    unit_at, remarks_at = positions["unit"], positions["remarks"]
    pairs = [positions[key] for key in MEASURED]
    rate = _AT["renstra_rate"]
    wrapped = [(positions[key], widths[positions[key]]) for key in ("objective", "program", "indicator", "unit",
                                                                    "remarks")]
    for item in form.rows:
        kind = item.kind
        texts = f.texts[kind]
        lines = max(_lines(text, chars) for text, (_, chars) in zip(
            (item.objective, item.name, item.indicator, item.unit, item.remarks), wrapped, strict=True))
        if lines > 1:
            sheet.set_row(row, LINE_HEIGHT * lines + 2)
        for position, text in zip(text_at, (item.number, item.objective, item.name, item.indicator), strict=True):
            sheet.write_string(row, position, text, texts) if text else sheet.write_blank(row, position, None, texts)
        k_format = f.number(kind, item.decimals)
        for index, position in enumerate(pairs):
            value = item.k[index]
            if value is None:
                sheet.write_blank(row, position, None, texts)
            else:
                sheet.write_number(row, position, value, f.number(kind, 2) if index == rate else k_format)
            value = item.rp[index]
            if value is None:
                sheet.write_blank(row, position + 1, None, texts)
            else:
                sheet.write_number(row, position + 1, value, f.number(kind, 2) if index == rate else f.rupiah[kind])
        for position, text in ((unit_at, item.unit), (remarks_at, item.remarks)):
            sheet.write_string(row, position, text, texts) if text else sheet.write_blank(row, position, None, texts)
        row += 1
    row = _write_footers(sheet, form.footers, row, positions, f, language, widths)
    signature_block(sheet, row + 1, signatures, signed_on, language, f,
                    left=(positions["objective"], positions["indicator"]),
                    right=(positions["renstra_so_far"], positions["remarks"]))
    workbook.close()


LINE_HEIGHT = 11.5  # points per line of 9-point text


def _lines(text: str, chars: float) -> int:
    """How many lines ``text`` wraps to in a column ``chars`` wide (9-point text in a width measured
    in 11-point characters; words wrap whole, hence the slack)."""
    if not text:
        return 1
    fits = max(chars * 1.1 - 2, 4)
    return sum(max(1, math.ceil(len(part) / fits)) for part in text.split("\n"))


def _widths(form: E81) -> list[float]:
    """Each sheet column's width: the layout's, widened where a number would not fit (never "###")."""
    widths = [float(w) for column in L.E81_COLUMNS for w in column.widths]
    positions = L.sheet_columns(L.E81_COLUMNS)
    largest = [[0.0, 0.0] for _ in MEASURED]
    for item in form.rows:
        for index in range(len(MEASURED)):
            for side, value in ((0, item.k[index]), (1, item.rp[index])):
                if value is not None and abs(value) > largest[index][side]:
                    largest[index][side] = abs(value)
    for index, key in enumerate(MEASURED):
        for side in (0, 1):
            digits = len(f"{largest[index][side]:,.0f}") + 3 + 1  # separators, 2 decimals, a sign
            at = positions[key] + side
            widths[at] = max(widths[at], digits * 0.85 + 1.5)  # 9-point digits in 11-point characters
    return widths


def _write_footers(sheet, blocks: list[FooterBlock], row: int, positions, f, language: str,
                   widths: list[float]) -> int:
    label_span = (positions["number"], positions["indicator"])
    columns = ("renstra_target", "renstra_last", "annual", *L.E81_QUARTERS, "year", "renstra_so_far", "renstra_rate")
    text_span = (positions["renstra_target"], positions["renstra_rate"] + 1)
    text_width = sum(widths[text_span[0]:text_span[1] + 1])
    unit_at, remarks_at = positions["unit"], positions["remarks"]
    label_width = sum(widths[label_span[0]:label_span[1] + 1])

    def height(label: str, text: str, unit: str) -> None:
        lines = max(_lines(label, label_width), _lines(text, text_width), _lines(unit, widths[unit_at]))
        if lines > 1:
            sheet.set_row(row, LINE_HEIGHT * lines + 2)

    for block in blocks:
        for label, show in ((L.E81_AVERAGE, "average"), (L.E81_PREDIKAT, "predikat")):
            height(L.say(label, language), "", block.unit)
            sheet.merge_range(row, label_span[0], row, label_span[1], L.say(label, language), f.footer_label)
            for key in columns:
                first = positions[key]
                value = block.averages.get(key) if key in (*L.E81_QUARTERS, "year") else None
                value = round_half_up(value) if value is not None else None
                if value is None:
                    sheet.merge_range(row, first, row, first + 1, "", f.footer_text)
                elif show == "average":
                    sheet.merge_range(row, first, row, first + 1, "", f.footer_number)
                    sheet.write_number(row, first, value, f.footer_number)
                else:
                    sheet.merge_range(row, first, row, first + 1, kategori(value) or "", f.footer_text)
            sheet.write_string(row, unit_at, block.unit, f.footer_text)
            sheet.write_blank(row, remarks_at, None, f.footer_text)
            row += 1
        for key, label in L.E81_FOOTER_TEXTS if block.texts else ():
            height(L.say(label, language), block.texts.get(key) or "-", block.unit)
            sheet.merge_range(row, label_span[0], row, label_span[1], L.say(label, language), f.footer_label)
            sheet.merge_range(row, text_span[0], row, text_span[1], block.texts.get(key) or "-", f.footer_text)
            sheet.write_string(row, unit_at, block.unit, f.footer_text)
            sheet.write_blank(row, remarks_at, None, f.footer_text)
            row += 1
    return row
