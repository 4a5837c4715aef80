"""The HTML recap in a real browser: headless Chromium driven by Playwright (issue 9).

Uses the system Chromium (Debian package ``chromium``); Playwright never
downloads a browser here. Screenshots (desktop and phone widths) and the
A4-landscape PDF are kept as test artifacts in ``test-artifacts/browser/``
(or ``$SOPKINERJA_ARTIFACTS/browser/``) for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, col, fill_workbook, run_round

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed "
                                     "(it is in the dev extras: pip install -e '.[dev]')")
CHROMIUM = os.environ.get("SOPKINERJA_CHROMIUM") or next(
    filter(None, (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome"))), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: chromium); "
                                                         ".ci/run installs it")
PDFTOTEXT = shutil.which("pdftotext")
# The closed network here refuses Chromium's background connections; keep it from trying (env notes).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SECTIONS = ("ringkasan", "tahun", "kelengkapan", "rekap-badan", "analisis", "masalah", "log-waktu")
SUBHEADINGS = ("Formulir monitoring", "Rincian per langkah")
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
PRINTABLE_WIDTH = round((297 - 2 * 12) / 25.4 * 96)


def artifacts() -> Path:
    folder = Path(os.environ.get("SOPKINERJA_ARTIFACTS") or REPO / "test-artifacts") / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def recap_html(tmp_path_factory) -> Path:
    """A real round: four units on time, one with errors, one missing; the recap page run wrote."""
    from datetime import date, datetime

    from conftest import GENERATED_AT

    from sopkinerja.generate import generate
    from sopkinerja.i18n import Messages
    from sopkinerja.workspace import init_workspace, open_workspace

    os.environ.setdefault("SOPKINERJA_NOW", "2026-10-05T09:00:00+07:00")
    root = tmp_path_factory.mktemp("browser") / "ws"
    init_workspace(root, example=True, today=date(2026, 10, 5), messages=Messages("id"))
    paths = {w.unit: w.path for w in generate(open_workspace(root),
                                               lambda: datetime.fromisoformat(GENERATED_AT)).workbooks}
    units = sorted(paths)

    def spoil(workbook, rows):
        sheet = workbook["Data Kinerja"]
        first = next(iter(rows.values()))
        sheet.cell(row=first, column=col("actual")).value = "banyak"  # not-a-number
        sheet.cell(row=first, column=col("target")).value = 1  # prefilled-changed
    for unit in units[:-1]:
        fill_workbook(paths[unit], root / "input" / "masuk" / f"{unit}.xlsx",
                      spoil if unit == units[0] else None)
    result = run_round(root)
    assert result.outputs is not None
    return result.outputs.recap_html


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _open(browser, recap_html: Path, viewport: dict, scale: float = 1):
    context = browser.new_context(viewport=viewport, device_scale_factor=scale)
    page = context.new_page()
    problems, requests = [], []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(recap_html.as_uri(), wait_until="load")
    return context, page, problems, requests


# Labels that cross a bar (a text box intersecting a filled rectangle), as "label | rect".
OVERLAPS = """svg => {
  const boxes = sel => [...svg.querySelectorAll(sel)].map(e => [e, e.getBoundingClientRect()]);
  const bars = boxes('rect').filter(([e, b]) => e.getAttribute('fill') !== 'none' && b.width > 0);
  const hits = [];
  for (const [t, a] of boxes('text')) for (const [r, b] of bars)
    if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
      hits.push(t.textContent + ' | ' + (r.textContent || r.getAttribute('x')));
  return hits;
}"""
SCROLLS_IN_PLACE = """svg => {
  const box = svg.closest('.scroll');
  return !!box && getComputedStyle(box).overflowX === 'auto' && box.getBoundingClientRect().right <= innerWidth + 1;
}"""
# The smallest chart text as drawn (CSS font size times the SVG's scale), in CSS pixels.
SMALLEST_TEXT = """svg => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const sizes = [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
  return Math.min(...sizes);
}"""


def _check_visible(page, width: int, min_font: float) -> None:
    for section in SECTIONS:
        box = page.locator(f"section#{section}").bounding_box()
        assert page.locator(f"section#{section}").is_visible() and box and box["height"] > 40, section
        assert page.locator(f"section#{section} h2").is_visible(), section
    charts = page.locator("svg")
    assert charts.count() >= 3  # average per unit, kategori per unit, the SOP Gantt chart
    for index in range(charts.count()):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        assert chart.is_visible() and box["width"] > 150 and box["height"] > 40, (index, box)
        if box["x"] + box["width"] > width + 1:  # only inside a box of its own that scrolls sideways
            assert chart.evaluate(SCROLLS_IN_PLACE), ("chart wider than the page", index, box)
        assert box["x"] >= 0
        drawn = chart.evaluate("svg => [...svg.querySelectorAll('rect')].filter("
                               "r => r.getBoundingClientRect().width > 0).length")
        assert drawn > 0, ("chart draws nothing", index)
        assert chart.evaluate(OVERLAPS) == [], ("labels drawn over bars", index)
        smallest = chart.evaluate(SMALLEST_TEXT)
        assert smallest >= min_font, (f"chart text {smallest:.1f}px at this width", index)


@pytest.mark.parametrize("name,viewport,scale,min_font", [("desktop", DESKTOP, 1, 11), ("phone", PHONE, 2, 7.5)])
def test_recap_page_renders_cleanly(browser, recap_html, name, viewport, scale, min_font):
    context, page, problems, requests = _open(browser, recap_html, viewport, scale)
    try:
        assert problems == []
        assert requests == [recap_html.as_uri()], "the page must be self-contained (no other request)"
        _check_visible(page, viewport["width"], min_font)
        # Nothing pushes the page sideways: wide tables scroll inside their own box.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"page {overflow}px wider than the {name} screen"
        shot = artifacts() / f"rekap-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        header = page.locator("header h1").bounding_box()
        assert header["width"] <= viewport["width"]
    finally:
        context.close()


def test_recap_prints_to_a4_landscape_with_header_rows_repeated(browser, recap_html):
    context, page, problems, _ = _open(browser, recap_html, DESKTOP)
    try:
        pdf = artifacts() / "rekap-a4-lanskap.pdf"
        page.emulate_media(media="print")
        # Laid out at the printable width of A4 landscape (297 mm - 2 x 12 mm margins, 96 px per inch),
        # no table is cut at the right edge: the print style lets the scrolling boxes grow.
        page.set_viewport_size({"width": PRINTABLE_WIDTH, "height": 780})
        widest = page.evaluate("Math.max(...[...document.querySelectorAll('table, svg')]"
                               ".map(e => e.getBoundingClientRect().right))")
        assert widest <= PRINTABLE_WIDTH + 1, f"something {widest - PRINTABLE_WIDTH:.0f}px past the printed page"
        page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
        assert problems == []
    finally:
        context.close()
    assert pdf.read_bytes().startswith(b"%PDF")
    if PDFTOTEXT is None:
        pytest.skip("pdftotext (Debian: poppler-utils) is missing: the PDF was written but its pages not read")
    info = subprocess.run([shutil.which("pdfinfo") or "pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    width, height = float(size.group(1)), float(size.group(2))
    assert abs(width - 841.89) < 2 and abs(height - 595.28) < 2, f"not A4 landscape: {width} x {height}"
    pages = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    pages = [p for p in pages if p.strip()] if not pages[-1].strip() else pages
    assert all(p.strip() for p in pages), "a blank page"
    headings = ("Ringkasan", "Tahun berjalan", "Kelengkapan", "Rekap Badan", "Analisis kinerja", "Masalah",
                "Log Waktu")
    # Each section begins on a page of its own, its heading at the top (never stranded at a page's foot).
    starts = {}
    for number, text in enumerate(pages):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        for heading in headings:
            if any(line.lower().startswith(heading.lower()) for line in lines[:6]):
                starts.setdefault(heading, number)
    assert sorted(starts) == sorted(headings), (starts, [p[:200] for p in pages])
    assert list(starts.values()) == sorted(starts.values())
    # No heading left alone at the foot of a page, its table on the next.
    for number, text in enumerate(pages[:-1]):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        assert not any(lines[-1].startswith(h) for h in headings + SUBHEADINGS), (number + 1, lines[-1])
    # A table that runs over several pages repeats its header row on every one of them.
    agency_header = re.compile(r"Unit\s+Kode\s+Indikator\s+Satuan")
    first, last = starts["Rekap Badan"], starts["Analisis kinerja"]
    assert last - first >= 2, "the agency table should need more than one page here"
    for number in range(first, last):
        assert agency_header.search(pages[number]), f"page {number + 1}: the table's header row is missing"
    words_header = re.compile(r"Unit\s+Kode\s+Indikator\s+Faktor")
    first, last = starts["Analisis kinerja"], starts["Masalah"]
    assert last - first >= 2, "the units' words should need more than one page here"
    for number in range(first, last):
        assert words_header.search(pages[number]), f"page {number + 1}: the words' header row is missing"


def test_the_summary_table_shows_every_column_at_1366_px_and_scrolls_with_its_first_column_on_a_phone(
        browser, recap_html):
    """Issue 18: the summary's last column was hidden on a 1,300 px screen."""
    context, page, problems, _ = _open(browser, recap_html, DESKTOP)
    try:
        box = page.evaluate("""() => { const t = document.querySelector('#ringkasan table');
            const s = t.closest('.scroll'); const last = t.querySelector('tr th:last-child');
            return {table: t.scrollWidth, box: s.clientWidth, last: last.getBoundingClientRect().right,
                    view: window.innerWidth}; }""")
        assert box["table"] <= box["box"] + 1, box  # fits: nothing to scroll to
        assert box["last"] <= box["view"], box  # the last column is on the screen
        assert problems == []
    finally:
        context.close()
    context, page, problems, _ = _open(browser, recap_html, PHONE)
    try:
        phone = page.evaluate("""() => { const t = document.querySelector('#ringkasan table');
            const s = t.closest('.scroll'); const first = t.querySelector('tbody td:first-child');
            const before = first.getBoundingClientRect().left; s.scrollLeft = s.scrollWidth;
            return {scrolls: s.scrollWidth > s.clientWidth, sticky: getComputedStyle(first).position,
                    moved: before - first.getBoundingClientRect().left,
                    last: t.querySelector('tr th:last-child').getBoundingClientRect().right,
                    view: window.innerWidth}; }""")
        assert phone["scrolls"] and phone["sticky"] == "sticky", phone
        assert abs(phone["moved"]) < 1, phone  # the unit code stays in view while the table scrolls
        assert phone["last"] <= phone["view"] + 1, phone  # and the last column can be reached
    finally:
        context.close()
