"""Parse (once per content) and validate every received workbook, on both cores when there are many.

Each worker parses a file, or unpacks its stored parse, and validates it,
reading the request from the ledger through its own read-only connection;
the main process stores the new parses afterwards in one transaction. A
file's check is kept in the ledger (``checks``) under a key of everything it
depends on, so a run after one resubmission checks that file only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sopkinerja import layout as L
from sopkinerja.ingest import WORKBOOK_FORMATS, format_issues
from sopkinerja.ingest.reader import PARSER_VERSION, parse_file
from sopkinerja.issues import Issue
from sopkinerja.pool import map_jobs, run_alone, worker_count
from sopkinerja.records import FileOutcome, IssuedRequest, PackedValues, StepEvent, Value, parts_of
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
    """What validation made of one part (data sheet) of a file."""

    part: str
    request: IssuedRequest | None
    issues: list[Issue]
    values: list[Value] | PackedValues  # packed when made by check_part (records.PackedValues)
    steps: list[StepEvent]
    sheet: str | None = None  # the data sheet's name


@dataclass
class CheckedFile:
    parts: list[Checked]
    new_parse: bytes | None  # to store when the file was parsed now


PARALLEL_FROM = 8  # files to parse before a worker pool pays off (starting one costs ~0.4 s)
STORED_PARSE_WEIGHT = 0.25  # a file parsed before is only validated: a quarter of a parse, measured


def check_job(job: CheckJob) -> CheckedFile:
    """Parse (once per content) and validate one workbook, part by part; runs in a worker process.

    Whatever fails while this file is handled becomes an issue on this file
    (``processing-failed``), never an exception that could stop the others.
    """
    from sopkinerja.ledger import pack_parse, unpack_parse

    try:
        if job.reader_died:
            parsed = {"error": "unreadable-file", "detail": "pembaca berkas berhenti mendadak"}
        elif job.stored_parse is not None:
            parsed = unpack_parse(job.stored_parse)
        else:
            parsed = parse_file(job.path, job.format)
        new_parse = None if job.stored_parse is not None else pack_parse(parsed)
    except Exception as exc:  # noqa: BLE001 - one file's failure is an issue on that file
        return CheckedFile([_failed(job, "", "issue_stage.read", exc)], None)
    return CheckedFile([_check_part(job, part) for part in parts_of(parsed)], new_parse)


def _check_part(job: CheckJob, part: dict) -> Checked:
    from sopkinerja.ledger import Ledger
    from sopkinerja.validate import validate

    name = part.get("part", "")
    try:
        request, issued, newer = None, {}, None
        if part.get("request_id"):
            ledger = Ledger.open_readonly(Path(job.ledger))
            try:
                request, issued = load_issued(ledger, part["request_id"])
                if request is not None:
                    latest = ledger.latest_request(request["period"], request["unit_code"])
                    newer = latest["request_id"] if latest and latest["request_id"] != part["request_id"] else None
            finally:
                ledger.close()
    except Exception as exc:  # noqa: BLE001
        return _failed(job, name, "issue_stage.identify", exc, part)
    try:
        ctx = Context(parsed=part, file=_shown(job.file, name), sha256=job.sha256, received_at=job.received_at,
                      request=request, issued=issued, rules=job.rules, newer_request=newer)
        return Checked(name, request, validate(ctx), PackedValues(ctx.values), ctx.steps, part.get("sheet"))
    except Exception as exc:  # noqa: BLE001
        return _failed(job, name, "issue_stage.check", exc, part, request)


def _shown(file: str, part: str) -> str:
    """A part is shown as the file and its sheet: ``input/masuk/gabungan.xlsx#Data Kinerja (2)``."""
    return f"{file}#{part}" if part else file


def _failed(job: CheckJob, part: str, stage: str, exc: Exception, parsed: dict | None = None,
            request: IssuedRequest | None = None) -> Checked:
    issue = Issue("processing-failed", file=_shown(job.file, part), unit=request["unit_code"] if request else None,
                  params={"stage_key": stage, "detail": f"{type(exc).__name__}: {exc}"[:300]}, sha256=job.sha256)
    return Checked(part, request, [issue], [], [], (parsed or {}).get("sheet"))


def _reader_died(job: CheckJob) -> CheckedFile:
    """The answer for a file whose worker process died (killed by the OS on a hostile file)."""
    return check_job(replace(job, reader_died=True))


def _alone(job: CheckJob) -> CheckedFile:
    """After a worker died, each remaining file is checked in a process of its own, so only
    the file that kills its reader fails."""
    return run_alone(check_job, job, _reader_died)


