"""Reading and checking the master data: units and indicators (product.md §3.3)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sopkinerja.cells import cell_address, clean_text, header_key
from sopkinerja.errors import MasterError, Problem
from sopkinerja.files import chunks
from sopkinerja.master.indicators import read_indicators
from sopkinerja.models import BudgetLine, Indicator, Master, Unit

UNIT_SHEET = "Unit"
INDICATOR_SHEET = "Indikator"
UNIT_COLUMNS = ("kode", "nama", "kepala", "nip", "email")
UNIT_REQUIRED = ("kode", "nama")
INDICATOR_COLUMNS = (
    "kode_unit", "kode", "sasaran", "program", "kegiatan", "sub_kegiatan",
    "indikator", "satuan", "polaritas", "metode", "frekuensi", "target",
    "target_tw1", "target_tw2", "target_tw3", "target_tw4", "nilai_min", "nilai_maks", "pagu", "pagu_perubahan",
    "target_renstra", "realisasi_renstra_lalu", "pagu_renstra", "anggaran_renstra_lalu",
)
INDICATOR_REQUIRED = ("kode_unit", "kode", "indikator", "satuan", "polaritas", "target")
# Optional semester targets (product.md §2) are read when present.
INDICATOR_OPTIONAL = ("target_s1", "target_s2")
CODE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
MAX_CODE_LENGTH = 30


@dataclass
class Table:
    """One sheet (or CSV file) of the master: header labels and numbered rows."""

    name: str
    header: list[str]
    rows: list[tuple[int, list[object]]]  # (1-based row number, values)
    header_row: int = 1
    first_column: int = 0  # zero-based column of the header's first cell
    is_csv: bool = False
    columns: dict[str, int] = field(default_factory=dict)

    def where(self, row: int, column: str) -> Problem:
        """A position as the user finds it: ``Indikator!J7`` or a CSV line and column."""
        index = self.columns.get(column)
        if self.is_csv or index is None:
            return Problem("master.where_csv", {"sheet": self.name, "row": row, "column": column})
        cell = cell_address(row - 1, self.first_column + index)
        return Problem("master.where_cell", {"sheet": self.name, "cell": cell, "column": column})


@dataclass
class MasterReport:
    """What reading the master found: the master (when usable), errors and warnings."""

    master: Master | None
    errors: list[Problem]
    warnings: list[Problem]


CACHE_VERSION = "8"  # change when Master, Indicator, BudgetLine or the reading rules change


def load_master(path: Path, locale: str = "id", cache: Path | None = None) -> MasterReport:
    """Read a master and raise MasterError listing every problem at once.

    With ``cache`` (a folder), a master read once is kept there as a pickle
    named by the digest of its bytes, its locale and CACHE_VERSION: reading a
    master of 500,000 indicators costs tens of seconds, loading it back about
    one. The folder is the workspace's own (``arsip/cache``); a damaged entry
    is read again from the source.
    """
    digest = source_digest(path, locale) if cache is not None else None
    report = _cached(cache, digest)
    if report is None:
        report = read_master(path, locale)
        if cache is not None and not report.errors:
            _store(cache, digest, report)
    if report.errors:
        raise MasterError("master.invalid", problems=tuple(report.errors), path=str(path))
    return report


def source_digest(path: Path, locale: str) -> str:
    import hashlib

    path = Path(path)
    digest = hashlib.sha256(f"{CACHE_VERSION}\0{locale}\0".encode())
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(file.name.encode("utf-8") + b"\0")
        try:
            for chunk in chunks(file):
                digest.update(chunk)
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


def _cached(cache: Path | None, digest: str | None) -> MasterReport | None:
    import pickle

    if cache is None:
        return None
    try:
        with open(cache / f"master-{digest}.pickle", "rb") as handle:
            stored = pickle.load(handle)
        units = tuple(Unit(*fields) for fields in zip(*map(_unpooled, stored["units"]), strict=True))
        # The budget lines as grouped when the master was read (a province's: 0.6 s to group again).
        master = PooledMaster(units, stored["indicators"], stored["unit_rows"], stored["lines"], stored["line_rows"])
        master.__dict__["unit_marks"] = dict(stored["marks"])  # pickling 500,000 indicators again: 0.8 s
        return MasterReport(master, [], list(stored["warnings"]))
    except Exception:  # noqa: BLE001 - a damaged or foreign cache entry: read the master again
        return None


def _store(cache: Path, digest: str, report: MasterReport) -> None:
    """Column by column: rebuilding 500,000 indicators from columns takes a fraction of
    unpickling them one object at a time."""
    import dataclasses
    import pickle

    from sopkinerja.atomic import write_bytes

    def columns(items, kind) -> list[list]:
        return [_pooled([getattr(item, f.name) for item in items]) for f in dataclasses.fields(kind)]

    stored = {"units": columns(report.master.units, Unit),
              "indicators": columns(report.master.indicators, Indicator),
              "unit_rows": _unit_rows([i.unit_code for i in report.master.indicators]),
              "lines": columns(report.master.budget_lines.values(), BudgetLine),
              "line_rows": _unit_rows([line.unit_code for line in report.master.budget_lines.values()]),
              "warnings": report.warnings, "marks": report.master.unit_marks}
    try:
        cache.mkdir(parents=True, exist_ok=True)
        for old in cache.glob("master-*.pickle"):
            old.unlink(missing_ok=True)
        write_bytes(cache / f"master-{digest}.pickle", pickle.dumps(stored, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # a cache that cannot be written only costs time


def _pooled(values: list) -> tuple[list, bytes]:
    """A column as its distinct values (first seen first) and each row's index among them: a
    province's 500,000 indicators repeat a few thousand targets, budgets and period targets, and
    pickle shares no float (nor an equal dict) by itself (memory, issue 20). Floats are the same
    by their bits (-0.0 and NaN stay themselves), values of other types by type and value."""
    import array
    import struct

    seen: dict = {}
    distinct: list = []
    indexes = []
    for row, value in enumerate(values):
        kind = type(value)
        try:
            if kind is float:
                key = (float, struct.pack("<d", value))
            elif kind is dict:  # period targets: numbers
                key = (dict, tuple((k, struct.pack("<d", v)) for k, v in value.items()))
            else:
                key = (kind, value)
                hash(key)
        except (TypeError, struct.error):
            key = ("row", row)  # unhashable, or a dict of other values: kept as it is
        index = seen.get(key)
        if index is None:
            index = seen[key] = len(distinct)
            distinct.append(value)
        indexes.append(index)
    packed = array.array("i", indexes)  # native int32, as numpy's would be (C's int is 4 bytes where we run)
    if packed.itemsize != 4:
        import numpy as np

        return distinct, np.array(indexes, dtype=np.int32).tobytes()
    return distinct, packed.tobytes()


def _unpooled(pool: tuple[list, bytes]) -> list:
    """``_pooled``'s values again (the indexes are native int32, as ``_pooled`` wrote them)."""
    import array

    distinct, indexes = pool
    numbers = array.array("i")
    if len(indexes) < NUMPY_FROM * 4 and numbers.itemsize == 4:  # an agency's master: no numpy to import
        numbers.frombytes(indexes)
        return list(map(distinct.__getitem__, numbers))
    import numpy as np

    pooled = np.fromiter(distinct, dtype=object, count=len(distinct))  # one value per item, never nested
    return pooled[np.frombuffer(indexes, dtype=np.int32)].tolist()  # 2.5x a list comprehension's speed


