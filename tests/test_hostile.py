"""Hostile input (issue 8): a corpus built in code, one test per case.

Each bad file must get its precise issue code while the good files beside it
are accepted, and no traceback may reach the user. The whole corpus also runs
in one ``run`` in a memory-limited subprocess, and ``verify`` is clean after.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from conftest import col, fill_all, fill_workbook, run_round

from sopkinerja.ingest.formats import OLE_MAGIC

GOOD = ("SEK", "P2EP", "PPM", "PSDA", "LITBANG")  # IPW's slot carries the hostile file


def _inbox(root: Path) -> Path:
    return root / "input" / "masuk"


def _filled(paths, tmp_path, unit="IPW", mutate=None) -> bytes:
    return fill_workbook(paths[unit], tmp_path / f"isi-{unit}.xlsx", mutate=mutate).read_bytes()


def _rezip(data: bytes, change) -> bytes:
    """The same package with ``change(name, bytes) -> bytes`` applied to each part."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info.filename)))
    return out.getvalue()


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", '<Types><Override ContentType="application/vnd.openxmlformats-'
                                                'officedocument.wordprocessingml.document.main+xml"/></Types>')
        package.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def _encrypted() -> bytes:
    """An OLE container holding an ``EncryptedPackage`` stream: what Excel saves with a password."""
    sector = bytearray(512)
    name = "EncryptedPackage".encode("utf-16-le")
    sector[:len(name)] = name
    return OLE_MAGIC + bytes(504) + bytes(sector) + os.urandom(4096)


def _zip_bomb(path: Path, paths, tmp_path) -> None:
    """A real request workbook whose sheet unpacks to 300 MB (of spaces): written in chunks."""
    good = zipfile.ZipFile(io.BytesIO(_filled(paths, tmp_path)))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for info in good.infolist():
            package.writestr(info.filename, good.read(info.filename))
        with package.open("xl/worksheets/sheet9.xml", "w", force_zip64=True) as part:
            block = b" " * (1 << 20)
            for _ in range(300):
                part.write(block)


def _million_rows(paths, tmp_path) -> bytes:
    """A correct return whose data sheet carries a million formatted empty rows below the table."""
    def change(name, data):
        if name != "xl/worksheets/sheet1.xml":
            return data
        rows = "".join(f'<row r="{r}" s="1" customFormat="1" ht="15" customHeight="1"/>'
                       for r in range(2000, 1_002_000))
        return data.replace(b"</sheetData>", rows.encode() + b"</sheetData>")

    return _rezip(_filled(paths, tmp_path), change)


LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          + "".join(f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(2, 10)) + "]>")


def _entities(paths, tmp_path, external: bool) -> bytes:
    """Shared strings with an entity bomb, or an external entity naming a local file."""
    secret = tmp_path / "rahasia.txt"
    secret.write_text("RAHASIA-JANGAN-DIBACA", encoding="utf-8")
    doctype = (f'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>' if external
               else LAUGHS.replace("lolz", "sst"))
    use = "&xxe;" if external else "&lol9;"

    def change(name, data):
        if name != "xl/sharedStrings.xml":
            return data
        text = data.decode("utf-8")
        start = text.index("<sst")
        text = text[:start] + doctype + text[start:]
        return text.replace("Dukungan pimpinan", use, 1).encode("utf-8")

    return _rezip(_filled(paths, tmp_path), change)


def _email_with_traversal(paths, tmp_path) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "ipw@contoh.go.id", "perencanaan@contoh.go.id", "Data"
    message["Date"] = "Mon, 05 Oct 2026 10:00:00 +0700"
    message.set_content("Terlampir.")
    data = _filled(paths, tmp_path)
    for name in ("../../../luar.xlsx", "/etc/passwd.xlsx", "C:\\Windows\\system32\\x.xlsx"):
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()


