"""``sopkinerja run`` (SOP steps 6-8 so far): ingest, parse, validate, decide per unit, feedback.

Safe to run again at any time: files are archived and parsed once per
content (sha256), everything after that is recomputed from the ledger, so
the same files give the same ledger and the same outputs.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sopkinerja import ingest
from sopkinerja.consolidate import consolidate
from sopkinerja.i18n import Messages
from sopkinerja.pool import spawn_pool, worker_count
from sopkinerja.issues import ERROR, INFO, WARNING, Issue, count
from sopkinerja.ingest.reader import PARSER_VERSION, parse_file
from sopkinerja.atomic import remove_leftovers
from sopkinerja.report import FEEDBACK_FOLDER, Outputs, new_stage, output_names, recover, write_reports
from sopkinerja.timing import events, timing_log
from sopkinerja.workcalendar import WorkCalendar
from sopkinerja.validate import Context, Rules, StepEvent, Value, load_issued, validate
from sopkinerja.workspace import Workspace

PARALLEL_FROM = 8
INGEST_BATCH = 64
UNSUPPORTED = {"empty": ("unreadable-file", "0 byte"), "corrupt": ("unreadable-file", "zip rusak"),
               "encrypted": ("encrypted-file", "")}

Progress = Callable[[str, int, int], None]


@dataclass
class FileOutcome:
    """One received file (by content) and what validation made of it."""

    sha256: str
    file: str
    received_at: datetime
    format: str
    archive_path: str
    request: dict | None = None
    issues: list[Issue] = field(default_factory=list)
    values: list[Value] = field(default_factory=list)
    steps: list[StepEvent] = field(default_factory=list)
    parsed: dict | None = None
    status: str = "invalid"  # accepted, rejected, superseded, invalid

    @property
    def unit(self) -> str | None:
        return self.request["unit_code"] if self.request else None

    @property
    def errors(self) -> int:
        return count(self.issues, ERROR)


@dataclass
class UnitStatus:
    unit: str
    name: str
    status: str  # accepted, rejected, missing
    on_time: bool | None
    errors: int
    warnings: int
    file: str | None
    received_at: datetime | None
    superseded: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    period: str
    units: list[UnitStatus]
    issues: list[Issue]
    feedback: dict[str, Path]
    new_files: int
    outputs: Outputs | None = None
    unchanged: bool = False  # nothing changed since the last run: its answer, outputs untouched

    @property
    def complete(self) -> bool:
        return all(u.status == "accepted" for u in self.units)

    def document(self, messages, workspace: Workspace) -> dict:
        rel = workspace.relative
        return {
            "period": self.period,
            "units": [{"unit": u.unit, "status": u.status, "on_time": u.on_time, "errors": u.errors,
                       "warnings": u.warnings, "file": u.file,
                       "received_at": u.received_at.isoformat() if u.received_at else None,
                       "superseded": u.superseded} for u in self.units],
            "unchanged": self.unchanged,
            "issues": [i.document(messages) for i in self.issues],
            "outputs": {
                **({key: rel(getattr(self.outputs, key))
                    for key in ("recap_xlsx", "recap_html", "recap_csv", "timing_csv")}
                   if self.outputs else {}),
                "feedback": {unit: rel(path) for unit, path in sorted(self.feedback.items())}},
        }


def run(workspace: Workspace, clock: Callable[[], datetime], progress: Progress | None = None) -> RunResult:
    config = workspace.config
    sop = workspace.sop()
    started = clock()
    with workspace.lock(), workspace.ledger() as ledger:
        # What an interrupted run left: a half-done switch of outputs is finished, temporary files go.
        recover(workspace.period_output())
        for folder in (config.paths.archive, workspace.period_output()):
            remove_leftovers(folder)
        inputs = _fingerprint(workspace, ledger, sop)
        previous = _previous(ledger, config.period.code, inputs + _outputs_fingerprint(workspace))
        if previous is not None:
            run_id = ledger.start_run("run", config.period.code, started.isoformat())
            ledger.finish_run(run_id, clock().isoformat(), "unchanged")
            return previous
        master = workspace.master().master
        run_id = ledger.start_run("run", config.period.code, started.isoformat())
        new_files = _ingest(workspace, ledger, run_id, config.paths.inbox)
        outcomes = _outcomes(workspace, ledger)
        signoff = sop.by_role("validasi")
        _check(workspace, ledger, outcomes, signoff.number if signoff else None, clock, progress)
        current = _round(ledger, outcomes, config.period.code)
        units, issues = _decide(master, current, config.deadline)
        _persist(ledger, current, config.period.code, clock().isoformat(), _system_steps(sop))
        for outcome in outcomes:  # in the ledger now; a province's million values need not stay in memory
            outcome.values = []
        # Feedback and recap are staged together and switched in as one set (report.switch).
        stage = new_stage(workspace.period_output())
        try:
            feedback = _feedback(workspace, ledger, current, units, stage / FEEDBACK_FOLDER)
            recap = consolidate(ledger, master, config.period.code, units, config.capaian_cap)
            _system_events(ledger, sop, config.period.code, units, started, clock())
            calendar = WorkCalendar(config.calendar)
            timing = timing_log(events(ledger, config.period.code), sop, [u.code for u in master.units], calendar)
            outputs = write_reports(workspace, recap, issues, sop, started.astimezone(config.calendar.tz),
                                    Messages(config.language), timing, stage, (FEEDBACK_FOLDER,))
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        result = RunResult(config.period.code, units, issues, feedback, new_files, outputs)
        # The inputs as this run found them (a file dropped in meanwhile is new next time),
        # the outputs as it left them.
        _remember(ledger, config.period.code, inputs + _outputs_fingerprint(workspace), result)
        ledger.finish_run(run_id, clock().isoformat(), "ok")
    return result


class _Digest:
    """sha256 of file sizes and modification times (not contents: cheap on every run)."""

    def __init__(self):
        import hashlib

        self.digest = hashlib.sha256()

    def add(self, *parts) -> None:
        self.digest.update(repr(parts).encode("utf-8", "surrogatepass"))

    def stat(self, path: Path) -> None:
        try:
            info = path.stat()
            self.add(str(path), info.st_size, info.st_mtime_ns)
        except OSError:
            self.add(str(path), None)

    def tree(self, path: Path, suffixes: tuple[str, ...] = ()) -> None:
        if not path.is_dir():
            self.stat(path)
            return
        for child in sorted(path.rglob("*")):
            if child.is_file() and (not suffixes or child.suffix in suffixes):
                self.stat(child)

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


def _fingerprint(workspace: Workspace, ledger, sop) -> str:
    """What a run's outputs depend on: the code, the workspace's place and language, the
    configuration, SOP, templates and master files, every inbox file, and what other
    commands wrote to the ledger (requests from ``generate``, step events from
    ``generate`` and ``step``; run's own rows are left out)."""
    import sopkinerja
    from sopkinerja.report import shipped_templates

    config = workspace.config
    d = _Digest()
    d.add(sopkinerja.__version__, PARSER_VERSION, str(workspace.root.resolve()), config.language)
    d.tree(Path(sopkinerja.__file__).parent, (".py", ".toml"))
    d.tree(shipped_templates(), (".j2", ".css"))
    for path in (config.root / "sopkinerja.toml", config.sop_file, config.paths.templates, config.paths.master):
        if path is not None:
            d.tree(Path(path))
    for path in ingest.discover(config.paths.inbox):
        d.stat(path)
    run_steps = _system_steps(sop) or [-1]
    marks = ",".join("?" * len(run_steps))
    d.add(tuple(ledger.db.execute("SELECT COUNT(*), MAX(rowid), SUM(rowid) FROM requests").fetchone()),
        tuple(ledger.db.execute(
            f"SELECT COUNT(*), MAX(id), SUM(id) FROM step_events WHERE source = 'manual' OR "
            f"(source = 'sistem' AND step NOT IN ({marks}))", run_steps).fetchone()))
    return d.hexdigest()


def _outputs_fingerprint(workspace: Workspace) -> str:
    """The period's outputs as they are: a deleted or edited recap is written again."""
    folder = workspace.period_output()
    d = _Digest()
    d.tree(folder / FEEDBACK_FOLDER)
    for name in output_names(workspace.config.period.code).values():
        d.stat(folder / name)
    return d.hexdigest()


def _previous(ledger, period: str, fingerprint: str) -> RunResult | None:
    """The last run's answer when nothing it depends on has changed since."""
    import pickle

    stored = ledger.get_state(f"run:{period}")
    if stored is None or not stored.startswith(fingerprint.encode() + b"\n"):
        return None
    try:
        result = pickle.loads(stored[len(fingerprint) + 1:])
    except Exception:  # written by another version: run in full
        return None
    if not isinstance(result, RunResult):
        return None
    result.unchanged, result.new_files = True, 0
    return result


def _remember(ledger, period: str, fingerprint: str, result: RunResult) -> None:
    import pickle

    with ledger.transaction():
        ledger.set_state(f"run:{period}", fingerprint.encode() + b"\n" + pickle.dumps(result))


def _ingest(workspace: Workspace, ledger, run_id: int, inbox: Path) -> int:
    """Archive and record every new file of the inbox (and every attachment of its e-mails)."""
    config = workspace.config
    limit = int(config.max_file_mb * 1024 * 1024)
    added = 0
    new = []
    for path in ingest.discover(inbox):
        rel = path.relative_to(inbox).as_posix()
        stat = path.stat()
        if not ledger.known_receipt(rel, stat.st_size, stat.st_mtime_ns):
            new.append((path, rel, stat))
    # Each file is archived (and synced) before the transaction that records it; a
    # transaction per INGEST_BATCH files, not per file (one disk sync each).
    for start in range(0, len(new), INGEST_BATCH):
        with ledger.transaction():
            for path, rel, stat in new[start:start + INGEST_BATCH]:
                received_at = datetime.fromtimestamp(stat.st_mtime, config.calendar.tz)
                added += _receive(workspace, ledger, run_id, path, rel, stat, received_at, limit)
    return added


def _receive(workspace, ledger, run_id, path, rel, stat, received_at, limit) -> int:
    config = workspace.config
    extension = path.suffix.lstrip(".").lower()[:8]
    if stat.st_size > limit:  # archived in chunks, never read whole, never opened as a workbook
        sha256, size, stored = ingest.archive_stream(workspace.root, config.paths.archive, path, extension)
        received = ingest.Received(sha256, size, rel, path.name, received_at, "too-large", stored)
        return int(ledger.add_receipt(received, run_id, stat.st_mtime_ns))
    data = path.read_bytes()
    sha256 = ingest.digest(data)
    fmt = ingest.sniff(data, path.name)
    stored = ingest.archive(workspace.root, config.paths.archive, data, sha256, extension or fmt)
    received = ingest.Received(sha256, len(data), rel, path.name, received_at, fmt, stored)
    added = int(ledger.add_receipt(received, run_id, stat.st_mtime_ns))
    if fmt in ingest.EMAIL_FORMATS:
        try:
            attachments = ingest.email_attachments(data, fmt)
        except Exception:  # a broken e-mail is reported as such, its bytes are archived already
            attachments = []
            ledger.db.execute("UPDATE files SET format = 'corrupt' WHERE sha256 = ?", (sha256,))
        for index, (name, payload, sent) in enumerate(attachments, 1):
            child = ingest.digest(payload)
            child_fmt = ingest.sniff(payload, name)
            child_ext = Path(name).suffix.lstrip(".").lower()[:8] or child_fmt
            child_stored = ingest.archive(workspace.root, config.paths.archive, payload, child, child_ext)
            ledger.add_receipt(ingest.Received(
                child, len(payload), f"{rel}#{index}:{name}", name, sent or received_at, child_fmt,
                child_stored, container=sha256), run_id, None)
    return added


def _outcomes(workspace: Workspace, ledger) -> list[FileOutcome]:
    """One outcome per content; later receipts of the same bytes are duplicates of the first."""
    inbox_rel = workspace.relative(workspace.config.paths.inbox)
    first: dict[str, FileOutcome] = {}
    for receipt in ledger.receipts():
        shown = f"{inbox_rel}/{receipt['original_path']}"
        if receipt["sha256"] in first:
            original = first[receipt["sha256"]]
            original.issues.append(Issue("duplicate-file", file=shown, params={"first": original.file},
                                         sha256=receipt["sha256"]))
            continue
        first[receipt["sha256"]] = FileOutcome(
            receipt["sha256"], shown, datetime.fromisoformat(receipt["received_at"]), receipt["format"],
            receipt["archive_path"])
    return list(first.values())


@dataclass(frozen=True)
class CheckJob:
    """One workbook to check: parsed from its archived bytes unless a stored parse is given."""

    sha256: str
    path: str
    format: str
    file: str
    received_at: datetime
    stored_parse: bytes | None
    ledger: str
    rules: Rules
    reader_died: bool = False


@dataclass
class Checked:
    request: dict | None
    issues: list[Issue]
    values: list[Value]
    steps: list[StepEvent]
    new_parse: bytes | None  # to store when the file was parsed now


def check_job(job: CheckJob) -> Checked:
    """Parse (once per content) and validate one workbook; runs in a worker process."""
    from sopkinerja.ledger import Ledger, pack_parse, unpack_parse

    if job.reader_died:
        parsed = {"error": "unreadable-file", "detail": "pembaca berkas berhenti mendadak"}
    elif job.stored_parse is not None:
        parsed = unpack_parse(job.stored_parse)
    else:
        parsed = parse_file(job.path, job.format)
    new_parse = None if job.stored_parse is not None else pack_parse(parsed)
    request, issued, newer = None, {}, None
    request_id = parsed.get("request_id")
    if request_id:
        ledger = Ledger.open_readonly(Path(job.ledger))
        try:
            request, issued = load_issued(ledger, request_id)
            if request is not None:
                latest = ledger.latest_request(request["period"], request["unit_code"])
                newer = latest["request_id"] if latest and latest["request_id"] != request_id else None
        finally:
            ledger.close()
    ctx = Context(parsed=parsed, file=job.file, sha256=job.sha256, received_at=job.received_at, request=request,
                  issued=issued, rules=job.rules, newer_request=newer)
    return Checked(request, validate(ctx), ctx.values, ctx.steps, new_parse)


def _check(workspace: Workspace, ledger, outcomes: list[FileOutcome], signoff: int | None, clock,
           progress) -> None:
    """Parse and validate every workbook, on both cores when many; store new parses in one transaction."""
    config = workspace.config
    rules = Rules(config.period.code, config.deadline, config.number_locale,
                  (config.extreme_below, config.extreme_above), config.calendar.tz, signoff)
    todo = []
    for outcome in outcomes:
        if outcome.format not in ingest.WORKBOOK_FORMATS:
            outcome.issues[:0] = _format_issues(outcome, config.max_file_mb)
        else:
            todo.append(outcome)
    jobs = [CheckJob(o.sha256, str(workspace.root / o.archive_path), o.format, o.file, o.received_at,
                     ledger.parse_blob(o.sha256, PARSER_VERSION), str(ledger.path), rules) for o in todo]
    parses = []
    results = _map(check_job, jobs, lambda job: check_job(replace(job, reader_died=True)))
    for done, (outcome, checked) in enumerate(zip(todo, results), 1):
        outcome.request = checked.request
        duplicates = [i for i in outcome.issues if i.code == "duplicate-file"]
        unit = checked.request["unit_code"] if checked.request else None
        outcome.issues = checked.issues + [Issue(d.code, file=d.file, unit=unit, params=d.params, sha256=d.sha256)
                                           for d in duplicates]
        outcome.values, outcome.steps = checked.values, checked.steps
        if checked.new_parse is not None:
            parses.append((outcome.sha256, checked.new_parse))
        if progress:
            progress("parse", done, len(jobs))
    if parses:
        now = clock().isoformat()
        with ledger.transaction():
            for sha256, blob in parses:
                ledger.save_parse(sha256, PARSER_VERSION, now, blob)


def _map(function, jobs: list, fallback):
    """Results in job order; in a spawn pool on both cores when there are many jobs.

    ``fallback(job)`` answers for a job whose worker process died.
    """
    if len(jobs) < PARALLEL_FROM:
        return map(function, jobs)
    return _pooled(function, jobs, worker_count(len(jobs)), fallback)


def _pooled(function, jobs: list, workers: int, fallback):
    from concurrent.futures.process import BrokenProcessPool

    with spawn_pool(workers) as pool:
        futures = [pool.submit(function, job) for job in jobs]
        for index, future in enumerate(futures):
            try:
                yield future.result()
            except BrokenProcessPool:
                break
        else:
            return
    # A worker died (killed by the OS on a hostile file): each remaining job now
    # runs alone in its own process, so only the file that kills its reader fails.
    for job in jobs[index:]:
        yield _isolated(function, job, fallback)


def _isolated(function, job, fallback):
    from concurrent.futures.process import BrokenProcessPool

    try:
        with spawn_pool(1) as pool:
            return pool.submit(function, job).result()
    except BrokenProcessPool:
        return fallback(job)


def _format_issues(outcome: FileOutcome, limit_mb: float) -> list[Issue]:
    fmt = outcome.format
    if fmt in UNSUPPORTED:
        code, detail = UNSUPPORTED[fmt]
        return [Issue(code, file=outcome.file, params={"detail": detail}, sha256=outcome.sha256)]
    if fmt == "too-large":
        return [Issue("file-too-large", file=outcome.file, params={"limit": f"{limit_mb:g} MB"},
                      sha256=outcome.sha256)]
    if fmt in ingest.EMAIL_FORMATS:
        return []  # its attachments are files of their own
    what = fmt.split(":", 1)[-1]
    return [Issue("unsupported-format", file=outcome.file, params={"what": what}, sha256=outcome.sha256)]


def _round(ledger, outcomes: list[FileOutcome], period: str) -> list[FileOutcome]:
    """The files of this round: for this period, or received since its first request went out.

    Old rounds' files left in the inbox are not this round's business; a file
    sent by mistake during this round (another period's, or no request at all)
    is reported.
    """
    first_issue = ledger.db.execute("SELECT MIN(issued_at) FROM requests WHERE period = ?", (period,)).fetchone()[0]
    since = datetime.fromisoformat(first_issue) if first_issue else None
    kept = []
    for outcome in outcomes:
        if outcome.format in ingest.EMAIL_FORMATS and not outcome.issues:
            continue
        if outcome.request is not None and outcome.request["period"] == period:
            kept.append(outcome)
        elif since is None or outcome.received_at >= since:
            kept.append(outcome)
    return kept


def _decide(master, current: list[FileOutcome], deadline: datetime) -> tuple[list[UnitStatus], list[Issue]]:
    """Per unit, the newest file counts; older ones are superseded (product.md §3.5)."""
    by_unit: dict[str, list[FileOutcome]] = {}
    for outcome in current:
        identified = outcome.request is not None and not any(
            i.code in ("unknown-request", "wrong-period") for i in outcome.issues)
        if identified:
            by_unit.setdefault(outcome.unit, []).append(outcome)
    units, issues = [], []
    for outcome in current:
        if outcome.unit is None or outcome not in by_unit.get(outcome.unit, []):
            issues.extend(outcome.issues)
    for unit in master.units:
        files = sorted(by_unit.get(unit.code, []), key=lambda o: (o.received_at, o.sha256))
        if not files:
            units.append(UnitStatus(unit.code, unit.name, "missing", None, 0, 0, None, None))
            continue
        latest, older = files[-1], files[:-1]
        for old in older:
            old.status = "superseded"
            issues.append(Issue("superseded", file=old.file, unit=unit.code, params={"newer": latest.file},
                                sha256=old.sha256))
        latest.status = "rejected" if latest.errors else "accepted"
        issues.extend(latest.issues)
        units.append(UnitStatus(
            unit.code, unit.name, latest.status, latest.received_at <= deadline, latest.errors,
            count(latest.issues, WARNING), latest.file, latest.received_at, [o.file for o in older]))
    for outcome in current:
        if outcome.unit and outcome.unit not in {u.code for u in master.units}:
            issues.extend(outcome.issues)
    return units, sorted(issues, key=Issue.sort_key)


def _system_steps(sop) -> list[int]:
    return [s.number for s in (sop.by_role("serah-data"), sop.by_role("rekap-badan")) if s is not None]


def _persist(ledger, current: list[FileOutcome], period: str, now: str, system_steps: list[int]) -> None:
    """Rewrite this round's submissions, values, issues and step events in one transaction.

    Everything run derives is deleted first and inserted again in the same
    order, so the same files give the same rows (ids included).
    """
    import json

    with ledger.transaction():
        shas = [o.sha256 for o in current]
        marks = ",".join("?" * len(shas))
        for step in system_steps:
            ledger.db.execute("DELETE FROM step_events WHERE period = ? AND step = ? AND source = 'sistem'",
                              (period, step))
        ledger.db.execute(f"DELETE FROM issues WHERE period = ? OR sha256 IN ({marks})", (period, *shas))
        ledger.db.execute(f"DELETE FROM submission_values WHERE sha256 IN ({marks})", shas)
        ledger.db.execute(f"DELETE FROM step_events WHERE source = 'berkas' AND sha256 IN ({marks})", shas)
        ledger.db.execute(f"DELETE FROM submissions WHERE sha256 IN ({marks})", shas)
        for o in current:
            ledger.db.execute(
                "INSERT INTO submissions (sha256, request_id, unit_code, period, received_at, status, "
                "superseded_by, parsed_at, parser_version) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)",
                (o.sha256, o.request["request_id"] if o.request else None, o.unit,
                 o.request["period"] if o.request else None, o.received_at.isoformat(), o.status, now,
                 PARSER_VERSION))
            ledger.db.executemany(
                "INSERT OR REPLACE INTO submission_values (sha256, indicator_code, field, number, text, "
                "original, cell) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(o.sha256, v.indicator, v.field, v.number, v.text, v.original, v.cell) for v in o.values])
            ledger.db.executemany(
                "INSERT INTO issues (sha256, period, unit_code, code, severity, sheet, cell, params) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(o.sha256, period, i.unit, i.code, i.severity, i.sheet, i.cell,
                  json.dumps({"file": i.file, **i.params}, ensure_ascii=False, sort_keys=True, default=str))
                 for i in o.issues])
            for step in o.steps:
                ledger.add_step_event({
                    "period": period, "step": step.step, "unit_code": o.unit, "source": "berkas",
                    "started_at": step.started_at.isoformat() if step.started_at else None,
                    "ended_at": step.ended_at.isoformat() if step.ended_at else None,
                    "actor": step.actor or None, "nip": step.nip or None, "sha256": o.sha256,
                    "recorded_at": o.received_at.isoformat()})