class PooledMaster(Master):
    """A master as its cache keeps it (``_store``): each indicator and budget line field a pooled
    column, made into objects only where asked — a unit's (``indicators_of``, ``first_lines``),
    one by code or key (its unit's) or all (``indicators``, ``budget_lines``: the units' objects
    in master order). A resubmission at 1,000 units × 500 asks for one unit's; making all
    500,000 indicators on every load cost ~2.6 s of each run (issue 20). Equal to the ``Master``
    of the same units and indicators."""

    def __init__(self, units: tuple[Unit, ...], pools: list[tuple[list, bytes]], rows: dict,
                 line_pools: list[tuple[list, bytes]], line_rows: dict):
        object.__setattr__(self, "units", units)
        object.__setattr__(self, "_indicators", _Pooled(Indicator, pools, rows))
        object.__setattr__(self, "_lines", _Pooled(BudgetLine, line_pools, line_rows))
        object.__setattr__(self, "_first_lines", {})

    def __eq__(self, other):
        if not isinstance(other, Master):
            return NotImplemented
        return (self.units, self.indicators) == (other.units, other.indicators)

    __hash__ = Master.__hash__

    @cached_property
    def indicators(self) -> tuple[Indicator, ...]:
        return self._indicators.every()

    def indicators_of(self, unit_code: str) -> tuple[Indicator, ...]:
        return self._indicators.of(unit_code)

    def indicator(self, code: str) -> Indicator:
        return self._indicators.by("code", code)

    def columns_of(self, unit_code: str, names: tuple[str, ...]) -> dict[str, list]:
        return self._indicators.columns_of(unit_code, names)

    def column(self, name: str) -> list:
        return self._indicators.column(name)

    @property
    def count(self) -> int:
        return self._indicators.count

    @cached_property
    def budget_lines(self) -> dict[str, BudgetLine]:
        return {line.key: line for line in self._lines.every()}

    def budget_line(self, key: str) -> BudgetLine:
        return self._lines.by("key", key)

    def first_lines(self, unit_code: str) -> dict[str, BudgetLine]:
        found = self._first_lines.get(unit_code)
        if found is None:
            found = self._first_lines[unit_code] = {line.indicators[0]: line for line in self._lines.of(unit_code)}
        return found


