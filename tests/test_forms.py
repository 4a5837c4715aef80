"""The official forms (issue 17): Formulir E.81 every round and the LKjIP tables after the year's
last round, read back with openpyxl and python-calamine and checked against the ledger, the
rounds' CSVs and values computed by hand; printed by LibreOffice on A4 landscape."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import REPO, fill_all, fill_workbook, run_round, soffice_convert
from yearplay import FOOTER, MASTER, ROUNDS, _csv

from sopkinerja.rules import for_average, kategori, round_half_up

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDF_TOOLS = shutil.which("pdfinfo") and shutil.which("pdftotext") and shutil.which("pdftoppm")

# The contract (product.md §3.7): each numbered column, its label and its sheet columns.
E81_HEADER = [
    (1, "No", "A"), (2, "Sasaran", "B"), (3, "Program / Kegiatan / Sub Kegiatan", "C"),
    (4, "Indikator Kinerja Program (outcome) / Kegiatan (output)", "D"),
    (5, "Target Renstra PD akhir periode", "E:F"),
    (6, "Realisasi capaian Renstra PD s.d. Renja tahun lalu", "G:H"),
    (7, "Target kinerja dan anggaran Renja tahun berjalan", "I:J"),
    (8, "Realisasi kinerja pada Triwulan I", "K:L"), (9, "Realisasi kinerja pada Triwulan II", "M:N"),
    (10, "Realisasi kinerja pada Triwulan III", "O:P"), (11, "Realisasi kinerja pada Triwulan IV", "Q:R"),
    (12, "Realisasi capaian kinerja dan anggaran Renja yang dievaluasi", "S:T"),
    (13, "Realisasi Renstra s.d. tahun berjalan", "U:V"), (14, "Tingkat capaian Renstra (%)", "W:X"),
    (15, "Unit Penanggung Jawab", "Y"), (16, "Keterangan", "Z"),
]
HEADER_ROW = 7  # Excel rows: the header 7, K / Rp 8, the numbered row 9, the body from 10
BODY_ROW = 10
K = {name: openpyxl.utils.column_index_from_string(letters.split(":")[0]) - 1
     for name, (_, _, letters) in zip(("no", "objective", "name", "indicator", "renstra", "renstra_last", "annual",
                                       "q1", "q2", "q3", "q4", "year", "renstra_so_far", "rate", "unit", "remarks"),
                                      E81_HEADER, strict=True)}


def e81_path(root: Path, period: str) -> Path:
    return root / "output" / period / f"Formulir E.81 {period}.xlsx"


def calamine_rows(path: Path, sheet: str) -> list[list]:
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def body(path: Path) -> list[list]:
    """The form's body rows (0-based list of 26 values each), up to the footer."""
    rows = calamine_rows(path, "E.81")
    out = []
    for row in rows[BODY_ROW - 1:]:
        if row[0] == "Rata-rata capaian kinerja (%)":
            break
        out.append([None if v == "" else v for v in row])
    return out


def indicator_rows(path: Path) -> dict[str, list]:
    """Indicator rows by their indicator code (matched on the master's names: unique per unit here)."""
    by_name = {(i.name, next(u.name for u in MASTER.units if u.code == i.unit_code)): i.code for i in MASTER.indicators}
    return {by_name[(r[K["indicator"]], r[K["unit"]])]: r for r in body(path) if r[K["indicator"]]}


def test_e81_title_block_and_every_header_label_in_its_column(year):
    root, runs, _, _ = year
    path = e81_path(root, "2026-TW4")
    assert runs["2026-TW4"]["outputs"]["e81_xlsx"] == "output/2026-TW4/Formulir E.81 2026-TW4.xlsx"
    sheet = openpyxl.load_workbook(path)["E.81"]
    title = [sheet.cell(row=r, column=1).value for r in range(1, 6)]
    assert title[:4] == [
        "Formulir E.81", "Evaluasi Terhadap Hasil Renja Perangkat Daerah Lingkup Kabupaten/Kota",
        "Renja Perangkat Daerah Badan Perencanaan Pembangunan Daerah, Penelitian dan Pengembangan "
        "Kabupaten Tapanuli Utara", "Periode Pelaksanaan: 2026"]
    assert title[4].startswith("Indikator dan target kinerja Perangkat Daerah Kabupaten Tapanuli Utara yang "
                               "mengacu pada sasaran RKPD: Meningkatnya akuntabilitas kinerja perangkat daerah")
    merged = {str(r) for r in sheet.merged_cells.ranges}
    for number, label, letters in E81_HEADER:
        first = letters.split(":")[0]
        assert sheet[f"{first}{HEADER_ROW}"].value == label, (number, label)
        if ":" in letters:  # a K / Rp pair: the label over both, K and Rp under it, one number under both
            second = letters.split(":")[1]
            assert f"{first}{HEADER_ROW}:{second}{HEADER_ROW}" in merged
            assert (sheet[f"{first}{HEADER_ROW + 1}"].value, sheet[f"{second}{HEADER_ROW + 1}"].value) == ("K", "Rp")
            assert f"{first}{HEADER_ROW + 2}:{second}{HEADER_ROW + 2}" in merged
        else:  # one column: the label merged down over the K / Rp row
            assert f"{first}{HEADER_ROW}:{first}{HEADER_ROW + 1}" in merged
        assert sheet[f"{first}{HEADER_ROW + 2}"].value == str(number)
    assert sheet.max_column == 26
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW + 2}"
    assert sheet.freeze_panes == f"B{BODY_ROW}"
    assert (sheet.page_setup.orientation, sheet.page_setup.paperSize) == ("landscape", 9)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth in (1, None)
    assert sheet.page_setup.fitToHeight == 0


def _dpa(code: str) -> tuple:
    return tuple(int(p) for p in code.split(" ", 1)[0].split("."))


