"""The recap end to end: CSV, workbook, HTML, run --json, demo (issue 5)."""

import os
import re
import zipfile

import openpyxl
import pandas as pd
import pytest
from conftest import REPO, col, fill_all, fill_workbook, run_round

from sopkinerja.consolidate import CSV_COLUMNS

GOLDEN = REPO / "tests" / "golden" / "recap-demo.html"


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory):
    from sopkinerja.demo import run_demo
    from sopkinerja.i18n import Messages

    root = tmp_path_factory.mktemp("demo") / "ws"
    result = run_demo(root, Messages("id"))
    return root, result


def _outputs(root):
    folder = root / "output" / "2026-TW3"
    return (folder / "Rekap Kinerja 2026-TW3.xlsx", folder / "Rekap Kinerja 2026-TW3.html",
            folder / "rekap-kinerja-2026-TW3.csv")


def test_demo_units_behave_as_designed(demo_ws):
    _, result = demo_ws
    statuses = {u["unit"]: (u["status"], u["on_time"]) for u in result.run["units"]}
    assert statuses == {"SEK": ("accepted", True), "P2EP": ("accepted", True), "PPM": ("accepted", True),
                        "PSDA": ("accepted", False), "IPW": ("rejected", True), "LITBANG": ("missing", None)}
    codes = sorted({(i["unit"], i["code"]) for i in result.run["issues"]})
    assert ("IPW", "not-a-number") in codes and ("IPW", "over-budget") in codes
    assert ("IPW", "missing-signoff") in codes and ("PSDA", "late-submission") in codes


def test_csv_loads_with_the_documented_columns_and_hand_checkable_values(demo_ws):
    root, _ = demo_ws
    path = _outputs(root)[2]
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"  # BOM: Excel opens it as UTF-8
    table = pd.read_csv(path, encoding="utf-8-sig")
    assert list(table.columns) == list(CSV_COLUMNS)
    assert len(table) == 60 and set(table["periode"]) == {"2026-TW3"}
    row = table[table["kode_indikator"] == "SEK-05"].iloc[0]  # % indicator, lower is better
    assert row["polaritas"] == "-" and row["target"] == 5
    assert row["capaian_persen"] == pytest.approx((2 * 5 - row["realisasi"]) / 5 * 100, abs=0.005)
    budget = table[table["kode_indikator"] == "SEK-06"].iloc[0]
    assert budget["serapan_persen"] == pytest.approx(budget["realisasi_anggaran"] / budget["pagu"] * 100, abs=0.005)
    ipw = table[table["kode_unit"] == "IPW"]
    assert ipw["realisasi"].isna().all() and set(ipw["status_unit"]) == {"ditolak"}
    assert set(table[table["kode_unit"] == "LITBANG"]["status_unit"]) == {"belum-mengirim"}


def test_csv_numbers_are_machine_format(demo_ws):
    root, _ = demo_ws
    text = _outputs(root)[2].read_text(encoding="utf-8-sig")
    ppm = next(line for line in text.splitlines() if ",PPM-01," in line)
    assert re.search(r",\d+\.\d+,", ppm)  # dot decimals; the Indonesian text "74,35" became 74.35


def test_ppm_typed_indonesian_numbers_are_read(demo_ws):
    from sopkinerja.workspace import open_workspace

    root, _ = demo_ws
    from sopkinerja.example import example_master
    from sopkinerja.models import Period

    table = pd.read_csv(_outputs(root)[2], encoding="utf-8-sig")
    due = {i.code for i in example_master().indicators_of("PPM") if i.due(Period.parse("2026-TW3"))}
    ppm = table[table["kode_unit"] == "PPM"]
    assert len(due) >= 3 and ppm[ppm["kode_indikator"].isin(due)]["realisasi_periode"].notna().all()
    with open_workspace(root).ledger() as ledger:
        originals = [r[0] for r in ledger.db.execute(
            "SELECT original FROM submission_values v JOIN submissions s USING (sha256) "
            "WHERE s.unit_code = 'PPM' AND s.period = '2026-TW3' AND v.field = 'actual'")]
    assert originals and all("," in text or text.isdigit() for text in originals)  # the text as typed


def test_completeness_numbers(demo_ws):
    root, _ = demo_ws
    sheet = openpyxl.load_workbook(_outputs(root)[0])["Kelengkapan"]
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=3, values_only=True) if row[0]}
    assert values["Unit diharapkan"] == 6 and values["Unit mengirim"] == 5
    assert values["Unit diterima"] == 4 and values["Diterima tepat waktu"] == 3
    assert values["Tingkat pelaporan"] == pytest.approx(400 / 6) and values["Tingkat ketepatan waktu"] == 50
    assert values["Belum mengirim"].startswith("LITBANG") and values["Ditolak"].startswith("IPW")