# name in the inbox -> (how to build it, the issue code expected on it, or None when accepted)
CASES = {
    "kosong.xlsx": (lambda p, t: b"", "unreadable-file"),
    "terpotong.xlsx": (lambda p, t: _filled(p, t)[:3000], "unreadable-file"),
    "acak.xlsx": (lambda p, t: os.urandom(20_000), "unsupported-format"),
    "tabel.xlsx": (lambda p, t: b"kode;realisasi\nIPW-01;90\n", "unsupported-format"),
    "surat.xlsx": (lambda p, t: b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "unsupported-format"),
    "laporan.xlsx": (lambda p, t: _docx(), "unsupported-format"),
    "foto.xlsx": (lambda p, t: _png(), "unsupported-format"),
    "berkata-sandi.xlsx": (lambda p, t: _encrypted(), "encrypted-file"),
    "baris-sejuta.xlsx": (_million_rows, None),
    # Read with the entity left as it is (never expanded, never fetched): a kendala text, so accepted.
    "entitas-bom.xlsx": (lambda p, t: _entities(p, t, external=False), None),
    "entitas-luar.xlsx": (lambda p, t: _entities(p, t, external=True), None),
}


def _place(root, paths, tmp_path, name) -> Path:
    build, _ = CASES[name]
    target = _inbox(root) / name
    target.write_bytes(build(paths, tmp_path))
    stamp = datetime.fromisoformat("2026-10-05T10:00:00+07:00").timestamp()
    os.utime(target, (stamp, stamp))
    return target


def _issues_of(result, name):
    return [i.code for i in result.issues if i.file and i.file.endswith(name)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_bad_file_gets_its_issue_and_the_good_files_pass(round_ws, tmp_path, name):
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))
    _place(root, paths, tmp_path, name)
    result = run_round(root)
    statuses = {u.unit: u.status for u in result.units}
    assert all(statuses[u] == "accepted" for u in GOOD), statuses
    expected = CASES[name][1]
    if expected is None:
        assert statuses["IPW"] == "accepted"
    else:
        assert expected in _issues_of(result, name), [(i.code, i.file) for i in result.issues]
        assert statuses["IPW"] == "missing"


def test_no_entity_is_expanded_or_fetched(round_ws, tmp_path):
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))
    for name in ("entitas-bom.xlsx", "entitas-luar.xlsx"):
        _place(root, paths, tmp_path, name)
    run_round(root)
    from sopkinerja.ledger import Ledger

    ledger = Ledger.open(root / "arsip" / "buku-besar.sqlite")
    stored = json.dumps([ledger.parse_result(sha, "2") for (sha,) in ledger.db.execute("SELECT sha256 FROM parses")])
    ledger.close()
    assert "RAHASIA" not in stored and "lollollol" not in stored
    for path in list((root / "output").rglob("*")) + [root / "arsip" / "buku-besar.sqlite"]:
        if path.is_file() and path.suffix in (".html", ".csv", ".sqlite", ".xlsx"):
            data = path.read_bytes()
            assert b"RAHASIA-JANGAN-DIBACA" not in data and b"lollollollollol" not in data, path
            if path.suffix == ".xlsx":
                with zipfile.ZipFile(path) as package:
                    for part in package.namelist():
                        inflated = package.read(part)
                        assert b"RAHASIA" not in inflated and b"lollollollol" not in inflated


def test_a_zip_bomb_is_refused_before_it_is_unpacked(round_ws, tmp_path):
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))
    _zip_bomb(_inbox(root) / "bom.xlsx", paths, tmp_path)
    assert (_inbox(root) / "bom.xlsx").stat().st_size < 5 * 1024 * 1024
    result = run_round(root)
    assert "file-too-large" in _issues_of(result, "bom.xlsx")
    issue = next(i for i in result.issues if i.file.endswith("bom.xlsx"))
    assert issue.params.get("limit") == "256 MB"


