"""Loading a unit's workbook with openpyxl to annotate it, with its merged cells bound faster.

openpyxl binds each merged range by giving every edge cell the top-left cell's borders one side
at a time (``MergedCellRange.format``): each step builds a ``Border`` and looks it up among the
workbook's borders by a deep hash and compare. A request workbook's section rows are merged eleven
columns wide, so that was 55 % of loading one (20 ms of 36, measured on the example agency's
returns). ``load`` binds them to the very same styles — each distinct sequence of steps is made
once per range with openpyxl's own operations and copied to the other cells that take it — so the
workbook saves to the same parts (tests/test_feedback_loading.py compares them on every workbook
we write and on the wild corpus).
"""

from __future__ import annotations

import copy
import threading
from contextlib import contextmanager

_SIDES = ("top", "left", "right", "bottom")  # MergedCellRange.format's order
_lock = threading.Lock()


def load(source, **options):
    """``openpyxl.load_workbook(source, **options)``, merged ranges bound by ``bind_merged``."""
    import openpyxl

    with _merges_bound_by(bind_merged):
        return openpyxl.load_workbook(source, **options)


def bind_merged(worksheet, merged) -> None:
    """What ``Worksheet._clean_merge_range(merged)`` does, with each cell's style computed once
    per distinct sequence of border steps (in openpyxl's order, so the workbook's border list
    grows in the same order and the style ids come out the same)."""
    from openpyxl.cell.cell import MergedCell
    from openpyxl.styles.borders import Border
    from openpyxl.styles.cell_style import StyleArray

    cells = worksheet._cells
    first = (merged.min_row, merged.min_col)
    for row, column in merged.cells:
        if (row, column) != first:
            cells[row, column] = MergedCell(worksheet, row, column)
    start = merged.start_cell
    steps: dict[tuple[int, int], tuple] = {}
    made: dict[tuple, StyleArray] = {}
    for name in _SIDES:
        side = getattr(start.border, name)
        if side and side.style is None:
            continue
        border = Border(**{name: side})
        for coord in getattr(merged, name):
            cell = cells[coord]
            if coord == first:
                cell.border += border
                continue
            done = steps[coord] = (*steps.get(coord, ()), name)
            style = made.get(done)
            if style is None:
                cell.border += border
                made[done] = StyleArray(cell._style)
            else:
                cell._style = StyleArray(style)
    if start.protection is None:  # as openpyxl: never, a cell's protection is a proxy
        return
    start.protection = copy.copy(start.protection)  # one copy for the whole range, as openpyxl
    protection_id = start._style.protectionId
    for coord in merged.cells:
        if coord != first:
            cell = cells[coord]
            if cell._style is None:
                cell._style = StyleArray()
            cell._style.protectionId = protection_id


@contextmanager
def _merges_bound_by(binder):
    """openpyxl's worksheets bind merged ranges with ``binder`` while this lasts (one load at a
    time; the result is the same either way, so another thread's load meanwhile is unharmed)."""
    from openpyxl.worksheet.worksheet import Worksheet

    with _lock:
        stock = Worksheet.__dict__["_clean_merge_range"]
        Worksheet._clean_merge_range = binder
        try:
            yield
        finally:
            Worksheet._clean_merge_range = stock
