"""What the official forms share on the sheet: the workbook, formats, page set-up, the title block
and the signature block (``[penandatangan]``)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from sopkinerja.forms import layouts as L

_BORDER = {"border": 1, "valign": "top", "font_size": 9}
_FILLS = {"program": "#D9E1F2", "activity": "#EDF2F9", "sub_activity": "#F7F9FC", "indicator": None}
NUMBER_FORMATS = ("#,##0", "#,##0.0", "#,##0.00")


def open_workbook(path: Path, title: str, created, constant_memory: bool = False):
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {
        "constant_memory": constant_memory, "strings_to_numbers": False, "strings_to_formulas": False,
        "strings_to_urls": False, "nan_inf_to_errors": False})
    # The run's time, not the wall clock: the same inputs give the same bytes.
    workbook.set_properties({"title": title, "author": "sopkinerja", "created": created})
    return workbook


class Formats:
    """The forms' cell formats, made once per workbook (xlsxwriter shares equal ones)."""

    def __init__(self, workbook):
        add = workbook.add_format
        self.title = add({"bold": True, "font_size": 12, "align": "center", "valign": "vcenter"})
        self.subtitle = add({"font_size": 10, "align": "center", "valign": "vcenter", "text_wrap": True})
        self.header = add({**_BORDER, "bold": True, "text_wrap": True, "align": "center", "valign": "vcenter",
                           "bg_color": "#D9D9D9"})
        self.numbered = add({**_BORDER, "italic": True, "align": "center", "bg_color": "#F2F2F2"})
        self.texts, self.rupiah, self._numbers = {}, {}, {}
        for kind, fill in _FILLS.items():
            style = {**_BORDER, **({"bg_color": fill} if fill else {}),
                     **({"bold": True} if kind in ("program", "activity") else {})}
            self.texts[kind] = add({**style, "text_wrap": True})
            self.rupiah[kind] = add({**style, "num_format": "#,##0"})
            for places, code in enumerate(NUMBER_FORMATS):
                self._numbers[(kind, places)] = add({**style, "num_format": code})
        self.footer_label = add({**_BORDER, "bold": True, "text_wrap": True, "bg_color": "#F2F2F2"})
        self.footer_text = add({**_BORDER, "text_wrap": True})
        self.footer_number = add({**_BORDER, "num_format": "#,##0.00", "align": "center"})
        self.sign = add({"align": "center", "font_size": 10})
        self.sign_name = add({"align": "center", "font_size": 10, "bold": True, "underline": True})
        self.sign_blank = add({"align": "center", "font_size": 10, "bottom": 1})

    def number(self, kind: str, places: int):
        return self._numbers[(kind, min(max(places, 0), 2))]


def write_title(sheet, lines: list[str], width: int, f: Formats, chars: float = 150) -> int:
    """The title lines, each merged across the form's ``width`` columns (``chars`` wide together);
    returns the row after them and an empty one."""
    for row, line in enumerate(lines):
        wraps = 1 + int(len(line) // max(chars * 0.9, 20))
        if wraps > 1:
            sheet.set_row(row, 14 * wraps)
        sheet.merge_range(row, 0, row, width - 1, line, f.title if row < 2 else f.subtitle)
    return len(lines) + 1


def page_setup(sheet, header_first: int, header_last: int, width: int) -> None:
    """A4 landscape, one page wide, the header rows on every page, the panes frozen below them."""
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    sheet.repeat_rows(header_first, header_last)
    sheet.freeze_panes(header_last + 1, 1)
    sheet.set_footer("&R&8&P / &N")


def signature_block(sheet, row: int, signatures, signed_on: str, language: str, f: Formats,
                    left: tuple[int, int], right: tuple[int, int]) -> int:
    """"Disusun" (the drafter) on the left, "Dievaluasi" (the head) on the right, the place and the
    date above both; blank names leave a line to sign on. Returns the row after the block."""
    place = signatures.place
    dated = L.say(L.SIGNATURE_PLACE_DATE, language).format(place=place, date=signed_on) if place else signed_on
    people = (
        (left, L.SIGNATURE_DRAFTED, signatures.drafter_position, signatures.drafter_name, signatures.drafter_nip),
        (right, L.SIGNATURE_EVALUATED, signatures.head_position, signatures.head_name, signatures.head_nip),
    )
    blocks = []
    for span, role, position, name, nip in people:
        lines = [(dated, f.sign), (L.say(role, language), f.sign), (position, f.sign)]
        lines += [("", None)] * L.SIGNATURE_SPACE
        lines += [(name, f.sign_name if name else f.sign_blank),
                  (L.say(L.SIGNATURE_NIP, language).format(nip=nip) if nip else "NIP.", f.sign)]
        blocks.append((span, lines))
    for offset in range(len(blocks[0][1])):  # row by row: the sheet may be written in constant memory
        for (first, last), lines in blocks:
            text, style = lines[offset]
            if style is not None:
                sheet.merge_range(row + offset, first, row + offset, last, text, style)
    return row + 3 + L.SIGNATURE_SPACE + 2


# --- a form's body as sheet XML (spliced into the workbook: report.splice) -----------------------

BLOCK_ROWS = 2000  # rows per deflated block
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$|\n")


def text_cell(letter: str, row: str, value: str, style: int) -> str:
    """One text cell as xlsxwriter's ``write_string`` (or ``write_blank`` for ""), inline."""
    if not value:
        return f'<c r="{letter}{row}" s="{style}"/>'
    return f'<c r="{letter}{row}" s="{style}"{inline_text(value)}'


@functools.lru_cache(maxsize=1 << 14)  # the forms repeat their sasaran, units, satuan, predikat and words
def inline_text(value: str) -> str:
    """A non-empty text cell's XML after its reference and style: its type, its text, its end."""
    if _SPECIAL.search(value):
        from sopkinerja.report.splice import escape

        space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
        return f' t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>'
    return f' t="inlineStr"><is><t>{value}</t></is></c>'


def number_cell(letter: str, row: str, value, style: int, blank: int) -> str:
    """One number (a blank cell in style ``blank`` for None or NaN)."""
    if value is None or value != value:
        return f'<c r="{letter}{row}" s="{blank}"/>'
    return f'<c r="{letter}{row}" s="{style}"><v>{float(value)!r}</v></c>'


def row_xml(row: str, cells: list[str], lines: int, line_height: float) -> str:
    """A ``<row>`` tall enough for ``lines`` lines of wrapped text."""
    height = f' ht="{line_height * lines + 2:g}" customHeight="1"' if lines > 1 else ""
    return f'<row r="{row}"{height}>{"".join(cells)}</row>'


def blocks_of(rows) -> list:
    """Row XML strings as deflated blocks of ``BLOCK_ROWS`` rows (level 1: measured, the size
    costs little and the time halves)."""
    from sopkinerja.report.splice import Block

    blocks, parts = [], []
    for xml in rows:
        parts.append(xml)
        if len(parts) == BLOCK_ROWS:
            blocks.append(Block.of("".join(parts)))
            parts = []
    if parts:
        blocks.append(Block.of("".join(parts)))
    return blocks


def xf(style) -> int:
    """The xf index xlsxwriter gives a format (assigned when asked; ask before ``close``)."""
    return style._get_xf_index()
