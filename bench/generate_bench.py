"""generate: per-workbook time against a bare xlsxwriter write of the same shape (same run)."""

from __future__ import annotations

import gc
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.synth import make_workspace
from sopkinerja import layout as L
from sopkinerja.generate import generate, sheet_rows
from sopkinerja.workspace import open_workspace

NOW = datetime.fromisoformat("2026-09-28T08:00:00+07:00")


def bare_write(master, period, folder: Path) -> float:
    """The floor: one process, same rows and columns, plain values, no styles or protection."""
    import xlsxwriter

    folder.mkdir(parents=True, exist_ok=True)
    layout = L.layout_for(period)
    width = len(layout.columns)
    started = time.perf_counter()
    for unit in master.units:
        rows = sheet_rows(master.indicators_of(unit.code), period, master.budget_lines)
        workbook = xlsxwriter.Workbook(str(folder / f"{unit.code}.xlsx"))
        sheet = workbook.add_worksheet(L.DATA_SHEET)
        for col, column in enumerate(layout.columns):
            sheet.write_string(0, col, column.label)
        for r, row in enumerate(rows, 1):
            if row.kind == "group":
                sheet.write_string(r, 1, row.text)
                continue
            values = row.values
            # Every column of the shape holds a plain value (xlsxwriter drops an
            # unformatted blank, which would make the floor narrower than the sheet).
            for col in range(width - 2):
                sheet.write_number(r, col, 0)
            for key in ("code", "name", "measure", "polarity", "method_label"):
                if values.get(key):
                    sheet.write_string(r, layout.index(key if key != "method_label" else "method"), values[key])
            sheet.write_string(r, width - 2, row.key)
            sheet.write_string(r, width - 1, "SK-0000-0000-0000-0000")
        workbook.close()
    return time.perf_counter() - started


def run(units: int, indicators: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="sk-bench-") as tmp:
        root = make_workspace(Path(tmp) / "ws", units, indicators)
        workspace = open_workspace(root)
        master = workspace.master().master
        # The floor must not pay for the big master held in this process: freeze
        # it out of the cyclic GC's sight while the bare write runs.
        gc.collect()
        gc.freeze()
        try:
            bare = bare_write(master, workspace.config.period, Path(tmp) / "bare")
        finally:
            gc.unfreeze()
        started = time.perf_counter()
        result = generate(workspace, lambda: NOW)
        ours = time.perf_counter() - started
        assert len(result.workbooks) == units
    return {
        "units": units, "indicators": indicators, "cores": os.cpu_count(),
        "bare_total_s": bare, "generate_total_s": ours,
        "bare_per_workbook_ms": bare / units * 1000, "generate_per_workbook_ms": ours / units * 1000,
        "ratio": ours / bare, "target_ratio": 1.3,
    }