def test_a_file_over_the_limit_is_archived_in_chunks_and_not_opened(round_ws, tmp_path, monkeypatch):
    import hashlib

    import sopkinerja.validate.worker as run_module

    root, paths = round_ws
    config = root / "sopkinerja.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("# [batas]\n# ukuran_berkas_mb = 50", "[batas]\nukuran_berkas_mb = 1"),
                      encoding="utf-8")
    assert "\nukuran_berkas_mb = 1" in config.read_text(encoding="utf-8")
    fill_all(root, paths, skip=("IPW",))
    big = _inbox(root) / "besar.xlsx"
    data = os.urandom(3 * 1024 * 1024)
    big.write_bytes(data)
    monkeypatch.setattr(Path, "read_bytes", _refuse_big(Path.read_bytes))  # never read whole
    monkeypatch.setattr(run_module, "parse_file", _refuse_parse(run_module.parse_file, "besar"))
    result = run_round(root)
    assert "file-too-large" in _issues_of(result, "besar.xlsx")
    issue = next(i for i in result.issues if i.file.endswith("besar.xlsx"))
    assert issue.params["limit"] == "1 MB"
    archived = list((root / "arsip" / "berkas").rglob(f"{hashlib.sha256(data).hexdigest()}.*"))
    assert len(archived) == 1 and open(archived[0], "rb").read() == data  # noqa: SIM115 - read_bytes is refused here


def _refuse_parse(original, name):
    def parse(path, fmt):
        assert name not in path, "an oversized file was opened as a workbook"
        return original(path, fmt)

    return parse


def _refuse_big(original):
    def read_bytes(self):
        if self.stat().st_size > 2 * 1024 * 1024:
            raise AssertionError(f"{self} read whole")
        return original(self)

    return read_bytes


def test_attachment_names_cannot_leave_the_archive(round_ws, tmp_path):
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))
    (_inbox(root) / "kiriman.eml").write_bytes(_email_with_traversal(paths, tmp_path))
    result = run_round(root)
    assert {u.unit: u.status for u in result.units}["IPW"] == "accepted"
    workspace_files = {p.resolve() for p in root.rglob("*")}
    assert not (root.parent / "luar.xlsx").exists() and not (root / "input" / "luar.xlsx").exists()
    for path in (root / "arsip" / "berkas").rglob("*"):
        assert path.resolve() in workspace_files
    names = [i.file for i in result.issues if i.file]
    assert all(".." not in Path(n).parts for n in names)


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_a_symlink_out_of_the_inbox_is_not_followed(round_ws, tmp_path):
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))
    outside = tmp_path / "di-luar.xlsx"
    outside.write_bytes(_filled(paths, tmp_path))
    (_inbox(root) / "tautan.xlsx").symlink_to(outside)
    (_inbox(root) / "folder-luar").symlink_to(tmp_path, target_is_directory=True)
    result = run_round(root)
    assert {u.unit: u.status for u in result.units}["IPW"] == "missing"
    assert not any(i.file and "tautan" in i.file for i in result.issues)


