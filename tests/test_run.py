"""run, part 1: ingest, identify, validate down to the cell, decide per unit, feedback (issue 4)."""

import email.message
import io
import os
import shutil
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from conftest import RUN_AT, col, data_rows, fill_all, fill_workbook, letter, run_round, set_cell, soffice_convert

from sopkinerja import layout as L
from sopkinerja.i18n import Messages
from sopkinerja.issues import CODES, flatten
from sopkinerja.workspace import open_workspace

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _inbox(root):
    return root / "input" / "masuk"


def _unit_issues(result, unit):
    return [i for i in result.issues if i.unit == unit]


def test_correct_returns_are_all_accepted(round_ws, run_cli):
    root, paths = round_ws
    fill_all(root, paths)
    result = run_cli("--project", root, "run", "--json", env={"SOPKINERJA_NOW": "2026-10-12T09:00:00+07:00"})
    assert result.exit_code == 0, result.stdout + result.stderr
    document = result.json()
    assert document["period"] == "2026-TW3"
    assert [(u["unit"], u["status"], u["on_time"], u["errors"]) for u in document["units"]] == [
        (u, "accepted", True, 0) for u in ("SEK", "P2EP", "PPM", "PSDA", "IPW", "LITBANG")]
    assert document["units"][0]["file"] == "input/masuk/SEK.xlsx"
    assert document["issues"] == [] and document["outputs"]["feedback"] == {}


def test_values_are_recorded_with_their_cells(round_ws):
    root, paths = round_ws
    fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx")
    run_round(root)
    with open_workspace(root).ledger() as ledger:
        rows = ledger.db.execute("SELECT indicator_code, field, number, text, cell FROM submission_values "
                                 "WHERE indicator_code IN ('SEK-06', ?) ORDER BY field", (SEK_06_LINE,)).fetchall()
    values = {r["field"]: (r["number"], r["text"], r["cell"]) for r in rows}
    assert values["actual"][0] == pytest.approx(61.2) and values["actual"][2].startswith(letter("actual"))
    assert values["drivers"][1] == "Dukungan pimpinan" and values["drivers"][2].startswith(letter("drivers"))
    # Spending is the sub kegiatan's, on its own row (the row above SEK-06).
    assert values["spent"][0] == 2125000000 and values["spent"][2] == f"{letter('spent')}{_row(paths, SEK_06_LINE)}"



def _row(paths, key):
    return data_rows(openpyxl.load_workbook(paths["SEK"])["Data Kinerja"])[key]


def _cell(paths, code, key):
    return f"{letter(key)}{_row(paths, code)}"


def _both(*mutations):
    def mutate(workbook, rows):
        for mutation in mutations:
            mutation(workbook, rows)
    return mutate


SEK_06_LINE = "SUB 5.01.01.2.02.0001"  # Penyediaan Gaji dan Tunjangan ASN, pagu Rp 4.250.000.000
# One mistake -> exactly one issue with its code, severity, sheet and cell (product.md §3.6).
MISTAKES = {
    "missing-value": (set_cell("SEK-01", "actual", None), "actual", "SEK-01", "error"),
    "value-not-available": (_both(set_cell("SEK-01", "actual", None),
                                  set_cell("SEK-01", "note", "Data BPS terbit Juli")), "actual", "SEK-01", "warning"),
    "not-a-number": (set_cell("SEK-01", "actual", "tiga dokumen"), "actual", "SEK-01", "error"),
    "ambiguous-number": (set_cell(SEK_06_LINE, "spent", "1.500"), "spent", SEK_06_LINE, "warning"),
    "negative-value": (set_cell("SEK-01", "actual", -2), "actual", "SEK-01", "error"),
    "over-budget": (set_cell(SEK_06_LINE, "spent", 5_000_000_000), "spent", SEK_06_LINE, "error"),
    "out-of-range": (set_cell("SEK-05", "actual", 120), "actual", "SEK-05", "error"),
    "extreme-achievement": (set_cell("SEK-01", "actual", 30), "actual", "SEK-01", "warning"),
    "prefilled-changed": (set_cell("SEK-04", "target", 50), "target", "SEK-04", "error"),
}


@pytest.mark.parametrize("code", sorted(MISTAKES))
def test_one_issue_per_mistake(round_ws, code):
    root, paths = round_ws
    mutate, column, indicator, severity = MISTAKES[code]
    fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx", mutate)
    result = run_round(root)
    found = flatten(_unit_issues(result, "SEK"), "code", "severity", "sheet", "cell")
    assert found == [(code, severity, "Data Kinerja", _cell(paths, indicator, column))]
    status = {u.unit: u.status for u in result.units}["SEK"]
    assert status == ("rejected" if severity == "error" else "accepted")


def test_prefilled_change_names_the_original(round_ws, messages):
    root, paths = round_ws
    fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx", set_cell("SEK-04", "target", 50))
    issue = _unit_issues(run_round(root), "SEK")[0]
    assert issue.params["original"] == "72" and issue.params["value"] == "50"
    assert "seharusnya \"72\"" in issue.message(messages)