def test_e81_one_row_per_program_kegiatan_sub_kegiatan_and_indicator_in_dpa_order(year):
    root, _, _, _ = year
    rows = body(e81_path(root, "2026-TW4"))
    kinds = []
    for row in rows:
        number = row[K["no"]]
        kinds.append(("indicator", row[K["indicator"]]) if not number else
                     (("program", "activity", "sub_activity")[str(number).count(".")], row[K["name"]]))
    for kind, attribute in (("program", "program"), ("activity", "activity"), ("sub_activity", "sub_activity")):
        listed = [name for k, name in kinds if k == kind]
        expected = {getattr(i, attribute) for i in MASTER.indicators if getattr(i, attribute)}
        assert sorted(listed) == sorted(expected) and len(listed) == len(set(listed)), kind  # each once
    assert len([k for k, _ in kinds if k == "indicator"]) == len(MASTER.indicators)
    # DPA order: the codes of every level rise down the form, each indicator under its own level.
    codes = [_dpa(name) for kind, name in kinds if kind != "indicator"]
    assert codes == sorted(codes)
    current = None
    for kind, name in kinds:
        if kind != "indicator":
            current = name
            continue
        indicator = next(i for i in MASTER.indicators if i.name == name)
        assert current == (indicator.sub_activity or indicator.activity or indicator.program), name
    # Programs numbered 1, 2, ..., kegiatan 1.1, sub kegiatan 1.1.1; indicators without a number.
    numbers = [str(r[K["no"]]) for r in rows if r[K["no"]]]
    assert numbers[:3] == ["1", "1.1", "1.1.1"]


def _ledger_values(root: Path, period: str) -> dict:
    from sopkinerja.workspace import open_workspace

    with open_workspace(root).ledger() as ledger:
        return {(code, name): number for round_code, _unit, code, name, number in ledger.accepted_series([period])
                if round_code == period and name in ("actual", "spent")}


def test_e81_each_quarter_is_that_rounds_accepted_value_in_the_ledger_and_its_csv(year):
    root, _, _, _ = year
    rows = indicator_rows(e81_path(root, "2026-TW4"))
    checked = 0
    for quarter, period in enumerate(ROUNDS, start=1):
        ledger = _ledger_values(root, period)
        csv_rows = _csv(root, period)
        for code, row in rows.items():
            shown = row[K[f"q{quarter}"]]
            in_csv = csv_rows[code]["realisasi_periode"]
            in_ledger = ledger.get((code, "actual"))
            if code == "PPM-08" and period == "2026-TW2":  # missed, then entered late in TW3's file
                assert shown == 2 and in_csv == "" and in_ledger is None
                continue
            assert shown == (float(in_csv) if in_csv else None) == in_ledger, (period, code)
            checked += shown is not None
    assert checked >= 4 * 5  # SEK and PPM answered with values


def test_e81_quarters_not_reached_yet_are_empty(year):
    root, _, _, _ = year
    rows = indicator_rows(e81_path(root, "2026-TW3"))
    assert rows["SEK-06"][K["q1"]:K["q4"] + 2] == [66, None, 67, None, 68, None, None, None]
    assert all(r[K["q4"]] is None and r[K["q4"] + 1] is None for r in body(e81_path(root, "2026-TW3")))


# Hand-computed at TW4 (product.md §3.7): 12 the year so far by metode, 13 = 6 + 12 for kumulatif
# and 12 for levels, 14 = 13 / 5 x 100 (lower is better: the §2 formula).
HAND = {
    #          5 Renstra, 6 up to last year, 7 annual, 8-11 quarters, 12, 13, 14
    "SEK-01": (20, 4, 4, (1, 1, 1, 1), 4, 8, 40.0),  # kumulatif: 4 + 4 = 8 of 20
    "SEK-06": (70, 66, 68, (66, 67, 68, 68), 68, 68, 97.14),  # nilai_akhir: the latest level
    "SEK-08": (7, 11.5, 10, (12, 10, 9, 9), 10, 10, 57.14),  # rata_rata, lower is better: (2x7-10)/7
}


@pytest.mark.parametrize("code", sorted(HAND))
def test_e81_year_renstra_and_rate_per_method(year, code):
    root, _, _, _ = year
    row = indicator_rows(e81_path(root, "2026-TW4"))[code]
    renstra, last, annual, quarters, so_far, renstra_so_far, rate = HAND[code]
    shown = [row[K[key]] for key in ("renstra", "renstra_last", "annual", "q1", "q2", "q3", "q4", "year",
                                     "renstra_so_far", "rate")]
    assert shown == pytest.approx([renstra, last, annual, *quarters, so_far, renstra_so_far, rate])
    assert row[K["unit"]] == "Sekretariat"
    assert all(row[K[key] + 1] is None for key in ("renstra", "annual", "q1", "year"))  # no Rp on an indicator