def check_all(workspace, ledger, outcomes: list[FileOutcome], rules: Rules, clock, progress) -> list[FileOutcome]:
    """Parse and validate every workbook among ``outcomes``; a file that is no workbook gets its
    format's issue. Returns the outcomes with each workbook split into its parts (data sheets).
    New parses are stored in one transaction."""
    config = workspace.config
    todo = []
    for outcome in outcomes:
        if outcome.format not in WORKBOOK_FORMATS:
            outcome.issues[:0] = format_issues(outcome, config.max_file_mb)
        else:
            todo.append(outcome)
    # An earlier round's file that arrived before this round began counts for its own round and
    # raises nothing here (decide.this_round): only its identity is needed, and its own round's
    # run recorded it. So a round's run does not validate the year's earlier files again.
    todo, earlier = _earlier_rounds(ledger, todo, rules)
    # A file whose check depends on nothing that changed is not checked again (issue 20).
    base = _check_base(ledger, rules)
    keys = [check_key(base, o) for o in todo]
    stored = ledger.stored_checks(sorted(set(keys)))
    kept = {key: _unpack_check(blob) for key, blob in stored.items()}
    missing = [(o, key) for o, key in zip(todo, keys, strict=True) if kept.get(key) is None]
    jobs = [CheckJob(o.sha256, str(workspace.root / o.archive_path), o.format, o.file, o.received_at,
                     ledger.parse_blob(o.sha256, PARSER_VERSION), str(ledger.path), rules) for o, _ in missing]
    # A pool pays off for the files to parse now; the example agency's year (a round's six new
    # files among a dozen parsed before) is checked faster in this process than a pool starts.
    work = sum(1 if job.stored_parse is None else STORED_PARSE_WEIGHT for job in jobs)
    results = map_jobs(check_job, jobs, parallel=work >= PARALLEL_FROM, workers=worker_count(len(jobs)),
                       on_crash=_alone)
    parses, new_checks, done_parts = [], [], {}
    for done, ((outcome, key), checked) in enumerate(zip(missing, results, strict=True), 1):
        done_parts[key] = checked.parts
        if checked.new_parse is not None:
            parses.append((outcome.sha256, checked.new_parse))
        if not any(i.code == "processing-failed" for part in checked.parts for i in part.issues):
            new_checks.append((key, outcome.sha256, _pack_check(checked.parts)))  # a crash is tried again
        if progress:
            progress("parse", done, len(jobs))
    split = {sha256: [_part_outcome(outcome, part, index) for index, part in enumerate(parts)]
             for sha256, (outcome, parts) in earlier.items()}
    for outcome, key in zip(todo, keys, strict=True):
        parts = kept.get(key) or done_parts[key]
        split[outcome.sha256] = [_part_outcome(outcome, part, index) for index, part in enumerate(parts)]
    now = clock().isoformat()
    with ledger.transaction():
        for sha256, blob in parses:
            ledger.save_parse(sha256, PARSER_VERSION, now, blob)
        ledger.save_checks(new_checks, keys)
    return [part for outcome in outcomes for part in split.get(outcome.sha256, [outcome])]


def _earlier_rounds(ledger, todo: list[FileOutcome], rules: Rules) -> tuple[list[FileOutcome], dict]:
    """(the files to check, sha256 -> (outcome, identity-only parts) of the earlier rounds' files)."""
    first = ledger.first_issued_at(rules.period)
    recorded = ledger.earlier_round_parts(rules.period, PARSER_VERSION) if first else {}
    if not recorded:
        return todo, {}
    since = datetime.fromisoformat(first)
    requests: dict[str, IssuedRequest | None] = {}
    rest, earlier = [], {}
    for outcome in todo:
        parts = recorded.get(outcome.sha256)
        if not parts or outcome.received_at >= since:
            rest.append(outcome)
            continue
        for _, request_id in parts:
            if request_id not in requests:
                requests[request_id] = ledger.request(request_id)
        earlier[outcome.sha256] = (outcome, [Checked(part, requests[request_id], [], [], [])
                                             for part, request_id in parts])
    return rest, earlier


def _check_base(ledger, rules: Rules) -> str:
    """What every file's check depends on besides the file: the code (``files.code_mark``, as run's
    own fingerprint reads it), the parser, the rules and the requests issued."""
    import hashlib

    from sopkinerja.files import code_mark

    return hashlib.sha256(repr((code_mark(), PARSER_VERSION, repr(rules), ledger.requests_mark())).encode(
        "utf-8", "surrogatepass")).hexdigest()


def check_key(base: str, outcome: FileOutcome) -> str:
    """A file's check, by everything it depends on: its bytes, the name and time it was received."""
    import hashlib

    text = "\x1f".join((base, outcome.sha256, outcome.file, outcome.received_at.isoformat()))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _pack_check(parts: list[Checked]) -> bytes:
    import pickle
    import zlib

    return zlib.compress(pickle.dumps(parts, protocol=pickle.HIGHEST_PROTOCOL), 1)


def _unpack_check(blob: bytes) -> list[Checked] | None:
    """A stored check; None when it cannot be read (made by other code): checked again."""
    import pickle
    import zlib

    try:
        return pickle.loads(zlib.decompress(blob))
    except Exception:  # noqa: BLE001 - a stale or damaged entry is only a cache miss
        return None


def _part_outcome(outcome: FileOutcome, checked: Checked, index: int) -> FileOutcome:
    """The outcome of one part; a file's duplicate receipts are named on its first part."""
    unit = checked.request["unit_code"] if checked.request else None
    duplicates = [Issue(d.code, file=d.file, unit=unit, params=d.params, sha256=d.sha256)
                  for d in outcome.issues if d.code == "duplicate-file"] if index == 0 else []
    # Within one workbook a later sheet is newer, and a sheet named exactly "Data Kinerja" newest.
    exact = checked.part == "" or checked.sheet == L.DATA_SHEET
    return replace(outcome, part=checked.part, file=_shown(outcome.file, checked.part), request=checked.request,
                   issues=checked.issues + duplicates, values=checked.values, steps=checked.steps,
                   order=(*outcome.order, exact, index))