def test_numbers_typed_the_indonesian_way_are_read(round_ws):
    root, paths = round_ws

    def mutate(workbook, rows):
        sheet = workbook["Data Kinerja"]
        sheet.cell(row=rows["SEK-04"], column=col("actual")).value = "68,5"
        sheet.cell(row=rows[SEK_06_LINE], column=col("spent")).value = "Rp 2.000.000.000"
        sheet.cell(row=rows["SEK-05"], column=col("actual")).value = 0.04  # typed as 4% in a numeric cell
        sheet.cell(row=rows["SEK-05"], column=col("actual")).number_format = "0%"
    fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx", mutate)
    result = run_round(root)
    assert _unit_issues(result, "SEK") == []
    with open_workspace(root).ledger() as ledger:
        values = {(r["indicator_code"], r["field"]): (r["number"], r["original"]) for r in ledger.db.execute(
            "SELECT * FROM submission_values")}
    assert values[("SEK-04", "actual")] == (68.5, "68,5")
    assert values[(SEK_06_LINE, "spent")] == (2_000_000_000, "Rp 2.000.000.000")
    assert values[("SEK-05", "actual")][0] == pytest.approx(4.0)


def test_missing_signoff_and_log_times(round_ws):
    root, paths = round_ws

    def mutate(workbook, rows):
        log = workbook["Log Proses"]
        log["D5"] = "kemarin pagi"
        log["E6"] = "01/10/2026 07.00"  # before its start (02/10 08:00)
    fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx", mutate, sign=False)
    found = flatten(_unit_issues(run_round(root), "SEK"), "code", "sheet", "cell")
    # Sorted top to bottom, as the unit reads the sheet.
    assert found == [("unreadable-time", "Log Proses", "D5"), ("time-reversed", "Log Proses", "E6"),
                     ("missing-signoff", "Log Proses", "E8")]


def test_day_month_swapped_by_an_english_computer_is_read_as_meant_and_flagged(round_ws):
    """01/10/2026 typed on an en-US computer is stored as 10 January (issue 9)."""
    root, paths = round_ws

    def mutate(workbook, rows):
        from datetime import datetime
        log = workbook["Log Proses"]
        log["D5"] = datetime(2026, 1, 10, 8, 0)  # meant 1 October: only that lies in the collection window
        log["E5"] = "10/01/2026 15:30"  # text, read day-first: 10 January, meant 1 October too
        log["D6"] = datetime(2026, 10, 2, 8, 0)  # 2 October; its swap (10 February) is far outside: no doubt
    fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx", mutate)
    result = run_round(root)
    issues = [i for i in _unit_issues(result, "SEK") if i.code == "ambiguous-date"]
    assert flatten(issues, "cell", "severity") == [("D5", "warning"), ("E5", "warning")]
    assert issues[0].params["read"] == "01/10/2026 08.00" and issues[0].params["other"] == "10/01/2026 08.00"
    assert "01/10/2026 08.00" in issues[0].message(Messages("id"))
    with open_workspace(root).ledger() as ledger:
        first = ledger.db.execute("SELECT started_at, ended_at FROM step_events WHERE source = 'berkas' "
                                  "AND step = 4").fetchone()
    assert (first["started_at"], first["ended_at"]) == ("2026-10-01T08:00:00+07:00", "2026-10-01T15:30:00+07:00")


def test_day_month_rule_keeps_a_date_when_both_readings_are_plausible():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sopkinerja.validate.log import _day_month

    tz = ZoneInfo("Asia/Jakarta")
    window = (datetime(2026, 10, 1, tzinfo=tz), datetime(2026, 11, 30, tzinfo=tz))
    both = datetime(2026, 10, 11, 9, 0, tzinfo=tz)  # 11 October or 10 November: both in the window
    assert _day_month(both, window) == (both, datetime(2026, 11, 10, 9, 0, tzinfo=tz))
    swapped = datetime(2026, 1, 10, 9, 0, tzinfo=tz)
    assert _day_month(swapped, window) == (datetime(2026, 10, 1, 9, 0, tzinfo=tz), swapped)
    for certain in (datetime(2026, 10, 13, tzinfo=tz), datetime(2026, 10, 10, tzinfo=tz),
                    datetime(2026, 10, 5, tzinfo=tz)):  # day > 12, day = month, swap outside
        assert _day_month(certain, window) == (certain, None)
    assert _day_month(None, window) == (None, None)


def test_log_rows_become_step_events(round_ws):
    root, paths = round_ws
    fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx")
    run_round(root)
    with open_workspace(root).ledger() as ledger:
        events = ledger.db.execute("SELECT step, unit_code, started_at, ended_at, actor FROM step_events "
                                   "WHERE source = 'berkas' ORDER BY step").fetchall()
    assert [e["step"] for e in events] == [4, 5, 6, 7, 8]
    assert events[0]["started_at"] == "2026-10-01T08:00:00+07:00"
    assert events[3]["actor"] == "Drs. Hotman Simanjuntak, M.Si"


def test_late_submission_is_accepted_with_a_warning(round_ws):
    root, paths = round_ws
    fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx", received="2026-10-10T08:00:00+07:00")
    result = run_round(root)
    assert flatten(_unit_issues(result, "SEK"), "code", "severity") == [("late-submission", "warning")]
    sek = next(u for u in result.units if u.unit == "SEK")
    assert (sek.status, sek.on_time) == ("accepted", False)


