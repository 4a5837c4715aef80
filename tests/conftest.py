"""Shared fixtures: example workspaces, a master-workbook factory, a CLI runner."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from sopkinerja import layout as L
from sopkinerja.cli import cli
from sopkinerja.i18n import Messages
from sopkinerja.workspace import init_workspace

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
                                      None, None], strict=True))
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


# --- returned files -------------------------------------------------------------

TEXTS = ("Dukungan pimpinan", "Anggaran terbatas", "Koordinasi ditingkatkan", "Laporan kegiatan")
GENERATED_AT = "2026-09-28T08:00:00+07:00"
RUN_AT = "2026-10-12T09:00:00+07:00"


def col(key: str, period: str = "2026-TW3") -> int:
    """1-based column (as openpyxl counts) of a ``Data Kinerja`` key of the round's layout."""
    from sopkinerja.models import Period

    return L.layout_for(Period.parse(period)).index(key) + 1


def set_cell(code: str, key: str, value):
    """A ``fill_workbook`` mutation: the ``Data Kinerja`` cell of indicator ``code``, column ``key``."""
    def mutate(workbook, rows):
        workbook["Data Kinerja"].cell(row=rows[code], column=col(key)).value = value
    return mutate


def letter(key: str, period: str = "2026-TW3") -> str:
    """The column letter of a ``Data Kinerja`` key of the round's layout, as Excel shows it."""
    from sopkinerja.cells import column_letter

    return column_letter(col(key, period) - 1)


def is_budget_row(key: str) -> bool:
    """A sub kegiatan's budget row (its hidden key ``SUB …``, or ``IND …`` for an indicator's own pagu)."""
    return key.startswith(("SUB ", "IND "))


def log_col(key: str) -> int:
    """1-based column of a ``Log Proses`` key of the layout."""
    return L.log_column_index(key) + 1


def data_rows(sheet, period: str | None = None) -> dict[str, int]:
    """Row key (indicator code, budget line) -> 1-based row of ``Data Kinerja``, by the hidden key column
    (found by its label, so any round's layout)."""
    header = [c.value for c in sheet[L.HEADER_ROW + 1]]
    key = header.index(L.LABELS["row_key"]) + 1 if period is None else col("row_key", period)
    return {sheet.cell(row=r, column=key).value: r for r in range(L.FIRST_DATA_ROW + 1, sheet.max_row + 1)
            if sheet.cell(row=r, column=key).value}


def fill_workbook(source: Path, target: Path, mutate=None, received: str = "2026-10-05T10:00:00+07:00",
                  sign: bool = True) -> Path:
    """Fill a generated request workbook as a unit would and drop it in the inbox.

    Realisasi = 90% of the target (1 when there is none), realisasi anggaran = half
    the pagu on each sub kegiatan's row, text columns filled, Log Proses steps 4-8
    timed on 1-5 October.
    ``mutate(workbook, rows)`` then spoils it; the file's mtime is the receipt time.
    """
    from datetime import datetime

    import openpyxl

    workbook = openpyxl.load_workbook(source)
    data = workbook["Data Kinerja"]
    period = {r[0].value: r[1].value for r in workbook["_meta"].iter_rows()}["periode"]
    at = lambda key: col(key, period)  # noqa: E731 - the round's own layout
    rows = data_rows(data)
    for key, row in rows.items():
        if is_budget_row(key):
            data.cell(row=row, column=at("spent")).value = data.cell(row=row, column=at("budget")).value / 2
            continue
        target_value = data.cell(row=row, column=at("target")).value
        data.cell(row=row, column=at("actual")).value = round((target_value or 1) * 0.9, 2)
        for key, text in zip(("drivers", "obstacles", "follow_up", "evidence"), TEXTS, strict=True):
            data.cell(row=row, column=at(key)).value = text  # Keterangan stays empty
    log = workbook["Log Proses"]
    first = L.LOG_HEADER_ROW + 2  # 1-based: the row under the header
    for offset, row in enumerate(range(first, first + 5)):
        log.cell(row=row, column=log_col("start")).value = datetime(2026, 10, 1 + offset, 8, 0)
        log.cell(row=row, column=log_col("end")).value = datetime(2026, 10, 1 + offset, 15, 30)
        if not sign and log.cell(row=row, column=log_col("step")).value == 7:
            log.cell(row=row, column=log_col("end")).value = None
        if log.cell(row=row, column=log_col("step")).value == 8:  # handed over: when the file was sent
            sent = datetime.fromisoformat(received).replace(tzinfo=None)
            log.cell(row=row, column=log_col("end")).value = sent
            log.cell(row=row, column=log_col("start")).value = min(sent, datetime(2026, 10, 5, 8, 0))
    if mutate:
        mutate(workbook, rows)
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
    stamp = datetime.fromisoformat(received).timestamp()
    os.utime(target, (stamp, stamp))
    return target


@pytest.fixture
def round_ws(example_ws):
    """The example workspace with requests generated for 2026-TW3; returns (root, {unit: path})."""
    from datetime import datetime as _dt

    from sopkinerja.generate import generate
    from sopkinerja.workspace import open_workspace

    result = generate(open_workspace(example_ws), lambda: _dt.fromisoformat(GENERATED_AT))
    return example_ws, {w.unit: w.path for w in result.workbooks}


def run_round(root: Path, at: str = RUN_AT):
    from datetime import datetime as _dt

    from sopkinerja.run import run
    from sopkinerja.workspace import open_workspace

    return run(open_workspace(root), lambda: _dt.fromisoformat(at))


def fill_all(root: Path, paths: dict, skip=()):
    for unit, path in paths.items():
        if unit not in skip:
            fill_workbook(path, root / "input" / "masuk" / f"{unit}.xlsx")


# --- LibreOffice ----------------------------------------------------------------

SOFFICE_FILTERS = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "xls": "xls:MS Excel 97", "ods": "ods",
                   "pdf": "pdf:calc_pdf_Export"}


@pytest.fixture(scope="session")
def year(tmp_path_factory):
    """The example agency's year TW1-TW4 played through the CLI once per session (``yearplay``)."""
    from yearplay import play_year

    return play_year(tmp_path_factory.mktemp("year") / "ws")


def soffice_convert(soffice: str, source: Path, out_dir: Path, fmt: str) -> Path:
    """Convert with headless LibreOffice; one retry with a fresh profile (its first start can fail)."""
    import subprocess

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{source.stem}.{fmt}"
    outputs = []
    for attempt in range(2):
        profile = (out_dir / f".profile-{attempt}").as_uri()
        completed = subprocess.run(
            [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to",
             SOFFICE_FILTERS[fmt], "--outdir", str(out_dir), str(source)],
            capture_output=True, text=True, timeout=180, check=False)
        if target.is_file():
            return target
        outputs.append(completed.stdout + completed.stderr)
    raise AssertionError(f"LibreOffice did not convert {source.name} to {fmt}: {outputs}")
