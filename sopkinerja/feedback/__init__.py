"""Stage ``feedback`` (back to SOP step 7): per unit with problems, a workbook to fix and send back
(product.md §3.7).

A returned .xlsx/.xlsm that openpyxl can edit faithfully is the unit's own
file (saved as .xlsx, macros dropped) with each problem cell filled and
commented (``marks``). Any other return — .xls, .ods, a damaged or a huge
package (its formatted area far beyond its cells with content) — gets the
whole request workbook rebuilt from the ledger with its values in place
(``rebuild``). Both get ``Hasil Validasi`` first. A unit's feedback is reused
byte for byte while its file, its issues and the texts around them are
unchanged (``arsip/cache/umpan-balik-<periode>/``).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import zipfile
from datetime import UTC
from pathlib import Path

from sopkinerja.atomic import write_bytes
from sopkinerja.feedback.marks import ensure_validations, mark_cells, stable_zip, summary_sheet
from sopkinerja.files import safe_filename
from sopkinerja.i18n import Messages
from sopkinerja.ingest.reader import PARSER_VERSION
from sopkinerja.issues import INFO, Issue
from sopkinerja.records import FileOutcome, UnitStatus, part_of

FEEDBACK_FOLDER = "umpan-balik"  # output/<periode>/umpan-balik/
FEEDBACK_VERSION = "2"  # part of each cached workbook's key: change it when what a feedback workbook shows changes
EDITABLE_MIN_BYTES = 4 * 1024 * 1024  # a package this small is always annotated in place
EDITABLE_BYTES_PER_CELL = 1024  # beyond this per cell with content, the formatted area is the bulk: rebuild


def write_all(workspace, ledger, answers: dict[str, FileOutcome], units: list[UnitStatus], staged: Path
              ) -> tuple[dict[str, Path], list[Issue]]:
    """Feedback for every unit whose newest file has problems, written into ``staged``; the
    paths returned are where the files will be once the set is switched in. A unit without
    problems has none (an older one goes with the old folder). A feedback workbook that
    cannot be written is an issue on that file (``feedback-failed``), never a stopped round."""
    staged.mkdir(parents=True, exist_ok=True)
    final = workspace.period_output() / FEEDBACK_FOLDER
    cache = _Cache(workspace.cache_folder / f"umpan-balik-{workspace.config.period.code}")
    written, failed = {}, []
    for unit in units:
        outcome = answers.get(unit.unit)
        if outcome is None or not [i for i in outcome.issues if i.severity != INFO]:
            continue
        try:
            written[unit.unit] = final / _written(workspace, ledger, outcome, unit, staged, cache).name
        except Exception as exc:  # noqa: BLE001 - one unit's feedback never stops the round
            failed.append(Issue("feedback-failed", file=outcome.file, unit=unit.unit, sha256=outcome.sha256,
                                params={"detail": f"{type(exc).__name__}: {exc}"[:300]}))
        finally:
            outcome.parsed = None
    cache.prune()
    return written, failed


def feedback_name(period: str, unit_name: str) -> str:
    """The feedback workbook's file name in the feedback folder (also what ``remind`` attaches)."""
    return safe_filename(f"Umpan Balik {period} - {unit_name}") + ".xlsx"


def _written(workspace, ledger, outcome, unit, staged: Path, cache) -> Path:
    msg = Messages(workspace.config.language)
    target = staged / feedback_name(workspace.config.period.code, unit.name)
    key = _key(workspace, ledger, outcome, unit, msg)
    cached = cache.get(key)
    if cached is None:
        outcome.parsed = part_of(ledger.parse_result(outcome.sha256, PARSER_VERSION), outcome.part)
        cached = feedback_bytes(workspace, ledger, outcome, unit, staged)
        cache.put(key, cached)
    write_bytes(target, cached)
    return target


def feedback_bytes(workspace, ledger, outcome: FileOutcome, unit: UnitStatus, scratch_folder: Path) -> bytes:
    """The feedback workbook for the unit's file (``outcome.parsed`` is its part), as bytes."""
    from sopkinerja.feedback import loading
    from sopkinerja.feedback.rebuild import rebuilt

    msg = Messages(workspace.config.language)
    source = workspace.root / outcome.archive_path
    workbook, issues = None, list(outcome.issues)
    if outcome.format in ("xlsx", "xlsm") and editable(source, outcome.parsed):
        try:
            workbook = loading.load(source, keep_vba=False, keep_links=False)
        except Exception:  # noqa: BLE001 - read by calamine but not by openpyxl: rebuilt below
            workbook = None
    if workbook is None:
        workbook, issues = rebuilt(workspace, ledger, outcome, scratch_folder / f".{outcome.sha256[:16]}.tmp")
    else:
        ensure_validations(workbook, outcome.parsed, msg)
    shown = sorted((i for i in issues if i.severity != INFO or i.code == "duplicate-file"), key=lambda i: i.sort_key())
    mark_cells(workbook, shown, msg)
    summary_sheet(workbook, workspace, outcome, unit, shown, msg)
    workbook.properties.creator = "sopkinerja"
    stamp = outcome.received_at.astimezone(UTC).replace(tzinfo=None)  # OOXML dates are UTC
    workbook.properties.created = workbook.properties.modified = stamp
    buffer = io.BytesIO()
    workbook.save(buffer)
    return stable_zip(buffer.getvalue(), stamp)


def editable(source: Path, parsed: dict | None) -> bool:
    """Whether the unit's own package is worth annotating in place: openpyxl loads all of it, so
    its sheets must not be mostly formatted emptiness (a return with 300,000 formatted empty
    rows and a handful of values is rebuilt instead: its cost follows the cells with content)."""
    content = sum(len(row["cells"]) for table in ((parsed or {}).get("data"), (parsed or {}).get("log"))
                  if table for row in table["rows"])
    try:
        with zipfile.ZipFile(source) as package:
            sheets = sum(i.file_size for i in package.infolist() if i.filename.startswith("xl/worksheets/"))
    except (zipfile.BadZipFile, OSError):
        return False
    return sheets <= max(EDITABLE_MIN_BYTES, EDITABLE_BYTES_PER_CELL * content)


def _key(workspace, ledger, outcome, unit, msg) -> str:
    """What the feedback workbook shows, so an equal key means equal bytes."""
    import openpyxl

    import sopkinerja

    config = workspace.config
    request = outcome.request or {}
    spec = ledger.request_spec(request["request_id"]) if request.get("request_id") else None
    issues = [[i.code, i.severity, i.sheet, i.cell, i.message(msg)] for i in outcome.issues]
    parts = [FEEDBACK_VERSION, sopkinerja.__version__, openpyxl.__version__, PARSER_VERSION, outcome.sha256,
             outcome.part, outcome.file, outcome.received_at.isoformat(), unit.unit, unit.name, msg.language,
             config.period.code, config.period.label(config.language), config.deadline.isoformat(), issues,
             hashlib.sha256(spec).hexdigest() if spec else None]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode()).hexdigest()


class _Cache:
    """Feedback workbooks by key; derived data, safe to delete; what a run did not use is removed."""

    def __init__(self, folder: Path):
        self.folder, self.used = folder, set()

    def get(self, key: str) -> bytes | None:
        self.used.add(key)
        try:
            return (self.folder / f"{key}.xlsx").read_bytes()
        except OSError:
            return None

    def put(self, key: str, data: bytes) -> None:
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
            write_bytes(self.folder / f"{key}.xlsx", data)

    def prune(self) -> None:
        if self.folder.is_dir():
            for path in self.folder.glob("*.xlsx"):
                if path.stem not in self.used:
                    path.unlink(missing_ok=True)
