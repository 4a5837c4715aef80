"""init: a new workspace, the example agency, and refusing to overwrite."""

from datetime import date

import pytest
from conftest import REPO

from sopkinerja.errors import WorkspaceError
from sopkinerja.master import read_master
from sopkinerja.workspace import init_workspace, open_workspace


def test_example_workspace(example_ws):
    assert (example_ws / "input" / "masuk").is_dir() and (example_ws / "output").is_dir()
    workspace = open_workspace(example_ws)
    assert workspace.config.period.code == "2026-TW3"
    assert workspace.config.agency.short_name == "Bappedalitbang"
    assert workspace.config.deadline.isoformat() == "2026-10-09T16:00:00+07:00"
    report = workspace.master()
    assert len(report.master.units) == 6 and report.warnings == []
    assert report.master.unit("P2EP").name == "Bidang Perencanaan, Pengendalian dan Evaluasi Pembangunan"


def test_example_master_workbook_round_trips(example_ws):
    from sopkinerja.example import example_master

    assert read_master(example_ws / "input" / "master.xlsx").master == example_master()


def test_empty_workspace_has_headers_and_instructions(tmp_path, messages):
    import openpyxl

    result = init_workspace(tmp_path / "kosong", example=False, today=date(2026, 11, 24), messages=messages)
    workbook = openpyxl.load_workbook(result.master)
    assert workbook.sheetnames == ["Unit", "Indikator", "Petunjuk"]
    assert [c.value for c in workbook["Unit"][1]] == ["kode", "nama", "kepala", "nip", "email"]
    assert workbook["Indikator"]["A1"].value == "kode_unit"
    assert "master data" in workbook["Petunjuk"]["A1"].value
    config = open_workspace(tmp_path / "kosong").config
    # The quarter that ended most recently, due on the 10th of the next month or the working day after
    # (10 October 2026 is a Saturday).
    assert config.period.code == "2026-TW3"
    assert config.deadline.isoformat() == "2026-10-12T16:00:00+07:00"
    assert [p.key for p in read_master(result.master).errors] == ["master.no_rows", "master.no_rows"]


@pytest.mark.parametrize("today, period", [(date(2026, 2, 1), "2025-TW4"), (date(2026, 5, 20), "2026-TW1")])
def test_empty_workspace_picks_the_last_quarter(tmp_path, messages, today, period):
    init_workspace(tmp_path / "w", example=False, today=today, messages=messages)
    assert open_workspace(tmp_path / "w").config.period.code == period


@pytest.mark.parametrize("existing", ["sopkinerja.toml", "input/master.xlsx"])
def test_init_refuses_to_overwrite(example_ws, messages, existing):
    target = example_ws / existing
    before = target.read_bytes()
    if existing == "input/master.xlsx":
        (example_ws / "sopkinerja.toml").unlink()
    with pytest.raises(WorkspaceError) as caught:
        init_workspace(example_ws, example=True, today=date(2026, 10, 5), messages=messages)
    assert caught.value.key == "workspace.exists"
    assert target.read_bytes() == before


def test_repository_is_the_example_workspace(example_ws):
    """The committed example files are exactly what init --example writes (`make example`)."""
    for name in ("sopkinerja.toml", "input/master.xlsx"):
        assert (REPO / name).read_bytes() == (example_ws / name).read_bytes(), (
            f"{name} is stale: run `make example`")