class _Pooled:
    """One kind of a cached master's objects (``Indicator``, ``BudgetLine``): its fields as pooled
    columns and each unit's rows (a range or a list); a unit's objects made when first asked and
    kept, so asking again gives the same objects. Once every unit's are made (a cold run) the
    columns are let go (~50 MiB at 1,000 × 500, issue 20's peak) and the objects answer."""

    def __init__(self, kind, packed: list[tuple[list, bytes]], rows: dict):
        import dataclasses

        self.kind = kind
        self.columns = {f.name: (distinct, _indexes(indexes))
                        for f, (distinct, indexes) in zip(dataclasses.fields(kind), packed, strict=True)}
        self.rows = {unit: range(*at) if isinstance(at, tuple) else at for unit, at in rows.items()}
        self.count = sum(len(at) for at in self.rows.values())
        if any(len(indexes) != self.count for _, indexes in self.columns.values()):
            raise ValueError("a damaged master cache")  # _cached reads the master again, now, not mid-run
        self.made: dict[str, tuple] = {}
        self._every: tuple | None = None
        self._row_of: dict[str, dict] = {}

    def of(self, unit_code: str) -> tuple:
        made = self.made.get(unit_code)
        if made is None:
            rows = self.rows.get(unit_code)
            if rows is None:
                return ()
            made = self.made[unit_code] = tuple(self.kind(*fields) for fields in zip(
                *(_picked(column, rows) for column in self.columns.values()), strict=True))
            if len(self.made) == len(self.rows):
                self.every()
                self.columns = None
        return made

    def every(self) -> tuple:
        """All the objects, in master order."""
        if self._every is None:
            every: list = [None] * self.count
            for unit_code, rows in self.rows.items():
                for row, item in zip(rows, self.of(unit_code), strict=True):
                    every[row] = item
            self._every = tuple(every)
        return self._every

    def by(self, name: str, value):
        """The object whose field ``name`` (unique: a code, a key) is ``value``; KeyError if none."""
        row_of = self._row_of.get(name)
        if row_of is None:
            row_of = self._row_of[name] = {value: row for row, value in enumerate(self.column(name))}
        row = row_of[value]
        if self.columns is None:
            return self._every[row]
        distinct, indexes = self.columns["unit_code"]
        unit_code = distinct[indexes[row]]
        return self.of(unit_code)[self.rows[unit_code].index(row)]

    def column(self, name: str) -> list:
        if self.columns is None:
            return [getattr(item, name) for item in self._every]
        return _picked(self.columns[name], range(self.count))

    def columns_of(self, unit_code: str, names: tuple[str, ...]) -> dict[str, list]:
        if self.columns is None:
            made = self.of(unit_code)
            return {name: [getattr(item, name) for item in made] for name in names}
        rows = self.rows.get(unit_code, ())
        return {name: _picked(self.columns[name], rows) for name in names}


