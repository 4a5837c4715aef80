"""Feedback on a hostile-but-real return: 300,000 formatted empty rows below the data and one error.

The example workspace; IPW's request filled as a unit would, one realisasi
made a word, and the sheet given ``rows`` formatted empty rows (what a
"format the whole column" in Excel leaves). ``run`` parses and validates it
once (the parse is stored); then, each in its own process (wall time and
peak memory):

- **sopkinerja feedback**: the feedback workbook for that file, as ``run``
  writes it (``feedback.feedback_bytes``, cache bypassed);
- **baseline, own file annotated**: what feedback did before issue 15 —
  openpyxl loading the unit's own package to mark its cells.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, datetime
from pathlib import Path

TIME = ["/usr/bin/time", "-f", "%e %M"]  # wall seconds, max RSS (KiB)
AT = "2026-10-12T09:00:00+07:00"


def run(rows: int = 300_000) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="sk-feedbackbench-"))
    try:
        root, ret = _workspace(tmp, rows)
        env = {**os.environ, "SOPKINERJA_NOW": AT}
        subprocess.run([sys.executable, "-m", "sopkinerja", "--project", str(root), "run", "--json"],
                       check=False, capture_output=True, env=env)
        ours = _measure([sys.executable, "-m", "bench.feedback_bench", "--child", "ours", str(root)], env)
        baseline = _measure([sys.executable, "-m", "bench.feedback_bench", "--child", "baseline", str(root)], env)
        return {"rows": rows, "file_mb": ret.stat().st_size / 1e6, "ours": ours, "baseline": baseline,
                "target_s": 3.0, "target_mib": 300}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _measure(args: list[str], env: dict) -> tuple[float, float, float]:
    """(the step's own seconds as the child reports them, the process's wall, its peak MiB)."""
    completed = subprocess.run(TIME + args, capture_output=True, text=True, env=env)
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr[-2000:])
    wall, rss = completed.stderr.strip().splitlines()[-1].split()
    return float(completed.stdout.strip().splitlines()[-1]), float(wall), int(rss) / 1024


def _workspace(tmp: Path, rows: int) -> tuple[Path, Path]:
    from sopkinerja.generate import generate
    from sopkinerja.i18n import Messages
    from sopkinerja.workspace import init_workspace, open_workspace

    root = tmp / "ws"
    init_workspace(root, example=True, today=date(2026, 10, 5), messages=Messages("id"))
    result = generate(open_workspace(root), lambda: datetime.fromisoformat("2026-09-28T08:00:00+07:00"))
    source = next(w.path for w in result.workbooks if w.unit == "IPW")
    target = root / "input" / "masuk" / "IPW.xlsx"
    _fill(source, target)
    _pad(target, rows)
    stamp = datetime.fromisoformat("2026-10-05T10:00:00+07:00").timestamp()
    os.utime(target, (stamp, stamp))
    return root, target


def _fill(source: Path, target: Path) -> None:
    import openpyxl

    from sopkinerja import layout as L

    workbook = openpyxl.load_workbook(source)
    sheet = workbook[L.DATA_SHEET]
    keys = {label: key for key, label in L.LABELS.items()}
    col = {keys[c.value]: c.column for c in sheet[L.HEADER_ROW + 1] if c.value in keys}  # the round's layout
    first = True
    for row in range(L.FIRST_DATA_ROW + 1, sheet.max_row + 1):
        key = sheet.cell(row, col["row_key"]).value
        if not key:
            continue
        if key.startswith(L.BUDGET_ROW_PREFIX):  # a sub kegiatan's row: its spending
            sheet.cell(row, col["spent"]).value = sheet.cell(row, col["budget"]).value / 2
            continue
        target_value = sheet.cell(row, col["target"]).value or 1
        sheet.cell(row, col["actual"]).value = "belum ada" if first else round(target_value * 0.9, 2)
        first = False
    log = workbook[L.LOG_SHEET]
    for offset, row in enumerate(range(L.LOG_HEADER_ROW + 2, L.LOG_HEADER_ROW + 7)):
        log.cell(row, L.log_column_index("start") + 1).value = datetime(2026, 10, 1 + offset, 8)
        log.cell(row, L.log_column_index("end") + 1).value = datetime(2026, 10, 1 + offset, 15)
    workbook.save(target)


def _pad(path: Path, rows: int) -> None:
    """``rows`` formatted empty rows below the data of ``Data Kinerja`` (16 styled empty cells each)."""
    with zipfile.ZipFile(path) as package:
        parts = {info.filename: package.read(info.filename) for info in package.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml = parts[sheet].decode("utf-8")
    last = max(int(n) for n in re.findall(r'<row r="(\d+)"', xml))
    letters = "ABCDEFGHIJKLMNOP"
    padding = "".join(f'<row r="{n}">' + "".join(f'<c r="{c}{n}" s="1"/>' for c in letters) + "</row>"
                      for n in range(last + 1, last + 1 + rows))
    xml = xml.replace("</sheetData>", padding + "</sheetData>", 1)
    xml = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="A1:P{last + rows}"', xml, count=1)
    parts[sheet] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)


def child(mode: str, root: Path) -> None:
    """One measurement, in its own process; prints the step's seconds last."""
    from sopkinerja import decide
    from sopkinerja.feedback import feedback_bytes
    from sopkinerja.ingest.reader import PARSER_VERSION
    from sopkinerja.records import part_of
    from sopkinerja.validate import Rules
    from sopkinerja.validate.worker import check_all
    from sopkinerja.workspace import open_workspace

    workspace = open_workspace(root)
    config = workspace.config
    clock = lambda: datetime.fromisoformat(AT)  # noqa: E731
    with workspace.ledger() as ledger:
        checked = check_all(workspace, ledger, decide.outcomes(workspace, ledger), Rules.of(config, workspace.sop()),
                            clock, None)
        current, _ = decide.this_round(ledger, checked, config.period.code, clock(), {})
        answer = decide.decide(workspace.master().master, current, config.deadline)
        outcome = answer.answers["IPW"]
        unit = next(u for u in answer.units if u.unit == "IPW")
        started = time.perf_counter()
        if mode == "ours":
            outcome.parsed = part_of(ledger.parse_result(outcome.sha256, PARSER_VERSION), outcome.part)
            feedback_bytes(workspace, ledger, outcome, unit, root / "output")
        else:
            import openpyxl

            workbook = openpyxl.load_workbook(root / outcome.archive_path)  # the old path: all of the package
            workbook.save(root / "output" / "annotated.xlsx")
        print(f"{time.perf_counter() - started:.3f}")


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    child(sys.argv[2], Path(sys.argv[3]))
