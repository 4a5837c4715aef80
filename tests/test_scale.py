"""What makes run fast at provincial scale must never change what it answers (issue 7).

The bulk-row writer (bigsheet), its block cache, the master cache and the
"nothing changed" answer each get a test that fails if they give a result a
full, uncached run would not.
"""

from __future__ import annotations

import os
import random
import shutil
import zipfile
import zlib
from datetime import datetime

import openpyxl
import pytest
from conftest import col, fill_all, fill_workbook, is_budget_row, run_round
from python_calamine import CalamineWorkbook

from sopkinerja.report import splice as bigsheet
from sopkinerja.report.splice import Block, BlockCache, Column, Splice, crc32_combine, rows_xml, splice

RECAP = "Rekap Kinerja 2026-TW3.xlsx"


def test_crc32_combine_matches_zlib():
    rng = random.Random(7)
    for length in (0, 1, 2, 3, 8, 255, 4096, 65537, 1_000_003):
        first, second = rng.randbytes(rng.randint(0, 300)), rng.randbytes(length)
        assert crc32_combine(zlib.crc32(first), zlib.crc32(second), length) == zlib.crc32(first + second)
        shift = bigsheet.crc32_shift(length)  # as a block keeps it: worked out once
        assert shift and crc32_combine(zlib.crc32(first), zlib.crc32(second), length, shift) == zlib.crc32(
            first + second)