def _picked(pool: tuple, rows) -> list:
    """A pooled column's values at ``rows`` (a range or a list)."""
    distinct, indexes = pool
    if isinstance(rows, range) and rows.step == 1:
        return list(map(distinct.__getitem__, indexes[rows.start:rows.stop]))
    return [distinct[indexes[row]] for row in rows]


def _unit_rows(unit_codes: list[str]) -> dict[str, tuple[int, int] | list[int]]:
    """Per unit code its rows in master order: (start, stop) where they follow each other (as in
    every master we have seen), else a list (kept with the master's cache: 0.3 s to work out
    from 500,000 rows)."""
    rows: dict[str, list[int]] = {}
    for row, code in enumerate(unit_codes):
        rows.setdefault(code, []).append(row)
    return {code: (found[0], found[-1] + 1) if found[-1] - found[0] + 1 == len(found) else found
            for code, found in rows.items()}


def _indexes(packed: bytes):
    """A pooled column's indexes (native int32, ``_pooled``) as a sequence of ints, not copied."""
    import array

    if array.array("i").itemsize == 4:
        return memoryview(packed).cast("i")
    import numpy as np

    return np.frombuffer(packed, dtype=np.int32)


# From this many rows a pooled column is unpooled by numpy; below, numpy is not imported for it (an
# agency's ``status`` imports nothing it does not need: 56 ms of its 0.35 s were numpy's import).
NUMPY_FROM = 20_000


def read_master(path: Path, locale: str = "id") -> MasterReport:
    """Read ``master.xlsx`` or a folder holding ``Unit.csv`` and ``Indikator.csv``."""
    path = Path(path)
    try:
        tables = _read_csv_folder(path) if path.is_dir() else _read_workbook(path)
    except _Unreadable as exc:
        return MasterReport(None, [exc.problem], [])
    errors: list[Problem] = []
    warnings: list[Problem] = []
    missing: set[tuple[str, str]] = set()  # (sheet, column) not found: its rows are not checked for it
    for name, required in ((UNIT_SHEET, UNIT_REQUIRED), (INDICATOR_SHEET, INDICATOR_REQUIRED)):
        table = tables.get(name)
        if table is None:
            errors.append(Problem("master.missing_sheet", {"sheet": name, "path": str(path)}))
            continue
        found: list[Problem] = []
        _locate_columns(table, required, found)
        missing |= {(name, p.params["column"]) for p in found}
        errors += found
    # Every problem at once: the rest of each sheet is still checked for what can be checked (a
    # missing column is one problem, not one per row; a missing Unit sheet leaves kode_unit unchecked).
    units = _units(tables[UNIT_SHEET], errors) if UNIT_SHEET in tables else []
    unit_codes = {u.code for u in units} if UNIT_SHEET in tables else None
    indicators = []
    if INDICATOR_SHEET in tables:
        indicators = read_indicators(tables[INDICATOR_SHEET], unit_codes, locale, errors, warnings, _problem,
                                     _check_code)
    kept = [p for p in errors if (p.params.get("sheet"), p.params.get("column")) not in missing
            or p.key == "master.missing_column"]
    master = None if kept else Master(tuple(units), tuple(indicators))
    return MasterReport(master, kept, warnings)


class _Unreadable(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.key)
        self.problem = problem


def _read_workbook(path: Path) -> dict[str, Table]:
    from python_calamine import CalamineWorkbook

    if not path.is_file():
        raise _Unreadable(Problem("master.not_found", {"path": str(path)}))
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        tables = {}
        for sheet_name in workbook.sheet_names:
            canonical = _canonical_sheet(sheet_name)
            if canonical and canonical not in tables:
                sheet = workbook.get_sheet_by_name(sheet_name)
                row0, col0 = sheet.start or (0, 0)
                tables[canonical] = _table(canonical, sheet.to_python(), row0, col0, False)
        return tables
    except Exception as exc:  # a broken master is fatal, but must be explained
        raise _Unreadable(Problem("master.unreadable", {"path": str(path), "detail": str(exc)})) from exc