def test_e81_rupiah_on_sub_kegiatan_and_summed_upward(year):
    root, _, _, _ = year
    rows = body(e81_path(root, "2026-TW4"))
    sub = next(r for r in rows if r[K["name"]] == "5.01.01.2.01.0001 Penyusunan Dokumen Perencanaan Perangkat Daerah")
    rp = [sub[K[key] + 1] for key in ("renstra", "renstra_last", "annual", "q1", "q2", "q3", "q4", "year",
                                      "renstra_so_far", "rate")]
    # pagu Renstra 430 juta, 81,5 juta up to last year, pagu 85 juta, 20 juta each quarter.
    assert rp == pytest.approx([430e6, 81.5e6, 85e6, 20e6, 20e6, 20e6, 20e6, 80e6, 161.5e6, 37.56])
    assert all(sub[K[key]] is None for key in ("renstra", "annual", "q1", "year"))  # no K on a sub kegiatan
    revised = next(r for r in rows if r[K["name"]] and r[K["name"]].startswith("5.01.01.2.06.0009 "))
    assert revised[K["annual"] + 1] == 210e6  # the pagu perubahan (APBD-P), not the 180 juta pagu
    # Each program's and kegiatan's Rp is the sum of the rows under it that carry Rp.
    for level in (0, 1):
        for index, row in enumerate(rows):
            number = str(row[K["no"]] or "")
            if not number or number.count(".") != level:
                continue
            children = []
            for below in rows[index + 1:]:
                other = str(below[K["no"]] or "")
                if other and other.count(".") <= level:
                    break
                if (other.count(".") == level + 1 if other else False) or (
                        not other and level == 1 and below[K["annual"] + 1] is not None):
                    children.append(below)
            for key in ("annual", "q1", "q2", "q3", "q4", "year"):
                known = [c[K[key] + 1] for c in children if c[K[key] + 1] is not None]
                assert row[K[key] + 1] == (pytest.approx(sum(known)) if known else None), (number, key)


def test_e81_remarks_say_where_a_value_is_missing_from(year):
    root, _, _, _ = year
    rows = indicator_rows(e81_path(root, "2026-TW4"))
    assert "data TW II diisi terlambat" in rows["PPM-08"][K["remarks"]]
    p2ep = next(i.code for i in MASTER.indicators if i.unit_code == "P2EP" and i.frequency == "triwulanan")
    assert rows[p2ep][K["remarks"]] == "data TW I, TW II, TW III, TW IV tidak masuk"
    assert rows[p2ep][K["q1"]] is None and rows[p2ep][K["year"]] is None
    assert rows["SEK-01"][K["remarks"]] in (None, "")


def _footer(path: Path) -> list[list]:
    rows = calamine_rows(path, "E.81")
    start = next(i for i, r in enumerate(rows) if r[0] == "Rata-rata capaian kinerja (%)")
    return [[None if v == "" else v for v in r] for r in rows[start:]]


def _average(values) -> float | None:
    counted = [for_average(v) for v in values if v is not None]
    return round_half_up(sum(counted) / len(counted)) if counted else None


def test_e81_footer_averages_predikat_and_the_units_words(year):
    root, _, _, _ = year
    footer = _footer(e81_path(root, "2026-TW4"))
    blocks: dict[str, list] = {}
    for row in footer:
        if row[K["unit"]]:
            blocks.setdefault(row[K["unit"]], []).append(row)
    agency, sek = blocks["Perangkat Daerah"], blocks["Sekretariat"]
    assert [r[0] for r in agency] == ["Rata-rata capaian kinerja (%)", "Predikat kinerja"]
    assert [r[0] for r in sek] == ["Rata-rata capaian kinerja (%)", "Predikat kinerja",
                                   "Faktor pendorong keberhasilan kinerja", "Faktor penghambat pencapaian kinerja",
                                   "Tindak lanjut yang diperlukan dalam triwulan berikutnya",
                                   "Tindak lanjut yang diperlukan dalam Renja Perangkat Daerah berikutnya"]
    assert [r[K["renstra"]] for r in sek[2:]] == list(FOOTER.values())  # the unit's footer cells
    for quarter, period in enumerate(ROUNDS, start=1):
        rows = [r for r in _csv(root, period).values() if r["kode_unit"] == "SEK"]
        expected = _average([float(r["capaian_persen"]) for r in rows if r["capaian_persen"]])
        assert sek[0][K[f"q{quarter}"]] == pytest.approx(expected), period
        assert sek[1][K[f"q{quarter}"]] == kategori(expected)
        everyone = [r for r in _csv(root, period).values()]
        assert agency[0][K[f"q{quarter}"]] == pytest.approx(
            _average([float(r["capaian_persen"]) for r in everyone if r["capaian_persen"]]))
    final = [r for r in _csv(root, "2026-TW4").values() if r["kode_unit"] == "SEK"]
    yearly = _average([float(r["capaian_tahunan_persen"]) for r in final if r["capaian_tahunan_persen"]])
    assert sek[0][K["year"]] == pytest.approx(yearly) and sek[1][K["year"]] == kategori(yearly)
    p2ep = next(b for name, b in blocks.items() if name.startswith("Bidang Perencanaan"))
    assert p2ep[0][K["q1"]] is None and p2ep[2][K["renstra"]] == "-"  # never answered, no words


def test_e81_footer_cells_are_merged_as_the_form_lays_them_out(year):
    """The footer (spliced in as sheet XML) merges its label over columns 1-4, each K / Rp pair of
    the averages and predikat rows, and a unit's words over columns 5-11."""
    from openpyxl.utils import get_column_letter

    root, _, _, _ = year
    path = e81_path(root, "2026-TW4")
    sheet = openpyxl.load_workbook(path)["E.81"]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    labels = {cell.row: cell.value for cell in sheet["A"] if cell.value in (
        "Rata-rata capaian kinerja (%)", "Predikat kinerja", "Faktor pendorong keberhasilan kinerja")}
    said = list(labels.values())
    assert said.count("Predikat kinerja") == said.count("Rata-rata capaian kinerja (%)") > 2  # agency + units
    last = get_column_letter(K["rate"] + 2)
    for row, label in labels.items():
        assert f"A{row}:D{row}" in merged, row
        if label == "Faktor pendorong keberhasilan kinerja":
            assert f"E{row}:{last}{row}" in merged, row
            continue
        for key in ("renstra", "q1", "q4", "year", "rate"):
            first = get_column_letter(K[key] + 1)
            assert f"{first}{row}:{get_column_letter(K[key] + 2)}{row}" in merged, (row, key)
    average = next(row for row, label in labels.items() if label == "Rata-rata capaian kinerja (%)")
    cell = sheet.cell(row=average, column=K["q1"] + 1)
    assert isinstance(cell.value, float) and cell.number_format == "#,##0.00"
    assert sheet.cell(row=average, column=1).font.b  # the label's own format


