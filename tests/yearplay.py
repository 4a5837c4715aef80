"""The example agency's year played through the CLI (issue 16): TW1-TW4 with `period` between
them, SEK answering every round, PPM missing TW2 and entering it late in TW3, the other units never
answering. Shared by the year's tests and the forms' (``conftest.year``, once per session)."""

from __future__ import annotations

import csv
import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
from conftest import col, data_rows, is_budget_row, log_col

from sopkinerja import layout as L
from sopkinerja.example import example_master
from sopkinerja.models import Period

MASTER = example_master()
# The rounds of the example agency's year: requests out, deadline, returns, the recap run.
ROUNDS = {
    "2026-TW1": ("2026-04-01T08:00:00+07:00", "2026-04-10T16:00", "2026-04-08T10:00:00+07:00",
                 "2026-04-13T09:00:00+07:00"),
    "2026-TW2": ("2026-07-01T08:00:00+07:00", "2026-07-10T16:00", "2026-07-08T10:00:00+07:00",
                 "2026-07-13T09:00:00+07:00"),
    "2026-TW3": ("2026-10-01T08:00:00+07:00", "2026-10-09T16:00", "2026-10-07T10:00:00+07:00",
                 "2026-10-12T09:00:00+07:00"),
    "2026-TW4": ("2027-01-04T08:00:00+07:00", None, "2027-01-08T10:00:00+07:00", "2027-01-12T09:00:00+07:00"),
}
# What SEK types each quarter (its own result for counts, the level for the others), by row key.
SEK_PLAN = {
    "SEK-01": (1, 1, 1, 1),  # kumulatif, target s.d. TW 1/2/3/4 of 4
    "SEK-04": (None, None, None, 70),  # Nilai SAKIP: tahunan, due in TW4 only (target 72)
    "SEK-05": (None, 6, None, 4.5),  # % temuan, lower is better, semesteran (target 5)
    "SEK-06": (66, 67, 68, 68),  # nilai_akhir by the master (target 68)
    "SEK-08": (12, 10, 9, 9),  # rata_rata hari, lower is better (target 10)
    "SUB 5.01.01.2.01.0001": (20e6, 20e6, 20e6, 20e6),  # SEK-01's sub kegiatan, pagu 85 juta
    "SUB 5.01.01.2.06.0009": (50e6, 50e6, 50e6, 50e6),  # pagu 180 juta, APBD-P 210 juta
}
# PPM answers TW1, misses TW2, and in TW3 types TW2's values late into the TW II column.
PPM_PLAN = {"PPM-08": (2, None, 2, 2), "SUB 5.01.03.2.01.0008": (10e6, None, 10e6, 10e6)}
PPM_LATE = {("PPM-08", "before_tw2"): 2, ("SUB 5.01.03.2.01.0008", "before_tw2"): 10e6}
TEXTS = {"drivers": "Dukungan <b>pimpinan</b> & koordinasi", "obstacles": "Data terlambat",
         "follow_up": "Rapat bulanan", "evidence": "Notulen rapat"}
FOOTER = {"footer_drivers": "Komitmen pimpinan", "footer_obstacles": "Tenaga teknis terbatas",
          "footer_next_quarter": "Percepat pengumpulan data", "footer_next_renja": "Sesuaikan target"}


def _default(indicator, period: Period):
    """A plausible value for an indicator the plan does not name (so the return is complete)."""
    if indicator.method == "kumulatif":
        return 1
    return indicator.target_for(period) or indicator.target or 1


def fill_request(source: Path, target: Path, plan: dict, quarter: int, received: str, late: dict | None = None,
                 note: dict | None = None, master=MASTER) -> Path:
    """Fill a request workbook of any round as the unit would: every due indicator and every
    sub kegiatan's spending (the plan's value, else a plausible one), the texts, the footer and
    Log Proses; ``late`` fills earlier rounds' open columns; the file's time is the receipt time."""
    workbook = openpyxl.load_workbook(source)
    data = workbook[L.DATA_SHEET]
    period_code = {r[0].value: r[1].value for r in workbook[L.META_SHEET].iter_rows()}["periode"]
    period = Period.parse(period_code)
    at = lambda key: col(key, period_code)  # noqa: E731
    indicators = {i.code: i for i in master.indicators}
    for key, row in data_rows(data).items():
        planned = plan.get(key, (None,) * 4)[quarter - 1]
        if is_budget_row(key):
            data.cell(row=row, column=at("spent")).value = planned if planned is not None else 1e6
            continue
        indicator = indicators[key]
        if planned is None and key not in plan and indicator.due(period):
            planned = _default(indicator, period)
        data.cell(row=row, column=at("actual")).value = planned
        for field, text in TEXTS.items():
            data.cell(row=row, column=at(field)).value = text
    rows = data_rows(data)
    for (key, field), value in (late or {}).items():
        data.cell(row=rows[key], column=at(field)).value = value
    for key, text in (note or {}).items():
        data.cell(row=rows[key], column=at("note")).value = text
    labels = {label: key for key, label in L.FOOTER}
    for row in range(1, data.max_row + 1):
        key = labels.get(data.cell(row=row, column=at("code")).value)
        if key:
            data.cell(row=row, column=at("measure")).value = FOOTER[key]
    log = workbook[L.LOG_SHEET]
    day = datetime.fromisoformat(received).replace(tzinfo=None) - timedelta(days=5)
    for offset, row in enumerate(range(L.LOG_HEADER_ROW + 2, L.LOG_HEADER_ROW + 7)):
        log.cell(row=row, column=log_col("start")).value = (day + timedelta(days=offset)).replace(hour=8)
        log.cell(row=row, column=log_col("end")).value = (day + timedelta(days=offset)).replace(hour=15)
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
    stamp = datetime.fromisoformat(received).timestamp()
    os.utime(target, (stamp, stamp))
    return target