def test_structure_mistakes(round_ws):
    root, paths = round_ws

    def mutate(workbook, rows):
        sheet = workbook["Data Kinerja"]
        sheet.delete_rows(rows["SEK-03"])  # an indicator row removed
        extra = sheet.max_row + 1
        sheet.cell(row=extra, column=col("code")).value = "SEK-99"
        sheet.cell(row=extra, column=col("actual")).value = 5
    fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx", mutate)
    found = flatten(_unit_issues(run_round(root), "SEK"), "code", "severity")
    assert sorted(found) == [("missing-indicator", "error"), ("unexpected-indicator", "warning")]


def test_missing_column_and_missing_sheet(round_ws):
    root, paths = round_ws
    fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx",
                  lambda wb, rows: wb["Data Kinerja"].delete_cols(col("actual")))
    fill_workbook(paths["P2EP"], _inbox(root) / "P2EP.xlsx", lambda wb, rows: wb.remove(wb["Data Kinerja"]))
    result = run_round(root)
    assert ("missing-column", "Realisasi") in [(i.code, i.params.get("column")) for i in _unit_issues(result, "SEK")]
    assert flatten(_unit_issues(result, "P2EP"), "code") == [("missing-sheet",)]


def test_what_users_do_is_tolerated(round_ws):
    """Renamed sheet, inserted column and rows, NBSP in codes, blank rows, phantom rows far below."""
    root, paths = round_ws

    def mutate(workbook, rows):
        sheet = workbook["Data Kinerja"]
        sheet.title = "Data TW3 (revisi)"
        sheet.insert_cols(4)
        sheet.insert_rows(12, amount=3)
        sheet.cell(row=60000, column=3).value = " "
    fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx", mutate)
    result = run_round(root)
    assert _unit_issues(result, "SEK") == []
    assert next(u for u in result.units if u.unit == "SEK").status == "accepted"


def test_a_sheet_copied_into_a_new_workbook_is_identified(round_ws):
    root, paths = round_ws
    filled = fill_workbook(paths["SEK"], root / "tmp" / "SEK.xlsx")
    source = openpyxl.load_workbook(filled)["Data Kinerja"]
    fresh = openpyxl.Workbook()
    sheet = fresh.active
    sheet.title = "Sheet1"
    for row in source.iter_rows():
        for cell in row:
            if cell.value is not None and not isinstance(cell, openpyxl.cell.cell.MergedCell):
                sheet.cell(row=cell.row, column=cell.column).value = cell.value
    fresh.save(_inbox(root) / "salinan.xlsx")
    shutil.copystat(filled, _inbox(root) / "salinan.xlsx")  # received on time
    result = run_round(root)
    sek = next(u for u in result.units if u.unit == "SEK")
    # No _meta and no Log Proses: identified by the hidden column; the sign-off is missing.
    assert sek.status == "accepted"
    assert flatten(_unit_issues(result, "SEK"), "code") == [("missing-signoff",)]


def test_identity_problems(round_ws, tmp_path):
    root, paths = round_ws
    plain = openpyxl.Workbook()
    plain.active["A1"] = "Laporan kinerja"
    plain.save(_inbox(root) / "laporan.xlsx")

    def forge(workbook, rows):
        for row in rows.values():
            workbook["Data Kinerja"].cell(row=row, column=col("request_id")).value = "SK-0000-0000-0000-0000"
        workbook["_meta"]["B1"] = "SK-0000-0000-0000-0000"
    fill_workbook(paths["SEK"], _inbox(root) / "palsu.xlsx", forge)
    result = run_round(root)
    codes = {(i.file, i.code) for i in result.issues}
    assert ("input/masuk/laporan.xlsx", "not-a-request-workbook") in codes
    assert ("input/masuk/palsu.xlsx", "unknown-request") in codes
    assert all(i.unit is None for i in result.issues)


def test_wrong_period(round_ws):
    from datetime import datetime

    from sopkinerja.generate import generate

    root, paths = round_ws
    config = root / "sopkinerja.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('kode = "2026-TW3"', 'kode = "2026-TW2"'), encoding="utf-8")
    old = generate(open_workspace(root), lambda: datetime.fromisoformat("2026-06-20T08:00:00+07:00"), "SEK")
    config.write_text(text, encoding="utf-8")
    fill_workbook(old.workbooks[0].path, _inbox(root) / "SEK-lama.xlsx")
    result = run_round(root)
    assert flatten([i for i in result.issues if i.file.endswith("SEK-lama.xlsx")], "code", "severity") == [
        ("wrong-period", "error")]
    assert next(u for u in result.units if u.unit == "SEK").status == "missing"