def test_e81_signature_block_from_the_config_with_the_runs_date(year):
    root, _, _, _ = year
    rows = _footer(e81_path(root, "2026-TW4"))
    cells = [v for r in rows for v in r if isinstance(v, str)]
    for text in ("Tarutung, 12 Januari 2027", "Disusun", "Dievaluasi", "Kasubbag Perencanaan dan Pelaporan",
                 "Lestari Hutagalung, S.E.", "NIP. 198203112006042001", "Ir. Ronald Sitompul, M.Si.",
                 "NIP. 196805121994031005", "Kepala Bappedalitbang Kabupaten Tapanuli Utara"):
        assert text in cells, text
    assert cells.count("Tarutung, 12 Januari 2027") == 2


def test_e81_has_no_formula_and_the_same_inputs_give_the_same_bytes(year, tmp_path):
    root, _, _, _ = year
    path = e81_path(root, "2026-TW4")
    sheet = openpyxl.load_workbook(path)["E.81"]
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    before = path.read_bytes()
    path.unlink()  # a deleted output is written again, from the same ledger
    from click.testing import CliRunner

    from sopkinerja.cli import cli

    again = CliRunner().invoke(cli, ["--project", str(root), "run", "--json"],
                               env={"SOPKINERJA_NOW": ROUNDS["2026-TW4"][3]})
    assert again.exit_code == 3, again.output
    assert path.read_bytes() == before


# --- the LKjIP tables ------------------------------------------------------------------------


def test_lkjip_only_after_the_years_last_round(year):
    root, runs, _, _ = year
    for period in ("2026-TW1", "2026-TW2", "2026-TW3"):
        assert "lkjip_xlsx" not in runs[period]["outputs"]
        assert not list((root / "output" / period).glob("Tabel LKjIP*"))
    assert runs["2026-TW4"]["outputs"]["lkjip_xlsx"] == "output/2026-TW4/Tabel LKjIP 2026.xlsx"


def test_lkjip_sheets_from_the_year(year):
    root, _, _, _ = year
    path = root / "output" / "2026-TW4" / "Tabel LKjIP 2026.xlsx"
    assert openpyxl.load_workbook(path).sheetnames == ["Pengukuran Kinerja", "Analisis Faktor", "Efisiensi Anggaran"]
    final = _csv(root, "2026-TW4")
    measured = calamine_rows(path, "Pengukuran Kinerja")
    header = next(i for i, r in enumerate(measured) if r[0] == "No")
    assert measured[header] == ["No", "Sasaran", "Indikator", "Satuan", "Target", "Realisasi", "Capaian (%)",
                                "Kategori", "Realisasi 2025", "Capaian 2025 (%)"]
    rows = {r[2]: r for r in measured[header + 2:] if r[2]}
    sek01 = rows[MASTER.indicators[0].name]
    assert sek01[3:8] == ["dokumen", 4, 4, 100, "Sangat Tinggi"]
    assert sek01[8:] == ["", ""]  # the ledger holds no 2025
    for code in ("SEK-06", "SEK-08", "PPM-08"):
        indicator = next(i for i in MASTER.indicators if i.code == code)
        row = rows[indicator.name]
        assert row[5] == float(final[code]["realisasi_sd"]) and row[6] == float(final[code]["capaian_tahunan_persen"])
    assert len(rows) == len(MASTER.indicators)
    factors = calamine_rows(path, "Analisis Faktor")
    head = next(i for i, r in enumerate(factors) if r[0] == "No")
    assert factors[head] == ["No", "Indikator", "Faktor Pendukung", "Faktor Penghambat", "Upaya / Tindak Lanjut"]
    found = {r[1]: r for r in factors[head + 2:] if r[1]}
    assert found[MASTER.indicators[0].name][2:] == ["Dukungan <b>pimpinan</b> & koordinasi", "Data terlambat",
                                                  "Rapat bulanan"]
    budget = calamine_rows(path, "Efisiensi Anggaran")
    head = next(i for i, r in enumerate(budget) if r[0] == "No")
    assert budget[head] == ["No", "Program", "Pagu", "Realisasi", "Serapan (%)"]
    programs = {r[1]: r for r in budget[head + 2:] if r[1]}
    sek_program = programs["5.01.01 Program Penunjang Urusan Pemerintahan Daerah Kabupaten/Kota"]
    lines = [line for line in MASTER.budget_lines.values() if line.program == sek_program[1] and line.effective_budget]
    assert sek_program[2] == pytest.approx(sum(line.effective_budget for line in lines))
    spent = sum(float(final[line.indicators[0]]["realisasi_anggaran"] or 0) for line in lines)
    known = sum(line.effective_budget for line in lines if final[line.indicators[0]]["realisasi_anggaran"])
    assert sek_program[3] == pytest.approx(spent)
    assert sek_program[4] == pytest.approx(round_half_up(spent / known * 100))
    total = programs["Jumlah"]
    assert total[2] == pytest.approx(sum(r[2] for name, r in programs.items() if name != "Jumlah"))
    assert any("di luar hitungan" in str(r[0]) for r in budget)  # units that never answered are named


