"""generate (SOP steps 2-3): request workbooks read back with openpyxl and python-calamine."""

import json
import shutil
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from conftest import soffice_convert
from python_calamine import CalamineWorkbook

from sopkinerja import layout as L
from sopkinerja.errors import SopkinerjaError
from sopkinerja.example import example_master
from sopkinerja.files import safe_filename
from sopkinerja.generate import generate, new_request_id
from sopkinerja.models import Period
from sopkinerja.workspace import open_workspace

NOW = datetime.fromisoformat("2026-09-28T08:00:00+07:00")
# product.md §3.4: the header of a TW3 request, in order (the two hidden identity columns follow).
LABELS = ["No", "Kode Indikator", "Indikator", "Satuan", "Polaritas", "Metode", "Target Tahunan", "Target",
          "Realisasi TW I", "Realisasi TW II", "Realisasi", "Realisasi s.d. Periode Ini", "Capaian (%)",
          "Pagu (Rp)", "Realisasi Anggaran (Rp)", "Faktor Pendorong", "Faktor Penghambat", "Tindak Lanjut",
          "Bukti Dukung", "Keterangan"]
TW3 = L.layout_for(Period.parse("2026-TW3"))


def _col(key: str) -> int:
    return TW3.index(key) + 1


def _letter(key: str) -> str:
    from sopkinerja.cells import column_letter

    return column_letter(TW3.index(key))


def _generate(root, **kwargs):
    return generate(open_workspace(root), lambda: NOW, **kwargs)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from datetime import date

    from sopkinerja.i18n import Messages
    from sopkinerja.workspace import init_workspace

    root = tmp_path_factory.mktemp("gen") / "ws"
    init_workspace(root, example=True, today=date(2026, 9, 28), messages=Messages("id"))
    result = _generate(root)
    return root, result


def _grouped_codes(unit):
    """Indicator codes in workbook order: grouped under program / kegiatan / sub kegiatan."""
    from sopkinerja.generate import sheet_rows

    master = example_master()
    rows = sheet_rows(master.indicators_of(unit), Period.parse("2026-TW3"), master.budget_lines)
    return [r.key for r in rows if r.kind == "indicator"]


def _grouped_keys(unit):
    """Every keyed row in workbook order: each sub kegiatan's budget row above its indicators."""
    from sopkinerja.generate import sheet_rows

    master = example_master()
    rows = sheet_rows(master.indicators_of(unit), Period.parse("2026-TW3"), master.budget_lines)
    return [r.key for r in rows if r.kind in ("indicator", "budget")]


def _sheet_rows(sheet):
    """Row key (indicator code, ``SUB …`` budget line) -> 1-based row."""
    key = _col("row_key")
    return {sheet.cell(row=r, column=key).value: r for r in range(L.FIRST_DATA_ROW + 1, sheet.max_row + 1)
            if sheet.cell(row=r, column=key).value}


def test_one_workbook_per_unit_named_for_email(generated):
    root, result = generated
    assert [w.unit for w in result.workbooks] == ["SEK", "P2EP", "PPM", "PSDA", "IPW", "LITBANG"]
    psda = result.workbooks[3]
    assert psda.path.name == "Permintaan Data Kinerja 2026-TW3 - Bidang Perekonomian dan Sumber Daya Alam.xlsx"
    assert psda.path.parent == root / "output" / "2026-TW3" / "permintaan"
    assert all(w.path.is_file() for w in result.workbooks)
    assert len({w.request_id for w in result.workbooks}) == 6


