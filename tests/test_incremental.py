"""Incremental runs (issue 20): a file's validation is kept between runs under a key of everything
it depends on; a run after one resubmission checks that file only, and gives the same ledger rows
(ids included) and outputs as a run that checks everything again."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import fill_all, fill_workbook, run_round, set_cell

import sopkinerja.validate.worker as worker

TABLES = ("submissions", "submission_values", "issues", "step_events")


@pytest.fixture
def counted(monkeypatch):
    """The files check_job is called for (the run's real check, observed)."""
    seen: list[str] = []
    real = worker.check_job

    def check_job(job):
        seen.append(job.file)
        return real(job)

    monkeypatch.setattr(worker, "check_job", check_job)
    monkeypatch.setattr(worker, "PARALLEL_FROM", 10_000)  # in this process, where the spy is
    return seen


def _rows(root) -> dict[str, list[tuple]]:
    from sopkinerja.workspace import open_workspace

    db = sqlite3.connect(open_workspace(root).ledger_path)
    try:
        return {table: db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall() for table in TABLES}
    finally:
        db.close()


def _same_answer(root, result, twin, twin_result) -> None:
    """Two workspaces' runs gave the same ledger rows (ids included), unit statuses and issues."""
    assert _rows(root) == _rows(twin)
    assert [(u.unit, u.status, u.errors, u.warnings) for u in result.units] == [
        (u.unit, u.status, u.errors, u.warnings) for u in twin_result.units]
    assert [(i.code, i.unit, i.cell, i.file) for i in result.issues] == [
        (i.code, i.unit, i.cell, i.file) for i in twin_result.issues]


def _resubmit(root, paths) -> None:
    better = set_cell("SEK-01", "actual", 7)
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK-perbaikan.xlsx", better,
                  received="2026-10-08T10:00:00+07:00")


def _copy_resubmission(root, twin) -> None:
    """The very bytes (and time) of root's resubmission into the twin: a workbook written twice
    differs in its saved-at time when the two writes fall in different seconds."""
    name = Path("input") / "masuk" / "SEK-perbaikan.xlsx"
    shutil.copy2(root / name, twin / name)


def _raise_target(root, code: str) -> None:
    """One master row changed: the indicator's annual target, one higher."""
    import openpyxl

    master = root / "input" / "master.xlsx"
    book = openpyxl.load_workbook(master)
    sheet = book["Indikator"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("kode")].value == code:
            row[header.index("target")].value = float(row[header.index("target")].value) + 1
    book.save(master)


def test_a_resubmission_checks_only_the_new_file(round_ws, counted):
    root, paths = round_ws
    fill_all(root, paths)
    run_round(root)
    assert len(counted) == 6
    counted.clear()
    _resubmit(root, paths)
    run_round(root)
    assert counted == ["input/masuk/SEK-perbaikan.xlsx"]


def test_kept_checks_give_the_same_rows_and_outputs_as_checking_everything(round_ws, counted):
    root, paths = round_ws
    fill_all(root, paths)

    broken = set_cell("PPM-06", "actual", "banyak")
    fill_workbook(paths["PPM"], root / "input" / "masuk" / "PPM.xlsx", broken)
    run_round(root)
    twin = root.parent / "kembar"
    shutil.copytree(root, twin)
    _resubmit(root, paths)
    _copy_resubmission(root, twin)
    from sopkinerja.workspace import open_workspace

    with open_workspace(twin).ledger() as ledger, ledger.transaction():
        ledger.db.execute("DELETE FROM checks")  # the twin checks every file again
    counted.clear()
    incremental = run_round(root)
    assert len(counted) == 1
    counted.clear()
    full = run_round(twin)
    assert len(counted) == 7
    _same_answer(root, incremental, twin, full)
    csv = "output/2026-TW3/rekap-kinerja-2026-TW3.csv"
    assert (root / csv).read_bytes() == (twin / csv).read_bytes()


def test_new_requests_or_other_rules_check_every_file_again(round_ws, counted, run_cli):
    root, paths = round_ws
    fill_all(root, paths)
    run_round(root)
    counted.clear()
    _raise_target(root, "SEK-01")
    generated = run_cli("--project", root, "generate", "--unit", "SEK", "--json")
    assert generated.exit_code == 0 and generated.json()["workbooks"][0]["request_id"] != ""
    run_round(root)
    assert len(counted) == 6  # a newer request for SEK: every check looked again
    counted.clear()
    config = root / "sopkinerja.toml"
    text = config.read_text(encoding="utf-8")
    assert "2026-10-09T16:00:00+07:00" in text
    config.write_text(text.replace("2026-10-09T16:00:00+07:00", "2026-10-07T16:00:00+07:00"), encoding="utf-8")
    run_round(root)
    assert len(counted) == 6
    counted.clear()
    run_round(root)  # nothing changed: not even run's own work
    assert counted == []


