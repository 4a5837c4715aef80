"""Every sheet a person may print (issue 18), printed by LibreOffice: A4, landscape where wide, one
page wide, the header on every page, every row printed, no message cut; PNGs of the first pages
kept as artifacts in ``test-artifacts/print/``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import REPO, col, fill_all, fill_workbook, run_round, soffice_convert

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDF_TOOLS = shutil.which("pdfinfo") and shutil.which("pdftotext") and shutil.which("pdftoppm")
pytestmark = [
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs it"),
    pytest.mark.skipif(not PDF_TOOLS, reason="poppler-utils (pdfinfo, pdftotext, pdftoppm) missing; .ci/run has it"),
]


def _pdf(source: Path, tmp_path: Path, name: str) -> tuple[Path, list[tuple[float, float]], list[str]]:
    """The PDF LibreOffice prints, each page's size in points and text."""
    copy = tmp_path / f"{name}{source.suffix}"
    shutil.copyfile(source, copy)
    pdf = soffice_convert(SOFFICE, copy, tmp_path / "pdf", "pdf")
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    sizes = [tuple(float(v) for v in m.groups()) for m in re.finditer(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]
    texts = []
    for page in range(1, len(sizes) + 1):
        texts.append(subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                                    capture_output=True, text=True, check=True).stdout)
    kept = Path(os.environ.get("SOPKINERJA_ARTIFACTS") or REPO / "test-artifacts") / "print"
    kept.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pdf, kept / pdf.name)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "3", str(pdf), str(kept / name)], check=True,
                   capture_output=True)
    return pdf, sizes, texts


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _printed_whole(text: str, printed: str) -> list[str]:
    """The words of ``text`` missing from the printed pages (a cut line loses its last words)."""
    words = set(re.findall(r"\w{3,}", printed))
    return [w for w in re.findall(r"\w{3,}", text) if w not in words]


def _a4(size: tuple[float, float]) -> str | None:
    width, height = (round(v) for v in size)
    return {(842, 595): "landscape", (595, 842): "portrait"}.get((width, height))


def test_the_request_workbook_prints_every_sheet_within_a4(round_ws, tmp_path):
    _, paths = round_ws
    _, sizes, texts = _pdf(paths["SEK"], tmp_path, "permintaan")
    assert all(_a4(s) for s in sizes), sizes
    data = [i for i, t in enumerate(texts)
            if "Realisasi" in t and "Satuan" in t and not t.lstrip().startswith("Petunjuk")]
    assert data and all(_a4(sizes[i]) == "landscape" for i in data)
    for index in data:  # one page wide: the first and the last printed column's headings on each page
        assert "Kode" in texts[index] and "Keterangan" in texts[index], index
    start = next(i for i, t in enumerate(texts) if t.lstrip().startswith("Petunjuk pengisian"))
    guide = range(start, len(texts))  # the last sheet printed, over one or more pages
    whole = _flat(" ".join(texts[i] for i in guide))
    workbook = openpyxl.load_workbook(paths["SEK"])
    for row in workbook["Petunjuk"].iter_rows(min_row=3):
        text = row[0].value
        if text and len(text) > 60:  # a long guide line printed whole (never cut at the right margin)
            assert _printed_whole(text, whole) == [], text
    log = [i for i, t in enumerate(texts) if "Pelaksana" in t and "Mulai" in t]
    assert log and all(_a4(sizes[i]) == "landscape" for i in log)


def test_hasil_validasi_prints_one_page_wide_with_whole_messages(round_ws, tmp_path):
    root, paths = round_ws

    def broken(workbook, rows):
        sheet = workbook["Data Kinerja"]
        for code in ("PPM-06", "PPM-07", "PPM-08"):
            sheet.cell(row=rows[code], column=col("actual")).value = "sekitar delapan puluh lima persen"
        extra = sheet.max_row + 3  # a row nobody asked for
        sheet.cell(row=extra, column=col("code")).value = "PPM-99"
        sheet.cell(row=extra, column=col("name")).value = "Indikator tambahan"
        sheet.cell(row=extra, column=col("actual")).value = 5

    fill_workbook(paths["PPM"], root / "input" / "masuk" / "PPM.xlsx", broken)
    result = run_round(root)
    assert "unexpected-indicator" in {i.code for i in result.issues if i.unit == "PPM"}
    feedback = result.feedback["PPM"]
    _, sizes, texts = _pdf(feedback, tmp_path, "umpan-balik")
    pages = [i for i, t in enumerate(texts) if "HASIL VALIDASI" in t or "Pesan" in t]
    assert pages and all(_a4(sizes[i]) == "landscape" for i in pages)
    first = texts[pages[0]]
    assert "No" in first and "Pesan" in first and "Kode" in first  # every column on the page: one wide
    whole = _flat(" ".join(texts[i] for i in pages))
    for issue in [i for i in result.issues if i.unit == "PPM"][:6]:
        from sopkinerja.i18n import Messages

        assert _printed_whole(issue.message(Messages("id")), whole) == [], issue.code
    sheet = openpyxl.load_workbook(feedback)["Data Kinerja"]
    area = sheet.print_area if isinstance(sheet.print_area, str) else sheet.print_area[0]
    extra = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(row=r, column=col("code")).value == "PPM-99")
    assert int(re.findall(r"\d+", area.split(":")[-1])[0]) >= extra  # the flagged extra row is printed


def test_the_recap_workbook_prints_each_sheet_one_page_wide(round_ws, tmp_path):
    root, paths = round_ws
    fill_all(root, paths)
    run_round(root)
    source = root / "output" / "2026-TW3" / "Rekap Kinerja 2026-TW3.xlsx"
    _, sizes, texts = _pdf(source, tmp_path, "rekap")
    assert all(_a4(s) == "landscape" for s in sizes), sizes
    summary = [i for i, t in enumerate(texts) if "Sangat Tinggi" in t and "Serapan" in t]
    assert summary
    assert "Peringatan" in texts[summary[0]] or "Galat" in texts[summary[0]]  # its last columns on the page
    name = "Bidang Perencanaan, Pengendalian dan Evaluasi Pembangunan"
    assert name.split()[-1] in texts[summary[0]]  # a long unit name wrapped within its row, printed