def test_layout_read_back_with_openpyxl(generated):
    _, result = generated
    workbook = openpyxl.load_workbook(result.workbooks[0].path)
    assert workbook.sheetnames == [L.DATA_SHEET, L.LOG_SHEET, L.GUIDE_SHEET, L.META_SHEET]
    assert workbook[L.META_SHEET].sheet_state == "veryHidden"
    data = workbook[L.DATA_SHEET]
    header = [c.value for c in data[L.HEADER_ROW + 1]]
    assert header == [*LABELS, "Kunci Baris", "ID Permintaan"]
    assert data.protection.sheet and workbook[L.LOG_SHEET].protection.sheet
    assert data.freeze_panes == "D9"
    assert data.column_dimensions[_letter("row_key")].hidden and data.column_dimensions[_letter("request_id")].hidden
    assert not data.column_dimensions[_letter("note")].hidden
    assert "Sekretariat" in data["A3"].value and "Triwulan III 2026" in data["A4"].value
    assert "Jumat, 9 Oktober 2026 pukul 16.00 WIB" in data["A5"].value
    assert data.page_setup.orientation == "landscape" and data.page_setup.paperSize == 9
    assert data.print_title_rows == "$8:$8"


def test_every_workbook_carries_the_layout_and_its_identity(generated):
    _, result = generated
    for item in result.workbooks:
        workbook = openpyxl.load_workbook(item.path)
        assert workbook.sheetnames == [L.DATA_SHEET, L.LOG_SHEET, L.GUIDE_SHEET, L.META_SHEET], item.unit
        assert workbook[L.META_SHEET].sheet_state == "veryHidden"
        data = workbook[L.DATA_SHEET]
        assert data.protection.sheet
        assert [c.value for c in data[L.HEADER_ROW + 1]][:len(LABELS)] == LABELS
        meta = {row[0].value: row[1].value for row in workbook[L.META_SHEET].iter_rows()}
        assert (meta["request_id"], meta["kode_unit"]) == (item.request_id, item.unit)
        key = _col("row_key")
        keys = [data.cell(row=r, column=key).value for r in range(L.FIRST_DATA_ROW + 1, data.max_row + 1)]
        assert [k for k in keys if k] == _grouped_keys(item.unit)
        assert int(meta["jumlah_indikator"]) == item.indicators == len(_grouped_codes(item.unit))


def test_locked_and_unlocked_cells(generated):
    _, result = generated
    data = openpyxl.load_workbook(result.workbooks[0].path)[L.DATA_SHEET]
    rows = _sheet_rows(data)
    row = rows["SEK-01"]
    for key in ("code", "name", "measure", "polarity", "method", "annual", "target", "cumulative", "achievement",
                "budget", "spent", "row_key"):
        assert data.cell(row=row, column=_col(key)).protection.locked, key
    # No round has been accepted yet: the earlier rounds' columns are inputs, so the year is complete.
    for key in ("before_tw1", "before_tw2", "actual", "drivers", "obstacles", "follow_up", "evidence", "note"):
        cell = data.cell(row=row, column=_col(key))
        assert not cell.protection.locked, key
        assert cell.fill.fgColor.rgb.endswith("FFF2CC"), key  # visibly marked
    budget = rows["SUB 5.01.01.2.01.0001"]  # the sub kegiatan's row, just above SEK-01
    assert budget == row - 1
    assert not data.cell(row=budget, column=_col("spent")).protection.locked
    assert data.cell(row=budget, column=_col("budget")).protection.locked
    assert data.cell(row=budget, column=_col("actual")).protection.locked