def test_a_file_moved_in_the_inbox_is_not_checked_again(round_ws, counted):
    root, paths = round_ws
    fill_all(root, paths)
    before = run_round(root)
    counted.clear()
    inbox = root / "input" / "masuk"
    (inbox / "arsip-unit").mkdir()
    shutil.move(inbox / "IPW.xlsx", inbox / "arsip-unit" / "IPW.xlsx")
    after = run_round(root)
    assert counted == []  # the same bytes, received first under the same name: the same check
    assert [(u.unit, u.status, u.file) for u in after.units] == [(u.unit, u.status, u.file) for u in before.units]


def _next_round(root, run_cli) -> dict:
    """TW4 after TW3: the period moved, its requests generated and every unit's file in."""
    env = {"SOPKINERJA_NOW": "2027-01-04T08:00:00+07:00"}
    assert run_cli("--project", root, "period", "2026-TW4", "--deadline", "2027-01-11T16:00", env=env).exit_code == 0
    generated = run_cli("--project", root, "generate", "--json", env=env).json()["workbooks"]
    for item in generated:
        fill_workbook(Path(item["path"]), root / "input" / "masuk" / "TW4" / f"{item['unit']}.xlsx",
                      received="2027-01-07T10:00:00+07:00")
    return {item["unit"]: item["path"] for item in generated}


def test_a_new_round_does_not_validate_the_earlier_rounds_files_again(round_ws, counted, run_cli, monkeypatch):
    from sopkinerja.ledger import Ledger

    root, paths = round_ws
    fill_all(root, paths)
    run_round(root)
    _next_round(root, run_cli)
    twin = root.parent / "kembar"
    shutil.copytree(root, twin)
    counted.clear()
    incremental = run_round(root, "2027-01-12T09:00:00+07:00")
    assert sorted(counted) == [f"input/masuk/TW4/{unit}.xlsx" for unit in sorted(paths)]  # TW3's six: not again
    monkeypatch.setattr(Ledger, "earlier_round_parts", lambda self, period, version: {})  # check every file
    counted.clear()
    full = run_round(twin, "2027-01-12T09:00:00+07:00")
    assert len(counted) == 12
    _same_answer(root, incremental, twin, full)
    for name in ("rekap-kinerja-2026-TW4.csv", "log-waktu-sop-2026-TW4.csv"):
        assert (root / "output" / "2026-TW4" / name).read_bytes() == (twin / "output" / "2026-TW4" / name).read_bytes()


# --- consolidation kept per unit ----------------------------------------------------------------


@pytest.fixture
def consolidated(monkeypatch):
    """The units whose piece consolidation builds (the real builder, observed)."""
    import sopkinerja.consolidate as consolidate

    built: list[str] = []
    real = consolidate._unit_piece

    def unit_piece(ledger, unit, *args):
        built.append(unit.code)
        return real(ledger, unit, *args)

    monkeypatch.setattr(consolidate, "_unit_piece", unit_piece)
    return built


OUTPUTS = ("rekap-kinerja-2026-TW3.csv", "Rekap Kinerja 2026-TW3.html", "Rekap Kinerja 2026-TW3.xlsx",
           "Formulir E.81 2026-TW3.xlsx")


def test_a_resubmission_consolidates_only_its_unit_and_gives_the_same_outputs(round_ws, consolidated):
    root, paths = round_ws
    fill_all(root, paths)
    run_round(root)
    assert sorted(consolidated) == sorted(paths)
    twin = root.parent / "kembar"
    shutil.copytree(root, twin)
    _resubmit(root, paths)
    _copy_resubmission(root, twin)
    from sopkinerja.workspace import open_workspace

    shutil.rmtree(open_workspace(twin).cache_folder)  # the twin consolidates (and writes) everything again
    chunks = open_workspace(root).cache_folder / "e81-2026-TW3"
    kept = {path.name for path in chunks.glob("*.e81")}
    consolidated.clear()
    incremental = run_round(root)
    assert consolidated == ["SEK"]
    made = {path.name for path in chunks.glob("*.e81")} - kept
    assert 0 < len(made) < len(kept)  # the E.81 chunks holding SEK's sub kegiatan, not the others'

    consolidated.clear()
    full = run_round(twin)
    assert sorted(consolidated) == sorted(paths)
    _same_answer(root, incremental, twin, full)
    for name in OUTPUTS:
        assert (root / "output" / "2026-TW3" / name).read_bytes() == (twin / "output" / "2026-TW3" / name).read_bytes()
    with_seven = next(r for r in (root / "output" / "2026-TW3" / OUTPUTS[0]).read_text("utf-8-sig").splitlines()
                      if ",SEK-01," in r)
    assert ",7," in with_seven  # the resubmitted value is in the recap


