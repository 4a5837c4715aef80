"""feedback.loading binds merged cells faster than openpyxl and must give the very same workbook:
the same parts when saved, on our request workbooks, on merges of every shape and border, and on
every real-world workbook with merged cells in ../shared/corpus/wild."""

from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import REPO
from openpyxl.styles import Border, Protection, Side
from openpyxl.worksheet.worksheet import Worksheet

from sopkinerja.feedback import loading

CORPUS = REPO.parent / "shared" / "corpus" / "wild"


def _saved(workbook) -> dict[str, bytes]:
    """The saved package's parts but docProps/core.xml (openpyxl stamps the save's second there,
    and on every part's zip entry)."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as package:
        return {name: package.read(name) for name in package.namelist() if name != "docProps/core.xml"}


def _both(source) -> tuple[dict, dict]:
    """(saved after openpyxl's own load, saved after loading.load)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _saved(openpyxl.load_workbook(source)), _saved(loading.load(source))


def _merges_of_every_shape(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    thin, thick = Side(style="thin"), Side(style="thick", color="FF0000")
    shapes = [("B2:L2", Border(top=thin, bottom=thin, left=thin, right=thin)),  # a section row
              ("B4:B9", Border(left=thick, right=thin)),  # one column
              ("D4:H9", Border(top=thick, bottom=thin)),  # a block
              ("J4:K5", Border()),  # no border: openpyxl skips the sides
              ("M4:N4", Border(left=thin, top=thick, right=thick, bottom=thick)),
              ("B12:S12", Border(top=thin, left=thin))]
    for number, (ref, border) in enumerate(shapes):
        first = ref.split(":")[0]
        sheet[first] = f"merge {number}"
        sheet[first].border = border
        if number % 2:
            sheet[first].protection = Protection(locked=False)
        sheet.merge_cells(ref)
    sheet["N9"].border = Border(bottom=thick, right=thick)  # a bottom-right cell's sides go to the top-left
    sheet.merge_cells("M8:N9")
    sheet.protection.sheet = True
    workbook.save(path)
    return path


def test_merges_of_every_shape_load_to_the_same_workbook(tmp_path):
    path = _merges_of_every_shape(tmp_path / "merges.xlsx")
    stock, fast = _both(path)
    assert stock == fast
    workbook = loading.load(path)
    assert len(workbook.active.merged_cells.ranges) == 7
    assert type(workbook.active["C2"]).__name__ == "MergedCell"


def test_a_request_workbook_loads_to_the_same_workbook(round_ws):
    _, paths = round_ws
    path = paths["SEK"]
    assert openpyxl.load_workbook(path).worksheets[0].merged_cells.ranges  # its section rows are merged
    stock, fast = _both(path)
    assert stock == fast


def test_openpyxl_binds_merges_its_own_way_again_after_a_load(tmp_path):
    stock = Worksheet.__dict__["_clean_merge_range"]
    loading.load(_merges_of_every_shape(tmp_path / "merges.xlsx"))
    assert Worksheet.__dict__["_clean_merge_range"] is stock
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    with pytest.raises(Exception):  # noqa: B017 - whatever openpyxl raises, the method comes back
        loading.load(tmp_path / "broken.xlsx")
    assert Worksheet.__dict__["_clean_merge_range"] is stock


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/wild is not beside the repository")
def test_every_wild_workbook_with_merged_cells_loads_to_the_same_workbook():
    compared = 0
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix not in (".xlsx", ".xlsm") or path.stat().st_size > 5_000_000:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                workbook = openpyxl.load_workbook(path)
                if not any(sheet.merged_cells.ranges for sheet in workbook.worksheets):
                    continue
                _saved(workbook)
        except Exception:  # noqa: BLE001 - openpyxl cannot load or save it: not ours to compare
            continue
        stock, fast = _both(path)
        assert stock == fast, path.name
        compared += 1
    assert compared >= 5
