"""Master data: every kind of problem, with sheet, row and column, all reported at once."""

import pytest
from conftest import INDICATOR_HEADER, UNIT_HEADER, indicator_row, unit_row, write_master_xlsx

from sopkinerja.errors import MasterError
from sopkinerja.i18n import Messages
from sopkinerja.master import load_master, read_master


def _where(problem):
    where = problem.params.get("where")
    return where.params if where else {}


def _only_error(path):
    report = read_master(path)
    assert len(report.errors) == 1, [p.render(Messages("id")) for p in report.errors]
    problem = report.errors[0]
    return problem, _where(problem)


def test_a_good_master_reads(master_factory):
    report = read_master(master_factory(indicators=[
        indicator_row(code="I-01", target="1.250.000", pagu="Rp 2.500.000"),
        indicator_row(code="I-02", target="85,5", polarity="-", measure="%", target_tw3=80),
    ]))
    assert report.errors == [] and report.warnings == []
    first, second = report.master.indicators
    assert first.target == 1250000 and first.budget == 2500000
    assert second.target == 85.5 and second.polarity == "-" and second.is_percentage
    assert second.period_targets == {"target_tw3": 80.0}
    assert report.master.units[0].nip == "197503121998031004"


def test_headers_ignore_case_and_spaces(master_factory):
    sheets = {
        " unit ": [[h.upper() + "  " for h in UNIT_HEADER], unit_row()],
        "INDIKATOR": [[" " + h.title() for h in INDICATOR_HEADER], indicator_row()],
    }
    report = read_master(master_factory(sheets=sheets))
    assert report.errors == []
    assert report.master.indicators[0].code == "I-01"


def test_header_need_not_start_at_a1(tmp_path):
    sheets = {
        "Unit": [[], [None, *UNIT_HEADER], [None, *unit_row()]],
        "Indikator": [[], [], [None, None, *INDICATOR_HEADER], [None, None, *indicator_row(target="x")]],
    }
    problem, where = _only_error(write_master_xlsx(tmp_path / "m.xlsx", sheets))
    # target is the 10th column, shifted right by two: L; row 4 as Excel counts.
    assert problem.key == "master.not_a_number"
    assert where == {"sheet": "Indikator", "cell": "L4", "column": "target"}


def test_missing_sheet(master_factory):
    report = read_master(master_factory(sheets={"Unit": [UNIT_HEADER, unit_row()]}))
    assert [(p.key, p.params["sheet"]) for p in report.errors] == [("master.missing_sheet", "Indikator")]


def test_missing_required_column(master_factory):
    header = [h for h in INDICATOR_HEADER if h != "polaritas"]
    row = indicator_row()
    del row[INDICATOR_HEADER.index("polaritas")]
    report = read_master(master_factory(sheets={"Unit": [UNIT_HEADER, unit_row()],
                                                "Indikator": [header, row]}))
    assert [(p.key, p.params["sheet"], p.params["column"], p.params["row"]) for p in report.errors] == [
        ("master.missing_column", "Indikator", "polaritas", 1)]


def test_duplicate_indicator_code(master_factory):
    problem, where = _only_error(master_factory(indicators=[
        indicator_row(code="I-01"), indicator_row(code="I-02"), indicator_row(code="i-01 ")]))
    assert problem.key == "master.duplicate_indicator"
    assert (problem.params["row"], problem.params["first_row"]) == (4, 2)
    assert where == {"sheet": "Indikator", "cell": "B4", "column": "kode"}


def test_duplicate_unit_code(master_factory):
    problem, where = _only_error(master_factory(units=[unit_row(), unit_row(name="Lagi")]))
    assert problem.key == "master.duplicate_unit" and where["cell"] == "A3"


def test_unknown_unit_code(master_factory):
    problem, where = _only_error(master_factory(indicators=[indicator_row(unit="BIDX")]))
    assert problem.key == "master.unknown_unit"
    assert where == {"sheet": "Indikator", "cell": "A2", "column": "kode_unit"}


@pytest.mark.parametrize("column, letter", [("target", "J"), ("pagu", "O"), ("target_tw3", "M")])
def test_non_numeric_number(master_factory, column, letter):
    problem, where = _only_error(master_factory(indicators=[indicator_row(**{column: "sepuluh"})]))
    assert problem.key == "master.not_a_number" and problem.params["value"] == "sepuluh"
    assert where == {"sheet": "Indikator", "cell": f"{letter}2", "column": column}


def test_negative_budget(master_factory):
    problem, where = _only_error(master_factory(indicators=[indicator_row(pagu=-5)]))
    assert problem.key == "master.negative" and where["cell"] == "O2"


@pytest.mark.parametrize("polarity", ["naik", "++", "", "0"])
def test_bad_polarity(master_factory, polarity):
    problem, where = _only_error(master_factory(indicators=[indicator_row(polarity=polarity)]))
    assert problem.key == "master.bad_polarity" and where["cell"] == "I2"


def test_typographic_minus_is_a_minus(master_factory):
    report = read_master(master_factory(indicators=[indicator_row(polarity="\u2212")]))
    assert report.master.indicators[0].polarity == "-"


