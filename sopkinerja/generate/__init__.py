"""SOP steps 2-3: one request workbook per unit, every issued request recorded in the ledger.

Re-running is safe: a unit whose request content (indicators, targets,
deadline, texts) is unchanged keeps its request_id and gets the identical
workbook again; a unit whose content changed gets a new request that
``replaces`` the old one. Every request ever issued stays in the ledger, so
any of them is recognised when it comes back.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sopkinerja import layout as L
from sopkinerja.errors import Problem, SopkinerjaError
from sopkinerja.files import safe_filename
from sopkinerja.generate.spec import RequestSpec, build_spec, pack_spec, sheet_rows
from sopkinerja.generate.workbook import write_request_workbook
from sopkinerja.models import Master, Sop, Unit
from sopkinerja.pool import map_jobs, worker_count
from sopkinerja.records import StepEvent
from sopkinerja.series import year_series
from sopkinerja.workspace import Workspace

__all__ = ["GenerateResult", "IssuedWorkbook", "build_spec", "generate", "new_request_id", "sheet_rows"]

REQUEST_FOLDER = "permintaan"
PARALLEL_FROM = 8  # below this many workbooks a process pool costs more than it saves
CHUNK = 16  # units planned (and committed to the ledger) before their workbooks are queued
IN_FLIGHT = 16  # queued workbooks per worker process, to bound memory

_JSON = json.JSONEncoder(ensure_ascii=False)  # one encoder: json.dumps(**kw) builds one per call
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class IssuedWorkbook:
    unit: str
    unit_name: str
    path: Path
    request_id: str
    reused: bool
    replaces: str | None
    indicators: int


@dataclass
class GenerateResult:
    period: str
    folder: Path
    workbooks: list[IssuedWorkbook] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    defaulted: int = 0  # indicators of these workbooks whose metode is the default for their satuan

    def document(self, messages) -> dict:
        return {"period": self.period, "folder": str(self.folder), "defaulted_methods": self.defaulted,
                "warnings": [w.render(messages) for w in self.warnings], "workbooks": [
            {"unit": w.unit, "path": str(w.path), "request_id": w.request_id, "reused": w.reused,
             "replaces": w.replaces, "indicators": w.indicators} for w in self.workbooks]}


def new_request_id() -> str:
    """Random (80 bits), not sequential, easy to read out: ``SK-7F3K-Q2MA-XZ9P-HB3C``.

    Crockford's base32 alphabet has no I, L, O or U, so nothing is misread.
    """
    number = int.from_bytes(secrets.token_bytes(10), "big")
    token = "".join(CROCKFORD[(number >> shift) & 31] for shift in range(75, -1, -5))
    return "SK-" + "-".join(token[i:i + 4] for i in range(0, 16, 4))


def generate(
    workspace: Workspace,
    clock: Callable[[], datetime],
    unit_code: str | None = None,
    progress: Progress | None = None,
    new_id: Callable[[], str] = new_request_id,
) -> GenerateResult:
    """Write the request workbooks for the configured period and record them."""
    config = workspace.config
    report = workspace.master()
    master = report.master
    sop = workspace.sop()
    units = _select_units(master, unit_code)
    folder = workspace.period_output() / REQUEST_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    names = _file_names(units, config.period.code)
    started = clock()
    plans: list[_Plan] = []
    with workspace.lock(), workspace.ledger() as ledger:
        run_id = ledger.start_run("generate", config.period.code, started.isoformat())
        series = year_series(ledger, config.period)  # the year's earlier rounds, pre-filled

        def jobs():
            # Plan a chunk, commit its ledger rows, then hand it to the writers: the
            # pool takes jobs as it has room, so planning overlaps writing, and no
            # file exists without its ledger row.
            for first in range(0, len(units), CHUNK):
                chunk = _plan(workspace, ledger, master, sop, units[first:first + CHUNK], names,
                              run_id, new_id, started, series)
                plans.extend(chunk)
                for plan in chunk:
                    by_unit[plan.unit.code] = plan
                    job, plan.spec = (plan.spec, str(folder / plan.file_name)), None  # bound memory
                    yield job

        by_unit: dict[str, _Plan] = {}
        workers = worker_count(len(units))
        failures: dict[str, Problem] = {}
        written_jobs = map_jobs(write_job, jobs(), parallel=len(units) >= PARALLEL_FROM, workers=workers,
                                window=workers * IN_FLIGHT)
        for done, (code, sha256, error) in enumerate(written_jobs, 1):
            plan = by_unit[code]
            if error is None:
                plan.sha256 = sha256
            else:
                failures[code] = Problem("generate.write_failed_item", {
                    "unit": code, "path": str(folder / plan.file_name), "detail": error})
            if progress:
                progress(done, len(units))
        written = clock()
        with ledger.transaction():
            for plan in plans:
                if plan.unit.code not in failures:
                    ledger.set_request_file(plan.request_id, plan.file_name, plan.sha256)
            _record_steps(ledger, sop, config.period.code, started, written, len(plans) - len(failures))
        ledger.finish_run(run_id, clock().isoformat(), "failed" if failures else "ok")
    if failures:
        raise SopkinerjaError("generate.write_failed", problems=tuple(failures.values()))
    workbooks = [
        IssuedWorkbook(p.unit.code, p.unit.name, folder / p.file_name, p.request_id, p.reused,
                       p.replaces, p.indicators) for p in plans]
    empty = [Problem("generate.no_indicators", {"unit": w.unit}) for w in workbooks if not w.indicators]
    chosen = {u.code for u in units}
    defaulted = sum(i.defaulted for i in master.indicators if i.unit_code in chosen)
    return GenerateResult(config.period.code, folder, workbooks, list(report.warnings) + empty, defaulted)


def _select_units(master: Master, unit_code: str | None) -> tuple[Unit, ...]:
    if unit_code is None:
        return master.units
    wanted = unit_code.strip().upper()
    chosen = tuple(u for u in master.units if u.code.upper() == wanted)
    if not chosen:
        raise SopkinerjaError("generate.unknown_unit", unit=unit_code,
                              known=", ".join(u.code for u in master.units))
    return chosen


@dataclass
class _Plan:
    unit: Unit
    spec: RequestSpec | None  # dropped once handed to a writer, to bound memory
    file_name: str
    reused: bool
    replaces: str | None
    sha256: str = ""
    request_id: str = ""
    indicators: int = 0

    def __post_init__(self) -> None:
        self.request_id = self.spec.request_id
        self.indicators = sum(row.kind == "indicator" for row in self.spec.rows)


def _plan(workspace, ledger, master, sop, units, names, run_id, new_id, now, series) -> list[_Plan]:
    """Decide each unit's request (reuse or new) and record new ones in one transaction."""
    plans = []
    with ledger.transaction():
        for unit in units:
            spec = build_spec(workspace, master, sop, unit, request_id="", issued_at=now, series=series)
            fingerprint = _fingerprint(spec)
            previous = ledger.latest_request(workspace.config.period.code, unit.code)
            if previous is not None and previous["fingerprint"] == fingerprint:
                issued = datetime.fromisoformat(previous["issued_at"])
                spec = dataclasses.replace(spec, request_id=previous["request_id"], issued_at=issued)
                if not ledger.has_request_spec(spec.request_id):  # issued before the ledger kept specs
                    ledger.set_request_spec(spec.request_id, pack_spec(spec))
                plans.append(_Plan(unit, spec, names[unit.code], True, previous["replaces"]))
                continue
            spec = dataclasses.replace(spec, request_id=_unused_id(ledger, new_id))
            replaces = previous["request_id"] if previous is not None else None
            ledger.add_request(
                {"request_id": spec.request_id, "unit_code": unit.code, "period": spec.period_code,
                 "template_version": L.TEMPLATE_VERSION, "issued_at": now.isoformat(),
                 "file_name": names[unit.code], "run_id": run_id, "fingerprint": fingerprint,
                 "replaces": replaces, "spec": pack_spec(spec)},
                _prefilled_rows(spec))
            plans.append(_Plan(unit, spec, names[unit.code], False, replaces))
    return plans