def test_a_torn_or_foreign_piece_is_built_again(round_ws, consolidated):
    from sopkinerja.workspace import open_workspace

    root, paths = round_ws
    fill_all(root, paths)
    before = run_round(root)
    pieces = sorted((open_workspace(root).cache_folder / "konsolidasi-2026-TW3").glob("*.unit"))
    assert len(pieces) == len(paths)
    pieces[0].write_bytes(pieces[0].read_bytes()[:-10])  # torn: fails its digest
    pieces[1].write_bytes(b"\0" * 16 + b"not a pickle")
    csv = root / "output" / "2026-TW3" / OUTPUTS[0]
    kept = csv.read_bytes()
    csv.unlink()  # so that run works again
    consolidated.clear()
    after = run_round(root)
    assert len(consolidated) == 2
    assert csv.read_bytes() == kept
    assert [(u.unit, u.status) for u in after.units] == [(u.unit, u.status) for u in before.units]


def test_a_changed_master_row_consolidates_its_unit_again(round_ws, consolidated):
    root, paths = round_ws
    fill_all(root, paths)
    run_round(root)
    _raise_target(root, "PPM-01")
    consolidated.clear()
    run_round(root)
    assert consolidated == ["PPM"]


def test_the_recap_holds_its_columns_as_arrays_and_averages_as_python_floats(round_ws, monkeypatch):
    """Memory (issue 20): a piece's counted capaian are float arrays, the table's text columns come
    from object arrays (pandas' str dtype as before), the forms read float columns as the table's own
    arrays; the averages are still Python's sums of Python floats in master order."""
    import numpy as np

    import sopkinerja.consolidate as consolidate
    import sopkinerja.run as run_module
    from sopkinerja.forms.e81 import _Columns

    pieces, recaps = [], []
    real_piece, real_consolidate = consolidate._unit_piece, run_module.consolidate
    monkeypatch.setattr(consolidate, "_unit_piece", lambda *a: pieces.append(real_piece(*a)) or pieces[-1])
    monkeypatch.setattr(run_module, "consolidate", lambda *a, **k: recaps.append(real_consolidate(*a, **k))
                        or recaps[-1])
    root, paths = round_ws
    fill_all(root, paths)
    run_round(root)
    (recap,) = recaps
    assert len(pieces) == len(paths)
    for piece in pieces:
        assert all(isinstance(found, np.ndarray) and found.dtype == np.float64 for found in piece.counted)
    for index, code in enumerate(recap.rounds):
        found = [v for piece in pieces for v in piece.counted[index].tolist()]
        assert all(type(v) is float for v in found)
        expected = sum(found) / len(found) if found else None
        assert recap.by_round[code].average == expected
        assert expected is None or type(recap.by_round[code].average) is float
    for unit in recap.units:
        assert all(v is None or type(v) is float for v in unit.rounds.values())
        assert any(v is not None for v in unit.rounds.values()) or unit.status != "accepted"
    assert str(recap.table["kode_indikator"].dtype) == "str" and str(recap.table["periode"].dtype) == "str"
    assert set(recap.table["periode"]) == {recap.period}
    shown = recap.table["periode"].to_numpy(dtype=object).tolist()  # one str, not one per row (memory)
    assert len(shown) > 1 and len({id(v) for v in shown}) == 1
    import math

    from sopkinerja.models import Period

    value, periods = consolidate._previous(None, [None] * 3, Period.parse("2026-TW3"),
                                           [np.array([1.0, 2.0, np.nan]), np.array([3.0, np.nan, 5.0])], {})
    assert value.tolist()[:2] == [1.0, 2.0] and math.isnan(value.tolist()[2])  # the round before's capaian
    assert periods == ["2026-TW2", "2026-TW2", None] and periods[0] is periods[1]
    col = _Columns(recap.table)
    assert np.shares_memory(col["pagu"], recap.table["pagu"].to_numpy())
    assert isinstance(col["kode_unit"], list) and all(isinstance(v, str) for v in col["keterangan"])