@pytest.mark.parametrize("column, letter", [("kode", "B"), ("indikator", "G"), ("satuan", "H")])
def test_empty_required_value(master_factory, column, letter):
    row = indicator_row()
    row[INDICATOR_HEADER.index(column)] = "  "
    problem, where = _only_error(master_factory(indicators=[row]))
    assert problem.key == "master.empty_value" and where["cell"] == f"{letter}2"


def test_bad_code_characters(master_factory):
    problem, where = _only_error(master_factory(indicators=[indicator_row(code="I 01/a")]))
    assert problem.key == "master.bad_code" and where["cell"] == "B2"


@pytest.mark.parametrize("nip, key", [("1975", "master.bad_nip"), ("19750312199803100X", "master.bad_nip"),
                                       (197503121998031004, "master.nip_number")])
def test_nip_problems(master_factory, nip, key):
    problem, where = _only_error(master_factory(units=[unit_row(nip=nip)]))
    assert problem.key == key and where["cell"] == "D2"


def test_nip_with_spaces_is_normalised(master_factory):
    report = read_master(master_factory(units=[unit_row(nip="19750312 199803 1 004")]))
    assert report.master.units[0].nip == "197503121998031004"


def test_bad_email(master_factory):
    problem, where = _only_error(master_factory(units=[unit_row(email="sekretariat.taput")]))
    assert problem.key == "master.bad_email" and where["cell"] == "E2"


def test_empty_unit_sheet(master_factory):
    report = read_master(master_factory(units=[]))
    assert ("master.no_rows", "Unit") in [(p.key, p.params.get("sheet")) for p in report.errors]


def test_blank_rows_are_skipped_and_numbers_kept(master_factory):
    report = read_master(master_factory(indicators=[indicator_row(code="A"), [None] * 15,
                                                    indicator_row(code="B", target="x")]))
    assert [p.params["row"] for p in report.errors] == [4]


def test_ambiguous_and_fraction_numbers_warn(master_factory):
    report = read_master(master_factory(indicators=[
        indicator_row(code="A", target="1.500"),
        indicator_row(code="B", target=0.9, measure="%"),
    ]))
    assert report.errors == []
    assert [(w.key, _where(w)["cell"]) for w in report.warnings] == [
        ("master.ambiguous", "J2"), ("master.percent_fraction", "J3")]
    assert report.master.indicators[0].target == 1500


def test_three_mistakes_are_all_named(master_factory, messages):
    path = master_factory(indicators=[
        indicator_row(code="I-01"),
        indicator_row(code="I-01"),
        indicator_row(code="I-03", unit="XX"),
        indicator_row(code="I-04", target="banyak"),
    ])
    with pytest.raises(MasterError) as caught:
        load_master(path)
    text = caught.value.render(messages)
    assert "3 masalah" in text
    assert "sel B3" in text and "sel A4" in text and "sel J5" in text


def test_unreadable_master(tmp_path):
    path = tmp_path / "master.xlsx"
    path.write_bytes(b"not a workbook")
    report = read_master(path)
    assert [p.key for p in report.errors] == ["master.unreadable"]


def test_missing_master_file(tmp_path):
    assert [p.key for p in read_master(tmp_path / "nope.xlsx").errors] == ["master.not_found"]


def test_csv_master_in_a_folder(tmp_path):
    folder = tmp_path / "master"
    folder.mkdir()
    (folder / "unit.csv").write_text(
        ";".join(UNIT_HEADER) + "\nSEK;Sekretariat;Kepala;197503121998031004;a@b.go.id\n",
        encoding="utf-8-sig")
    rows = [";".join(INDICATOR_HEADER),
            "SEK;I-01;S;P;K;;Indikator satu;%;+;85,5;;;;;1.250.000",
            "SEK;I-02;S;P;K;;Indikator dua;dokumen;+;dua;;;;;"]
    (folder / "Indikator.csv").write_text("\n".join(rows) + "\n", encoding="cp1252")
    report = read_master(folder)
    assert [(p.key, p.params["row"], p.params["column"]) for p in report.errors] == [
        ("master.not_a_number", 3, "target")]
    assert _where(report.errors[0]) == {"sheet": "Indikator", "row": 3, "column": "target"}


def test_csv_master_with_comma_separator(tmp_path):
    folder = tmp_path / "master"
    folder.mkdir()
    (folder / "Unit.csv").write_text(",".join(UNIT_HEADER) + "\nSEK,Sekretariat,,,\n")
    (folder / "Indikator.csv").write_text(
        ",".join(INDICATOR_HEADER) + '\nSEK,I-01,,,,,"Indikator, satu",%,+,"85,5",,,,,\n')
    report = read_master(folder)
    assert report.errors == []
    assert report.master.indicators[0].name == "Indikator, satu"
    assert report.master.indicators[0].target == 85.5


def test_example_master_is_rich_enough():
    from sopkinerja.example import example_master

    master = example_master()
    assert len(master.units) == 6
    for unit in master.units:
        assert 8 <= len(master.indicators_of(unit.code)) <= 20
    assert sum(i.polarity == "-" for i in master.indicators) >= 3
    assert sum(bool(i.period_targets) for i in master.indicators) >= 10
    assert all(i.program.startswith("5.0") for i in master.indicators)