def test_bad_files_do_not_stop_the_good_ones(round_ws):
    root, paths = round_ws
    fill_all(root, paths)
    inbox = _inbox(root)
    (inbox / "kosong.xlsx").write_bytes(b"")
    (inbox / "terpotong.xlsx").write_bytes((inbox / "SEK.xlsx").read_bytes()[:3000])
    (inbox / "acak.xlsx").write_bytes(os.urandom(4096))
    (inbox / "laporan.pdf.xlsx").write_bytes(b"%PDF-1.4\n%...")
    (inbox / "data.xlsx").write_bytes(b"kode;realisasi\nSEK-01;3\n")
    (inbox / "sandi.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
                                       + "EncryptedPackage".encode("utf-16-le") + b"\0" * 600)
    result = run_round(root)
    by_file = {i.file.rsplit("/", 1)[-1]: i.code for i in result.issues}
    assert by_file == {"kosong.xlsx": "unreadable-file", "terpotong.xlsx": "unreadable-file",
                       "acak.xlsx": "unsupported-format", "laporan.pdf.xlsx": "unsupported-format",
                       "data.xlsx": "unsupported-format", "sandi.xlsx": "encrypted-file"}
    assert all(u.status == "accepted" for u in result.units)


def test_an_email_with_two_attachments(round_ws):
    root, paths = round_ws
    message = email.message.EmailMessage()
    message["From"] = "ppm.bappedalitbang@taputkab.go.id"
    message["To"] = "data.bappedalitbang@taputkab.go.id"
    message["Subject"] = "Data kinerja TW3"
    message["Date"] = "Thu, 08 Oct 2026 10:15:00 +0700"
    message.set_content("Terlampir data kinerja.")
    for unit in ("PPM", "PSDA"):
        data = fill_workbook(paths[unit], root / "tmp" / f"{unit}.xlsx").read_bytes()
        message.add_attachment(data, maintype="application", subtype="octet-stream",
                               filename=f"../../{unit} data.xlsx")
    (_inbox(root) / "surel.eml").write_bytes(bytes(message))
    result = run_round(root)
    statuses = {u.unit: (u.status, u.file) for u in result.units}
    assert statuses["PPM"] == ("accepted", "input/masuk/surel.eml#1:PPM data.xlsx")
    assert statuses["PSDA"][0] == "accepted"
    sent = next(u for u in result.units if u.unit == "PPM").received_at
    assert sent.isoformat() == "2026-10-08T10:15:00+07:00"  # the e-mail's Date is the receipt time
    archived = list((root / "arsip" / "berkas").rglob("*.xlsx"))
    assert len(archived) == 2 and all(".." not in p.name for p in archived)


def test_duplicates_and_a_resubmission(round_ws):
    root, paths = round_ws
    first = fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx", set_cell("SEK-01", "actual", None),
                          received="2026-10-05T10:00:00+07:00")
    shutil.copy2(first, _inbox(root) / "SEK (1).xlsx")
    fill_workbook(paths["SEK"], _inbox(root) / "SEK-perbaikan.xlsx", received="2026-10-07T10:00:00+07:00")
    result = run_round(root)
    sek = next(u for u in result.units if u.unit == "SEK")
    assert (sek.status, sek.file) == ("accepted", "input/masuk/SEK-perbaikan.xlsx")
    assert sek.superseded == ["input/masuk/SEK.xlsx"]
    assert sorted(flatten(_unit_issues(result, "SEK"), "code", "severity", "file")) == [
        ("superseded", "info", "input/masuk/SEK.xlsx")]
    with open_workspace(root).ledger() as ledger:
        assert ledger.db.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 2
        assert ledger.db.execute("SELECT COUNT(*) FROM receipts").fetchone()[0] == 3


def test_duplicate_receipt_is_reported(round_ws):
    root, paths = round_ws
    first = fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx")
    shutil.copy2(first, _inbox(root) / "salinan SEK.xlsx")
    result = run_round(root)
    assert flatten(_unit_issues(result, "SEK"), "code", "file") == [
        ("duplicate-file", "input/masuk/salinan SEK.xlsx")]


def _ledger_dump(root):
    db = sqlite3.connect(root / "arsip" / "buku-besar.sqlite")
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'") if r[0] != "runs"]
    dump = {t: sorted(map(repr, db.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}
    db.close()
    return dump


def test_running_twice_changes_nothing_and_parses_nothing(round_ws, monkeypatch):
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))
    fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx", set_cell("SEK-01", "actual", "x"))
    first = run_round(root)
    ledger_before = _ledger_dump(root)
    outputs_before = {p: p.read_bytes() for p in (root / "output" / "2026-TW3" / "umpan-balik").iterdir()}
    import sopkinerja.validate.worker as run_module

    monkeypatch.setattr(run_module, "parse_file", lambda *a: pytest.fail("parsed again"))
    second = run_round(root)
    assert second.new_files == 0
    assert _ledger_dump(root) == ledger_before
    assert {p: p.read_bytes() for p in (root / "output" / "2026-TW3" / "umpan-balik").iterdir()} == outputs_before
    assert flatten(first.issues, "code", "cell") == flatten(second.issues, "code", "cell")


def test_files_are_archived_before_anything_else_and_survive_the_inbox(round_ws):
    root, paths = round_ws
    filled = fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx")
    original = filled.read_bytes()
    run_round(root)
    filled.unlink()  # the planner tidies the inbox
    result = run_round(root)
    assert next(u for u in result.units if u.unit == "SEK").status == "accepted"
    archived = list((root / "arsip" / "berkas").rglob("*.xlsx"))
    assert [p.read_bytes() for p in archived] == [original]


