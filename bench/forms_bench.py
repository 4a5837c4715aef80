"""Formulir E.81 at provincial scale: 1,000 units x 500 indicators, three earlier rounds and this one.

The synthetic master (``bench.synth``) and a consolidated year built from it
(``synthetic_recap``: every unit answered TW1-TW3 and TW4, values and
spending per round, the year so far and texts, as ``consolidate`` leaves
them), then, in one process and the same run:

- **floor — bare write**: the same cells (every text and number of the
  written form, read back untimed) written by a constant-memory xlsxwriter
  workbook with no formats, merges, widths or page set-up;
- **sopkinerja E.81**: ``forms.e81.write`` (rows in DPA order, sums upward,
  notes, footer; the full form), without a cache (every row built).

Consolidation itself is measured by the run benchmark.
"""

from __future__ import annotations

import gc
import random
import tempfile
import time
from datetime import datetime
from pathlib import Path

TARGET = 1.3


def synthetic_recap(master, period: str = "2026-TW4", seed: int = 11):
    """A ``consolidate.Recap`` of ``period`` whose year's rounds were all answered by every unit."""
    import numpy as np
    import pandas as pd

    from sopkinerja.consolidate import Numbers, Recap, RoundValues, UnitRecap
    from sopkinerja.models import Period
    from sopkinerja.rules import capaian

    rng = random.Random(seed)
    current = Period.parse(period)
    rounds = [p.code for p in current.so_far()]
    indicators = [i for unit in master.units for i in master.indicators_of(unit.code)]
    first = {line.indicators[0]: line for line in master.budget_lines.values()}
    n = len(indicators)
    own = {code: np.array([round(rng.uniform(0, 30), 2) for _ in range(n)]) for code in rounds}
    spent = {}
    for code in rounds:
        spent[code] = np.array([float(rng.randrange(1, 50) * 100_000) if i.code in first and
                                first[i.code].effective_budget else np.nan for i in indicators])
    so_far = sum(own.values())
    budget = np.array([float(first[i.code].effective_budget) if i.code in first and first[i.code].effective_budget
                       else np.nan for i in indicators])
    spent_so_far = sum(spent.values())
    names = {u.code: u.name for u in master.units}
    table = pd.DataFrame({
        "kode_unit": [i.unit_code for i in indicators], "nama_unit": [names[i.unit_code] for i in indicators],
        "kode_indikator": [i.code for i in indicators], "indikator": [i.name for i in indicators],
        "satuan": [i.measure for i in indicators], "polaritas": [i.polarity for i in indicators],
        "sasaran": [i.objective for i in indicators], "program": [i.program for i in indicators],
        "kegiatan": [i.activity for i in indicators], "sub_kegiatan": [i.sub_activity for i in indicators],
        "metode": [i.method for i in indicators], "frekuensi": [i.frequency for i in indicators],
        "wajib": [True] * n, "target_tahunan": [i.target for i in indicators],
        "realisasi_sd": so_far, "realisasi_periode": own[period], "pagu": budget, "realisasi_anggaran": spent_so_far,
        "capaian_tahunan_persen": [capaian(r, i.target, i.polarity) for r, i in zip(so_far.tolist(), indicators,
                                                                                   strict=True)],
        "status_unit": ["diterima"] * n,
        "keterangan": [None if k % 7 else "Data sementara" for k in range(n)],
        "faktor_pendorong": ["Koordinasi yang baik"] * n, "faktor_penghambat": [None] * n,
        "tindak_lanjut": ["Rapat bulanan"] * n,
    })
    units = [UnitRecap(u.code, u.name, "accepted", True, None, None, 0, 0,
                       Numbers(annual_sum=80.0, annual_count=1), {code: 90.0 for code in rounds},
                       {"footer_drivers": "Komitmen pimpinan"}) for u in master.units]
    by_round = {code: RoundValues(own[code], spent[code], frozenset(names), 90.0) for code in rounds}
    return Recap(period, table, units, Numbers(annual_sum=80.0, annual_count=1), None, None, tuple(rounds), by_round)


def form_cells(path: Path) -> list[list]:
    """Every cell value of the written form (read back with calamine, untimed): what the bare
    write writes."""
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)


def bare_write(cells: list[list], path: Path) -> None:
    """The same cells, nothing else: what a script writing the form's values would do."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("E.81")
    for row, values in enumerate(cells):
        for column, value in enumerate(values):
            if isinstance(value, str):
                if value:
                    sheet.write_string(row, column, value)
            elif isinstance(value, (int, float)):
                sheet.write_number(row, column, value)
    workbook.close()


def run(units: int = 1000, indicators: int = 500) -> dict:
    import shutil

    from bench.synth import make_workspace
    from sopkinerja.config import load_config
    from sopkinerja.forms import e81
    from sopkinerja.master import load_master

    tmp = Path(tempfile.mkdtemp(prefix="sk-formsbench-"))
    try:
        root = make_workspace(tmp / "ws", units, indicators)
        config = load_config(root)
        master = load_master(root / "input" / "master").master
        recap = synthetic_recap(master)
        gc.collect()
        gc.freeze()  # the big master and recap stay; neither side pays the cyclic GC for them
        created = datetime(2027, 1, 12, 9, 0)
        start = time.perf_counter()
        e81.write(recap, master, config, [], tmp / "e81.xlsx", "12 Januari 2027", "id", created)
        ours = time.perf_counter() - start
        cells = form_cells(tmp / "e81.xlsx")
        start = time.perf_counter()
        bare_write(cells, tmp / "bare.xlsx")
        bare = time.perf_counter() - start
        rows = len(cells)
        size = (tmp / "e81.xlsx").stat().st_size
        return {"units": units, "indicators": indicators, "rows": rows, "ours_s": ours, "bare_s": bare,
                "ratio": ours / bare, "target_ratio": TARGET, "file_mb": size / 2**20}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
