"""What the user reads (issue 18): every text in clear Indonesian and real English, click's own
messages included; TOML and master errors that say everything at once; times that say why;
wording that fits what happened; the SOP naming the workspace's own agency; step 8 ending at the
real receipt; quiet on a closed pipe; files made with the umask."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from conftest import GENERATED_AT, RUN_AT, col, fill_all, fill_workbook, run_round, set_cell

from sopkinerja.i18n import Messages, catalogue

INDONESIAN_WORDS = ("Januari", "Februari", "Maret", "Mei", "Juni", "Juli", "Agustus", "Oktober", "Desember",
                    "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu", "pukul", "Galat", "Peringatan",
                    "Pemakaian", "Pilihan", "Perintah", "berkas", "diterima", "ditolak", "belum", "langkah",
                    "Langkah", "unit diterima", "Contoh")
ENGLISH_WORDS = ("January", "February", "March", "April", "June", "July", "August", "October", "December",
                 "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Usage:",
                 "Error:", "Options:", "Commands:", "Show this message", "Example:", "received", "accepted",
                 "rejected", "missing")


def _words(text: str, words) -> list[str]:
    return [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]


# --- the catalogue -----------------------------------------------------------------------------


def test_every_catalogue_key_renders_in_both_languages():
    ids, ens = catalogue("id"), catalogue("en")
    assert set(ids) == set(ens)
    for language in ("id", "en"):
        msg = Messages(language)
        for key, template in catalogue(language).items():
            names = set(re.findall(r"\{(\w+)(?:![rs])?(?::[^}]*)?\}", template))
            params = dict.fromkeys(names, 1)
            text = msg(key, **params)
            assert not re.search(r"\{\w+\|", text), key  # plurals resolved
            assert not re.search(r"\{\w+\}", text), (language, key, text)  # every placeholder filled


@pytest.mark.parametrize(("count", "expected"), [(1, "1 error, 1 warning"), (3, "3 errors, 3 warnings")])
def test_english_plurals(count, expected):
    assert expected in Messages("en")("run.issues_head", errors=count, warnings=count)
    assert Messages("id")("run.issues_head", errors=count, warnings=count) == (
        f"Masalah ({count} galat, {count} peringatan):")


# --- every command in one language only --------------------------------------------------------


def _every_command(root: Path, run_cli, env: dict) -> str:
    """Every command as a user would run it, help, usage errors and a fatal error included; all output."""
    out = []

    def call(*args):
        result = run_cli(*args, env=env)
        out.append(result.stdout + result.stderr)
        return result

    call("--project", root, "--help")
    for name in ("init", "generate", "send", "run", "status", "step", "period", "ignore", "verify", "demo"):
        call("--project", root, name, "--help")
    call("--project", root, "terbang")
    call("--project", root, "step")
    call("--project", root, "step", "x")
    call("--project", root, "generate", "--unit", "NOPE")
    paths = {}
    generated = call("--project", root, "generate", "--json")
    import json

    for w in json.loads(generated.stdout)["workbooks"]:
        paths[w["unit"]] = Path(w["path"])
    call("--project", root, "send", "--dry-run")
    call("--project", root, "send")  # no [surel]: explained
    fill_all(root, paths, skip=("LITBANG", "PPM"))
    fill_workbook(paths["PPM"], root / "input" / "masuk" / "PPM.xlsx",
                  lambda wb, rows: setattr(wb["Data Kinerja"].cell(row=rows["PPM-06"], column=col("actual")),
                                           "value", "banyak"), received="2026-10-10T16:00:01+07:00")
    call("--project", root, "run")
    call("--project", root, "status")
    call("--project", root, "step", "1", "--start", "25/06/2026 09.00", "--end", "25/06/2026 09.20")
    call("--project", root, "verify")
    call("--project", root, "ignore", "input/masuk/PPM.xlsx", "--reason", "x")
    call("--project", root, "period", "2026-TW2")
    call("--project", root, "period", "2026-TW4")
    if "SOPKINERJA_LANG" in env or _config_language(root) == "id":  # no workspace there: no bahasa to follow
        call("--project", root / "nope", "status")
    return "\n".join(out)


def _config_language(root: Path) -> str:
    import tomllib

    return tomllib.loads((root / "sopkinerja.toml").read_text(encoding="utf-8")).get("bahasa", "id")


def test_english_mode_is_wholly_english(example_ws, run_cli):
    config = example_ws / "sopkinerja.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('bahasa = "id"', 'bahasa = "en"'), encoding="utf-8")
    text = _every_command(example_ws, run_cli, {"SOPKINERJA_NOW": RUN_AT})
    # The master's own words (indicator and unit names) are the agency's; strip the lines that quote them.
    found = _words(text, INDONESIAN_WORDS)
    assert found == [], [line for line in text.splitlines() if _words(line, INDONESIAN_WORDS)][:15]
    assert "Usage:" in text and "Error:" in text and "October" in text


def test_indonesian_mode_is_wholly_indonesian(example_ws, run_cli):
    text = _every_command(example_ws, run_cli, {"SOPKINERJA_NOW": RUN_AT})
    found = _words(text, ENGLISH_WORDS)
    assert found == [], [line for line in text.splitlines() if _words(line, ENGLISH_WORDS)][:15]
    assert "Pemakaian:" in text and "Galat:" in text and "Oktober" in text


def test_usage_errors_are_in_the_users_language(example_ws, run_cli):
    missing = run_cli("--project", example_ws, "step")
    assert missing.exit_code == 2 and "Argumen belum diisi 'NOMOR'" in missing.stderr
    unknown = run_cli("terbang")
    assert "Perintah 'terbang' tidak ada." in unknown.stderr and "--help' untuk bantuan." in unknown.stderr
    english = run_cli("--project", example_ws, "step", env={"SOPKINERJA_LANG": "en"})
    assert "Missing argument 'NUMBER'" in english.stderr
    assert "--unit KODE" in run_cli("generate", "--help").stdout and "--unit KODE" in run_cli("step", "--help").stdout


# --- configuration and master errors ----------------------------------------------------------------


def test_a_toml_syntax_error_is_explained_with_line_column_and_a_hint(example_ws, run_cli):
    config = example_ws / "sopkinerja.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('kode = "2026-TW3"', 'kode = "2026-TW3"\nkode = "2026-TW4"'), encoding="utf-8")
    result = run_cli("--project", example_ws, "status")
    assert result.exit_code == 1
    line = text.splitlines().index('kode = "2026-TW3"') + 2
    assert f"baris {line}, kolom" in result.stderr and '`kode = "2026-TW4"`' in result.stderr
    assert "sudah diisi di atasnya" in result.stderr and "Cannot overwrite" not in result.stderr
    config.write_text(text.replace("batas_waktu = 2026-10-09T16:00:00+07:00", "batas_waktu = 2026-10-09 16.00"),
                      encoding="utf-8")
    result = run_cli("--project", example_ws, "status")
    assert "Invalid" not in result.stderr and "Expected" not in result.stderr and "baris" in result.stderr


def test_an_unknown_section_is_one_problem_named_as_a_section(example_ws, run_cli):
    config = example_ws / "sopkinerja.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[kontak]", "[kontk]"), encoding="utf-8")
    result = run_cli("--project", example_ws, "status")
    assert result.exit_code == 1
    assert "(1 masalah)" in result.stderr and "bagian [kontk] tidak dikenal; maksudnya [kontak]?" in result.stderr
    assert "kunci kontk." not in result.stderr


def test_master_problems_all_at_once_when_a_column_is_missing(tmp_path, master_factory):
    from conftest import INDICATOR_HEADER, UNIT_HEADER, indicator_row, unit_row

    from sopkinerja.master import read_master

    header = [h for h in INDICATOR_HEADER if h != "polaritas"]
    drop = INDICATOR_HEADER.index("polaritas")
    rows = [indicator_row(code="I-01"), indicator_row(code="I-01"), indicator_row(unit="XXX", code="I-02", target="x")]
    rows = [[v for i, v in enumerate(r) if i != drop] for r in rows]
    path = master_factory(sheets={"Unit": [UNIT_HEADER, unit_row(), unit_row()], "Indikator": [header, *rows]})
    report = read_master(path)
    keys = {p.key for p in report.errors}
    assert "master.missing_column" in keys  # polaritas, said once
    assert {"master.duplicate_indicator", "master.unknown_unit", "master.duplicate_unit"} <= keys
    assert not [p for p in report.errors if p.params.get("column") == "polaritas" and p.key != "master.missing_column"]


# --- times, numbers and wording ----------------------------------------------------------------------


def test_lateness_by_a_second_shows_the_seconds(round_ws):
    root, paths = round_ws
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK.xlsx", received="2026-10-09T16:00:01+07:00")
    result = run_round(root)
    late = next(i for i in result.issues if i.code == "late-submission")
    assert "pukul 16.00.01 WIB" in late.message(Messages("id")) and "pukul 16.00 WIB" in late.message(Messages("id"))
    english = late.message(Messages("en"))
    assert "Friday, 9 October 2026, 16:00:01 WIB" in english and "pukul" not in english


def test_a_late_and_rejected_file_is_never_told_its_data_is_accepted(round_ws):
    root, paths = round_ws

    broken = set_cell("SEK-01", "actual", "banyak")
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK.xlsx", broken, received="2026-10-10T10:00:00+07:00")
    result = run_round(root)
    assert next(u for u in result.units if u.unit == "SEK").status == "rejected"
    late = next(i for i in result.issues if i.code == "late-submission").message(Messages("id"))
    assert "tetap diterima" not in late and "tidak membuat berkas ditolak" in late


def test_an_ambiguous_number_names_its_other_reading_whole(round_ws):
    root, paths = round_ws

    typed = set_cell("PPM-06", "actual", "1.234")
    fill_workbook(paths["PPM"], root / "input" / "masuk" / "PPM.xlsx", typed)
    result = run_round(root)
    issue = next(i for i in result.issues if i.code == "ambiguous-number")
    assert "bisa juga berarti 1,234" in issue.message(Messages("id"))


def test_the_guide_never_says_send_it_to_a_dash(example_ws):
    from datetime import datetime

    from sopkinerja.generate import generate
    from sopkinerja.workspace import open_workspace

    config = example_ws / "sopkinerja.toml"
    config.write_text(re.sub(r'(?m)^email = ".*"$', 'email = ""', config.read_text(encoding="utf-8")),
                      encoding="utf-8")
    result = generate(open_workspace(example_ws), lambda: datetime.fromisoformat(GENERATED_AT))
    guide = openpyxl.load_workbook(result.workbooks[0].path)["Petunjuk"]
    texts = " ".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    assert "ke -." not in texts and "WhatsApp" in texts


def test_step_says_whole_minutes_and_warns_of_a_date_outside_the_cycle(example_ws, run_cli):
    ok = run_cli("--project", example_ws, "step", "1", "--start", "25/09/2026 09.00", "--end", "25/09/2026 09.20")
    assert "20 menit kerja" in ok.stdout and "20.0" not in ok.stdout and "Perhatian" not in ok.stdout
    june = run_cli("--project", example_ws, "step", "1", "--start", "25/06/2026 09.00", "--end", "25/06/2026 09.20")
    assert june.exit_code == 0
    assert "Perhatian: tanggal mulai 25 Juni 2026 jauh dari siklus periode 2026-TW3" in june.stdout
    document = run_cli("--project", example_ws, "step", "1", "--start", "25/06/2026 09.00", "--json")
    assert [w["code"] for w in document.json()["warnings"]] == ["outside-cycle"]


def test_feedback_comments_speak_the_users_words(round_ws):
    root, paths = round_ws

    broken = set_cell("SEK-01", "actual", "banyak")
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK.xlsx", broken)
    result = run_round(root)
    workbook = openpyxl.load_workbook(result.feedback["SEK"])
    comments = [c.comment.text for row in workbook["Data Kinerja"].iter_rows() for c in row if c.comment]
    assert comments and all(t.startswith(("Galat: ", "Peringatan: ")) for t in comments)
    assert not [t for t in comments if "[not-a-number]" in t]


def test_run_says_what_was_superseded_and_each_path_once(round_ws, run_cli):
    root, paths = round_ws
    inbox = root / "input" / "masuk"

    def broken(workbook, rows):
        for code in ("PPM-06", "PPM-07"):
            workbook["Data Kinerja"].cell(row=rows[code], column=col("actual")).value = "banyak"

    fill_workbook(paths["SEK"], inbox / "SEK-a.xlsx", received="2026-10-05T10:00:00+07:00")
    fill_workbook(paths["SEK"], inbox / "SEK-b.xlsx", received="2026-10-06T10:00:00+07:00",
                  mutate=lambda wb, rows: setattr(wb["Data Kinerja"].cell(row=rows["SEK-01"], column=col("note")),
                                                  "value", "diperbaiki"))
    fill_workbook(paths["PPM"], inbox / "PPM.xlsx", broken)
    result = run_cli("--project", root, "run", env={"SOPKINERJA_NOW": RUN_AT})
    lines = result.stdout.splitlines()
    assert "      menggantikan: input/masuk/SEK-a.xlsx" in lines
    assert lines.count("  PPM input/masuk/PPM.xlsx:") == 1
    assert sum("input/masuk/PPM.xlsx" in line for line in lines) == 2  # its unit line and its heading


def test_the_demo_says_what_it_shows_and_why(tmp_path, run_cli):
    result = run_cli("demo", tmp_path / "demo")
    assert result.exit_code == 0
    assert "Yang diperagakan" in result.stdout and "IPW ditolak karena" in result.stdout
    assert "LITBANG sengaja belum mengirim" in result.stdout and "PSDA mengirim setelah batas waktu" in result.stdout
    assert "kode 3" in result.stdout and "skema" not in result.stdout


def test_the_sop_names_the_workspaces_own_agency(round_ws):
    root, paths = round_ws
    config = root / "sopkinerja.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('singkatan = "Bappedalitbang"',
                                                                 'singkatan = "Bapperida"'), encoding="utf-8")
    fill_all(root, paths)
    run_round(root)
    html = (root / "output" / "2026-TW3" / "Rekap Kinerja 2026-TW3.html").read_text(encoding="utf-8")
    assert "Kepala Bapperida memerintahkan" in html and "Kepala Bappedalitbang" not in html


def test_step_8_ends_at_the_receipt_and_keeps_the_units_own_time(round_ws):
    """SEK's Log Proses says it handed the data over on 5 October; the file arrived on
    the 12th, late: step 8 ends at the receipt, the unit's time is kept beside it and flagged."""
    import csv
    from datetime import datetime

    from conftest import log_col

    root, paths = round_ws

    def declared(workbook, rows):
        log = workbook["Log Proses"]
        row = next(r for r in range(1, log.max_row + 1) if log.cell(row=r, column=log_col("step")).value == 8)
        log.cell(row=row, column=log_col("end")).value = datetime(2026, 10, 5, 15, 30)

    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK.xlsx", declared, received="2026-10-12T08:00:00+07:00")
    result = run_round(root, at="2026-10-12T09:00:00+07:00")
    assert [i.code for i in result.issues if i.unit == "SEK" and i.code == "declared-time-differs"]
    with open(root / "output" / "2026-TW3" / "log-waktu-sop-2026-TW3.csv", encoding="utf-8-sig") as handle:
        rows = [r for r in csv.DictReader(handle) if r["langkah"] == "8" and r["kode_unit"] == "SEK"]
    assert rows[0]["selesai"].startswith("2026-10-12T08:00") and rows[0]["sumber"] == "sistem"
    assert rows[0]["selesai_menurut_unit"].startswith("2026-10-05")