def test_feedback_workbook_marks_cells_and_keeps_validations(round_ws):
    root, paths = round_ws
    fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx", set_cell("SEK-01", "actual", "tiga"))
    result = run_round(root)
    path = result.feedback["SEK"]
    assert path.name == "Umpan Balik 2026-TW3 - Sekretariat.xlsx"
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[0] == "Hasil Validasi"
    summary = workbook["Hasil Validasi"]
    assert "DITOLAK" in summary["A5"].value
    cell = _cell(paths, "SEK-01", "actual")
    data = workbook["Data Kinerja"]
    assert data[cell].comment is not None and data[cell].comment.text.startswith("Galat: ")  # the words, not the code
    assert "bukan angka" in data[cell].comment.text and "[not-a-number]" not in data[cell].comment.text
    assert data[cell].fill.fgColor.rgb.endswith("F8CBAD")
    rules = {str(v.sqref).split()[0].rstrip("0123456789:"): v.type for v in data.data_validations.dataValidation}
    assert rules.get(letter("actual")) == "decimal" and rules.get(letter("spent")) == "decimal"
    messages = [summary.cell(row=r, column=5).value for r in range(9, summary.max_row + 1)]
    assert any("tiga" in (m or "") for m in messages)
    assert set(result.feedback) == {"SEK"}


def test_status_from_the_ledger(round_ws, run_cli):
    root, paths = round_ws
    fill_workbook(paths["SEK"], _inbox(root) / "SEK-a.xlsx", set_cell("SEK-01", "actual", None),
                  received="2026-10-05T10:00:00+07:00")
    fill_workbook(paths["SEK"], _inbox(root) / "SEK-b.xlsx", received="2026-10-10T10:00:00+07:00")
    fill_workbook(paths["PPM"], _inbox(root) / "PPM.xlsx", set_cell("PPM-01", "actual", "x"))
    # The run after the files arrived (one received "in the future" would be suspicious-time).
    assert run_cli("--project", root, "run", env={"SOPKINERJA_NOW": RUN_AT}).exit_code == 3
    result = run_cli("--project", root, "status", "--json")
    assert result.exit_code == 0
    units = {u["unit"]: u for u in result.json()["units"]}
    assert (units["SEK"]["status"], units["SEK"]["on_time"], units["SEK"]["file"]) == (
        "accepted", False, "input/masuk/SEK-b.xlsx")
    assert units["SEK"]["superseded"] == ["input/masuk/SEK-a.xlsx"] and units["SEK"]["warnings"] == 1
    assert (units["PPM"]["status"], units["PPM"]["errors"]) == ("rejected", 1)
    assert units["IPW"]["status"] == "missing"
    human = run_cli("--project", root, "status")
    assert "menggantikan: input/masuk/SEK-a.xlsx" in human.stdout and "(terlambat)" in human.stdout


def test_run_and_status_say_exactly_what_happened(round_ws, run_cli):
    root, paths = round_ws
    fill_workbook(paths["SEK"], _inbox(root) / "SEK-a.xlsx", set_cell("SEK-01", "actual", None),
                  received="2026-10-05T10:00:00+07:00")
    fill_workbook(paths["SEK"], _inbox(root) / "SEK-b.xlsx", received="2026-10-10T10:00:00+07:00")
    fill_workbook(paths["PPM"], _inbox(root) / "PPM.xlsx", set_cell("PPM-01", "actual", "x"))
    result = run_cli("--project", root, "run", env={"SOPKINERJA_NOW": RUN_AT})
    assert result.exit_code == 3
    assert result.stdout.splitlines() == [
        "Periode 2026-TW3: 1 unit diterima, 1 ditolak, 4 belum mengirim (3 berkas baru).",
        "  SEK Sekretariat: diterima (terlambat) - input/masuk/SEK-b.xlsx",
        "      menggantikan: input/masuk/SEK-a.xlsx",
        "  P2EP Bidang Perencanaan, Pengendalian dan Evaluasi Pembangunan: belum mengirim",
        "  PPM Bidang Pemerintahan dan Pembangunan Manusia: DITOLAK, 1 galat, 0 peringatan - input/masuk/PPM.xlsx",
        "  PSDA Bidang Perekonomian dan Sumber Daya Alam: belum mengirim",
        "  IPW Bidang Infrastruktur dan Kewilayahan: belum mengirim",
        "  LITBANG Bidang Penelitian dan Pengembangan: belum mengirim",
        "Masalah (1 galat, 1 peringatan):",
        "  PPM input/masuk/PPM.xlsx:",
        f'    [Galat] Data Kinerja!{letter("actual")}10 not-a-number: '
        'Realisasi indikator PPM-01 berisi "x", '
        "bukan angka. Tulis angka saja, misalnya 85,5.",
        "  SEK input/masuk/SEK-b.xlsx:",
        "    [Peringatan] late-submission: Diterima Sabtu, 10 Oktober 2026 pukul 10.00 WIB, "
        "melewati batas waktu Jumat, 9 Oktober 2026 pukul 16.00 WIB. "
        "Keterlambatan saja tidak membuat berkas ditolak; lihat masalah lain pada berkas ini bila ada.",
        f"Umpan balik untuk 2 unit ada di {root}/output/2026-TW3/umpan-balik.",
        "Formulir E.81: output/2026-TW3/Formulir E.81 2026-TW3.xlsx",
        "Belum lengkap: ada unit yang belum mengirim atau berkasnya ditolak (kode keluar 3).",
    ]
    status = run_cli("--project", root, "status")
    assert status.stdout.splitlines() == [
        "Status pengumpulan periode 2026-TW3 (batas waktu Jumat, 9 Oktober 2026 pukul 16.00 WIB):",
        "  SEK Sekretariat: diterima, 0 galat, 1 peringatan, diterima Sabtu, 10 Oktober 2026 pukul 10.00 WIB "
        "(terlambat) - input/masuk/SEK-b.xlsx",
        "      menggantikan: input/masuk/SEK-a.xlsx",
        "  P2EP Bidang Perencanaan, Pengendalian dan Evaluasi Pembangunan: belum mengirim",
        "  PPM Bidang Pemerintahan dan Pembangunan Manusia: ditolak, 1 galat, 0 peringatan, diterima Senin, "
        "5 Oktober 2026 pukul 10.00 WIB - input/masuk/PPM.xlsx",
        "  PSDA Bidang Perekonomian dan Sumber Daya Alam: belum mengirim",
        "  IPW Bidang Infrastruktur dan Kewilayahan: belum mengirim",
        "  LITBANG Bidang Penelitian dan Pengembangan: belum mengirim",
        "  Langkah SOP tercatat untuk SEK: 4, 5, 6, 7, 8",
        "  Langkah SOP tercatat untuk P2EP: -",
        "  Langkah SOP tercatat untuk PPM: 4, 5, 6, 7, 8",
        "  Langkah SOP tercatat untuk PSDA: -",
        "  Langkah SOP tercatat untuk IPW: -",
        "  Langkah SOP tercatat untuk LITBANG: -",
    ]


