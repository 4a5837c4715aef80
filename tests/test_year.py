"""The year's cycle (issue 16): four quarters through the CLI with `period` between them, the series
and both capaians per round, budget counted once per sub kegiatan with APBD-P, a round missed and
entered late, blanks with and without a reason, the units' words in every output, `period` itself,
and a workspace made by the previous version (ledger schema 4, template 1) kept working."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from conftest import REPO, col, data_rows, log_col
from yearplay import BUDGET, EXPECTED, FOOTER, MASTER, ROUNDS, TEXTS, YEAR, _csv, _numbers, fill_request

from sopkinerja import layout as L


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_round_shows_the_year_so_far_and_both_capaians(year, code):
    root, runs, _, _ = year
    for (period, expected) in zip(ROUNDS, EXPECTED[code], strict=True):
        row = _csv(root, period)[code]
        assert _numbers(row, *YEAR) == pytest.approx(expected), (period, code)
        assert row["realisasi"] == row["realisasi_sd"] and row["metode"] == MASTER_METHODS[code]
        assert float(row["target_tahunan"]) == ANNUAL[code]


MASTER_METHODS = {i.code: i.method for i in MASTER.indicators}
ANNUAL = {i.code: i.target for i in MASTER.indicators}


@pytest.mark.parametrize("code", sorted(BUDGET))
def test_budget_so_far_and_serapan_per_round_within_the_revised_pagu(year, code):
    root, runs, _, _ = year
    for period, expected in zip(ROUNDS, BUDGET[code], strict=True):
        row = _csv(root, period)[code]
        assert _numbers(row, "pagu", "realisasi_anggaran", "serapan_persen") == pytest.approx(expected), period
    sek = [u for u in runs["2026-TW4"]["units"] if u["unit"] == "SEK"][0]
    assert (sek["status"], sek["errors"]) == ("accepted", 0)  # 200 juta: above the pagu, within APBD-P
    assert not [i for i in runs["2026-TW4"]["issues"] if i["code"] == "over-budget"]


def test_budget_is_on_the_first_indicator_row_of_its_sub_kegiatan_only(year):
    root, _, _, _ = year
    rows = _csv(root, "2026-TW4")
    shared = ("SEK-07", "SEK-08")  # one sub kegiatan, its pagu repeated on both rows of the master
    assert rows[shared[0]]["pagu"] == "24000000" and rows[shared[1]]["pagu"] == ""
    lines = MASTER.budget_lines
    total = sum(line.effective_budget for line in lines.values() if line.unit_code == "SEK" and line.effective_budget)
    assert sum(float(r["pagu"] or 0) for r in rows.values() if r["kode_unit"] == "SEK") == total


def test_the_next_request_shows_the_accepted_values_locked(year):
    _, _, requests, _ = year
    workbook = openpyxl.load_workbook(requests["2026-TW4"]["SEK"])
    data = workbook[L.DATA_SHEET]
    header = [c.value for c in data[L.HEADER_ROW + 1]]
    assert header[header.index("Target") + 1:header.index("Realisasi")] == [
        "Realisasi TW I", "Realisasi TW II", "Realisasi TW III"]
    rows = data_rows(data)
    at = lambda key: col(key, "2026-TW4")  # noqa: E731
    for key, earlier in (("SEK-06", (66, 67, 68)), ("SUB 5.01.01.2.01.0001", (20e6, 20e6, 20e6))):
        cells = [data.cell(row=rows[key], column=at(f"before_tw{n}")) for n in (1, 2, 3)]
        assert [c.value for c in cells] == list(earlier), key
        assert all(c.protection.locked for c in cells), key
    # SEK-04 is yearly: nothing to show before TW4, its earlier columns are not asked for.
    blocked = data.cell(row=rows["SEK-04"], column=at("before_tw1"))
    assert blocked.value is None and blocked.protection.locked
    assert data.cell(row=rows["SEK-04"], column=at("actual")).protection.locked is False


def test_a_missed_round_is_entered_late_and_counts_for_its_own_round(year):
    root, runs, requests, _ = year
    assert {u["unit"]: u["status"] for u in runs["2026-TW2"]["units"]}["PPM"] == "missing"
    data = openpyxl.load_workbook(requests["2026-TW3"]["PPM"])[L.DATA_SHEET]
    rows = data_rows(data)
    tw1 = data.cell(row=rows["PPM-08"], column=col("before_tw1"))
    tw2 = data.cell(row=rows["PPM-08"], column=col("before_tw2"))
    assert (tw1.value, tw1.protection.locked) == (2, True)  # accepted in TW1
    assert (tw2.value, tw2.protection.locked) == (None, False)  # never received: asked for now
    row = _csv(root, "2026-TW3")["PPM-08"]  # kali: 2 + 2 (late) + 2 of target s.d. TW3 6
    assert _numbers(row, *YEAR) == pytest.approx((2, 6, 100, 75))
    spent = _csv(root, "2026-TW3")["PPM-08"]
    assert float(spent["realisasi_anggaran"]) == 30e6  # TW1, TW2 (late) and TW3's spending
    tw4 = openpyxl.load_workbook(requests["2026-TW4"]["PPM"])[L.DATA_SHEET]
    rows = data_rows(tw4)
    assert tw4.cell(row=rows["PPM-08"], column=col("before_tw2", "2026-TW4")).value == 2  # now known


def test_the_recap_shows_each_round_per_unit(year):
    root, _, _, _ = year
    html = (root / "output" / "2026-TW4" / "Rekap Kinerja 2026-TW4.html").read_text(encoding="utf-8")
    section = html[html.index('id="tahun"'):html.index('id="kelengkapan"')]
    assert all(f"<th>TW {n}</th>" in section for n in ("I", "II", "III", "IV"))
    sek = section[section.index("<td>SEK</td>"):]
    sek = sek[:sek.index("</tr>")]
    assert sek.count("<rect") == 4 and "<title>TW IV:" in sek
    ppm = section[section.index("<td>PPM</td>"):]
    ppm = ppm[:ppm.index("</tr>")]
    assert ppm.count("<rect") == 3  # TW2 missed at the time: no average for that round


def test_the_units_words_are_in_every_output(year):
    root, _, _, _ = year
    folder = root / "output" / "2026-TW4"
    row = _csv(root, "2026-TW4")["SEK-01"]
    assert (row["faktor_pendorong"], row["faktor_penghambat"], row["tindak_lanjut"], row["bukti_dukung"]) == (
        TEXTS["drivers"], TEXTS["obstacles"], TEXTS["follow_up"], TEXTS["evidence"])
    sheet = openpyxl.load_workbook(folder / "Rekap Kinerja 2026-TW4.xlsx")["Analisis Kinerja"]
    values = [[c for c in r] for r in sheet.iter_rows(values_only=True)]
    assert ("SEK", "SEK-01", MASTER.indicators[0].name, *TEXTS.values()) in [tuple(v[:7]) for v in values]
    assert any(v[:6] == ("Sekretariat", "SEK", *FOOTER.values()) for v in map(tuple, values))
    html = (folder / "Rekap Kinerja 2026-TW4.html").read_text(encoding="utf-8")
    assert "Dukungan &lt;b&gt;pimpinan&lt;/b&gt; &amp; koordinasi" in html and "<b>pimpinan</b>" not in html
    assert "Komitmen pimpinan" in html and "Percepat pengumpulan data" in html


def test_period_moves_forward_and_keeps_the_file(year):
    root, _, _, periods = year
    assert periods["2026-TW2"]["previous"] == "2026-TW1"
    assert periods["2026-TW2"]["deadline"] == "2026-07-10T16:00:00+07:00"
    # Without --deadline: the 10th after the quarter, or the next working day (10 January 2027 is a Sunday).
    assert periods["2026-TW4"]["deadline"] == "2027-01-11T16:00:00+07:00"
    text = (root / "sopkinerja.toml").read_text(encoding="utf-8")
    assert 'kode = "2026-TW4"' in text and "batas_waktu = 2027-01-11T16:00:00+07:00" in text
    assert "# Kode periode: 2026-TW1 ... 2026-TW4" in text and "# [kalender]" in text  # comments kept


# --- period on its own -----------------------------------------------------------------------


def test_period_refuses_going_back_and_beyond_next_year(example_ws, run_cli):
    before = (example_ws / "sopkinerja.toml").read_text(encoding="utf-8")
    back = run_cli("--project", example_ws, "period", "2026-TW2")
    assert back.exit_code == 1 and "lebih awal" in back.stderr and "--force" in back.stderr
    far = run_cli("--project", example_ws, "period", "2028-TW1")
    assert far.exit_code == 1 and "lebih dari setahun" in far.stderr
    bad = run_cli("--project", example_ws, "period", "2026-TW5")
    assert bad.exit_code == 1 and "tidak dikenal" in bad.stderr
    wrong = run_cli("--project", example_ws, "period", "2026-TW4", "--deadline", "besok")
    assert wrong.exit_code == 1 and "tidak terbaca" in wrong.stderr
    assert (example_ws / "sopkinerja.toml").read_text(encoding="utf-8") == before  # nothing written
    next_year = run_cli("--project", example_ws, "period", "2027-S1", "--deadline", "2027-07-12")
    assert next_year.exit_code == 0, next_year.stderr
    assert "2026-TW3 -> 2027-S1" in next_year.stdout and "Senin, 12 Juli 2027 pukul 16.00 WIB" in next_year.stdout
    text = (example_ws / "sopkinerja.toml").read_text(encoding="utf-8")
    assert text.replace('kode = "2027-S1"', 'kode = "2026-TW3"').replace(
        "batas_waktu = 2027-07-12T16:00:00+07:00", "batas_waktu = 2026-10-09T16:00:00+07:00") == before


def test_period_keeps_a_comment_on_the_same_line(example_ws, run_cli):
    config = example_ws / "sopkinerja.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        'kode = "2026-TW3"', 'kode = "2026-TW3"   # diubah oleh Kasubbag'), encoding="utf-8")
    assert run_cli("--project", example_ws, "period", "2026-TW4").exit_code == 0
    assert 'kode = "2026-TW4"   # diubah oleh Kasubbag' in config.read_text(encoding="utf-8")


def test_generate_says_how_many_methods_were_defaulted(example_ws, run_cli):
    result = run_cli("--project", example_ws, "generate", "--json")
    defaulted = sum(i.defaulted for i in MASTER.indicators)
    assert result.json()["defaulted_methods"] == defaulted > 0
    human = run_cli("--project", example_ws, "generate")
    assert f"{defaulted} indikator tidak punya kolom metode di master" in human.stdout


# --- budget, blanks ---------------------------------------------------------------------------


def test_budget_once_per_sub_kegiatan_and_serapan_over_the_known_lines(tmp_path, master_factory, run_cli):
    """Two indicators under one sub kegiatan never double its pagu; the agency's serapan leaves
    out a unit that did not answer, and the recap says whose budget that is."""
    from conftest import INDICATOR_HEADER, unit_row, write_master_xlsx

    from sopkinerja.workspace import init_workspace

    header = [*INDICATOR_HEADER, "pagu_perubahan"]
    sub = "5.01.02.2.01.0005 Pelaksanaan Musrenbang Kabupaten/Kota"

    def row(unit, code, sub_activity, pagu=None, revised=None, target=4, measure="dokumen", tws=(1, 2, 3, 4)):
        values = dict.fromkeys(header)
        values.update({"kode_unit": unit, "kode": code, "sasaran": "S", "program": "5.01.02 Program",
                       "kegiatan": "5.01.02.2.01 Kegiatan", "sub_kegiatan": sub_activity, "indikator": code,
                       "satuan": measure, "polaritas": "+", "target": target, "pagu": pagu,
                       "pagu_perubahan": revised,
                       **{f"target_tw{n}": t for n, t in zip((1, 2, 3, 4), tws, strict=True)}})
        return [values[h] for h in header]

    root = tmp_path / "ws"
    init_workspace(root, example=True, today=datetime(2026, 10, 5).date(), messages=_messages())
    write_master_xlsx(root / "input" / "master.xlsx", {
        "Unit": [["kode", "nama", "kepala", "nip", "email"], unit_row("A", "Bidang A"), unit_row("B", "Bidang B")],
        "Indikator": [header,
                      row("A", "A-1", sub, pagu=300e6), row("A", "A-2", sub, pagu=300e6, measure="%", target=90,
                                                            tws=(90, 90, 90, 90)),
                      row("A", "A-3", "5.01.02.2.01.0003 Pelaksanaan Konsultasi Publik", revised=120e6),
                      row("B", "B-1", "5.01.02.2.03.0001 Koordinasi", pagu=200e6)]})
    env = {"SOPKINERJA_NOW": "2026-09-28T08:00:00+07:00"}
    generated = run_cli("--project", root, "generate", "--json", env=env)
    assert generated.exit_code == 0, generated.stderr
    paths = {w["unit"]: Path(w["path"]) for w in generated.json()["workbooks"]}
    spend = {"SUB 5.01.02.2.01.0005": (150e6,) * 4, "SUB 5.01.02.2.01.0003": (60e6,) * 4}
    from sopkinerja.workspace import open_workspace

    fill_request(paths["A"], root / "input" / "masuk" / "A.xlsx", spend, 3, "2026-10-07T10:00:00+07:00",
                 master=open_workspace(root).master().master)
    result = run_cli("--project", root, "run", "--json", env={"SOPKINERJA_NOW": "2026-10-12T09:00:00+07:00"})
    assert result.exit_code == 3  # B did not answer
    rows = _csv(root, "2026-TW3")
    assert (rows["A-1"]["pagu"], rows["A-2"]["pagu"]) == ("300000000", "")  # once, not 600 juta
    assert (rows["A-3"]["pagu"], rows["A-3"]["serapan_persen"]) == ("120000000", "50")  # APBD-P alone
    assert rows["B-1"]["pagu"] == "200000000" and rows["B-1"]["realisasi_anggaran"] == ""
    summary = openpyxl.load_workbook(root / "output" / "2026-TW3" / "Rekap Kinerja 2026-TW3.xlsx")["Ringkasan"]
    lines = list(summary.iter_rows(min_row=6, values_only=True))
    total = next(r for r in lines if r[1] == "Jumlah badan")
    assert total[13] == 620e6 and total[14] == 210e6
    assert total[15] == pytest.approx(50.0)  # 210 of the 420 juta whose spending is known, never of 620
    note = next(r[1] for r in lines if r[1] and str(r[1]).startswith("Serapan dihitung"))
    assert "B Bidang B (Rp 200.000.000, belum mengirim)" in note
    html = (root / "output" / "2026-TW3" / "Rekap Kinerja 2026-TW3.html").read_text(encoding="utf-8")
    assert "B Bidang B (Rp 200.000.000, belum mengirim)" in html


def _messages():
    from sopkinerja.i18n import Messages

    return Messages("id")


def test_a_blank_with_its_reason_is_accepted_and_an_indicator_not_due_may_stay_blank(round_ws):
    from conftest import run_round

    root, paths = round_ws
    plan = {"SEK-02": (None, None, None, None)}  # due, left blank: its reason in Keterangan
    reason = "Laporan triwulan III masih menunggu tanda tangan Kepala"
    fill_request(paths["SEK"], root / "input" / "masuk" / "SEK.xlsx", plan, 3, "2026-10-05T10:00:00+07:00",
                 note={"SEK-02": reason})
    result = run_round(root)
    sek = next(u for u in result.units if u.unit == "SEK")
    issues = [(i.code, i.severity, i.params.get("code")) for i in result.issues if i.unit == "SEK"]
    assert sek.status == "accepted" and issues == [("value-not-available", "warning", "SEK-02")]
    rows = _csv(root, "2026-TW3")
    assert rows["SEK-02"]["realisasi"] == "" and rows["SEK-02"]["keterangan"] == reason
    assert rows["SEK-04"]["realisasi"] == "" and rows["SEK-04"]["capaian_persen"] == ""  # tahunan, not due


# --- upgrading -----------------------------------------------------------------------------------

FIXTURE = REPO / "tests" / "fixtures" / "workspace-issue14"


def test_a_workspace_of_the_previous_version_keeps_working(tmp_path, run_cli):
    """Made by the issue-14 version (ledger schema 4, request template 1, budget per indicator):
    the ledger is migrated, its accepted return still counts, a return of the old template is
    read by its own layout, and once new requests are issued it is ``outdated-request``."""
    import sqlite3

    root = tmp_path / "ws"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("permintaan", "mtimes.json", "README.md"))
    for name, stamp in json.loads((FIXTURE / "mtimes.json").read_text(encoding="utf-8")).items():
        os.utime(root / name, (stamp, stamp))
    ledger = root / "arsip" / "buku-besar.sqlite"
    assert sqlite3.connect(ledger).execute("PRAGMA user_version").fetchone()[0] == 4
    old_ppm = FIXTURE / "permintaan" / "PPM-v1.xlsx"
    _fill_first_template(old_ppm, root / "input" / "masuk" / "PPM.xlsx")
    env = {"SOPKINERJA_NOW": "2026-10-12T09:00:00+07:00"}
    first = run_cli("--project", root, "run", "--json", env=env)
    assert first.exit_code == 3, first.stderr
    from sopkinerja.ledger import SCHEMA_VERSION

    db = sqlite3.connect(ledger)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    # The numbers the recap reads back, copied out of the old rows' JSON by the migration.
    assert db.execute("SELECT target, annual, budget FROM request_rows WHERE indicator_code = 'SEK-01' "
                      "ORDER BY rowid LIMIT 1").fetchone() == (3.0, None, 85000000.0)
    statuses = {u["unit"]: (u["status"], u["errors"]) for u in first.json()["units"]}
    assert statuses["SEK"] == ("accepted", 0) and statuses["PPM"] == ("accepted", 0), first.json()["issues"]
    rows = _csv(root, "2026-TW3")
    assert float(rows["SEK-01"]["realisasi"]) == pytest.approx(2.7)  # 90 % of its TW3 target, as filled then
    assert rows["SEK-06"]["realisasi_anggaran"] != ""  # spending given per indicator then, on its line now
    regenerated = run_cli("--project", root, "generate", "--json", env={"SOPKINERJA_NOW": "2026-10-12T10:00:00+07:00"})
    assert regenerated.exit_code == 0 and all(w["replaces"] for w in regenerated.json()["workbooks"])
    again = run_cli("--project", root, "run", "--json", env={"SOPKINERJA_NOW": "2026-10-12T11:00:00+07:00"})
    codes = {(i["unit"], i["code"]) for i in again.json()["issues"]}
    assert ("SEK", "outdated-request") in codes and ("PPM", "outdated-request") in codes
    assert {u["unit"]: u["status"] for u in again.json()["units"]}["SEK"] == "accepted"
    assert float(_csv(root, "2026-TW3")["SEK-01"]["realisasi"]) == pytest.approx(2.7)


def _fill_first_template(source: Path, target: Path) -> None:
    """A unit fills the first template's workbook after the upgrade (its columns by their labels)."""
    workbook = openpyxl.load_workbook(source)
    data = workbook[L.DATA_SHEET]
    header = {c.value: c.column for c in data[L.HEADER_ROW + 1]}
    for row in range(L.HEADER_ROW + 2, data.max_row + 1):
        if not data.cell(row=row, column=header["Kunci Baris"]).value:
            continue
        target_value = data.cell(row=row, column=header["Target"]).value
        data.cell(row=row, column=header["Realisasi"]).value = round((target_value or 1) * 0.9, 2)
        budget = data.cell(row=row, column=header["Pagu (Rp)"]).value
        if budget:
            data.cell(row=row, column=header["Realisasi Anggaran (Rp)"]).value = budget / 2
    log = workbook[L.LOG_SHEET]
    for offset, row in enumerate(range(L.LOG_HEADER_ROW + 2, L.LOG_HEADER_ROW + 7)):
        log.cell(row=row, column=log_col("start")).value = datetime(2026, 10, 1 + offset, 8)
        log.cell(row=row, column=log_col("end")).value = datetime(2026, 10, 1 + offset, 15)
    workbook.save(target)
    stamp = datetime.fromisoformat("2026-10-06T10:00:00+07:00").timestamp()
    os.utime(target, (stamp, stamp))