def test_the_cap_applies_to_averages_only(round_ws):
    root, paths = round_ws
    config = root / "sopkinerja.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[capaian]\nbatas_rata_rata = 100\n", encoding="utf-8")

    def over(workbook, rows):
        workbook["Data Kinerja"].cell(row=rows["SEK-01"], column=col("actual")).value = 4.5  # 150% of 3

    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK.xlsx", over)
    run_round(root)
    table = pd.read_csv(_outputs(root)[2], encoding="utf-8-sig")
    sek_rows = table[table["kode_unit"] == "SEK"]
    assert sek_rows[sek_rows["kode_indikator"] == "SEK-01"]["capaian_persen"].iloc[0] == pytest.approx(150)  # raw
    expected = sek_rows["capaian_persen"].dropna().clip(upper=100).mean()
    assert expected < sek_rows["capaian_persen"].dropna().mean()
    summary = openpyxl.load_workbook(_outputs(root)[0])["Ringkasan"]
    sek = next(r for r in summary.iter_rows(min_row=6, values_only=True) if r[0] == "SEK")
    assert sek[6] == pytest.approx(expected)  # capped only in the average


def test_recap_workbook_sheets_and_charts(demo_ws):
    root, _ = demo_ws
    path = _outputs(root)[0]
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[:2] == ["Ringkasan", "Rekap Badan"]
    assert {"SEK", "P2EP", "PPM", "PSDA", "IPW", "LITBANG"} <= set(workbook.sheetnames)
    assert workbook.sheetnames[-4:] == ["Analisis Kinerja", "Kelengkapan", "Masalah", "Log Waktu SOP"]
    names = zipfile.ZipFile(path).namelist()
    assert "xl/charts/chart1.xml" in names and "xl/charts/chart2.xml" in names
    summary = workbook["Ringkasan"]
    assert summary.freeze_panes == "A6"
    sek = next(r for r in summary.iter_rows(min_row=6, values_only=True) if r[0] == "SEK")
    assert sek[2] == "Diterima" and isinstance(sek[6], float)
    total = next(r for r in summary.iter_rows(min_row=6, values_only=True) if r[1] == "Jumlah badan")
    units = [r for r in summary.iter_rows(min_row=6, values_only=True) if r[0] in
             ("SEK", "P2EP", "PPM", "PSDA", "IPW", "LITBANG")]
    assert total[4] == sum(r[4] for r in units) == 60
    assert total[13] == sum(r[13] or 0 for r in units)
    no_formula = [c.value for s in workbook for row in s.iter_rows() for c in row
                  if isinstance(c.value, str) and c.value.startswith("=")]
    assert no_formula == []
    steps = list(workbook["Log Waktu SOP"].iter_rows(min_row=4, max_row=12, values_only=True))
    assert [s[0] for s in steps] == list(range(1, 10)) and sum(s[3] for s in steps) == 2055