def test_parallel_parsing_under_spawn_matches_serial(round_ws, monkeypatch):
    import sopkinerja.validate.worker as run_module

    root, paths = round_ws
    fill_all(root, paths)
    fill_workbook(paths["SEK"], _inbox(root) / "SEK-x.xlsx", set_cell("SEK-01", "actual", "x"),
                  received="2026-10-06T10:00:00+07:00")
    twin = root.parent / "kembar"
    shutil.copytree(root, twin)
    monkeypatch.setattr(run_module, "PARALLEL_FROM", 2)
    parallel = run_round(root)
    monkeypatch.setattr(run_module, "PARALLEL_FROM", 10_000)
    serial = run_round(twin)
    assert flatten(parallel.issues, "code", "unit", "cell") == flatten(serial.issues, "code", "unit", "cell")
    assert [u.status for u in parallel.units] == [u.status for u in serial.units]


def test_every_issue_code_has_a_message_in_both_languages():
    from sopkinerja.i18n import catalogue

    for language in ("id", "en"):
        assert {f"issue.{code}" for code in CODES} <= set(catalogue(language))


def _convert(source: Path, target_dir: Path, fmt: str) -> Path:
    return soffice_convert(SOFFICE, source, target_dir, fmt)


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs it")
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_xls_and_ods_returns(round_ws, tmp_path, fmt):
    root, paths = round_ws
    filled = fill_workbook(paths["PSDA"], tmp_path / "PSDA.xlsx", _psda_mistake)
    converted = _convert(filled, tmp_path, fmt)
    shutil.copy(converted, _inbox(root) / converted.name)
    shutil.copystat(filled, _inbox(root) / converted.name)  # received when the unit saved it
    result = run_round(root)
    psda = next(u for u in result.units if u.unit == "PSDA")
    assert psda.status == "rejected"
    found = flatten(_unit_issues(result, "PSDA"), "code", "sheet", "cell")
    sheet = openpyxl.load_workbook(paths["PSDA"])["Data Kinerja"]
    assert found == [("not-a-number", "Data Kinerja", f"{letter('actual')}{data_rows(sheet)['PSDA-02']}")]
    feedback = openpyxl.load_workbook(result.feedback["PSDA"])
    assert feedback.sheetnames[0] == "Hasil Validasi"
    assert feedback["Data Kinerja"][found[0][2]].comment is not None
    with open_workspace(root).ledger() as ledger:
        value = ledger.db.execute("SELECT number FROM submission_values WHERE indicator_code = 'PSDA-01' "
                                  "AND field = 'actual'").fetchone()[0]
    assert value == pytest.approx(4.59)


_psda_mistake = set_cell("PSDA-02", "actual", "dua koma satu")

