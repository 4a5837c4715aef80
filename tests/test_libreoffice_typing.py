"""Request workbooks filled by typing in a real LibreOffice Calc (issue 9).

A person is modelled by what they type, key by key, into the input cells of
the generated workbooks, under LibreOffice's id-ID and en-US locales
(``tests/lo_typist.py`` drives Calc through UNO). The workbooks are saved as
.xlsx, .xls and .ods; a sheet copied into a new document and a file saved
twice (.ods, reopened, then .xlsx) are the two extra cases. ``run`` must read
every variant with the values the person meant, or flag exactly the cells
whose meaning is ambiguous.

The en-US person is an Indonesian civil servant on an English-configured
laptop: typing ``85,5`` there is refused by the cell's validation and typed
again the English way, and a day-first date such as ``01/10/2026`` is stored
by Calc as 10 January: ``run`` reads it as 1 October (the date that lies in the
collection period) and flags the cell ``ambiguous-date``.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import GENERATED_AT, col, data_rows, is_budget_row, letter

from sopkinerja import layout as L
from sopkinerja.cells import column_letter
from sopkinerja.example import example_master

HERE = Path(__file__).resolve().parent
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
RECEIVED = "2026-10-07T16:00:00+07:00"
RUN_AT = "2026-10-08T09:00:00+07:00"
FORMATS = ("xlsx", "xls", "ods")
FILTERS = {"xlsx": "Calc MS Excel 2007 XML", "xls": "MS Excel 97", "ods": "calc8"}
# What a person typing can get wrong in meaning; plausibility warnings (late, extreme) are not this test's.
MEANING = {"ambiguous-number", "ambiguous-date", "not-a-number", "missing-value", "prefilled-changed",
           "unreadable-time", "time-reversed", "out-of-range", "negative-value", "missing-indicator",
           "missing-column", "missing-sheet", "not-a-request-workbook", "unreadable-file"}


def _uno_python() -> str | None:
    """A Python that can import LibreOffice's ``uno`` (Debian: /usr/bin/python3 with python3-uno)."""
    candidates = [os.environ.get("SOPKINERJA_UNO_PYTHON"), "/usr/bin/python3", shutil.which("python3")]
    for candidate in filter(None, candidates):
        try:
            probe = subprocess.run([candidate, "-c", "import uno"], capture_output=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return candidate
    return None


UNO_PYTHON = _uno_python() if SOFFICE else None
pytestmark = pytest.mark.skipif(
    SOFFICE is None or UNO_PYTHON is None,
    reason="needs LibreOffice Calc and its Python UNO bridge (Debian: libreoffice-calc, python3-uno); "
           ".ci/run installs both")


# --- the person -------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """What is typed into one cell (each string in turn, as when validation refuses the first)."""

    keys: tuple[str, ...]
    meant: object  # the value the person meant (float, text or datetime)
    flag: str | None = None  # the issue run must raise on this cell, if any
    how: str = "type"


def _t(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute)


# Realisasi for indicators in % (values up to 100), realisasi for the others, realisasi anggaran.
PERSON = {
    "id-ID": {
        "percent": [Entry(("90%",), 90.0),  # a numeric cell keeps 0.9 formatted as percent
                    Entry(("85,5",), 85.5),
                    Entry(("abc", "12"), 12.0),  # "abc" is refused by validation
                    Entry(("0,75",), 0.75)],
        "other": [Entry(("1.234",), 1234.0),
                  Entry(("'1.234",), 1234.0, "ambiguous-number", how="paste"),  # text: 1,234 or 1.234?
                  Entry(("7",), 7.0),
                  Entry(("2,5",), 2.5)],
        "budget": [Entry(("Rp 2.500.000",), 2500000.0),
                   Entry(("1.234.567,89",), 1234567.89),
                   Entry(("7500000",), 7500000.0)],
        "log": [  # (row 5..9) start, end
            (Entry(("01/10/2026 08:00",), _t(1, 8)), Entry(("01/10/2026 15:30",), _t(1, 15, 30))),
            (Entry(("02/10/2026 08:00",), _t(2, 8)), Entry(("05/10/2026 15:30",), _t(5, 15, 30))),
            (Entry(("kemarin", "06/10/2026 08:00"), _t(6, 8)), Entry(("6/10/2026 11:00",), _t(6, 11))),
            (Entry(("06/10/2026 13:00",), _t(6, 13)), Entry(("2026-10-07 10:00",), _t(7, 10))),
            (Entry(("07/10/2026 10:30",), _t(7, 10, 30)), Entry(("07/10/2026 11:00",), _t(7, 11))),
        ],
    },
    "en-US": {
        "percent": [Entry(("90%",), 90.0),
                    Entry(("85,5", "85.5"), 85.5),  # refused in en-US, typed again with a point
                    Entry(("85,5",), 85.5, how="paste"),  # pasted: text, read the Indonesian way
                    Entry(("0.75",), 0.75)],
        "other": [Entry(("1,234",), 1234.0),
                  Entry(("'1,234",), 1.234, "ambiguous-number", how="paste"),  # read by the agency locale
                  Entry(("12",), 12.0)],
        "budget": [Entry(("Rp 2.500.000", "2500000"), 2500000.0),
                   Entry(("2,500,000",), 2500000.0),
                   Entry(("Rp 1.500.000",), 1500000.0, how="paste")],
        "log": [  # day-first dates from an Indonesian hand land as month-first in en-US
            (Entry(("01/10/2026 08:00",), _t(1, 8), "ambiguous-date"),
             Entry(("01/10/2026 15:30",), _t(1, 15, 30), "ambiguous-date")),
            (Entry(("10/2/2026 08:00",), _t(2, 8)), Entry(("10/5/2026 15:30",), _t(5, 15, 30))),
            (Entry(("kemarin", "2026-10-06 08:00"), _t(6, 8)), Entry(("2026-10-06 11:00",), _t(6, 11))),
            (Entry(("06/10/2026 13:00",), _t(6, 13), "ambiguous-date"),
             Entry(("10/7/2026 10:00",), _t(7, 10))),
            (Entry(("10/7/2026 10:30",), _t(7, 10, 30)), Entry(("07/10/2026 11:00",), _t(7, 11), "ambiguous-date")),
        ],
    },
}
TEXTS = ("Dukungan pimpinan", "Anggaran terbatas", "Koordinasi ditingkatkan", "Laporan kegiatan")


def at(key: str, row: int) -> str:
    """The ``Data Kinerja`` cell of a layout key on a 1-based row, as Excel shows it (``K12``)."""
    return f"{letter(key)}{row}"


@dataclass
class Filled:
    """One request workbook as the person filled it: the plan for the typist and what they meant."""

    unit: str
    source: Path
    locale: str
    variant: tuple = ()
    values: dict = field(default_factory=dict)  # (indicator, "actual"|"spent") -> meant number
    times: dict = field(default_factory=dict)  # (step, "start"|"end") -> meant datetime
    flags: set = field(default_factory=set)  # (sheet, cell, code)
    entries: list = field(default_factory=list)

    def add(self, sheet: str, cell: str, entry: Entry) -> None:
        for number, keys in enumerate(entry.keys):
            how = entry.how if number == len(entry.keys) - 1 else "type"
            self.entries.append({"sheet": sheet, "cell": cell, "text": keys, "how": how})
        if entry.flag:
            self.flags.add((sheet, cell, entry.flag))


def plan_unit(unit: str, source: Path, locale: str, with_log: bool = True) -> Filled:
    import openpyxl

    person = PERSON[locale]
    filled = Filled(unit, source, locale)
    workbook = openpyxl.load_workbook(source)
    data = workbook["Data Kinerja"]
    turns = {"percent": 0, "other": 0, "budget": 0}
    first = True
    for code, row in data_rows(data).items():
        if is_budget_row(code):  # a sub kegiatan's row: this quarter's spending
            entry = person["budget"][turns["budget"] % len(person["budget"])]
            turns["budget"] += 1
            filled.add("Data Kinerja", at("spent", row), entry)
            filled.values[(code, "spent")] = entry.meant
            continue
        kind = "percent" if data.cell(row=row, column=col("measure")).value == "%" else "other"
        entry = person[kind][turns[kind] % len(person[kind])]
        turns[kind] += 1
        filled.add("Data Kinerja", at("actual", row), entry)
        filled.values[(code, "actual")] = entry.meant
        if first:  # the text columns once, and a try at a locked, pre-filled cell
            for key, text in zip(("drivers", "obstacles", "follow_up", "evidence"), TEXTS, strict=True):
                filled.add("Data Kinerja", at(key, row), Entry((text,), text))
            filled.add("Data Kinerja", at("target", row), Entry(("99",), None))  # refused: the sheet is protected
            first = False
    if with_log:
        for offset, (start, end) in enumerate(person["log"]):
            row = L.LOG_HEADER_ROW + 2 + offset
            filled.add("Log Proses", f"{column_letter(L.log_column_index('start'))}{row}", start)
            filled.add("Log Proses", f"{column_letter(L.log_column_index('end'))}{row}", end)
            filled.times[(4 + offset, "start")] = start.meant
            filled.times[(4 + offset, "end")] = end.meant
    return filled


# --- driving LibreOffice ------------------------------------------------------------

def type_all(plans: dict[str, list[dict]], folder: Path) -> dict[str, dict]:
    """Run the typist once per locale, both at once (one office each); return their results."""
    processes = {}
    for locale, jobs in plans.items():
        plan = folder / f"plan-{locale}.json"
        plan.write_text(json.dumps({"locale": locale, "profile": str(folder / f"profile-{locale}"),
                                    "jobs": jobs}, default=str), encoding="utf-8")
        processes[locale] = subprocess.Popen(
            [UNO_PYTHON, str(HERE / "lo_typist.py"), str(plan), str(folder / f"typed-{locale}.json")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    results = {}
    for locale, process in processes.items():
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, f"typist {locale} failed:\n{output}"
        results[locale] = json.loads((folder / f"typed-{locale}.json").read_text(encoding="utf-8"))
    return results


def _job(filled: Filled, saves: list[tuple[Path, str]], **extra) -> dict:
    return {"source": str(filled.source), "entries": filled.entries,
            "saves": [{"path": str(path), "filter": FILTERS[fmt]} for path, fmt in saves], **extra}


def _workspace(root: Path) -> dict[str, Path]:
    from sopkinerja.generate import generate
    from sopkinerja.i18n import Messages
    from sopkinerja.workspace import init_workspace, open_workspace

    init_workspace(root, example=True, today=date(2026, 10, 5), messages=Messages("id"))
    result = generate(open_workspace(root), lambda: datetime.fromisoformat(GENERATED_AT))
    return {w.unit: w.path for w in result.workbooks}


def _deliver(path: Path) -> None:
    stamp = datetime.fromisoformat(RECEIVED).timestamp()
    os.utime(path, (stamp, stamp))


def _run(root: Path):
    from sopkinerja.run import run
    from sopkinerja.workspace import open_workspace

    return run(open_workspace(root), lambda: datetime.fromisoformat(RUN_AT))


@dataclass
class Round:
    root: Path
    result: object
    filled: dict  # unit -> Filled
    typed: dict  # locale -> typist result


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    """Two workspaces: the 2 × 3 matrix (one unit per variant), and the two extra cases."""
    os.environ.setdefault("SOPKINERJA_NOW", "2026-10-05T09:00:00+07:00")
    base = tmp_path_factory.mktemp("lo-typing")
    matrix_root, extra_root = base / "matrix", base / "extra"
    matrix, extra = _workspace(matrix_root), _workspace(extra_root)
    plans: dict[str, list[dict]] = {"id-ID": [], "en-US": []}
    matrix_filled, extra_filled = {}, {}
    units = sorted(matrix)
    variants = [(locale, fmt) for locale in ("id-ID", "en-US") for fmt in FORMATS]
    for unit, (locale, fmt) in zip(units, variants, strict=False):
        filled = matrix_filled[unit] = plan_unit(unit, matrix[unit], locale)
        inbox = matrix_root / "input" / "masuk" / f"{unit}-{locale}.{fmt}"
        filled.variant = (locale, fmt)
        plans[locale].append(_job(filled, [(inbox, fmt)]))
    # A sheet copied into a new document (id-ID): Data Kinerja only, no _meta, no Log Proses.
    copied = extra_filled[units[0]] = plan_unit(units[0], extra[units[0]], "id-ID", with_log=False)
    copied.variant = ("id-ID", "sheet copy")
    plans["id-ID"].append(_job(copied, [(extra_root / "input" / "masuk" / "salinan-lembar.xlsx", "xlsx")],
                               copy_sheet="Data Kinerja"))
    # Saved twice (en-US): .ods first, reopened and saved again as .xlsx; only the .xlsx is sent.
    twice = extra_filled[units[1]] = plan_unit(units[1], extra[units[1]], "en-US")
    twice.variant = ("en-US", "ods then xlsx")
    first_save = base / "drafts" / "simpan-dua-kali.ods"
    plans["en-US"].append(_job(twice, [(first_save, "ods")], reopen={
        "path": str(first_save),
        "saves": [{"path": str(extra_root / "input" / "masuk" / "simpan-dua-kali.xlsx"),
                   "filter": FILTERS["xlsx"]}]}))
    typed = type_all(plans, base)
    kept = Path(os.environ.get("SOPKINERJA_ARTIFACTS") or HERE.parent / "test-artifacts") / "libreoffice"
    shutil.rmtree(kept, ignore_errors=True)
    for folder in (matrix_root, extra_root):
        for path in (folder / "input" / "masuk").iterdir():
            _deliver(path)
            (kept / folder.name).mkdir(parents=True, exist_ok=True)  # for a person to open
            shutil.copy2(path, kept / folder.name / path.name)
    return {"matrix": Round(matrix_root, _run(matrix_root), matrix_filled, typed),
            "extra": Round(extra_root, _run(extra_root), extra_filled, typed)}


# --- what run read ------------------------------------------------------------------

def _recap(round_: Round) -> dict:
    period = round_.result.period
    with open(round_.root / "output" / period / f"rekap-kinerja-{period}.csv", encoding="utf-8-sig") as handle:
        return {(r["kode_unit"], r["kode_indikator"]): r for r in csv.DictReader(handle)}


def _timing(round_: Round) -> dict:
    period = round_.result.period
    with open(round_.root / "output" / period / f"log-waktu-sop-{period}.csv", encoding="utf-8-sig") as handle:
        # The unit's own times: its berkas rows, and for the hand-over step (which ends at the receipt,
        # issue 18) its declared end kept beside the receipt.
        return {(r["kode_unit"], int(r["langkah"])): r for r in csv.DictReader(handle)
                if r["sumber"] == "berkas" or r["selesai_menurut_unit"]}


def _typed_cells(round_: Round, unit: str) -> list[dict]:
    source = str(round_.filled[unit].source)
    return [cell for result in round_.typed.values() for job in result["jobs"] if job["source"] == source
            for cell in job["cells"]]


def _check_round(round_: Round) -> None:
    recap, timing = _recap(round_), _timing(round_)
    statuses = {u.unit: u.status for u in round_.result.units}
    for unit, filled in round_.filled.items():
        label = f"{unit} {filled.variant}"
        typed = _typed_cells(round_, unit)
        assert statuses[unit] == "accepted", (label, [i.code for i in round_.result.issues if i.unit == unit])
        lines = example_master().budget_lines
        for (code, key), meant in filled.values.items():
            # A sub kegiatan's spending sits on its first indicator's row of the recap.
            column = "realisasi_periode" if key == "actual" else "realisasi_anggaran"
            found = recap[(unit, lines[code].indicators[0] if key == "spent" else code)][column]
            assert found != "" and float(found) == pytest.approx(meant), (label, code, column, found, meant, typed)
        flagged = {(i.sheet, i.cell, i.code) for i in round_.result.issues if i.unit == unit and i.code in MEANING}
        assert flagged == filled.flags, (label, flagged ^ filled.flags, typed)
        for (step, side), meant in filled.times.items():
            row = timing[(unit, step)]
            found = row["mulai"] if side == "start" else (row["selesai_menurut_unit"] or row["selesai"])
            assert datetime.fromisoformat(found).replace(tzinfo=None) == meant, (label, step, side, found)


def test_matrix_two_locales_three_formats_read_as_meant(rounds):
    matrix = rounds["matrix"]
    assert sorted(f.variant for f in matrix.filled.values()) == sorted(
        (locale, fmt) for locale in ("id-ID", "en-US") for fmt in FORMATS)
    _check_round(matrix)


def test_sheet_copied_into_a_new_document_and_a_file_saved_twice(rounds):
    extra = rounds["extra"]
    _check_round(extra)
    copied = next(f for f in extra.filled.values() if f.variant[1] == "sheet copy")
    # Without Log Proses the sign-off is missing: a warning, never a rejection.
    assert "missing-signoff" in {i.code for i in extra.result.issues if i.unit == copied.unit}


def test_validation_and_protection_applied_while_typing(rounds):
    """The entries Calc refused never reached the file: proof the typing went through its input handler."""
    for locale, result in rounds["matrix"].typed.items():
        cells = [c for job in result["jobs"] for c in job["cells"]]
        refused = [c for c in cells if c["text"] in ("abc", "kemarin", "99")]
        assert refused and all(c["type"] != "TEXT" and c["string"] != c["text"] for c in refused), refused
        if locale == "en-US":
            comma = [c for c in cells if c["text"] == "85,5"]
            assert {c["how"] for c in comma} == {"type", "paste"}
            assert next(c["type"] for c in comma if c["how"] == "type") == "EMPTY"
            assert next(c["type"] for c in comma if c["how"] == "paste") == "TEXT"


def test_feedback_points_at_the_flagged_cells(rounds):
    """A unit with an ambiguous cell gets a feedback workbook listing that cell."""
    import openpyxl

    matrix = rounds["matrix"]
    for unit, filled in matrix.filled.items():
        if not filled.flags:
            continue
        path = matrix.result.feedback[unit]
        sheet = openpyxl.load_workbook(path)["Hasil Validasi"]
        listed = {str(v) for row in sheet.iter_rows(values_only=True) for v in row if v}
        for _sheet, cell, _code in filled.flags:
            assert any(cell in value for value in listed), (unit, cell)