def test_validations_with_input_messages(generated):
    _, result = generated
    data = openpyxl.load_workbook(result.workbooks[0].path)[L.DATA_SHEET]
    rows = _sheet_rows(data)
    by_cell = {}
    for validation in data.data_validations.dataValidation:
        for cell in str(validation.sqref).split():
            by_cell.setdefault(cell.split(":")[0][0], []).append(validation)
    actual = next(v for v in data.data_validations.dataValidation
                  if f"{_letter('actual')}{rows['SEK-01']}" in str(v.sqref) or
                  any(_in(c, _letter("actual"), rows["SEK-01"]) for c in str(v.sqref).split()))
    assert (actual.type, actual.operator, actual.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert actual.showInputMessage and "85,5" in actual.prompt and "Keterangan" in actual.prompt
    percent = next(v for v in data.data_validations.dataValidation
                   if any(_in(c, _letter("actual"), rows["SEK-05"]) for c in str(v.sqref).split()))
    assert (percent.type, percent.operator or "between", percent.formula1, percent.formula2) == (
        "decimal", "between", "0", "100")  # "between" is the default operator, left out of the file
    spent = next(v for v in data.data_validations.dataValidation
                 if any(_in(c, _letter("spent"), rows["SUB 5.01.01.2.01.0001"]) for c in str(v.sqref).split()))
    assert spent.type == "decimal" and "rupiah" in spent.prompt
    # Spending is asked on the sub kegiatan's row only, never on an indicator's.
    assert not any(_in(c, _letter("spent"), rows["SEK-01"]) for v in data.data_validations.dataValidation
                   for c in str(v.sqref).split())
    text = next(v for v in data.data_validations.dataValidation
                if any(_in(c, _letter("note"), rows["SEK-01"]) for c in str(v.sqref).split()))
    assert text.type == "textLength" and text.formula1 == "1000"


def _in(ref: str, letter: str, row: int) -> bool:
    """Whether ``ref`` (``K12`` or ``K10:K20``) covers column ``letter`` at ``row``."""
    first, _, last = ref.partition(":")
    last = last or first
    start, end = int(first.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")), int(last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    return first.rstrip("0123456789") == letter and start <= row <= end


def test_live_formulas_by_method_and_polarity(generated):
    _, result = generated
    data = openpyxl.load_workbook(result.workbooks[0].path)[L.DATA_SHEET]
    rows = _sheet_rows(data)
    cells = lambda r: f"{_letter('before_tw1')}{r}:{_letter('actual')}{r}"  # noqa: E731
    count, level, mean = rows["SEK-01"], rows["SEK-04"], rows["SEK-08"]
    actual = f"{_letter('actual')}{count}"
    assert data[f"{_letter('cumulative')}{count}"].value == (
        f'=IF(ISNUMBER({actual}),IF(COUNT({cells(count)})=0,"",SUM({cells(count)})),"")')
    assert f"AVERAGE({cells(mean)})" in data[f"{_letter('cumulative')}{mean}"].value
    latest = data[f"{_letter('cumulative')}{level}"].value  # SEK-04 is yearly: not due, no blank guard
    assert latest.startswith(f"=IF(ISNUMBER({_letter('actual')}{level}),{_letter('actual')}{level},")
    so_far, target = f"{_letter('cumulative')}{count}", f"{_letter('target')}{count}"
    assert data[f"{_letter('achievement')}{count}"].value == (
        f'=IF(AND(ISNUMBER({so_far}),ISNUMBER({target}),{target}<>0),ROUND({so_far}/{target}*100,2),"")')
    minus = rows["SEK-05"]
    so_far, target = f"{_letter('cumulative')}{minus}", f"{_letter('target')}{minus}"
    assert f"IF({target}=0,IF({so_far}<=0,100,0),ROUND((2*{target}-{so_far})/{target}*100,2))" in \
        data[f"{_letter('achievement')}{minus}"].value


def test_prefilled_values_round_targets_and_methods_in_words(generated):
    _, result = generated
    data = openpyxl.load_workbook(result.workbooks[0].path)[L.DATA_SHEET]
    rows = _sheet_rows(data)
    value = lambda key, code: data[f"{_letter(key)}{rows[code]}"].value  # noqa: E731
    assert value("target", "SEK-01") == 3 and value("annual", "SEK-01") == 4  # target_tw3 beside the annual 4
    assert value("target", "SEK-04") == 72  # a level without a quarterly target: the annual one
    assert value("target", "SEK-06") == 68  # orang paid each month: a level by its master metode
    assert value("method", "SEK-01") == "Kumulatif: isi hasil periode ini saja"
    assert value("method", "SEK-06") == "Nilai akhir: isi posisi akhir periode"  # set in the master
    assert value("method", "SEK-08") == "Rata-rata: isi nilai periode ini"
    assert value("method", "SEK-04").endswith("Tidak wajib periode ini (sekali setahun)")  # tahunan in TW3
    assert value("polarity", "SEK-05") == "-"
    # Budget lives on the sub kegiatan's row, once: SEK-03 and SEK-04 share one pagu.
    assert value("budget", "SUB 5.01.01.2.01.0007") == 36000000
    assert value("budget", "SEK-03") is None and value("budget", "SEK-04") is None
    # APBD-P: the revised pagu is the one shown and checked.
    assert value("budget", "SUB 5.01.01.2.06.0009") == 210000000
    # A kegiatan heading shows the sum of its sub kegiatan.
    heading = rows["SUB 5.01.01.2.01.0001"] - 1
    assert data.cell(row=heading, column=_col("code")).value.startswith("5.01.01.2.01 ")
    assert data.cell(row=heading, column=_col("budget")).value == 85000000 + 42500000 + 36000000


def test_the_unit_level_footer_under_the_table(generated):
    _, result = generated
    data = openpyxl.load_workbook(result.workbooks[0].path)[L.DATA_SHEET]
    labels = {data.cell(row=r, column=_col("code")).value: r for r in range(L.FIRST_DATA_ROW, data.max_row + 1)}
    for _, label in L.FOOTER:
        row = labels[label]
        cell = data.cell(row=row, column=_col("measure"))
        assert not cell.protection.locked and cell.fill.fgColor.rgb.endswith("FFF2CC"), label
    assert list(labels).index(L.FOOTER[0][1]) > list(labels).index("SEK-13")


def test_identity_in_meta_hidden_column_and_properties(generated):
    _, result = generated
    item = result.workbooks[1]
    workbook = openpyxl.load_workbook(item.path)
    meta = {row[0].value: row[1].value for row in workbook[L.META_SHEET].iter_rows()}
    assert meta["request_id"] == item.request_id and meta["kode_unit"] == "P2EP"
    assert meta["periode"] == "2026-TW3" and meta["versi_templat"] == L.TEMPLATE_VERSION
    assert set(L.META_KEYS) <= set(meta)
    data = workbook[L.DATA_SHEET]
    ids = {data.cell(row=r, column=_col("request_id")).value for r in _sheet_rows(data).values()}
    assert ids == {item.request_id}
    assert workbook.custom_doc_props[L.PROPERTY_REQUEST_ID].value == item.request_id


def test_log_proses_rows_and_signoff(generated):
    _, result = generated
    log = openpyxl.load_workbook(result.workbooks[1].path)[L.LOG_SHEET]
    header = [c.value for c in log[L.LOG_HEADER_ROW + 1]]
    assert header == ["Langkah", "Uraian", "Pelaksana", "Mulai", "Selesai", "Nama", "NIP"]
    rows = list(log.iter_rows(min_row=L.LOG_HEADER_ROW + 2, values_only=True))
    assert [r[0] for r in rows] == [4, 5, 6, 7, 8]
    step7 = rows[3]
    assert step7[5] == "Rosmawati Hutabarat, S.E., M.M." and step7[6] == "198002142005022003"
    validations = {str(v.sqref): v for v in log.data_validations.dataValidation}
    assert validations["D5:E9"].type == "date" and "09/10/2026 08:30" in validations["D5:E9"].prompt
    assert not log["D5"].protection.locked and log["A5"].protection.locked
    assert log["D5"].number_format == L.DATETIME_FORMAT


def test_guide_sheet_is_plain_indonesian(generated):
    _, result = generated
    guide = openpyxl.load_workbook(result.workbooks[0].path)[L.GUIDE_SHEET]
    text = "\n".join(str(c.value) for c in guide["A"] if c.value)
    assert "Realisasi" in text and "Jumat, 9 Oktober 2026 pukul 16.00 WIB" in text
    assert "data.bappedalitbang@taputkab.go.id" in text and "85,5" in text


def test_read_back_with_calamine(generated):
    _, result = generated
    item = result.workbooks[5]
    workbook = CalamineWorkbook.from_path(str(item.path))
    assert workbook.sheet_names == [L.DATA_SHEET, L.LOG_SHEET, L.GUIDE_SHEET, L.META_SHEET]
    meta = workbook.get_sheet_by_name(L.META_SHEET).to_python()
    assert ["request_id", item.request_id] in meta
    grid = workbook.get_sheet_by_name(L.DATA_SHEET).to_python(skip_empty_area=False)
    header = grid[L.HEADER_ROW]
    assert header[:len(LABELS)] == LABELS
    keys = [row[TW3.index("row_key")] for row in grid[L.FIRST_DATA_ROW:] if row[TW3.index("row_key")]]
    assert keys == _grouped_keys("LITBANG")
    # No cached formula results: capaian reads back empty until an office suite computes it.
    assert all(row[TW3.index("achievement")] == "" for row in grid[L.FIRST_DATA_ROW:])


def test_ledger_records_every_request_with_its_prefilled_values(generated):
    root, result = generated
    ledger = open_workspace(root).ledger()
    period = Period.parse("2026-TW3")
    master = example_master()
    for item in result.workbooks:
        request = ledger.request(item.request_id)
        assert (request["unit_code"], request["period"], request["template_version"]) == (
            item.unit, "2026-TW3", L.TEMPLATE_VERSION)
        assert request["sha256"] and request["file_name"] == item.path.name
        rows = ledger.request_rows(item.request_id)
        indicators = {i.code: i for i in master.indicators_of(item.unit)}
        assert [r["indicator_code"] for r in rows] == _grouped_keys(item.unit)
        for row in rows:
            prefilled = json.loads(row["prefilled"])
            if row["indicator_code"].startswith("SUB "):
                line = master.budget_lines[row["indicator_code"]]
                assert (prefilled["budget"], prefilled["budget_plain"], prefilled["budget_revised"]) == (
                    line.effective_budget, line.budget, line.budget_revised)
                assert prefilled["before"] == {"2026-TW1": None, "2026-TW2": None}
                continue
            indicator = indicators[row["indicator_code"]]
            assert {k: prefilled[k] for k in ("code", "name", "measure", "polarity", "method", "annual", "target",
                                               "due", "budget_key")} == {
                "code": indicator.code, "name": indicator.name, "measure": indicator.measure,
                "polarity": indicator.polarity, "method": indicator.method, "annual": indicator.target,
                "target": indicator.target_for(period), "due": indicator.due(period),
                "budget_key": indicator.budget_key}
            assert prefilled["before"] == {"2026-TW1": None, "2026-TW2": None}
    events = ledger.db.execute("SELECT step, source FROM step_events ORDER BY step").fetchall()
    assert [tuple(e) for e in events] == [(2, "sistem"), (3, "sistem")]
    ledger.close()


def test_rerun_reuses_unchanged_requests_byte_for_byte(example_ws):
    first = _generate(example_ws)
    before = {w.unit: w.path.read_bytes() for w in first.workbooks}
    second = _generate(example_ws)
    assert [w.request_id for w in second.workbooks] == [w.request_id for w in first.workbooks]
    assert all(w.reused for w in second.workbooks)
    assert {w.unit: w.path.read_bytes() for w in second.workbooks} == before
    ledger = open_workspace(example_ws).ledger()
    assert ledger.db.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 6
    ledger.close()


def test_a_changed_master_issues_a_new_request_and_keeps_the_old(example_ws):
    import dataclasses

    from sopkinerja.i18n import Messages
    from sopkinerja.masterbook import write_master

    first = {w.unit: w.request_id for w in _generate(example_ws).workbooks}
    master = example_master()
    changed = tuple(dataclasses.replace(i, target=999.0) if i.code == "SEK-04" else i for i in master.indicators)
    (example_ws / "input" / "master.xlsx").unlink()
    write_master(example_ws / "input" / "master.xlsx", dataclasses.replace(master, indicators=changed),
                 Messages("id"))
    second = {w.unit: w for w in _generate(example_ws).workbooks}
    assert second["SEK"].request_id != first["SEK"] and second["SEK"].replaces == first["SEK"]
    assert second["P2EP"].request_id == first["P2EP"] and second["P2EP"].reused
    ledger = open_workspace(example_ws).ledger()
    assert ledger.request(first["SEK"]) is not None  # still recognisable on return
    assert ledger.db.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 7
    ledger.close()


def test_one_unit_only(example_ws, run_cli):
    result = run_cli("--project", example_ws, "generate", "--unit", "psda", "--json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert document["period"] == "2026-TW3"
    assert [w["unit"] for w in document["workbooks"]] == ["PSDA"]
    assert document["workbooks"][0]["request_id"].startswith("SK-")
    assert Path(document["workbooks"][0]["path"]).is_file()


def test_unknown_unit_is_a_clear_error(example_ws, run_cli):
    result = run_cli("--project", example_ws, "generate", "--unit", "XYZ")
    assert result.exit_code == 1
    assert "XYZ" in result.stderr and "SEK, P2EP" in result.stderr


def _custom_master(root, units, indicators):
    from conftest import INDICATOR_HEADER, UNIT_HEADER, write_master_xlsx

    write_master_xlsx(root / "input" / "master.xlsx", {"Unit": [UNIT_HEADER, *units],
                                                       "Indikator": [INDICATOR_HEADER, *indicators]})


def test_unit_without_indicators_long_names_and_unsafe_characters(example_ws):
    from conftest import indicator_row, unit_row

    long_name = "Persentase " + "capaian sangat panjang " * 100
    huge_name = "x" * 40000
    _custom_master(example_ws, [unit_row("SEK", "Sekretariat / Umum: Keuangan?"), unit_row("KOSONG", "Bidang Kosong")],
                   [indicator_row("SEK", "I-01", target=5), indicator_row("SEK", "I-02")])
    import openpyxl as xl
    book = xl.load_workbook(example_ws / "input" / "master.xlsx")
    book["Indikator"]["G2"] = long_name
    book["Indikator"]["G3"] = huge_name
    book.save(example_ws / "input" / "master.xlsx")
    result = _generate(example_ws)
    names = [w.path.name for w in result.workbooks]
    assert names == ["Permintaan Data Kinerja 2026-TW3 - Sekretariat - Umum- Keuangan.xlsx",
                     "Permintaan Data Kinerja 2026-TW3 - Bidang Kosong.xlsx"]
    assert [w.key for w in result.warnings] == ["generate.no_indicators"]
    data = openpyxl.load_workbook(result.workbooks[0].path)[L.DATA_SHEET]
    rows = _sheet_rows(data)
    assert data[f"C{rows['I-01']}"].value == long_name.strip()
    assert len(data[f"C{rows['I-02']}"].value) == 32767
    empty = openpyxl.load_workbook(result.workbooks[1].path)
    assert "tidak memiliki indikator" in empty[L.DATA_SHEET][f"A{L.FIRST_DATA_ROW + 1}"].value
    assert [r[0].value for r in empty[L.LOG_SHEET].iter_rows(min_row=5)] == [4, 5, 6, 7, 8]
    ledger = open_workspace(example_ws).ledger()
    stored = json.loads(ledger.request_rows(result.workbooks[0].request_id)[1]["prefilled"])
    assert stored["name"] == data[f"C{rows['I-02']}"].value  # the ledger holds what was written
    # What validation reads (one decode for the request's rows) is each row's own JSON.
    request_id = result.workbooks[0].request_id
    assert ledger.prefilled(request_id) == {row["indicator_code"]: json.loads(row["prefilled"])
                                            for row in ledger.request_rows(request_id)}
    assert len(ledger.prefilled(request_id)) == len(ledger.request_rows(request_id)) > 1
    ledger.close()


def test_same_unit_names_get_their_codes(example_ws):
    from conftest import indicator_row, unit_row

    _custom_master(example_ws, [unit_row("A1", "Bidang"), unit_row("B2", "Bidang")],
                   [indicator_row("A1", "I-1"), indicator_row("B2", "I-2")])
    names = [w.path.name for w in _generate(example_ws).workbooks]
    assert names == ["Permintaan Data Kinerja 2026-TW3 - Bidang (A1).xlsx",
                     "Permintaan Data Kinerja 2026-TW3 - Bidang (B2).xlsx"]


def test_a_failed_write_does_not_stop_the_others(example_ws):
    folder = example_ws / "output" / "2026-TW3" / "permintaan"
    blocker = folder / "Permintaan Data Kinerja 2026-TW3 - Sekretariat.xlsx"
    blocker.mkdir(parents=True)  # like a file Excel holds open: it cannot be replaced
    with pytest.raises(SopkinerjaError) as caught:
        _generate(example_ws)
    assert caught.value.key == "generate.write_failed"
    assert [p.params["unit"] for p in caught.value.problems] == ["SEK"]
    written = sorted(p.name for p in folder.glob("*.xlsx") if p.is_file())
    assert len(written) == 5 and not list(folder.glob(".*tmp"))
    blocker.rmdir()
    again = _generate(example_ws)  # the retry finishes the job with the same requests
    assert all(w.path.is_file() for w in again.workbooks)


def test_parallel_generation_under_spawn(example_ws, monkeypatch):
    import sopkinerja.generate as gen

    monkeypatch.setattr(gen, "PARALLEL_FROM", 2)
    serial_dir = example_ws.parent / "serial"
    shutil.copytree(example_ws, serial_dir)
    parallel = _generate(example_ws)
    monkeypatch.setattr(gen, "PARALLEL_FROM", 1000)
    ids = iter(w.request_id for w in parallel.workbooks)
    serial = _generate(serial_dir, new_id=lambda: next(ids))
    for a, b in zip(parallel.workbooks, serial.workbooks, strict=True):
        assert a.path.read_bytes() == b.path.read_bytes()


@pytest.mark.parametrize("text, name", [
    ("Bidang A/B: C", "Bidang A-B- C"), ("  Titik. ", "Titik"), ("CON", "_CON"), ('a<b>c"d|e?f*g', "a-b-c-d-e-f-g"),
])
def test_safe_filenames(text, name):
    assert safe_filename(text) == name


def test_request_ids_are_random_and_readable():
    ids = {new_request_id() for _ in range(500)}
    assert len(ids) == 500
    assert all(len(i) == 22 and not set(i[3:]) & set("ILOU") for i in ids)


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs it")
@pytest.mark.parametrize("target", ["xlsx", "xls", "ods"])
def test_identity_survives_libreoffice(generated, tmp_path, target):
    _, result = generated
    item = result.workbooks[2]
    source = tmp_path / "in.xlsx"
    shutil.copy(item.path, source)
    converted = soffice_convert(SOFFICE, source, tmp_path / "out", target)
    workbook = CalamineWorkbook.from_path(str(converted))
    assert L.META_SHEET in workbook.sheet_names and L.DATA_SHEET in workbook.sheet_names
    meta = dict((r[0], r[1]) for r in workbook.get_sheet_by_name(L.META_SHEET).to_python() if len(r) > 1)
    assert meta["request_id"] == item.request_id and meta["kode_unit"] == "PPM"
    grid = workbook.get_sheet_by_name(L.DATA_SHEET).to_python(skip_empty_area=False)
    hidden = {row[TW3.index("request_id")] for row in grid[L.FIRST_DATA_ROW:]} - {""}
    assert hidden == {item.request_id}
    assert [h for h in grid[L.HEADER_ROW] if h in LABELS] == LABELS