def test_a_set_with_one_mistake_of_each_kind(round_ws, run_cli):
    """Issue 4's acceptance: exact codes and cells, exit 3, one feedback workbook per faulty unit."""
    root, paths = round_ws
    rows = {u: data_rows(openpyxl.load_workbook(p)["Data Kinerja"]) for u, p in paths.items()}

    def spoil(*cells):
        def mutate(workbook, found):
            for row_key, key, value in cells:
                workbook["Data Kinerja"].cell(row=found[row_key], column=col(key)).value = value
        return mutate

    ppm_06 = "SUB 5.01.03.2.01.0001"  # PPM-06's sub kegiatan, pagu Rp 140.000.000
    fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx", spoil(("SEK-01", "actual", None), ("SEK-04", "target", 99)))
    fill_workbook(paths["P2EP"], _inbox(root) / "P2EP.xlsx", spoil(("P2EP-01", "actual", "sembilan puluh")))
    fill_workbook(paths["PPM"], _inbox(root) / "PPM.xlsx", spoil(("PPM-02", "actual", -1),
                                                                 (ppm_06, "spent", 999_999_999)))
    fill_workbook(paths["PSDA"], _inbox(root) / "PSDA.xlsx", spoil(("PSDA-01", "actual", 150)),
                  received="2026-10-10T09:00:00+07:00")
    fill_workbook(paths["IPW"], _inbox(root) / "IPW.xlsx", sign=False)
    (_inbox(root) / "catatan.pdf").write_bytes(b"%PDF-1.7 catatan rapat")
    result = run_cli("--project", root, "run", "--json", env={"SOPKINERJA_NOW": "2026-10-12T09:00:00+07:00"})
    assert result.exit_code == 3
    document = result.json()
    found = sorted((i["unit"] or "-", i["code"], i["cell"] or "-") for i in document["issues"])
    assert found == sorted([
        ("SEK", "missing-value", f"{letter('actual')}{rows['SEK']['SEK-01']}"),
        ("SEK", "prefilled-changed", f"{letter('target')}{rows['SEK']['SEK-04']}"),
        ("P2EP", "not-a-number", f"{letter('actual')}{rows['P2EP']['P2EP-01']}"),
        ("PPM", "negative-value", f"{letter('actual')}{rows['PPM']['PPM-02']}"),
        ("PPM", "over-budget", f"{letter('spent')}{rows['PPM'][ppm_06]}"),
        ("PSDA", "out-of-range", f"{letter('actual')}{rows['PSDA']['PSDA-01']}"),
        ("PSDA", "late-submission", "-"),
        ("IPW", "missing-signoff", "E8"),
        ("-", "unsupported-format", "-"),
    ])
    statuses = {u["unit"]: u["status"] for u in document["units"]}
    assert statuses == {"SEK": "rejected", "P2EP": "rejected", "PPM": "rejected", "PSDA": "rejected",
                        "IPW": "accepted", "LITBANG": "missing"}
    assert sorted(document["outputs"]["feedback"]) == ["IPW", "P2EP", "PPM", "PSDA", "SEK"]
    for path in document["outputs"]["feedback"].values():
        assert (root / path).is_file()
    assert all(i["message"] and i["severity"] in ("error", "warning", "info") for i in document["issues"])


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs it")
def test_the_same_return_saved_by_libreoffice_in_three_formats_reads_the_same(round_ws, tmp_path):
    root, paths = round_ws

    def typed(workbook, rows):
        sheet = workbook["Data Kinerja"]
        sheet.cell(row=rows["LIT-03"], column=col("actual")).value = "27,5"
        sheet.cell(row=rows["SUB 5.05.02.2.01.0002"], column=col("spent")).value = "Rp 150.000.000"

    filled = fill_workbook(paths["LITBANG"], tmp_path / "LIT.xlsx", typed)
    seen = []
    for fmt in ("xlsx", "xls", "ods"):
        folder = tmp_path / fmt
        folder.mkdir()
        converted = _convert(filled, folder, fmt)
        workspace = tmp_path / f"ws-{fmt}"
        shutil.copytree(root, workspace)
        shutil.copy(converted, _inbox(workspace) / converted.name)
        shutil.copystat(filled, _inbox(workspace) / converted.name)
        result = run_round(workspace)
        assert next(u for u in result.units if u.unit == "LITBANG").status == "accepted", fmt
        with open_workspace(workspace).ledger() as ledger:
            seen.append(sorted((r["indicator_code"], r["field"], r["number"], r["text"], r["cell"])
                               for r in ledger.db.execute("SELECT * FROM submission_values")))
    assert seen[0] == seen[1] == seen[2]
    assert ("LIT-03", "actual", 27.5, None) in [row[:4] for row in seen[0]]


def test_a_file_over_the_size_limit(round_ws):
    root, paths = round_ws
    config = root / "sopkinerja.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[batas]\nukuran_berkas_mb = 0.01\n", encoding="utf-8")
    fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx")
    result = run_round(root)
    assert flatten(result.issues, "code", "severity", "file") == [
        ("file-too-large", "error", "input/masuk/SEK.xlsx")]
    assert list((root / "arsip" / "berkas").rglob("*.xlsx"))  # archived all the same: nothing is lost