def test_lkjip_compares_with_last_year_where_the_ledger_has_it(round_ws, run_cli, tmp_path):
    """A workspace that collected 2025-TW4 and then 2026-TW4: last year's realisasi and capaian
    (against last year's annual target) beside this year's, for the indicators answered then."""
    root, _ = round_ws
    env = {"SOPKINERJA_NOW": "2026-01-12T09:00:00+07:00"}
    assert run_cli("--project", root, "period", "2025-TW4", "--force", "--deadline", "2026-01-09",
                   env={"SOPKINERJA_NOW": "2026-01-02T08:00:00+07:00"}).exit_code == 0
    generated = run_cli("--project", root, "generate", "--json", env={"SOPKINERJA_NOW": "2026-01-02T08:00:00+07:00"})
    paths = {w["unit"]: Path(w["path"]) for w in generated.json()["workbooks"]}
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "2025" / "SEK.xlsx", received="2026-01-08T10:00:00+07:00")
    assert run_cli("--project", root, "run", env=env).exit_code == 3
    assert run_cli("--project", root, "period", "2026-TW4", "--deadline", "2027-01-11",
                   env={"SOPKINERJA_NOW": "2027-01-04T08:00:00+07:00"}).exit_code == 0
    generated = run_cli("--project", root, "generate", "--json", env={"SOPKINERJA_NOW": "2027-01-04T08:00:00+07:00"})
    paths = {w["unit"]: Path(w["path"]) for w in generated.json()["workbooks"]}
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "2026" / "SEK.xlsx", received="2027-01-08T10:00:00+07:00")
    result = run_cli("--project", root, "run", "--json", env={"SOPKINERJA_NOW": "2027-01-12T09:00:00+07:00"})
    assert result.exit_code == 3, result.stderr
    last = {r["kode_indikator"]: r for r in _csv(root, "2025-TW4").values()}
    measured = calamine_rows(root / "output" / "2026-TW4" / "Tabel LKjIP 2026.xlsx", "Pengukuran Kinerja")
    rows = {r[2]: r for r in measured if r[2]}
    compared = 0
    for indicator in MASTER.indicators:
        row, before = rows[indicator.name], last[indicator.code]
        if indicator.unit_code != "SEK":
            assert row[8:] == ["", ""]
            continue
        if before["realisasi_sd"]:
            assert row[8] == float(before["realisasi_sd"]), indicator.code
            assert row[9] == (float(before["capaian_tahunan_persen"]) if before["capaian_tahunan_persen"] else ""), \
                indicator.code
            compared += 1
    assert compared >= 5


# --- the signature section --------------------------------------------------------------------


def test_without_signature_section_the_block_has_blank_names_and_run_says_so_once(round_ws, run_cli):
    root, paths = round_ws
    config = root / "sopkinerja.toml"
    text = config.read_text(encoding="utf-8")
    start = text.index("[penandatangan]")
    end = text.index("\n\n", start)
    config.write_text(text[:start] + text[end + 2:], encoding="utf-8")
    fill_all(root, paths)
    result = run_cli("--project", root, "run", env={"SOPKINERJA_NOW": "2026-10-12T09:00:00+07:00"})
    assert result.stdout.count("[penandatangan]") == 1, result.stdout
    assert "Formulir E.81: output/2026-TW3/Formulir E.81 2026-TW3.xlsx" in result.stdout
    document = run_cli("--project", root, "run", "--json", env={"SOPKINERJA_NOW": "2026-10-12T09:00:00+07:00"})
    assert [n["code"] for n in document.json()["notices"]] == ["no-signature"]
    footer = _footer(e81_path(root, "2026-TW3"))
    cells = [v for r in footer for v in r if isinstance(v, str)]
    assert "Disusun" in cells and "Dievaluasi" in cells and "12 Oktober 2026" in cells
    assert "Lestari Hutagalung, S.E." not in cells and cells.count("NIP.") == 2
    sheet = openpyxl.load_workbook(e81_path(root, "2026-TW3"))["E.81"]
    lines = [c for row in sheet.iter_rows(min_row=sheet.max_row - 2) for c in row if c.border.bottom.style]
    assert lines  # a line to sign on where the name goes


@pytest.mark.parametrize(("line", "key"), [
    ('penyusun_nip = "1982031120060420"', "penandatangan.penyusun_nip"),  # 16 digits
    ('kepala_nip = 196805121994031005', "penandatangan.kepala_nip"),  # a number: Excel-style damage
    ('jabatan_lain = "x"', "penandatangan.jabatan_lain"),
])
def test_signature_keys_are_checked_like_every_other_key(example_ws, run_cli, line, key):
    config = example_ws / "sopkinerja.toml"
    text = config.read_text(encoding="utf-8")
    name = line.split(" = ")[0]
    lines = [entry for entry in text.split("\n") if not entry.startswith(f"{name} = ")]
    at = lines.index(next(entry for entry in lines if entry.startswith("[penandatangan]")))
    lines.insert(at + 1, line)
    config.write_text("\n".join(lines), encoding="utf-8")
    result = run_cli("--project", example_ws, "status")
    assert result.exit_code == 1 and key in result.stderr, result.stderr


def test_a_rejected_unit_and_a_blank_with_its_reason_are_named_in_keterangan(round_ws):
    root, paths = round_ws
    from conftest import col

    def reasoned(workbook, rows):
        workbook["Data Kinerja"].cell(row=rows["SEK-02"], column=col("actual")).value = None
        workbook["Data Kinerja"].cell(row=rows["SEK-02"], column=col("note")).value = "Menunggu data BPS"

    def broken(workbook, rows):
        workbook["Data Kinerja"].cell(row=rows["PPM-06"], column=col("actual")).value = "banyak"

    fill_all(root, paths, skip=("SEK", "PPM"))
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK.xlsx", reasoned)
    fill_workbook(paths["PPM"], root / "input" / "masuk" / "PPM.xlsx", broken)
    result = run_round(root)
    assert {u.unit: u.status for u in result.units}["PPM"] == "rejected"
    rows = indicator_rows(e81_path(root, "2026-TW3"))
    assert rows["SEK-02"][K["remarks"]] == "Menunggu data BPS; belum tersedia"
    assert rows["PPM-06"][K["remarks"]].endswith("data TW III ditolak (lihat umpan balik)")
    # This workspace began at TW3: TW I and II were never collected, so nobody "missed" them.
    assert "tidak masuk" not in rows["PPM-06"][K["remarks"]]
    assert "tidak masuk" not in (rows["SEK-01"][K["remarks"]] or "")


