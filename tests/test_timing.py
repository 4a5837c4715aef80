"""The SOP step-timing log: three event sources, the step command, custom SOPs, outputs (issue 6)."""

import csv

import openpyxl
import pytest
from conftest import fill_workbook, run_round

from sopkinerja.timing import CSV_COLUMNS
from sopkinerja.workspace import open_workspace


def _timing(root, period="2026-TW3"):
    path = root / "output" / period / f"log-waktu-sop-{period}.csv"
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _row(rows, step, unit=""):
    return next(r for r in rows if r["langkah"] == str(step) and r["kode_unit"] == unit)


def test_timing_csv_has_every_step_and_unit(round_ws):
    root, paths = round_ws
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK.xlsx")
    run_round(root)
    rows = _timing(root)
    assert list(rows[0].keys()) == list(CSV_COLUMNS)
    # 4 agency steps once, 5 unit steps for each of 6 units.
    assert len(rows) == 4 + 5 * 6
    assert {r["status"] for r in rows} <= {"sesuai", "melebihi", "tidak-tercatat"}


def test_berkas_events_from_log_proses(round_ws):
    root, paths = round_ws
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK.xlsx")  # steps 4-8 on 1-5 Oct, 08:00-15:30
    run_round(root)
    row = _row(_timing(root), 4, "SEK")
    # Thursday 1 October 08:00-15:30: 240 (to 12:00) + 150 (13:00-15:30) working minutes.
    assert (row["sumber"], row["menit_kerja"], row["menit_baku"], row["status"]) == ("berkas", "390.0", "60",
                                                                                     "melebihi")
    assert row["selisih_menit"] == "330.0" and row["menit_kalender"] == "450.0"
    saturday = _row(_timing(root), 6, "SEK")  # 3 October is a Saturday: no working time
    assert saturday["menit_kerja"] == "0.0" and saturday["status"] == "sesuai"


def test_sistem_events_of_generate_and_run(round_ws):
    root, paths = round_ws
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK.xlsx", received="2026-10-05T10:00:00+07:00")
    run_round(root)
    rows = _timing(root)
    assert _row(rows, 2)["sumber"] == "sistem" and _row(rows, 2)["mulai"] == "2026-09-28T08:00:00+07:00"
    assert _row(rows, 3)["sumber"] == "sistem"
    assert _row(rows, 9)["sumber"] == "sistem" and _row(rows, 9)["mulai"] == "2026-10-12T09:00:00+07:00"
    with open_workspace(root).ledger() as ledger:
        receipt = ledger.db.execute("SELECT ended_at FROM step_events WHERE step = 8 AND source = 'sistem' "
                                    "AND unit_code = 'SEK'").fetchone()[0]
    assert receipt == "2026-10-05T10:00:00+07:00"
    assert _row(rows, 1)["status"] == "tidak-tercatat"  # nobody recorded the disposition yet


def test_step_command_records_a_manual_event_that_wins(round_ws, run_cli):
    root, paths = round_ws
    result = run_cli("--project", root, "step", "1", "--start", "25/09/2026 09.00", "--end",
                     "25 September 2026 09:20", "--by", "Kepala Bappedalitbang", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["working_minutes"] == 20.0 and result.json()["source"] == "manual"
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK.xlsx")
    run_cli("--project", root, "step", "4", "--unit", "sek", "--start", "2026-10-01 08:00", "--end",
            "2026-10-01 08:45")
    run_round(root)
    rows = _timing(root)
    assert (_row(rows, 1)["sumber"], _row(rows, 1)["menit_kerja"], _row(rows, 1)["status"]) == (
        "manual", "20.0", "melebihi")
    assert (_row(rows, 4, "SEK")["sumber"], _row(rows, 4, "SEK")["menit_kerja"]) == ("manual", "45.0")


@pytest.mark.parametrize("args, code, text", [
    (("step", "12", "--start", "01/10/2026 08.00"), 1, "Langkah 12 tidak ada"),
    (("step", "5", "--start", "01/10/2026 08.00"), 1, "--unit"),
    (("step", "1", "--start", "01/10/2026 10.00", "--end", "01/10/2026 09.00"), 1, "lebih awal"),
    (("step", "1", "--start", "kemarin"), 2, "tidak terbaca"),
    (("step", "4", "--unit", "XYZ", "--start", "01/10/2026 08.00"), 1, "XYZ"),
])
def test_step_command_errors(round_ws, run_cli, args, code, text):
    root, _ = round_ws
    result = run_cli("--project", root, *args)
    assert result.exit_code == code
    assert text in result.stderr and "Traceback" not in result.stderr


def test_a_custom_sop_drives_the_log(round_ws):
    root, paths = round_ws
    (root / "sop-ringkas.toml").write_text("""
nama = "SOP Ringkas"
[[langkah]]
nomor = 1
uraian = "Isi, validasi dan kirim"
pelaksana = "Unit"
waktu_baku_menit = 900
lingkup = "unit"
peran = "validasi"
[[langkah]]
nomor = 2
uraian = "Rekap badan"
pelaksana = "Perencana"
waktu_baku_menit = 60
lingkup = "badan"
peran = "rekap-badan"
""", encoding="utf-8")
    config = root / "sopkinerja.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[sop]\nberkas = "sop-ringkas.toml"\n',
                      encoding="utf-8")
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK.xlsx")
    run_round(root)
    rows = _timing(root)
    assert sorted({r["langkah"] for r in rows}) == ["1", "2"] and len(rows) == 6 + 1
    assert _row(rows, 2)["menit_baku"] == "60" and _row(rows, 2)["sumber"] == "sistem"