def test_an_outdated_request_is_read_with_a_warning(round_ws):
    import dataclasses
    from datetime import datetime

    from sopkinerja.example import example_master
    from sopkinerja.generate import generate
    from sopkinerja.i18n import Messages
    from sopkinerja.masterbook import write_master

    root, paths = round_ws
    first_format = shutil.copy(paths["SEK"], root / "SEK-format-lama.xlsx")  # regenerating overwrites it
    master = example_master()
    changed = tuple(dataclasses.replace(i, target=80.0) if i.code == "SEK-04" else i for i in master.indicators)
    (root / "input" / "master.xlsx").unlink()
    write_master(root / "input" / "master.xlsx", dataclasses.replace(master, indicators=changed), Messages("id"))
    generate(open_workspace(root), lambda: datetime.fromisoformat("2026-09-30T08:00:00+07:00"), "SEK")
    fill_workbook(Path(first_format), _inbox(root) / "SEK.xlsx")  # filled in the first format
    result = run_round(root)
    assert flatten(_unit_issues(result, "SEK"), "code", "severity") == [("outdated-request", "warning")]
    assert next(u for u in result.units if u.unit == "SEK").status == "accepted"


def test_an_mbox_and_a_macro_workbook(round_ws, tmp_path):
    import zipfile

    root, paths = round_ws
    data = fill_workbook(paths["IPW"], tmp_path / "IPW.xlsx").read_bytes()
    message = email.message.EmailMessage()
    message["From"], message["Subject"] = "ipw@taputkab.go.id", "TW3"
    message["Date"] = "Wed, 07 Oct 2026 14:00:00 +0700"
    message.set_content("Terlampir.")
    message.add_attachment(data, maintype="application", subtype="vnd.ms-excel", filename="IPW.xlsx")
    (_inbox(root) / "kotak.mbox").write_bytes(b"From ipw@taputkab.go.id Wed Oct  7 14:00:00 2026\n"
                                              + bytes(message) + b"\n")
    source = fill_workbook(paths["SEK"], tmp_path / "SEK.xlsx")
    macro = _inbox(root) / "SEK.xlsm"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(macro, "w") as target:
        for item in original.infolist():
            target.writestr(item, original.read(item.filename))
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 Attribute VB_Name = \"Auto_Open\" Shell \"calc\"")
    shutil.copystat(source, macro)
    result = run_round(root)
    statuses = {u.unit: (u.status, u.file) for u in result.units}
    assert statuses["IPW"] == ("accepted", "input/masuk/kotak.mbox#1:IPW.xlsx")
    assert statuses["SEK"] == ("accepted", "input/masuk/SEK.xlsm")
    with open_workspace(root).ledger() as ledger:
        formats = dict(ledger.db.execute("SELECT original_name, f.format FROM receipts r JOIN files f USING (sha256)"))
    assert formats["SEK.xlsm"] == "xlsm" and formats["kotak.mbox"] == "mbox"


def test_feedback_bytes_do_not_depend_on_the_clock(round_ws, monkeypatch):
    """openpyxl stamps the save time into docProps/core.xml; the feedback pins it."""
    import datetime as real_datetime
    import zipfile

    root, paths = round_ws
    fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx", set_cell("SEK-01", "actual", None))
    first = run_round(root).feedback["SEK"].read_bytes()

    class Later(real_datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return real_datetime.datetime(2031, 1, 2, 3, 4, 5, tzinfo=tz)

    import openpyxl.writer.excel as excel_writer

    monkeypatch.setattr(excel_writer.datetime, "datetime", Later)
    second = run_round(root).feedback["SEK"].read_bytes()
    assert first == second
    core = zipfile.ZipFile(io.BytesIO(second)).read("docProps/core.xml")
    assert b"2031" not in core and b"2026-10-05T03:00:00Z" in core


def test_cells_are_named_where_they_are_when_the_rows_above_the_table_are_emptied(round_ws):
    """A unit deletes the title lines above the header (their cells emptied, the rows kept): every
    cell is still named where Excel shows it (python-calamine's ``iter_rows`` counted such a
    sheet's rows from its first filled one, so each message named a cell that many rows too low)."""
    from openpyxl.utils import get_column_letter

    root, paths = round_ws

    def mutate(workbook, rows):
        sheet = workbook["Data Kinerja"]
        for merged in list(sheet.merged_cells.ranges):
            if merged.max_row < L.HEADER_ROW + 1:
                sheet.unmerge_cells(str(merged))
        for row in sheet.iter_rows(min_row=1, max_row=L.HEADER_ROW):  # HEADER_ROW is 0-based: the rows above
            for cell in row:
                cell.value = None
        sheet.cell(row=rows["SEK-04"], column=col("actual")).value = "banyak"
        log = workbook["Log Proses"]
        for row in log.iter_rows(min_row=1, max_row=L.LOG_HEADER_ROW):
            for cell in row:
                if not isinstance(cell, openpyxl.cell.cell.MergedCell):
                    cell.value = None
        log["D5"] = "kemarin pagi"
    fill_workbook(paths["SEK"], _inbox(root) / "SEK.xlsx", mutate)
    found = {(i.code, i.sheet, i.cell) for i in _unit_issues(run_round(root), "SEK")}
    workbook = openpyxl.load_workbook(paths["SEK"])
    row = data_rows(workbook["Data Kinerja"])["SEK-04"]
    assert (found >= {("not-a-number", "Data Kinerja", f"{get_column_letter(col('actual'))}{row}"),
                      ("unreadable-time", "Log Proses", "D5")}), found