def test_the_forms_in_english_mode(round_ws):
    root, paths = round_ws
    config = root / "sopkinerja.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('bahasa = "id"', 'bahasa = "en"'), encoding="utf-8")
    fill_all(root, paths)
    run_round(root)
    sheet = openpyxl.load_workbook(e81_path(root, "2026-TW3"))["E.81"]
    assert sheet["A1"].value == "Form E.81"
    assert sheet[f"E{HEADER_ROW}"].value == "Renstra target at the end of the period"
    texts = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if isinstance(c.value, str))
    for word in ("pada Triwulan", "Rata-rata capaian", "Predikat", "Disusun", "Dievaluasi", "Oktober", "tidak masuk"):
        assert word not in texts, word
    assert "12 October 2026" in texts and "Prepared by" in texts


# --- printing ----------------------------------------------------------------------------------


def _artifacts() -> Path:
    folder = Path(os.environ.get("SOPKINERJA_ARTIFACTS") or REPO / "test-artifacts") / "forms"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs it")
@pytest.mark.skipif(not PDF_TOOLS, reason="poppler-utils (pdfinfo, pdftotext, pdftoppm) not installed; .ci/run does")
@pytest.mark.parametrize("name", ["Formulir E.81 2026-TW4.xlsx", "Tabel LKjIP 2026.xlsx"])
def test_the_forms_print_on_a4_landscape_one_page_wide_with_the_header_on_every_page(year, tmp_path, name):
    root, _, _, _ = year
    source = tmp_path / name.replace(" ", "-")
    shutil.copyfile(root / "output" / "2026-TW4" / name, source)
    pdf = soffice_convert(SOFFICE, source, tmp_path / "pdf", "pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    size = next(line for line in info.splitlines() if line.startswith("Page size:"))
    width, height = (float(v) for v in size.split(":")[1].split("pts")[0].split(" x "))
    assert (round(width), round(height)) == (842, 595), size  # A4 landscape
    last_header = "Keterangan" if name.startswith("Formulir") else None
    for page in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert "###" not in text, page
        if last_header:  # the header rows on every page, its last column too: one page wide
            assert "Unit Penanggung" in text and last_header in text and "Triwulan IV" in text, page
    if last_header:
        whole = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "Dievaluasi" in whole and "Ir. Ronald Sitompul, M.Si." in whole  # the signature block printed
        # One page wide: no page holds only the right-hand columns (the first column's "No" on each).
        assert whole.count("Sasaran") >= pages
    kept = _artifacts()
    shutil.copyfile(pdf, kept / pdf.name)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf), str(kept / pdf.stem)],
                   check=True, capture_output=True)
    assert list(kept.glob(f"{pdf.stem}*.png"))


# --- the demo ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    from sopkinerja.demo import run_demo
    from sopkinerja.i18n import Messages

    root = tmp_path_factory.mktemp("demo") / "ws"
    run_demo(root, Messages("id"))
    return root


def test_the_demos_e81_holds_the_three_rounds_it_plays(demo_root):
    path = e81_path(demo_root, "2026-TW3")
    rows = indicator_rows(path)
    filled = {quarter: 0 for quarter in ("q1", "q2", "q3")}
    for quarter, period in zip(filled, ("2026-TW1", "2026-TW2", "2026-TW3"), strict=True):
        csv_rows = _csv(demo_root, period)
        for code, row in rows.items():
            own = csv_rows[code]["realisasi_periode"]
            if own:
                assert row[K[quarter]] == pytest.approx(float(own)), (period, code)
                filled[quarter] += 1
        assert filled[quarter] >= 20, period
    assert all(r[K["q4"]] is None for r in rows.values())
    cells = [v for r in _footer(path) for v in r if isinstance(v, str)]
    assert "Tarutung, 12 Oktober 2026" in cells and "Ir. Ronald Sitompul, M.Si." in cells
    assert not (demo_root / "output" / "2026-TW3" / "Tabel LKjIP 2026.xlsx").exists()


def _year_end(workspace):
    """(the units' statuses, the consolidated recap, last year's figures) of the year's last run
    (TW4) as that run left them in the ledger."""
    import pickle

    from sopkinerja.consolidate import consolidate, last_year

    with workspace.ledger() as ledger:
        stored = ledger.get_state("run:2026-TW4")
        units = pickle.loads(stored[stored.index(b"\n") + 1:]).units
        master = workspace.master().master
        return units, consolidate(ledger, master, "2026-TW4", units, None), last_year(ledger, master, "2026-TW4")


def test_the_e81_kept_by_unit_keys_or_by_row_digests_is_the_same_form(year, tmp_path):
    """A recap from consolidate carries each unit's piece key and the E.81's chunks are kept by it;
    a recap made elsewhere (no keys) has every row digested: both paths, cached or not, write the
    same bytes."""
    import dataclasses
    from datetime import datetime

    from sopkinerja.forms import e81
    from sopkinerja.workspace import open_workspace

    root = year[0]
    workspace = open_workspace(root)
    units, recap, _ = _year_end(workspace)
    assert set(recap.unit_keys) == {u.unit for u in units}
    master, config, created = workspace.master().master, workspace.config, datetime(2027, 1, 12, 9)
    written = {}
    for name, form_recap in (("keys", recap), ("digests", dataclasses.replace(recap, unit_keys={}))):
        for attempt in ("first", "kept"):
            path = tmp_path / f"{name}-{attempt}.xlsx"
            e81.write(form_recap, master, config, [], path, "12 Januari 2027", "id", created, tmp_path / name)
            written[(name, attempt)] = path.read_bytes()
    assert len(set(written.values())) == 1
    assert list((tmp_path / "keys").glob("*.e81")) and list((tmp_path / "digests").glob("*.e81"))