# --- small things ---------------------------------------------------------------------------------


def test_a_closed_pipe_ends_quietly(round_ws):
    root, paths = round_ws
    fill_all(root, paths)
    env = {**os.environ, "SOPKINERJA_NOW": RUN_AT}
    process = subprocess.run(f'"{sys.executable}" -m sopkinerja --project "{root}" run | head -n 1', shell=True,
                             capture_output=True, text=True, env=env, check=False)
    assert process.stdout.startswith("Periode 2026-TW3")
    assert "Galat" not in process.stderr and "BrokenPipe" not in process.stderr and "Traceback" not in process.stderr


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_files_are_created_with_the_processs_umask(round_ws):
    root, paths = round_ws

    broken = set_cell("SEK-01", "actual", "banyak")
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK.xlsx", broken)
    result = run_round(root)
    mask = os.umask(0o022)
    os.umask(mask)
    expected = 0o666 & ~mask
    for path in (paths["SEK"], result.feedback["SEK"], root / "output" / "2026-TW3" / "Rekap Kinerja 2026-TW3.xlsx",
                 root / "output" / "2026-TW3" / "Formulir E.81 2026-TW3.xlsx"):
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


@pytest.mark.parametrize(("today", "period", "deadline"), [
    (date(2026, 10, 5), "2026-TW3", "2026-10-12T16:00:00+07:00"),  # 10 October 2026 is a Saturday
    (date(2026, 7, 2), "2026-TW2", "2026-07-10T16:00:00+07:00"),  # a Friday
    (date(2026, 1, 5), "2025-TW4", "2026-01-12T16:00:00+07:00"),  # 10 January 2026 is a Saturday
])
def test_init_proposes_a_deadline_on_a_working_day(tmp_path, today, period, deadline):
    from sopkinerja.workspace import init_workspace, open_workspace

    init_workspace(tmp_path / "ws", example=False, today=today, messages=Messages("id"))
    config = open_workspace(tmp_path / "ws").config
    assert config.period.code == period and config.deadline.isoformat() == deadline


def test_english_recap_page_and_workbook(round_ws):
    """The page says its language; a unit whose code is one of the recap's own sheet names in that
    language gets a sheet of its own (not a clash)."""
    root, paths = round_ws
    config = root / "sopkinerja.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('bahasa = "id"', 'bahasa = "en"'), encoding="utf-8")
    fill_all(root, paths)
    run_round(root)
    html = (root / "output" / "2026-TW3" / "Rekap Kinerja 2026-TW3.html").read_text(encoding="utf-8")
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    from sopkinerja.report.xlsx import _sheet_name

    taken = {Messages("en")(f"recap.{k}") for k in ("sheet_summary", "sheet_issues")}
    assert _sheet_name("Summary", taken) == "Summary_" and _sheet_name("summary", taken) == "summary_"
    assert _sheet_name("Ringkasan", taken) == "Ringkasan"  # only the run's own language's names are taken