def test_html_is_self_contained_and_matches_the_golden_file(demo_ws):
    root, _ = demo_ws
    html = _outputs(root)[1].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<script" not in html and "<svg" in html and "@page { size: A4 landscape" in html
    for section in ("ringkasan", "kelengkapan", "rekap-badan", "masalah", "log-waktu"):
        assert f'id="{section}"' in html
    scrubbed = re.sub(r"Dibuat: [^<]*<", "Dibuat: (waktu)<", html)
    if os.environ.get("SOPKINERJA_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(scrubbed, encoding="utf-8")
    assert scrubbed == GOLDEN.read_text(encoding="utf-8"), "run with SOPKINERJA_UPDATE_GOLDEN=1 to accept"


def test_unit_text_is_escaped_in_html(round_ws):
    root, paths = round_ws
    master = root / "input" / "master.xlsx"
    book = openpyxl.load_workbook(master)
    book["Indikator"]["G2"] = '<script>alert("x")</script> & indikator'
    book.save(master)
    from datetime import datetime

    from sopkinerja.generate import generate
    from sopkinerja.workspace import open_workspace

    generate(open_workspace(root), lambda: datetime.fromisoformat("2026-09-29T08:00:00+07:00"))
    run_round(root)
    html = _outputs(root)[1].read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; indikator" in html


def test_a_workspace_template_overrides_the_shipped_one(round_ws):
    root, paths = round_ws
    (root / "templates").mkdir()
    (root / "templates" / "recap.html.j2").write_text("<p>{{ v.title }} / {{ v.completeness.expected }}</p>\n",
                                                      encoding="utf-8")
    fill_all(root, paths)
    run_round(root)
    assert _outputs(root)[1].read_text(encoding="utf-8") == "<p>Rekap Kinerja 2026-TW3 / 6</p>\n"


def test_run_json_lists_every_output_and_exit_codes(round_ws, run_cli):
    root, paths = round_ws
    fill_all(root, paths, skip=("LITBANG",))
    result = run_cli("--project", root, "run", "--json", env={"SOPKINERJA_NOW": "2026-10-12T09:00:00+07:00"})
    assert result.exit_code == 3
    outputs = result.json()["outputs"]
    assert set(outputs) >= {"recap_xlsx", "recap_html", "recap_csv", "feedback"}
    for key in ("recap_xlsx", "recap_html", "recap_csv"):
        assert (root / outputs[key]).is_file()
    fill_workbook(paths["LITBANG"], root / "input" / "masuk" / "LITBANG.xlsx")
    again = run_cli("--project", root, "run", "--json", env={"SOPKINERJA_NOW": "2026-10-12T10:00:00+07:00"})
    assert again.exit_code == 0
    assert all(u["status"] == "accepted" for u in again.json()["units"])


def test_a_failed_report_leaves_the_previous_outputs(round_ws, monkeypatch):
    import sopkinerja.report.xlsx as recapbook

    root, paths = round_ws
    fill_all(root, paths)
    run_round(root)
    before = {p: p.read_bytes() for p in _outputs(root)}
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK-baru.xlsx", received="2026-10-08T10:00:00+07:00")

    def broken(*args, **kwargs):
        raise OSError("disk penuh")

    monkeypatch.setattr(recapbook, "write_placeholder", broken)
    with pytest.raises(OSError):
        run_round(root)
    assert {p: p.read_bytes() for p in _outputs(root)} == before
    assert not [p for p in (root / "output" / "2026-TW3").iterdir() if p.name.startswith(".sementara")]


def test_history_shows_the_previous_period(round_ws):
    from datetime import datetime

    from sopkinerja.generate import generate
    from sopkinerja.workspace import open_workspace

    root, paths = round_ws
    config = root / "sopkinerja.toml"
    text = config.read_text(encoding="utf-8")
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK-tw3.xlsx")
    run_round(root)
    config.write_text(text.replace('kode = "2026-TW3"', 'kode = "2026-TW4"').replace(
        "2026-10-09T16:00:00", "2027-01-08T16:00:00"), encoding="utf-8")
    tw4 = generate(open_workspace(root), lambda: datetime.fromisoformat("2026-12-28T08:00:00+07:00"), "SEK")

    def better(workbook, rows):  # a count: TW4's own result, 1.3 more documents, makes the year's 4
        workbook["Data Kinerja"].cell(row=rows["SEK-01"], column=col("actual", "2026-TW4")).value = 1.3

    fill_workbook(tw4.workbooks[0].path, root / "input" / "masuk" / "SEK-tw4.xlsx", better,
                  received="2027-01-05T10:00:00+07:00")
    run_round(root, "2027-01-10T09:00:00+07:00")
    sheet = openpyxl.load_workbook(root / "output" / "2026-TW4" / "Rekap Kinerja 2026-TW4.xlsx")["Rekap Badan"]
    header = [c.value for c in sheet[3]]
    row = next(r for r in sheet.iter_rows(min_row=4, values_only=True) if r[1] == "SEK-01")
    at = {label: row[header.index(label)] for label in header}
    # TW3: 2.7 of 3 = 90%; TW4: 2.7 + 1.3 = 4 of 4 = 100%: capaian, previous, change.
    assert (at["Realisasi periode ini"], at["Realisasi s.d. periode ini"]) == (1.3, 4.0)
    assert (at["Capaian (%)"], at["Capaian periode lalu (%)"], at["Perubahan"]) == (100.0, 90.0, 10.0)


def test_demo_repeats_with_identical_outputs(demo_ws):
    from sopkinerja.demo import run_demo
    from sopkinerja.i18n import Messages

    root, first = demo_ws
    before = {p: p.read_bytes() for p in _outputs(root)}
    second = run_demo(root, Messages("id"))
    assert {p: p.read_bytes() for p in _outputs(root)} == before
    assert second.run["units"] == first.run["units"]
