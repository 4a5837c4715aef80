"""Synthetic agencies of any size: a workspace with N units x M indicators."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from sopkinerja.i18n import Messages
from sopkinerja.master import INDICATOR_COLUMNS, UNIT_COLUMNS
from sopkinerja.workspace import init_workspace

MEASURES = ("%", "dokumen", "laporan", "kegiatan", "indeks", "orang")


def make_workspace(root: Path, units: int, indicators: int, seed: int = 7) -> Path:
    """An example workspace whose master is a CSV folder of the requested size."""
    init_workspace(root, example=True, today=date(2026, 9, 28), messages=Messages("id"))
    folder = root / "input" / "master"
    folder.mkdir()
    rng = random.Random(seed)
    unit_lines = [";".join(UNIT_COLUMNS)]
    indicator_lines = [";".join(INDICATOR_COLUMNS)]
    for u in range(units):
        code = f"U{u:04d}"
        unit_lines.append(f"{code};Bidang Sintetis {u:04d};Kepala {u};19800101200501{1000 + u % 9000:04d};u{u}@x.go.id")
        for i in range(indicators):
            program = f"5.01.{(i // 100) + 1:02d} Program Sintetis {(i // 100) + 1}"
            activity = f"{program.split()[0]}.2.{(i // 20) % 5 + 1:02d} Kegiatan Sintetis {(i // 20) + 1}"
            # Three indicators per sub kegiatan, its pagu given once on the first (product.md §2).
            sub = f"{activity.split()[0]}.{u:04d}.{i // 3 + 1:04d} Sub Kegiatan Sintetis {i // 3 + 1}"  # one unit's
            target = rng.choice((4, 12, 85, 100, 72.5))
            quarters = [str(round(target * q / 4, 2)).replace(".", ",") for q in (1, 2, 3, 4)]
            row = {"kode_unit": code, "kode": f"{code}-{i:04d}", "sasaran": "Sasaran sintetis", "program": program,
                   "kegiatan": activity, "sub_kegiatan": sub,
                   "indikator": f"Indikator sintetis nomor {i} untuk unit {code} dengan nama yang cukup panjang",
                   "satuan": rng.choice(MEASURES), "polaritas": "-" if i % 11 == 0 else "+",
                   "target": str(target).replace(".", ","),
                   **{f"target_tw{q}": quarters[q - 1] for q in (1, 2, 3, 4)},
                   "pagu": str(rng.randrange(10, 500) * 1_000_000) if i % 3 == 0 else ""}
            indicator_lines.append(";".join(row.get(name, "") for name in INDICATOR_COLUMNS))
    (folder / "Unit.csv").write_text("\n".join(unit_lines) + "\n", encoding="utf-8")
    (folder / "Indikator.csv").write_text("\n".join(indicator_lines) + "\n", encoding="utf-8")
    config = root / "sopkinerja.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        'master = "input/master.xlsx"', 'master = "input/master"'), encoding="utf-8")
    return root