def _system_events(ledger, sop, period: str, units: list[UnitStatus], started: datetime, ended: datetime) -> None:
    """``sistem`` events of run: each unit's file received (delivery) and the agency recap itself."""
    delivery, recap = sop.by_role("serah-data"), sop.by_role("rekap-badan")
    with ledger.transaction():  # the previous run's are gone already (_persist)
        if delivery is not None:
            for unit in units:
                if unit.received_at is not None:
                    ledger.add_step_event({"period": period, "step": delivery.number, "unit_code": unit.unit,
                                           "ended_at": unit.received_at.isoformat(), "source": "sistem",
                                           "actor": "sopkinerja", "note": unit.file,
                                           "recorded_at": unit.received_at.isoformat()})
        if recap is not None:
            ledger.add_step_event({"period": period, "step": recap.number, "started_at": started.isoformat(),
                                   "ended_at": ended.isoformat(), "source": "sistem", "actor": "sopkinerja",
                                   "note": "run", "recorded_at": ended.isoformat()})


def _feedback(workspace: Workspace, ledger, current: list[FileOutcome], units: list[UnitStatus],
              staged: Path) -> dict[str, Path]:
    """Feedback for every unit whose current file has problems, written into ``staged``; the
    paths returned are where the files will be once the set is switched in. A unit without
    problems has none (an older one goes with the old folder)."""
    from sopkinerja.feedback import write_feedback

    staged.mkdir(parents=True, exist_ok=True)
    final = workspace.period_output() / FEEDBACK_FOLDER
    by_file = {o.file: o for o in current}
    written = {}
    for unit in units:
        outcome = by_file.get(unit.file) if unit.file else None
        if outcome is None or not [i for i in outcome.issues if i.severity != INFO]:
            continue
        outcome.parsed = ledger.parse_result(outcome.sha256, PARSER_VERSION)
        written[unit.unit] = final / write_feedback(workspace, outcome, unit, staged).name
    return written