def test_a_block_kept_without_its_shift_splices_the_same(tmp_path):
    """A block made by an earlier version (no ``shift``: 0) is combined by its length instead."""
    import dataclasses

    blocks = [Block.of(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{"x" * n}</t></is></c></row>')
              for n in range(2, 40)]
    assert all(b.shift == bigsheet.crc32_shift(b.size) for b in blocks)
    written = [_spliced_bytes(tmp_path / f"{name}.xlsx", kept, 40)
               for name, kept in (("new", blocks), ("old", [dataclasses.replace(b, shift=0) for b in blocks]))]
    assert written[0] == written[1]


def _spliced_bytes(path, blocks, last_row: int) -> bytes:
    """A one-sheet workbook with ``blocks`` spliced below its first row; its bytes (every member's
    CRC checked)."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    # a fixed creation time: two workbooks may be made either side of a second (flaky once)
    workbook.set_properties({"created": datetime(2026, 1, 1)})
    workbook.add_worksheet("Data").write_string(0, 0, "judul")
    workbook.close()
    splice(path, [Splice("xl/worksheets/sheet1.xml", 1, blocks, last_row, 0)])
    assert zipfile.ZipFile(path).testzip() is None
    return path.read_bytes()


def test_parked_blocks_splice_the_bytes_of_blocks_held_in_memory(tmp_path):
    """A ``Spool`` keeps blocks' bytes in a temporary file until the splice (memory, issue 20): the
    workbook is byte-identical to one spliced from blocks in memory, mixed or not, and the file
    goes with the spool."""
    from sopkinerja.report.splice import Parked, Spool

    blocks = [Block.of(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{"x" * n}é</t></is></c></row>')
              for n in range(2, 60)]
    folder = tmp_path / "stage"
    folder.mkdir()
    written = []
    with Spool(folder) as spool:
        parked = [spool.park(b) for b in blocks]
        assert all(isinstance(p, Parked) and p.data == b.data and (p.crc, p.size, p.shift, p.packed) == (
            b.crc, b.size, b.shift, len(b.data)) for p, b in zip(parked, blocks, strict=True))
        assert spool.park(parked[3]) is parked[3]
        mixed = [b if n % 3 else p for n, (b, p) in enumerate(zip(blocks, parked, strict=True))]
        for name, kept in (("memory", blocks), ("parked", parked), ("mixed", mixed)):
            written.append(_spliced_bytes(tmp_path / f"{name}.xlsx", kept, 60))
    assert written[0] == written[1] == written[2]
    assert list(folder.iterdir()) == []


def test_a_run_parks_the_forms_and_recap_rows_in_spools(round_ws, monkeypatch):
    """The E.81's body and the recap's table rows wait in spools, not in memory, until spliced."""
    from sopkinerja.report import splice as splicing

    parked: dict[int, int] = {}
    real = splicing.Spool.park
    monkeypatch.setattr(splicing.Spool, "park", lambda self, block: (
        parked.__setitem__(id(self), parked.get(id(self), 0) + 1), real(self, block))[1])
    root, paths = round_ws
    fill_all(root, paths)
    run_round(root)
    assert len(parked) == 2 and all(count >= len(paths) for count in parked.values())  # the E.81, the recap


def test_blocks_concatenate_into_one_deflate_stream():
    parts = ["<a>" * 1000, "héllo wörld " * 500, "", "x"]
    blocks = [Block.of(p) for p in parts]
    tail = zlib.compressobj(6, zlib.DEFLATED, -15)
    stream = b"".join(b.data for b in blocks) + tail.compress(b"end") + tail.flush()
    assert zlib.decompressobj(-15).decompress(stream) == ("".join(parts) + "end").encode()


def test_escape_keeps_text_as_excel_reads_it():
    assert bigsheet.escape("a<b & c>d") == "a&lt;b &amp; c&gt;d"
    assert bigsheet.escape("bel\x07") == "bel_x0007_"
    assert bigsheet.escape("_x0041_") == "_x005F_x0041_"
    assert bigsheet.escape("biasa saja") == "biasa saja"


def _placeholder(path, rows: int):
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    text, number, blank = (workbook.add_format(p) for p in ({"bold": True}, {"num_format": "0.00"}, {"border": 1}))
    sheet = workbook.add_worksheet("Tabel")
    sheet.write_string(0, 0, "Judul")
    for column, fmt in enumerate((text, number, blank)):
        sheet.write_blank(1, column, None, fmt)
    sheet.autofilter(0, 0, rows, 2)
    workbook.add_worksheet("Lain").write_string(0, 0, "tetap")
    workbook.close()
    return [Column("text", text._get_xf_index(), blank._get_xf_index()),
            Column("number", number._get_xf_index(), blank._get_xf_index())]


def test_spliced_rows_read_back_in_openpyxl_and_calamine(tmp_path):
    path = tmp_path / "t.xlsx"
    texts = ["=HYPERLINK(\"http://x\")", "  spasi  ", "a&b<c>", "kontrol\x01", None, "+cmd|' /C calc'!A0"]
    numbers = [1.5, float("nan"), None, -2.25, 1e16, 0.1 + 0.2]
    layout = _placeholder(path, 1 + len(texts))
    blocks = [Block.of(rows_xml(2, [texts[:3], numbers[:3]], layout)),
              Block.of(rows_xml(5, [texts[3:], numbers[3:]], layout))]
    splice(path, [Splice("xl/worksheets/sheet1.xml", 1, blocks, 1 + len(texts), 1)])
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None
    sheet = openpyxl.load_workbook(path)["Tabel"]
    # Excel turns _x0001_ back into the control character; openpyxl leaves the escape as it is.
    assert [sheet.cell(row=r, column=1).value for r in range(2, 8)] == [
        "=HYPERLINK(\"http://x\")", "  spasi  ", "a&b<c>", "kontrol_x0001_", None, "+cmd|' /C calc'!A0"]
    assert sheet.cell(row=2, column=1).data_type == "s"  # text, never a formula
    assert [sheet.cell(row=r, column=2).value for r in range(2, 8)] == [1.5, None, None, -2.25, 1e16, 0.1 + 0.2]
    assert sheet.cell(row=2, column=2).number_format == "0.00"
    assert openpyxl.load_workbook(path)["Lain"]["A1"].value == "tetap"
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Tabel").to_python()
    assert grid[0][0] == "Judul" and grid[1][0].startswith("=HYPERLINK") and grid[4][1] == -2.25


@pytest.mark.parametrize("own_merge", [True, False], ids=["beside-the-sheets-own", "the-sheets-first"])
def test_spliced_rows_merge_their_ranges_and_the_rows_below_them_stay(tmp_path, own_merge):
    """Rows spliced with ``merges`` (the E.81's footer) merge those ranges, beside any the sheet
    merged itself or as its first; the placeholder's rows after a gap (``resume_row`` names a row
    it never wrote) come after the blocks, not lost."""
    import xlsxwriter

    path = tmp_path / "m.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Data")
    if own_merge:
        sheet.merge_range(0, 0, 0, 2, "judul")
    else:
        sheet.write_string(0, 0, "judul")
    sheet.write_string(6, 0, "tanda tangan")  # row 7; rows 5 and 6 empty
    sheet.set_landscape()
    workbook.close()
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>baris {n}</t></is></c><c r="B{n}"/></row>'
                   for n in (2, 3, 4))
    splice(path, [Splice("xl/worksheets/sheet1.xml", 1, [Block.of(rows)], 7, 2, resume_row=5,
                         merges=("A2:B2", "A4:C4"))])
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None
    sheet = openpyxl.load_workbook(path)["Data"]
    merged = sorted(str(r) for r in sheet.merged_cells.ranges)
    assert merged == (["A1:C1", "A2:B2", "A4:C4"] if own_merge else ["A2:B2", "A4:C4"])
    assert [sheet.cell(row=r, column=1).value for r in range(1, 8)] == [
        "judul", "baris 2", "baris 3", "baris 4", None, None, "tanda tangan"]
    assert sheet.page_setup.orientation == "landscape"  # what follows the merges is still read


def test_a_placeholders_rows_after_those_kept_go_though_the_next_row_is_empty(tmp_path):
    """Without ``resume_row`` every placeholder row after ``keep_rows`` is dropped, also when the
    row just below them was never written (an empty row is not in the XML)."""
    import xlsxwriter

    path = tmp_path / "g.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Data")
    sheet.write_string(0, 0, "judul")
    sheet.write_string(4, 0, "lama")  # row 5; rows 2-4 empty
    workbook.close()
    rows = '<row r="2"><c r="A2" t="inlineStr"><is><t>baru</t></is></c></row>'
    splice(path, [Splice("xl/worksheets/sheet1.xml", 1, [Block.of(rows)], 2, 0)])
    sheet = openpyxl.load_workbook(path)["Data"]
    assert [sheet.cell(row=r, column=1).value for r in range(1, 6)] == ["judul", "baru", None, None, None]


def test_block_cache_rejects_damaged_entries_and_prunes(tmp_path):
    cache = BlockCache(tmp_path / "c")
    block = Block.of("<row/>" * 100)
    cache.put("k1", block)
    cache.put("k2", block)
    assert BlockCache(tmp_path / "c").get("k1") == block
    damaged = tmp_path / "c" / "k1.blok"
    data = bytearray(damaged.read_bytes())
    data[-1] ^= 0xFF
    damaged.write_bytes(bytes(data))
    fresh = BlockCache(tmp_path / "c")
    assert fresh.get("k1") is None
    fresh.prune()
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["k1.blok"]


def _outputs(root):
    folder = root / "output" / "2026-TW3"
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_cached_blocks_give_the_bytes_of_a_fresh_write(round_ws):
    """A resubmission reuses the other units' blocks; the recap equals one written from nothing."""
    root, paths = round_ws
    fill_all(root, paths)
    run_round(root)
    first_code = []

    def change(workbook, rows):
        first_code.append(next(key for key in rows if not is_budget_row(key)))
        workbook["Data Kinerja"].cell(row=rows[first_code[0]], column=col("actual"), value=3.5)

    fill_workbook(paths["PPM"], root / "input" / "masuk" / "PPM-2.xlsx", received="2026-10-06T10:00:00+07:00",
                  mutate=change)
    cache = root / "arsip" / "cache" / "rekap-2026-TW3"
    before = {p.name for p in cache.iterdir()}
    incremental = run_round(root)
    after = {p.name for p in cache.iterdir()}
    assert len(after - before) == 3, "only PPM's pieces (agency sheet, its own sheet, CSV) are new"
    cached = _outputs(root)
    shutil.rmtree(root / "arsip" / "cache")
    (root / "output" / "2026-TW3" / RECAP).unlink()
    fresh = run_round(root)
    assert not incremental.unchanged and not fresh.unchanged
    assert _outputs(root)[RECAP] == cached[RECAP]
    sheet = openpyxl.load_workbook(root / "output" / "2026-TW3" / RECAP)["PPM"]
    from sopkinerja.report.rows import TABLE_COLUMNS

    assert [c.value for c in sheet[4]][:2] == ["PPM", first_code[0]]
    assert sheet.cell(row=4, column=TABLE_COLUMNS.index("realisasi_periode") + 1).value == 3.5


def test_nothing_changed_answers_at_once_and_touches_nothing(round_ws, run_cli, monkeypatch):
    import sopkinerja.run as run_module

    root, paths = round_ws
    fill_all(root, paths, skip=("LITBANG",))
    first = run_cli("run", "--project", root, "--json")
    before = {p: p.stat().st_mtime_ns for p in (root / "output").rglob("*") if p.is_file()}
    monkeypatch.setattr(run_module, "consolidate", lambda *a: pytest.fail("recomputed"))
    second = run_cli("run", "--project", root, "--json")
    assert second.exit_code == first.exit_code == 3
    document, again = first.json(), second.json()
    assert again.pop("unchanged") is True and document.pop("unchanged") is False
    assert document == again
    assert {p: p.stat().st_mtime_ns for p in (root / "output").rglob("*") if p.is_file()} == before
    text = run_cli("run", "--project", root)
    assert "Tidak ada yang berubah" in text.stdout


@pytest.mark.parametrize("change", ["new-file", "output-deleted", "step-recorded", "config-edited"])
def test_any_change_runs_in_full(round_ws, run_cli, change):
    root, paths = round_ws
    fill_all(root, paths, skip=("LITBANG",))
    assert run_round(root).unchanged is False
    assert run_round(root).unchanged is True
    if change == "new-file":
        fill_all(root, {"LITBANG": paths["LITBANG"]})
    elif change == "output-deleted":
        (root / "output" / "2026-TW3" / RECAP).unlink()
    elif change == "step-recorded":
        result = run_cli("step", "--project", root, "1", "--start", "28/09/2026 08.00",
                         "--end", "28/09/2026 09.00")
        assert result.exit_code == 0, result.stdout + result.stderr
    else:
        config = root / "sopkinerja.toml"
        config.write_text(config.read_text(encoding="utf-8") + "\n# catatan\n", encoding="utf-8")
        os.utime(config, ns=(config.stat().st_atime_ns, config.stat().st_mtime_ns + 10**9))
    again = run_round(root)
    assert again.unchanged is False
    assert (root / "output" / "2026-TW3" / RECAP).is_file()
    if change == "new-file":
        assert {u.unit: u.status for u in again.units}["LITBANG"] == "accepted"


def test_full_run_after_a_change_parses_nothing_again(round_ws, monkeypatch):
    import sopkinerja.validate.worker as run_module

    root, paths = round_ws
    fill_all(root, paths)
    first = run_round(root)
    outputs = _outputs(root)
    (root / "output" / "2026-TW3" / RECAP).unlink()
    monkeypatch.setattr(run_module, "parse_file", lambda *a: pytest.fail("parsed again"))
    second = run_round(root)
    assert not second.unchanged
    assert [u.status for u in first.units] == [u.status for u in second.units]
    assert _outputs(root) == outputs


def test_master_cache_is_used_and_follows_the_master(example_ws, monkeypatch):
    from sopkinerja import master as master_module
    from sopkinerja.workspace import open_workspace

    workspace = open_workspace(example_ws)
    first = workspace.master().master
    assert list((example_ws / "arsip" / "cache").glob("master-*.pickle"))
    monkeypatch.setattr(master_module, "read_master", lambda *a: pytest.fail("read again"))
    cached = workspace.master().master
    assert list(cached.budget_lines.items()) == list(first.budget_lines.items())
    assert not cached._indicators.made  # kept with it, not grouped again from the indicators (none made for them)
    assert cached == first
    assert "unit_marks" in cached.__dict__ and cached.unit_marks == first.unit_marks  # kept, not digested again
    monkeypatch.undo()
    for pickle in (example_ws / "arsip" / "cache").glob("master-*.pickle"):
        pickle.write_bytes(b"rusak")
    assert workspace.master().master == first  # a damaged cache entry is read again from the source
    path = workspace.config.paths.master
    source = openpyxl.load_workbook(path)
    header = [c.value for c in source["Indikator"][1]]
    source["Indikator"].cell(row=2, column=header.index("target") + 1).value = 12345
    source.save(path)
    changed = workspace.master().master
    assert changed.indicators[0].target == 12345
    edited = changed.indicators[0].unit_code  # only the edited unit's mark moves
    assert {u for u in first.unit_marks if changed.unit_marks[u] != first.unit_marks[u]} == {edited}
    assert len(list((example_ws / "arsip" / "cache").glob("master-*.pickle"))) == 1


@pytest.mark.parametrize(("values", "groups"), [
    ([1.5, 1.5, 2.0, 1.5], [[0, 1, 3], [2]]),
    ([0.0, -0.0, 0.0], [[0, 2], [1]]),  # equal, not the same number: -0.0 stays itself
    ([float("nan"), float("nan")], [[0, 1]]),  # the same bits: one NaN
    ([{"target_tw1": 1.0}, {"target_tw1": 1.0}, {"target_tw1": -0.0}, {"target_tw1": 0.0}], [[0, 1], [2], [3]]),
    ([1, 1.0, True, None, None, "a", "a"], [[0], [1], [2], [3, 4], [5, 6]]),  # equal across types: not shared
    ([[1], [1]], [[0], [1]]),  # unhashable: each kept as it is
    ([{"a": "x"}, {"a": "x"}], [[0], [1]]),  # a dict of other than numbers: each kept as it is
])
@pytest.mark.parametrize("numpy_from", [None, 0], ids=["stdlib", "numpy"])  # an agency's master, a province's
def test_master_cache_shares_equal_values(values, groups, numpy_from, monkeypatch):
    import sopkinerja.master
    from sopkinerja.master import _pooled, _unpooled

    if numpy_from is not None:
        monkeypatch.setattr(sopkinerja.master, "NUMPY_FROM", numpy_from)

    copies = [v if not isinstance(v, float | dict) else (float(repr(v)) if isinstance(v, float) else dict(v))
              for v in values]
    shared = _unpooled(_pooled(copies))
    assert [repr(v) for v in shared] == [repr(v) for v in values]
    assert [type(v) for v in shared] == [type(v) for v in values]
    assert sorted({id(v): [i for i, w in enumerate(shared) if w is v] for v in shared}.values()) == sorted(groups)


def test_cached_master_keeps_its_numbers_shared(example_ws, tmp_path):
    from sopkinerja.master import load_master
    from sopkinerja.workspace import open_workspace

    path = open_workspace(example_ws).config.paths.master
    read = load_master(path, cache=tmp_path).master
    cached = load_master(path, cache=tmp_path).master
    assert cached is not read
    assert cached == read
    targets = [i.target for i in cached.indicators if i.target is not None]
    assert len({id(t) for t in targets}) == len({repr(t) for t in targets}) < len(targets)


def test_status_of_an_agency_imports_neither_numpy_nor_pandas(example_ws):
    """``status`` answers at once (issue 20: < 0.3 s): from the master's cache too, an agency's
    master is read without numpy, and nothing else status does needs numpy or pandas."""
    import subprocess
    import sys

    probe = ("import sys; from sopkinerja.cli import main\n"
             "sys.argv = ['sopkinerja', '--project', sys.argv[1], 'status']\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(sorted({'numpy', 'pandas'} & set(sys.modules)))")
    for attempt in ("master read", "master from the cache"):
        done = subprocess.run([sys.executable, "-c", probe, str(example_ws)], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip().splitlines()[-1] == "[]", attempt
    assert list((example_ws / "arsip" / "cache").glob("master-*.pickle")), "the second status read the cache"


def test_recap_workbook_opens_in_libreoffice(round_ws, tmp_path):
    """The spliced package is opened and re-saved by LibreOffice with every row intact."""
    from conftest import soffice_convert

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; CI installs it (.ci/run)")
    root, paths = round_ws
    fill_all(root, paths)
    run_round(root)
    converted = soffice_convert(soffice, root / "output" / "2026-TW3" / RECAP, tmp_path / "lo", "ods")
    grid = CalamineWorkbook.from_path(str(converted)).get_sheet_by_name("Rekap Badan").to_python()
    original = CalamineWorkbook.from_path(str(root / "output" / "2026-TW3" / RECAP)).get_sheet_by_name(
        "Rekap Badan").to_python()
    assert len(grid) == len(original) > 60
    assert [row[:3] for row in grid] == [row[:3] for row in original]


def test_csv_pieces_equal_what_pandas_writes(round_ws, tmp_path):
    """The per-unit CSV text is byte for byte DataFrame.to_csv, the previous writer."""
    from sopkinerja.consolidate import CSV_COLUMNS

    root, paths = round_ws
    fill_all(root, paths, skip=("LITBANG",))
    fill_workbook(paths["PPM"], root / "input" / "masuk" / "PPM.xlsx",
                  mutate=lambda wb, rows: wb["Data Kinerja"].cell(row=next(iter(rows.values())), column=7,
                                                                  value="1.234,5"))
    run_round(root)
    from sopkinerja.consolidate import consolidate
    from sopkinerja.workspace import open_workspace

    workspace = open_workspace(root)
    with workspace.ledger() as ledger:
        result = run_round(root)
        recap = consolidate(ledger, workspace.master().master, "2026-TW3", result.units, None)
    # a text with a comma, a quote and a line break needs quoting
    recap.table.loc[0, "indikator"] = 'Nilai "SAKIP", rata-rata\nper unit'
    expected = tmp_path / "pandas.csv"
    recap.table[list(CSV_COLUMNS)].to_csv(expected, index=False, encoding="utf-8-sig", float_format="%.10g",
                                          lineterminator="\r\n")
    from sopkinerja.report import rows as recaprows
    from sopkinerja.report.splice import BlockCache

    ours = tmp_path / "ours.csv"
    with open(ours, "wb") as out:
        out.write(b"\xef\xbb\xbf" + recaprows.csv_header())
        recaprows.build_all(recap, [Column("text", 1, 1)] * 15, [], BlockCache(None), out)
    assert ours.read_bytes() == expected.read_bytes()


def test_recap_rows_are_keyed_by_the_units_pieces_and_their_status(round_ws, monkeypatch):
    """The recap's row blocks are keyed by each unit's consolidated piece key and status (no hash of
    500,000 rows); the rows' spans are the hashed ones', and a recap without keys still hashes."""
    import dataclasses

    import sopkinerja.run as run_module
    from sopkinerja.report import rows as recaprows

    recaps = []
    real = run_module.consolidate
    monkeypatch.setattr(run_module, "consolidate", lambda *a, **k: recaps.append(real(*a, **k)) or recaps[-1])
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))
    run_round(root)
    (recap,) = recaps
    statuses = {u.code: u.status for u in recap.units}
    keys = {code: f"{key}|{statuses[code]}".encode() for code, key in recap.unit_keys.items()}
    keyed, hashed = recaprows.unit_spans(recap.table, keys), recaprows.unit_spans(recap.table)
    assert list(keyed) == list(hashed) and len(keyed) == len(paths)  # IPW sent nothing: its rows, blank
    assert all(keyed[c][1:] == hashed[c][1:] and keyed[c][0] == keys[c] for c in keyed)
    assert keyed["IPW"][0].endswith(b"|missing") and keyed["SEK"][0].endswith(b"|accepted")
    assert recaprows.unit_spans(recap.table, {**keys, "LAIN": b"x"}) == keyed
    partial = dict(list(keys.items())[1:])
    assert recaprows.unit_spans(recap.table, partial) == hashed  # a unit without a key: every row hashed
    out = {}
    for name, made in (("keyed", recap), ("hashed", dataclasses.replace(recap, unit_keys={}))):
        path = root / f"{name}.csv"
        with open(path, "wb") as csv_out:
            recaprows.build_all(made, [Column("text", 1, 1)] * 19, [], BlockCache(None), csv_out)
        out[name] = path.read_bytes()
    assert out["keyed"] == out["hashed"]