def test_a_macro_workbook_is_read_and_its_macros_never_run(round_ws, tmp_path):
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))
    marker = tmp_path / "makro-jalan.txt"

    def add_macro(name, data):
        if name == "[Content_Types].xml":
            return data.replace(b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")
        return data

    buffer = io.BytesIO(_rezip(_filled(paths, tmp_path), add_macro))
    with zipfile.ZipFile(buffer, "a") as package:  # not compiled VBA: no reader may try to run it
        package.writestr("xl/vbaProject.bin", f'Sub Auto_Open()\nOpen "{marker}" For Output As #1\nEnd Sub'.encode())
    (_inbox(root) / "makro.xlsm").write_bytes(buffer.getvalue())
    result = run_round(root)
    assert {u.unit: u.status for u in result.units}["IPW"] == "accepted"
    assert not marker.exists()


FORMULAS = ['=HYPERLINK("http://contoh.invalid","klik")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)",
            "<script>alert(1)</script>"]


def test_formula_like_text_stays_text_everywhere(round_ws, tmp_path):
    """Unit text that looks like a formula is text in the recap, the feedback, the CSV and the page."""
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))

    def spoil(workbook, rows):
        sheet = workbook["Data Kinerja"]
        for text, row in zip(FORMULAS, list(rows.values()), strict=False):
            cell = sheet.cell(row=row, column=col("actual"))  # realisasi: not a number -> an issue quoting it
            cell.value = text
            cell.data_type = "s"  # typed as text, as Excel stores '=HYPERLINK(...)

    fill_workbook(paths["IPW"], _inbox(root) / "IPW.xlsx", mutate=spoil)
    result = run_round(root)
    assert {u.unit: u.status for u in result.units}["IPW"] == "rejected"
    period = root / "output" / "2026-TW3"
    recap = openpyxl.load_workbook(period / "Rekap Kinerja 2026-TW3.xlsx")
    assert not [c.coordinate for s in recap.worksheets for r in s.iter_rows() for c in r if c.data_type == "f"]
    feedback = openpyxl.load_workbook(result.feedback["IPW"])
    report = feedback["Hasil Validasi"]
    assert not [c.coordinate for r in report.iter_rows() for c in r if c.data_type == "f"]
    data = feedback["Data Kinerja"]
    typed = [c for r in data.iter_rows() for c in r if isinstance(c.value, str) and c.value in FORMULAS]
    assert len(typed) == len(FORMULAS) and all(c.data_type == "s" for c in typed)
    html = (period / "Rekap Kinerja 2026-TW3.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_csv_neutralises_formula_text():
    from sopkinerja.report.rows import JOB_COLUMNS, csv_rows, neutral

    assert neutral("=1+2") == "'=1+2" and neutral("@SUM(1)") == "'@SUM(1)" and neutral("+cmd") == "'+cmd"
    assert neutral("-2+3") == "'-2+3" and neutral("-") == "-" and neutral("+") == "+"
    assert neutral("Jumlah dokumen") == "Jumlah dokumen"
    values = {"kode_unit": "U", "kode_indikator": "U-1", "indikator": '=HYPERLINK("x")', "satuan": "dokumen",
              "polaritas": "-", "metode": "kumulatif", "target": 1.0, "realisasi": 0.9, "capaian_persen": 90.0,
              "kategori": "Tinggi", "status_unit": "diterima", "faktor_pendorong": "@SUM(A1:A9)",
              "keterangan": "-1 rapat ditunda"}
    text = csv_rows("2026-TW3", "=Unit", [[values.get(name)] for name in JOB_COLUMNS]).decode()
    assert "'=Unit" in text and "'=HYPERLINK" in text and ",-," in text
    assert "'@SUM(A1:A9)" in text and "'-1 rapat ditunda" in text  # the units' own words too


@pytest.mark.parametrize("value, written", [
    ("=1+2", "'=1+2"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("+62", "'+62"), ("-5", "'-5"),
    ("+", "+"), ("-", "-"), ("", ""), ("Rapat", "Rapat"), (" =1", " =1"), (None, ""), (float("nan"), ""),
    (3.5, 3.5), (0, 0), (True, True)])
def test_each_csv_text_is_as_neutral_makes_it(value, written):
    """The CSV's text columns (written in one pass, issue 20) as ``neutral`` says, one value at a time."""
    from sopkinerja.report.rows import _texts, neutral

    assert _texts([value]) == [written]
    if isinstance(value, str):
        assert written == neutral(value)


def test_the_whole_corpus_in_one_run(round_ws, tmp_path):
    """Every hostile file at once, in a subprocess with 3 GiB of address space: exit 3, each bad
    file named with its issue, the good ones accepted, no traceback, then ``verify`` clean."""
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW", "LITBANG"))  # LITBANG sends nothing usable: exit 3
    for name in CASES:
        _place(root, paths, tmp_path, name)
    _zip_bomb(_inbox(root) / "bom.xlsx", paths, tmp_path)
    (_inbox(root) / "kiriman.eml").write_bytes(_email_with_traversal(paths, tmp_path))
    command = [sys.executable, "-m", "sopkinerja", "--project", str(root), "run", "--json"]
    env = {**os.environ, "SOPKINERJA_NOW": "2026-10-12T09:00:00+07:00"}
    completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600,
                               preexec_fn=_limit_memory if sys.platform != "win32" else None)
    assert "Traceback" not in completed.stderr and "Traceback" not in completed.stdout
    assert completed.returncode == 3, completed.stderr[-2000:]
    document = json.loads(completed.stdout)
    statuses = {u["unit"]: u["status"] for u in document["units"]}
    # IPW's readable files (a million empty rows, entities left unexpanded, the e-mail's attachments)
    # are accepted; the newest counts, the others are superseded.
    assert statuses == {**{u: "accepted" for u in GOOD}, "IPW": "accepted", "LITBANG": "missing"}
    codes = {}
    for issue in document["issues"]:
        codes.setdefault(Path(issue.get("file") or "-").name, set()).add(issue["code"])
    for name, (_, expected) in CASES.items():
        if expected is not None:
            assert expected in codes.get(name, set()), (name, codes.get(name))
    assert "file-too-large" in codes["bom.xlsx"]
    verified = subprocess.run([sys.executable, "-m", "sopkinerja", "--project", str(root), "verify", "--json"],
                              capture_output=True, text=True, env=env, timeout=300)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["clean"] is True


def _limit_memory():
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def _ods(path, rows_xml: str, before: str = "") -> str:
    """A minimal .ods package whose content is ``rows_xml`` in a sheet named Data Kinerja."""
    import zipfile

    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
        f'{before}<table:table table:name="Data Kinerja">{rows_xml}</table:table>'
        '</office:spreadsheet></office:body></office:document-content>')
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        package.writestr("content.xml", content)
    return str(path)


