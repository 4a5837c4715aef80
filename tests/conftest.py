"""Shared fixtures: example workspaces, a master-workbook factory, a CLI runner."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from sopkinerja.cli import cli
from sopkinerja.i18n import Messages
from sopkinerja.workspace import init_workspace
from datetime import date

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fixed_environment(monkeypatch):
    """Indonesian messages and a fixed clock unless a test says otherwise."""
    monkeypatch.delenv("SOPKINERJA_LANG", raising=False)
    monkeypatch.setenv("SOPKINERJA_NOW", "2026-10-05T09:00:00+07:00")


@pytest.fixture
def messages():
    return Messages("id")


@pytest.fixture
def example_ws(tmp_path, messages) -> Path:
    root = tmp_path / "ws"
    init_workspace(root, example=True, today=date(2026, 10, 5), messages=messages)
    return root


class CliResult:
    def __init__(self, result):
        self.exit_code = result.exit_code
        self.stdout = result.stdout
        self.stderr = result.stderr
        self.exception = result.exception

    def json(self):
        return json.loads(self.stdout)


@pytest.fixture
def run_cli():
    def invoke(*args: str, env: dict[str, str] | None = None) -> CliResult:
        runner = CliRunner()
        result = runner.invoke(cli, [str(a) for a in args], env=env, catch_exceptions=True)
        return CliResult(result)

    return invoke


def write_master_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """Build a master workbook in code: sheet name -> rows (first row = headers)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


UNIT_HEADER = ["kode", "nama", "kepala", "nip", "email"]
INDICATOR_HEADER = [
    "kode_unit", "kode", "sasaran", "program", "kegiatan", "sub_kegiatan", "indikator",
    "satuan", "polaritas", "target", "target_tw1", "target_tw2", "target_tw3", "target_tw4", "pagu",
]


def unit_row(code="SEK", name="Sekretariat", nip="197503121998031004", email="a@b.go.id"):
    return [code, name, "Kepala", nip, email]


def indicator_row(unit="SEK", code="I-01", target=10, polarity="+", measure="dokumen", **extra):
    row = dict(zip(INDICATOR_HEADER, [unit, code, "Sasaran", "5.01.01 Program", "5.01.01.2.01 Kegiatan",
                                      "", "Indikator uji", measure, polarity, target, None, None, None,
                                      None, None]))
    row.update(extra)
    return [row[h] for h in INDICATOR_HEADER]


@pytest.fixture
def master_factory(tmp_path):
    def make(units=None, indicators=None, name="master.xlsx", sheets=None) -> Path:
        if sheets is None:
            sheets = {
                "Unit": [UNIT_HEADER, *(units if units is not None else [unit_row()])],
                "Indikator": [INDICATOR_HEADER, *(indicators if indicators is not None
                                                  else [indicator_row()])],
            }
        return write_master_xlsx(tmp_path / name, sheets)

    return make