def test_rows_built_by_the_worker_pool_equal_rows_built_here(round_ws, monkeypatch):
    """The spawn-pool path of recaprows gives the same recap bytes as building in-process."""
    from sopkinerja.report import rows as recaprows

    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))
    twin = root.parent / "kembar"
    shutil.copytree(root, twin)
    monkeypatch.setattr(recaprows, "PARALLEL_FROM", 1)
    monkeypatch.setattr(recaprows, "CHUNK", 2)
    run_round(root)
    monkeypatch.setattr(recaprows, "PARALLEL_FROM", 10_000)
    run_round(twin)
    ours, theirs = _outputs(root), _outputs(twin)
    assert ours[RECAP] == theirs[RECAP]
    assert ours["rekap-kinerja-2026-TW3.csv"] == theirs["rekap-kinerja-2026-TW3.csv"]


def test_pieces_built_by_the_worker_pool_equal_pieces_built_here(round_ws, monkeypatch):
    """Consolidation's spawn-pool path (a cold run's units, issue 20) gives the outputs of building
    every unit's piece in this process, byte for byte; the pieces the workers kept serve the next run."""
    import sopkinerja.consolidate as consolidate

    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))
    twin = root.parent / "kembar"
    shutil.copytree(root, twin)

    def not_here(*args):
        raise AssertionError("a piece was built in the run's own process")

    monkeypatch.setattr(consolidate, "PARALLEL_FROM", 1)
    monkeypatch.setattr(consolidate, "CHUNK", 2)
    monkeypatch.setattr(consolidate, "_unit_piece", not_here)  # the spawned workers import the real one
    run_round(root)
    kept = sorted(p.name for p in (root / "arsip" / "cache" / "konsolidasi-2026-TW3").iterdir())
    assert len(kept) == len(paths)
    monkeypatch.undo()
    monkeypatch.setattr(consolidate, "PARALLEL_FROM", 10_000)
    run_round(twin)
    assert _outputs(root) == _outputs(twin)
    assert kept == sorted(p.name for p in (twin / "arsip" / "cache" / "konsolidasi-2026-TW3").iterdir())
    monkeypatch.setattr(consolidate, "_unit_piece", not_here)
    (root / "output" / "2026-TW3" / RECAP).unlink()  # something to do: every piece comes from the cache
    run_round(root)
    assert RECAP in _outputs(root)


