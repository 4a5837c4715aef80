"""Parse (once per content) and validate every received workbook, on both cores when there are many.

Each worker parses a file, or unpacks its stored parse, and validates it,
reading the request from the ledger through its own read-only connection;
the main process stores the new parses afterwards in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sopkinerja.ingest import WORKBOOK_FORMATS, format_issues
from sopkinerja.ingest.reader import PARSER_VERSION, parse_file
from sopkinerja.issues import Issue
from sopkinerja.pool import map_jobs, run_alone, worker_count
from sopkinerja.records import FileOutcome, IssuedRequest, StepEvent, Value
from sopkinerja.validate.context import Context, Rules, load_issued


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
    request: IssuedRequest | None
    issues: list[Issue]
    values: list[Value]
    steps: list[StepEvent]
    new_parse: bytes | None  # to store when the file was parsed now


def check_job(job: CheckJob) -> Checked:
    """Parse (once per content) and validate one workbook; runs in a worker process."""
    from sopkinerja.ledger import Ledger, pack_parse, unpack_parse
    from sopkinerja.validate import validate

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


PARALLEL_FROM = 8  # files to check before a worker pool pays off


def _reader_died(job: CheckJob) -> Checked:
    """The answer for a file whose worker process died (killed by the OS on a hostile file)."""
    return check_job(replace(job, reader_died=True))


def _alone(job: CheckJob) -> Checked:
    """After a worker died, each remaining file is checked in a process of its own, so only
    the file that kills its reader fails."""
    return run_alone(check_job, job, _reader_died)


def check_all(workspace, ledger, outcomes: list[FileOutcome], rules: Rules, clock, progress) -> None:
    """Parse and validate every workbook among ``outcomes`` (filled in place); a file that is
    no workbook gets its format's issue. New parses are stored in one transaction."""
    config = workspace.config
    todo = []
    for outcome in outcomes:
        if outcome.format not in WORKBOOK_FORMATS:
            outcome.issues[:0] = format_issues(outcome, config.max_file_mb)
        else:
            todo.append(outcome)
    jobs = [CheckJob(o.sha256, str(workspace.root / o.archive_path), o.format, o.file, o.received_at,
                     ledger.parse_blob(o.sha256, PARSER_VERSION), str(ledger.path), rules) for o in todo]
    parses = []
    results = map_jobs(check_job, jobs, parallel=len(jobs) >= PARALLEL_FROM, workers=worker_count(len(jobs)),
                       on_crash=_alone)
    for done, (outcome, checked) in enumerate(zip(todo, results, strict=True), 1):
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