def test_ods_percent_cells_are_found_by_counting_repeats_never_expanding(tmp_path):
    """An .ods return marks "90%" cells itself; repeated rows and cells are counted, not built (issue 9)."""
    from sopkinerja.ingest.cellfacts import Wanted, cell_facts

    def _percent_cells_ods(path, sheet, candidates):
        return sorted(cell_facts(path, "ods", sheet, Wanted(fractions=set(candidates))).percent)

    cell = '<table:table-cell office:value-type="{kind}" office:value="0.9"/>'
    rows = (
        '<table:table-row table:number-rows-repeated="9"><table:table-cell/></table:table-row>'  # rows 1-9
        '<table:table-row><table:table-cell table:number-columns-repeated="6"/>'  # row 10: A-F empty
        + cell.format(kind="percentage") + '</table:table-row>'  # G10
        '<table:table-row><table:table-cell table:number-columns-repeated="6"/>'
        + cell.format(kind="float") + '</table:table-row>'  # G11: a plain number
        '<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
        'table:number-columns-repeated="16384"/></table:table-row>')
    other = ('<table:table table:name="Petunjuk"><table:table-row table:number-rows-repeated="1000000">'
             '<table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table>')
    path = _ods(tmp_path / "persen.ods", rows, before=other)
    assert _percent_cells_ods(path, "Data Kinerja", {"G10", "G11"}) == ["G10"]
    assert _percent_cells_ods(path, "Lain", {"G10"}) == []


def test_percent_format_codes():
    from sopkinerja.cells import cell_address, parse_address
    from sopkinerja.ingest.cellfacts import is_percent_format

    assert is_percent_format("0%") and is_percent_format("0.00%") and is_percent_format("#,##0.0%;-0%")
    assert not is_percent_format('0" %"') and not is_percent_format("0\\%") and not is_percent_format("General")
    for where in ("A1", "G10", "AA100", "XFD1048576"):
        assert cell_address(*parse_address(where)) == where