@pytest.mark.parametrize("durable", [True, False])
def test_an_atomic_write_replaces_the_file_whole_flushed_or_not(tmp_path, monkeypatch, durable):
    import sopkinerja.atomic as atomic

    flushed = []
    real = atomic.fsync
    monkeypatch.setattr(atomic, "fsync", lambda path: (flushed.append(path), real(path)))
    target = tmp_path / "out" / "x.bin"
    atomic.write_bytes(target, b"old")
    atomic.write_bytes(target, b"new" * 1000, durable=durable)
    assert target.read_bytes() == b"new" * 1000
    assert [p.name for p in target.parent.iterdir()] == ["x.bin"]  # no temporary file left
    assert len(flushed) == (2 if durable else 1)


def test_a_cache_block_torn_after_a_power_cut_is_made_again(tmp_path):
    cache = BlockCache(tmp_path / "c")
    block = Block.of("<row/>" * 100)
    cache.put("k1", block)  # written without a flush to disk: a power cut may leave it short
    entry = tmp_path / "c" / "k1.blok"
    entry.write_bytes(entry.read_bytes()[:20])
    assert BlockCache(tmp_path / "c").get("k1") is None


@pytest.mark.parametrize("damage", ["zeros", "short", "one byte", "longer", "empty"])
def test_a_kept_entry_damaged_in_any_way_is_a_miss(tmp_path, damage):
    """A power cut after the rename but before the data reached the disk leaves an entry of zeros,
    short or empty; any change of its bytes fails its length and CRC-32."""
    from sopkinerja.files import KeptCache

    cache = KeptCache(tmp_path / "c", ".x", dict)
    cache.put("k", {"rows": list(range(1000))})
    assert KeptCache(tmp_path / "c", ".x", dict).get("k") == {"rows": list(range(1000))}
    entry = tmp_path / "c" / "k.x"
    blob = bytearray(entry.read_bytes())
    if damage == "zeros":
        blob[12:] = bytes(len(blob) - 12)
    elif damage == "short":
        blob = blob[:len(blob) // 2]
    elif damage == "one byte":
        blob[len(blob) // 2] ^= 0x20
    elif damage == "longer":
        blob += b"\0" * 16
    else:
        blob = bytearray()
    entry.write_bytes(bytes(blob))
    assert KeptCache(tmp_path / "c", ".x", dict).get("k") is None


_FREED_RSS = """
import sys
from sopkinerja.pool import settle_malloc

applied = settle_malloc() if sys.argv[1] == "settled" else None
big = bytearray(16 << 20)
del big  # glibc (unsettled) now serves blocks below 16 MiB from its heap
blocks = [bytearray(4 << 20) for _ in range(32)]  # 128 MiB, like a table's columns
after = [bytearray(100_000) for _ in range(3)]  # above them on the heap: free() cannot trim them off the top
del blocks
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS:"))
print(applied, rss // 1024)
"""


def test_settled_malloc_gives_freed_columns_back():
    """pool.settle_malloc: after a big block was freed, 4 MiB blocks freed go back to the OS (glibc)."""
    import subprocess
    import sys

    if not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None:
        pytest.skip("glibc only: elsewhere settle_malloc does nothing")

    def freed(mode: str) -> tuple[str, int]:
        out = subprocess.run([sys.executable, "-c", _FREED_RSS, mode], capture_output=True, text=True, check=True)
        applied, rss = out.stdout.split()
        return applied, int(rss)

    (applied, settled), (_, unsettled) = freed("settled"), freed("unsettled")
    assert applied == "True"
    assert unsettled - settled > 64  # MiB: the freed blocks stayed in the unsettled process


def test_workers_and_the_cli_settle_their_process(monkeypatch):
    import inspect

    from sopkinerja import cli, pool

    assert "settle_malloc()" in inspect.getsource(pool.settle_gc)
    assert "initializer=settle_gc" in inspect.getsource(pool.spawn_pool)
    assert "settle_gc()" in inspect.getsource(cli.main)


@pytest.mark.parametrize("values", [
    [],
    [("U1-01", "actual", 12.5, None, "12,5", "H12"), ("U1-01", "faktor_pendorong", None, "Cuaca baik", None, "M12"),
     ("", "catatan", None, "", None, None), ("U1-02", "spent", -0.0, None, "-0", "K13"),
     ("U1-03", "actual", 1e300, None, "1E+300", "H14"), ("U1-04", "actual", 7, None, "7", "H15")],
    [("U1-01", "actual", __import__("decimal").Decimal("1.5"), None, "1,5", "H12")],  # not marshal's: pickled
])
def test_packed_values_read_back_as_they_were(values):
    import pickle

    from sopkinerja.records import PackedValues, Value, value_rows

    objects = [Value(*row) for row in values]
    packed = PackedValues(objects)
    assert len(packed) == len(values)
    assert list(packed) == objects and packed == objects
    assert value_rows(packed) == values == value_rows(objects)
    assert [repr(row) for row in value_rows(packed)] == [repr(row) for row in values]  # -0.0 stays -0.0
    again = pickle.loads(pickle.dumps(packed))
    assert isinstance(again, PackedValues) and list(again) == objects
    if values:
        assert packed[-1] == objects[-1]


def test_checked_values_travel_packed(round_ws, monkeypatch):
    """What check_part makes (and a worker or a kept check carries) is one packed block per part."""
    from sopkinerja.records import PackedValues
    from sopkinerja.validate import worker

    root, paths = round_ws
    fill_all(root, paths)
    packed = []
    original = worker.check_job

    def spy(job):
        done = original(job)
        packed.extend(part.values for part in done.parts)
        return done

    monkeypatch.setattr(worker, "check_job", spy)
    run_round(root)
    assert packed and all(isinstance(v, PackedValues) for v in packed)
    assert sum(len(v) for v in packed) > 50


@pytest.mark.parametrize("interleaved", [False, True], ids=["units-in-blocks", "units-interleaved"])
def test_cached_master_makes_indicators_only_where_asked_and_equal_to_the_read_one(master_factory, tmp_path,
                                                                                   interleaved):
    """A master from the cache (``PooledMaster``) answers every question as the read master does,
    and makes one unit's ``Indicator`` objects for a question about that unit only (issue 20)."""
    from conftest import INDICATOR_HEADER, UNIT_HEADER, indicator_row, unit_row

    from sopkinerja.master import PooledMaster, load_master
    from sopkinerja.models import Period

    units = [unit_row("SEK", "Sekretariat"), unit_row("BID1", "Bidang Satu", nip="198001012005011002"),
             unit_row("BID2", "Bidang Dua", nip="198101012006011003")]
    order = ["SEK", "BID1", "BID2"] * 3 if interleaved else ["SEK"] * 3 + ["BID1"] * 3 + ["BID2"] * 3
    rows = [indicator_row(unit, f"I-{n:02d}", target=10 + n % 4, pagu=1000 + n) + [("tahunan", "triwulanan")[n % 2]]
            for n, unit in enumerate(order)]
    header = [*INDICATOR_HEADER, "frekuensi"]
    path = master_factory(sheets={"Unit": [UNIT_HEADER, *units], "Indikator": [header, *rows]})
    read = load_master(path, cache=tmp_path).master
    cached = load_master(path, cache=tmp_path).master
    assert isinstance(cached, PooledMaster) and not isinstance(read, PooledMaster)

    assert cached.indicators_of("BID1") == read.indicators_of("BID1")
    assert set(cached._indicators.made) == {"BID1"}  # one unit's objects, no one else's
    assert cached.indicator("I-04") is cached.indicators_of("BID1")[1]
    assert cached.indicator("I-04") == read.indicator("I-04")
    assert set(cached._indicators.made) == {"BID1"}
    names = ("code", "frequency", "budget", "unit_code")
    for unit in ("SEK", "BID2", "nobody"):
        assert cached.columns_of(unit, names) == read.columns_of(unit, names)
    assert cached.indicators_of("nobody") == () == read.indicators_of("nobody")
    assert set(cached._indicators.made) == {"BID1"}
    assert cached.column("budget") == read.column("budget") == [1000 + n for n in range(9)]
    assert cached.column("frequency") == [("tahunan", "triwulanan")[n % 2] for n in range(9)]
    assert cached.count == read.count == 9
    assert "indicators" not in cached.__dict__
    assert cached.first_lines("BID2") == read.first_lines("BID2") and len(read.first_lines("BID2")) == 3
    assert set(cached._lines.made) == {"BID2"}  # one unit's budget lines made, no one else's
    line = read.first_lines("SEK")["I-00"]
    assert cached.budget_line(line.key) == line == read.budget_line(line.key)
    assert set(cached._lines.made) == {"BID2", "SEK"}
    assert cached.first_lines("nobody") == {} == read.first_lines("nobody")
    assert cached.budget_lines == read.budget_lines and list(cached.budget_lines) == list(read.budget_lines)
    assert cached.budget_lines[line.key] is cached.budget_line(line.key)  # the objects made before
    assert cached.indicators == read.indicators  # all of them, in master order
    assert cached.indicators[order.index("BID1")] is cached.indicators_of("BID1")[0]  # the objects made before
    assert cached == read and read == cached
    assert cached._indicators.columns is None  # every unit's objects made: the columns let go, the objects answer
    assert cached.columns_of("BID2", names) == read.columns_of("BID2", names)
    assert cached.column("budget") == read.column("budget") and cached.count == 9
    assert cached.indicator("I-04") is cached.indicators_of("BID1")[1]
    assert cached.indicators_of("nobody") == ()

    from sopkinerja.consolidate import _master_columns

    for unit in cached.units:
        assert _master_columns(unit, cached, Period.parse("2026-TW2")) == _master_columns(
            unit, read, Period.parse("2026-TW2"))
    assert [row for row in _master_columns(cached.units[0], cached, Period.parse("2026-TW2"))["wajib"]] == [
        indicator.due(Period.parse("2026-TW2")) for indicator in read.indicators_of("SEK")]


def test_a_cached_master_whose_columns_do_not_match_its_rows_is_read_again(example_ws):
    """A master cache entry that unpickles but whose columns and units' rows disagree is read
    again from the source when loaded, never found out halfway through a run."""
    import pickle

    from sopkinerja.workspace import open_workspace

    workspace = open_workspace(example_ws)
    first = workspace.master().master
    [entry] = (example_ws / "arsip" / "cache").glob("master-*.pickle")
    stored = pickle.loads(entry.read_bytes())
    unit, at = next(iter(stored["unit_rows"].items()))
    stored["unit_rows"][unit] = (at[0], at[1] - 1) if isinstance(at, tuple) else at[:-1]
    entry.write_bytes(pickle.dumps(stored))
    again = workspace.master().master
    assert type(again).__name__ == "Master" and again == first  # read from the workbook


def test_work_beside_gives_its_result_or_is_done_here_when_its_process_dies():
    """pool.beside: a function in a spawn process of its own while the caller goes on; a process
    that dies (the OS killed it) means the work is done here instead."""
    import math

    from sopkinerja.pool import beside

    with beside(math.factorial, (20,), lambda: "here") as wait:
        assert wait() == math.factorial(20)
    with beside(os._exit, (3,), lambda: "here") as wait:
        assert wait() == "here"