def _csv(root: Path, period: str) -> dict:
    with open(root / "output" / period / f"rekap-kinerja-{period}.csv", encoding="utf-8-sig") as handle:
        return {r["kode_indikator"]: r for r in csv.DictReader(handle)}


def _numbers(row: dict, *columns: str) -> tuple:
    return tuple(None if row[c] == "" else float(row[c]) for c in columns)


YEAR = ("realisasi_periode", "realisasi_sd", "capaian_persen", "capaian_tahunan_persen")
# Per round, what the recap must say (product.md §2), computed by hand.
EXPECTED = {
    "SEK-01": [(1, 1, 100, 25), (1, 2, 100, 50), (1, 3, 100, 75), (1, 4, 100, 100)],
    "SEK-04": [(None, None, None, None)] * 3 + [(70, 70, 97.22, 97.22)],
    "SEK-05": [(None, None, None, None), (6, 6, 80, 80), (None, 6, 80, 80), (4.5, 4.5, 110, 110)],
    "SEK-06": [(66, 66, 97.06, 97.06), (67, 67, 98.53, 98.53), (68, 68, 100, 100), (68, 68, 100, 100)],
    "SEK-08": [(12, 12, 80, 80), (10, 11, 90, 90), (9, 10.33333333, 96.67, 96.67), (9, 10, 100, 100)],
}
BUDGET = {  # on the sub kegiatan's first indicator row: pagu (APBD-P when given), spent so far, serapan
    "SEK-01": [(85e6, 20e6, 23.53), (85e6, 40e6, 47.06), (85e6, 60e6, 70.59), (85e6, 80e6, 94.12)],
    "SEK-11": [(210e6, 50e6, 23.81), (210e6, 100e6, 47.62), (210e6, 150e6, 71.43), (210e6, 200e6, 95.24)],
}


def play_year(root: Path):
    """The example agency through TW1-TW4 with the CLI: period, generate, the units' returns, run."""
    from click.testing import CliRunner

    from sopkinerja.cli import cli

    def invoke(*args, now: str):
        result = CliRunner().invoke(cli, ["--project", str(root), *args], env={"SOPKINERJA_NOW": now})
        return result

    assert invoke("init", str(root), "--example", now="2026-03-30T08:00:00+07:00").exit_code == 0
    runs, requests, periods = {}, {}, {}
    for quarter, (period, (issued, deadline, received, run_at)) in enumerate(ROUNDS.items(), 1):
        args = ["period", period, "--json"] + (["--deadline", deadline] if deadline else [])
        if quarter == 1:
            args.append("--force")  # the example workspace starts at TW3: going back needs --force
        moved = invoke(*args, now=issued)
        assert moved.exit_code == 0, moved.output
        periods[period] = json.loads(moved.stdout)
        generated = invoke("generate", "--json", now=issued)
        assert generated.exit_code == 0, generated.output
        paths = {w["unit"]: Path(w["path"]) for w in json.loads(generated.stdout)["workbooks"]}
        requests[period] = paths
        inbox = root / "input" / "masuk" / period
        fill_request(paths["SEK"], inbox / "SEK.xlsx", SEK_PLAN, quarter, received)
        if quarter != 2:  # PPM misses TW2
            fill_request(paths["PPM"], inbox / "PPM.xlsx", PPM_PLAN, quarter, received,
                         late=PPM_LATE if quarter == 3 else None)
        result = invoke("run", "--json", now=run_at)
        assert result.exit_code == 3, result.output  # the other units never answer
        runs[period] = json.loads(result.stdout)
    return root, runs, requests, periods