@pytest.mark.parametrize("whole_from", [-1.0, 2.0])  # the table's columns read whole; for the chunks' rows only
def test_the_e81_made_again_in_part_is_the_form_made_whole(year, tmp_path, monkeypatch, whole_from):
    """Chunks made again after some were lost — their rows read from the table's columns whole, or
    for those rows only (as after a resubmission) — with the body's tree kept or made again, or
    for a recap without master marks: the same bytes as the form made from nothing."""
    import dataclasses
    import random
    from datetime import datetime

    from sopkinerja.forms import e81
    from sopkinerja.workspace import open_workspace

    monkeypatch.setattr(e81, "CHUNK_ROWS", 6)  # many chunks in the example's body
    workspace = open_workspace(year[0])
    units, recap, _ = _year_end(workspace)
    master, config, created = workspace.master().master, workspace.config, datetime(2027, 1, 12, 9)

    def form(name: str, form_recap=recap) -> bytes:
        path = tmp_path / f"{name}.xlsx"
        e81.write(form_recap, master, config, [], path, "12 Januari 2027", "id", created, tmp_path / "kept")
        return path.read_bytes()

    first = form("first")
    chunks = sorted((tmp_path / "kept").glob("*.e81"))
    assert len(chunks) > 5 and len(list((tmp_path / e81.PLAN_FOLDER).glob("*.plan"))) == 1
    monkeypatch.setattr(e81, "WHOLE_FROM", whole_from)
    for path in random.Random(7).sample(chunks, 3):
        path.unlink()
    assert form("some-made-again") == first
    for path in (tmp_path / e81.PLAN_FOLDER).glob("*.plan"):
        path.unlink()
    for path in random.Random(8).sample(chunks, 2):
        path.unlink(missing_ok=True)
    assert form("plan-made-again") == first
    assert form("no-marks", dataclasses.replace(recap, master_marks={})) == first
    assert len(list((tmp_path / "kept").glob("*.e81"))) == len(chunks)


@pytest.mark.parametrize("whole_from", [-1.0, 2.0])  # the table's columns read whole; for the blocks' rows only
def test_the_lkjip_made_again_in_part_is_the_tables_made_whole(year, tmp_path, monkeypatch, whole_from):
    """The LKjIP's long sheets with some kept blocks lost, made again from the table's columns whole
    or at their rows only, and for a recap without piece keys (every row digested): the same bytes."""
    import dataclasses
    import random
    from datetime import datetime

    from sopkinerja.forms import lkjip
    from sopkinerja.workspace import open_workspace

    monkeypatch.setattr(lkjip, "CHUNK_ROWS", 5)
    workspace = open_workspace(year[0])
    units, recap, previous = _year_end(workspace)
    assert recap.unit_keys

    def tables(name: str, form_recap=recap, kept="kept") -> bytes:
        path = tmp_path / f"{name}.xlsx"
        lkjip.write(form_recap, workspace.config, previous, path, "id", datetime(2027, 1, 12, 9), tmp_path / kept)
        return path.read_bytes()

    first = tables("first")
    blocks = sorted((tmp_path / "kept").glob("*.lkjip"))
    assert len(blocks) > 10
    monkeypatch.setattr(lkjip, "WHOLE_FROM", whole_from)
    for path in random.Random(3).sample(blocks, 4):
        path.unlink()
    assert tables("some-made-again") == first
    assert len(list((tmp_path / "kept").glob("*.lkjip"))) == len(blocks)
    # One unit's figures changed, and so its piece's key (as consolidate gives it): its blocks are made again.
    unit = next(u.unit for u in units if u.status == "accepted")
    changed = recap.table.copy()
    mine = changed["kode_unit"] == unit
    changed.loc[mine, "realisasi_sd"] = changed.loc[mine, "realisasi_sd"].fillna(0) + 1
    edited = dataclasses.replace(recap, table=changed, unit_keys={**recap.unit_keys, unit: "edited"})
    made = tables("edited", edited)
    assert made == tables("edited-from-nothing", edited, kept="fresh") and made != first
    assert tables("no-keys", dataclasses.replace(recap, unit_keys={})) == first


@pytest.mark.parametrize("sasaran, order", [
    (["A", "B", "A", "C", "B"], [0, 2, 1, 4, 3]), (["", None, "A", ""], [0, 1, 3, 2]), ([], []),
    (["X"], [0]), (["B", "A", "B", "A"], [0, 2, 1, 3])])
def test_the_lkjip_groups_rows_by_sasaran_in_the_order_each_first_appears(sasaran, order):
    from sopkinerja.forms.lkjip import _by_objective

    assert _by_objective({"sasaran": sasaran}) == order


def test_the_e81_finds_the_rows_with_words_in_any_column():
    import numpy as np
    import pandas as pd

    from sopkinerja.forms.e81 import _with_text

    assert _with_text(pd.Series(["a", None, "", "b", np.nan], dtype=object)).tolist() == [0, 3]
    assert _with_text(pd.Series([np.nan, np.nan])).tolist() == []
    assert _with_text(pd.Series([None, None])).tolist() == []
    assert _with_text(pd.Series([1.5, 2.0])).tolist() == []


@pytest.mark.parametrize("rows, kept", [([4], range(4, 5)), ([3, 4, 5], range(3, 6)), ([1, 3], (1, 3)),
                                        ([5, 4], (5, 4)), ([2, 3, 7], (2, 3, 7))])