def _unused_id(ledger, new_id: Callable[[], str]) -> str:
    while True:
        candidate = new_id()
        if ledger.request(candidate) is None:
            return candidate


def _file_names(units: tuple[Unit, ...], period: str) -> dict[str, str]:
    """``Permintaan Data Kinerja 2026-TW3 - Sekretariat.xlsx``; the code is added on a clash."""
    base = {u.code: safe_filename(f"Permintaan Data Kinerja {period} - {u.name}") for u in units}
    counts: dict[str, int] = {}
    for name in base.values():
        counts[name.lower()] = counts.get(name.lower(), 0) + 1
    return {code: (f"{name} ({safe_filename(code)})" if counts[name.lower()] > 1 else name) + ".xlsx"
            for code, name in base.items()}


def _prefilled_rows(spec: RequestSpec) -> list[dict]:
    """What the ledger keeps of each issued row: indicators, and budget lines (keyed ``SUB …``/``IND …``)."""
    return [{"request_id": spec.request_id, "position": position, "indicator_code": row.key,
             "row_key": row.key, "prefilled": _JSON.encode(row.values), "target": row.values.get("target"),
             "annual": row.values.get("annual"), "budget": row.values.get("budget")}
            for position, row in enumerate((r for r in spec.rows if r.kind in ("indicator", "budget")), 1)]


def _fingerprint(spec: RequestSpec) -> str:
    """What the workbook shows, apart from its identity: equal fingerprints, equal workbooks."""
    content = dataclasses.replace(spec, request_id="", issued_at=datetime.min)
    text = json.dumps([L.TEMPLATE_VERSION, content], sort_keys=True, default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return vars(value)  # the frozen dataclasses of the spec


def write_job(job: tuple[RequestSpec, str]) -> tuple[str, str, str | None]:
    """Worker: write one workbook atomically; an error is returned, never raised."""
    from sopkinerja.atomic import atomic_path

    spec, target = job
    # xlsxwriter allocates a small object per cell and holds them all until
    # close; the cyclic GC rescanning them costs ~25% of the write (measured).
    collecting = gc.isenabled()
    gc.disable()
    try:
        with atomic_path(Path(target)) as temp:
            sha256 = write_request_workbook(spec, str(temp))
        return spec.unit_code, sha256, None
    except Exception as exc:  # one unit's failure must not stop the others
        return spec.unit_code, "", f"{type(exc).__name__}: {exc}"
    finally:
        if collecting:
            gc.enable()


def _record_steps(ledger, sop: Sop, period: str, started: datetime, written: datetime, count: int) -> None:
    """SOP steps 2 (preparing the format) and 3 (files ready to send), source ``sistem``."""
    if count == 0:
        return
    for role, start, note in (("siapkan-format", started, f"generate: {count} berkas"),
                              ("kirim-format", written, f"{count} berkas siap dikirim")):
        step = sop.by_role(role)
        if step is not None:
            ledger.add_step_event(StepEvent(step.number, start, written, actor="sopkinerja", period=period,
                                            source="sistem", note=note, recorded_at=written))