def _canonical_sheet(name: str) -> str | None:
    key = header_key(name)
    for canonical in (UNIT_SHEET, INDICATOR_SHEET):
        if key == canonical.lower():
            return canonical
    return None


def _read_csv_folder(folder: Path) -> dict[str, Table]:
    tables = {}
    for entry in sorted(folder.iterdir()):
        canonical = _canonical_sheet(entry.stem) if entry.suffix.lower() == ".csv" else None
        if canonical and canonical not in tables:
            text = _decode(entry)
            dialect = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
            rows = list(csv.reader(io.StringIO(text), delimiter=dialect))
            tables[canonical] = _table(canonical, rows, 0, 0, True)
    return tables


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows


def _table(name: str, grid: list[list[object]], row0: int, col0: int, is_csv: bool) -> Table:
    """The header is the first non-empty row; rows below it keep their real numbers."""
    numbered = [(row0 + i + 1, row) for i, row in enumerate(grid)]
    numbered = [(n, row) for n, row in numbered if any(clean_text(v) for v in row)]
    if not numbered:
        return Table(name, [], [], is_csv=is_csv, first_column=col0)
    header_row, header = numbered[0]
    return Table(
        name,
        [header_key(h) for h in header],
        numbered[1:],
        header_row=header_row,
        first_column=col0,
        is_csv=is_csv,
    )


def _locate_columns(table: Table, required: tuple[str, ...], errors: list[Problem]) -> None:
    for index, label in enumerate(table.header):
        if label and label not in table.columns:
            table.columns[label] = index
    for column in required:
        if column not in table.columns:
            errors.append(Problem("master.missing_column", {
                "sheet": table.name, "column": column, "row": table.header_row,
            }))


def _value(table: Table, row: list[object], column: str) -> object:
    index = table.columns.get(column)
    if index is None or index >= len(row):
        return None
    value = row[index]
    return None if value == "" or value is None else value


def _units(table: Table, errors: list[Problem]) -> list[Unit]:
    units: list[Unit] = []
    seen: dict[str, int] = {}
    for number, row in table.rows:
        code = clean_text(_value(table, row, "kode"))
        name = clean_text(_value(table, row, "nama"))
        for column, text in (("kode", code), ("nama", name)):
            if not text:
                errors.append(_problem("master.empty_value", table, number, column))
        _check_code(table, number, code, seen, "master.duplicate_unit", errors)
        nip = _nip(table, row, number, errors)
        email = clean_text(_value(table, row, "email"))
        if email and ("@" not in email or " " in email):
            errors.append(_problem("master.bad_email", table, number, "email", value=email))
        units.append(Unit(code, name, clean_text(_value(table, row, "kepala")), nip, email))
    if not table.rows:
        errors.append(Problem("master.no_rows", {"sheet": table.name}))
    return units


def _nip(table: Table, row: list[object], number: int, errors: list[Problem]) -> str:
    """NIP is 18 digits; as a number cell Excel keeps only 15 of them."""
    raw = _value(table, row, "nip")
    if raw is None:
        return ""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if abs(raw) >= 10**15:
            errors.append(_problem("master.nip_number", table, number, "nip", value=clean_text(raw)))
            return ""
        raw = str(int(raw))
    nip = clean_text(raw).replace(" ", "")
    if nip and (not nip.isdigit() or len(nip) != 18):
        errors.append(_problem("master.bad_nip", table, number, "nip", value=clean_text(raw)))
    return nip


def _check_code(table, number, code, seen, duplicate_key, errors) -> None:
    """Codes appear in file and sheet names; uniqueness ignores case."""
    if code and not _valid_code(code):
        errors.append(_problem("master.bad_code", table, number, "kode", value=code))
    elif code and code.upper() in seen:
        errors.append(_problem(duplicate_key, table, number, "kode",
                               value=code, first_row=seen[code.upper()]))
    elif code:
        seen[code.upper()] = number


def _valid_code(code: str) -> bool:
    return len(code) <= MAX_CODE_LENGTH and set(code) <= CODE_CHARS


def _problem(key: str, table: Table, row: int, column: str, **params: object) -> Problem:
    return Problem(key, {
        "where": table.where(row, column), "sheet": table.name, "row": row,
        "column": column, **params,
    })