def test_the_e81_plan_keeps_a_sub_kegiatan_rows_as_a_range_only_when_they_follow_each_other(rows, kept):
    from sopkinerja.forms.e81 import _compact

    assert _compact(rows) == kept and list(_compact(rows)) == rows


def test_the_lkjip_bodies_keep_their_formats_and_row_heights(year):
    """The two long sheets are spliced sheet XML: each cell keeps the format xlsxwriter gave the
    sheet's header's neighbours (bordered, wrapped text; numbers with their decimals, capaian with
    two), and a row with a long text is as tall as its lines."""
    root = year[0]
    book = openpyxl.load_workbook(root / "output" / "2026-TW4" / "Tabel LKjIP 2026.xlsx")
    sheet = book["Pengukuran Kinerja"]
    body = [row for row in sheet.iter_rows(min_row=1) if isinstance(row[0].value, int)]
    assert len(body) == len(MASTER.indicators)
    assert [r[0].value for r in body] == list(range(1, len(body) + 1))
    for row in body:
        assert all(c.border.left.style == "thin" for c in row)
        assert row[2].alignment.wrap_text and row[2].data_type == "s"
        if isinstance(row[6].value, float):
            assert row[6].number_format == "#,##0.00"
        assert row[4].number_format in ("#,##0", "#,##0.0", "#,##0.00")
    heights = {r[0].row: sheet.row_dimensions[r[0].row].height for r in body}
    tall = [r for r in body if heights[r[0].row]]
    assert tall and len(tall) < len(body)
    for row in tall:  # as many 11.5-point lines as its longest wrapped text needs, two or more
        lines = (heights[row[0].row] - 2) / 11.5
        assert lines == int(lines) >= 2
    longest = max(len(c.value or "") for r in body if not heights[r[0].row] for c in r[1:4])
    assert max(len(c.value or "") for r in tall for c in r[1:4]) > longest
    factors = book["Analisis Faktor"]
    rows = [row for row in factors.iter_rows(min_row=1) if isinstance(row[0].value, int)]
    assert len(rows) == len(MASTER.indicators)
    assert all(row[1].alignment.wrap_text and row[1].border.left.style == "thin" for row in rows)


@pytest.mark.parametrize("carried", [True, False], ids=["handed-over", "a-value-marshal-cannot-carry"])
def test_the_lkjip_written_beside_the_e81_in_its_own_process_is_the_same_file(year, tmp_path, monkeypatch, carried):
    """A big LKjIP mostly to be made is written by a spawn process of its own from the columns
    handed over (``lkjip.beside``): byte for byte the file written in this process, its blocks
    kept as well; a column the hand-over cannot carry is written here instead."""
    import dataclasses
    from datetime import datetime
    from decimal import Decimal

    import sopkinerja.pool
    from sopkinerja.forms import lkjip
    from sopkinerja.workspace import open_workspace

    workspace = open_workspace(year[0])
    units, recap, previous = _year_end(workspace)
    if not carried:
        table = recap.table.copy()
        table["satuan"] = table["satuan"].astype(object)
        table.loc[0, "satuan"] = Decimal("1")  # not a value marshal knows
        recap = dataclasses.replace(recap, table=table)
    created = datetime(2027, 1, 12, 9)
    here = tmp_path / "here.xlsx"
    lkjip.write(recap, workspace.config, previous, here, "id", created, tmp_path / "kept-here")
    spawned = []
    real = sopkinerja.pool.spawn_pool
    monkeypatch.setattr(sopkinerja.pool, "spawn_pool", lambda workers: spawned.append(workers) or real(workers))
    monkeypatch.setattr(lkjip, "PROCESS_FROM", 0)
    stage = tmp_path / "stage"
    stage.mkdir()
    args = (workspace.config, previous, stage / "beside.xlsx", "id", created, tmp_path / "kept-beside")
    with lkjip.beside(recap, args, stage) as pending:
        pending()
    assert spawned == ([1] if carried else [])
    assert (stage / "beside.xlsx").read_bytes() == here.read_bytes()
    assert [p.name for p in stage.iterdir()] == ["beside.xlsx"]  # the hand-over file is gone
    assert sorted(p.name for p in (tmp_path / "kept-beside").iterdir()) == sorted(
        p.name for p in (tmp_path / "kept-here").iterdir())
    # Kept now: the next write needs no process of its own.
    spawned.clear()
    with lkjip.beside(recap, args, stage) as pending:
        pending()
    assert spawned == []


def test_columns_handed_to_a_process_come_back_as_they_were(tmp_path):
    import math

    import pandas as pd

    from sopkinerja.pool import dump_columns, load_columns

    table = pd.DataFrame({"text": ["a", None, "", "é 😀"], "number": [1.5, float("nan"), 0.0, -2.0],
                          "mixed": ["x", 3, 2.5, None], "unused": ["1", "2", "3", "4"]})
    table["words"] = pd.Series(["a", None, "", "é 😀"], dtype=object)  # pandas may infer a str dtype for "text"
    dump_columns(table, ("text", "words", "number", "mixed"), {"also": [1, 2]}, tmp_path / "h")
    back, also = load_columns(tmp_path / "h")
    assert also == {"also": [1, 2]}
    assert list(back.columns) == ["text", "words", "number", "mixed"]
    assert [back[name].dtype for name in back.columns] == [table[name].dtype for name in back.columns]
    pd.testing.assert_frame_equal(back, table[["text", "words", "number", "mixed"]])
    assert back["words"].tolist() == ["a", None, "", "é 😀"]
    assert back["number"].dtype.kind == "f" and math.isnan(back["number"][1])
    assert back["number"].tolist()[::2] == [1.5, 0.0]
    assert back["mixed"].tolist() == ["x", 3, 2.5, None]