def test_recap_shows_the_timing_and_the_monitoring_form(round_ws):
    root, paths = round_ws
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK.xlsx")
    run_round(root)
    folder = root / "output" / "2026-TW3"
    sheet = openpyxl.load_workbook(folder / "Rekap Kinerja 2026-TW3.xlsx")["Log Waktu SOP"]
    texts = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any("PermenPANRB 35/2012" in t for t in texts)
    assert any("melebihi waktu baku" in t for t in texts)
    html = (folder / "Rekap Kinerja 2026-TW3.html").read_text(encoding="utf-8")
    assert 'class="gantt"' in html and "PermenPANRB 35/2012" in html


def test_status_shows_recorded_steps(round_ws, run_cli):
    root, paths = round_ws
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK.xlsx")
    run_round(root)
    units = {u["unit"]: u for u in run_cli("--project", root, "status", "--json").json()["units"]}
    assert units["SEK"]["steps_recorded"] == [4, 5, 6, 7, 8] and units["PPM"]["steps_recorded"] == []


def test_the_demo_log_has_all_nine_steps_with_a_source(tmp_path):
    from sopkinerja.demo import run_demo
    from sopkinerja.i18n import Messages

    run_demo(tmp_path / "demo", Messages("id"))
    rows = _timing(tmp_path / "demo")
    for step in range(1, 10):
        assert any(r["sumber"] for r in rows if r["langkah"] == str(step)), step
    # Step 5 for SEK: Tue 29/9 10:30 -> Thu 1/10 11:00 = 270 + 450 + 210 working minutes.
    assert _row(rows, 5, "SEK")["menit_kerja"] == "930.0"


@pytest.mark.parametrize("start, end, expected", [
    ("01/10/2026 08.00", "15.30", ("2026-10-01T08:00:00+07:00", "2026-10-01T15:30:00+07:00")),
    ("08:00", "1 Oktober 2026 15:30", ("2026-10-01T08:00:00+07:00", "2026-10-01T15:30:00+07:00")),
    ("01/10/2026 08.00", 0.6458333333, ("2026-10-01T08:00:00+07:00", "2026-10-01T15:30:00+07:00")),
    ("Kamis, 1 Okt 2026 pukul 08.00", "2/10/2026 9.15", ("2026-10-01T08:00:00+07:00", "2026-10-02T09:15:00+07:00")),
    (46296.333333333, 46296.645833333, ("2026-10-01T08:00:00+07:00", "2026-10-01T15:30:00+07:00")),
    ("08.00", "15.30", (None, None)),  # no date anywhere: cannot be placed
])
def test_dates_and_times_as_people_type_them(start, end, expected):
    from zoneinfo import ZoneInfo

    from sopkinerja.times import parse_pair

    pair = parse_pair(start, end, ZoneInfo("Asia/Jakarta"))
    assert tuple(m.isoformat() if m else None for m in pair) == expected


def test_a_time_only_cell_in_log_proses_counts(round_ws):
    root, paths = round_ws

    def times(workbook, rows):
        log = workbook["Log Proses"]
        log["D5"], log["E5"] = "01/10/2026 08.00", "10.30"  # step 4, the end typed as a time only

    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK.xlsx", times)
    result = run_round(root)
    assert [i.code for i in result.issues if i.unit == "SEK"] == []
    row = _row(_timing(root), 4, "SEK")
    assert (row["selesai"], row["menit_kerja"]) == ("2026-10-01T10:30:00+07:00", "150.0")
