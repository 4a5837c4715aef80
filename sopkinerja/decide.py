"""Stage ``decide`` (SOP step 8, received): the round's files and one answer per unit (product.md §3.5).

Every received file is one outcome per content (and per data sheet); the
files of this round are those for its period or received since its first
request went out; an unrecognised file from before the round is an
``old-file``. Per unit the newest identified file is its answer — "newer"
means reaching the inbox in a later run, then the later receipt time — and
older ones are superseded; a blank copy of the request (``not-filled``) never
supersedes anything; when the newest file is rejected, the last accepted one
stands (``revision-rejected``). What the planner set aside (``ignore``) does
not count. The round's record is then rewritten in the ledger.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sopkinerja.ingest import CONTAINER_FORMATS, SYSTEM_FILE, WORKBOOK_FORMATS
from sopkinerja.ingest.reader import PARSER_VERSION
from sopkinerja.issues import ERROR, WARNING, Issue, count
from sopkinerja.ledger import Segment
from sopkinerja.records import FileOutcome, PackedValues, UnitStatus, value_rows

NOT_IDENTIFIED = ("unknown-request", "wrong-period")
# A member of a container that is a workbook, or meant to be one: its own issues are shown.
WORKBOOK_LIKE = (*WORKBOOK_FORMATS, "encrypted", "empty", "corrupt", "too-large")
CLOCK_SKEW = timedelta(minutes=5)  # a file's time this far past the run's clock is still plausible


@dataclass(frozen=True)
class Ignored:
    """A received file that does not count, and why (``run --json`` ``ignored``)."""

    file: str
    reason: str  # system-file, planner, old-file, attachment
    note_key: str | None = None  # the catalogue's words for the reason
    params: dict = field(default_factory=dict)
    note: str | None = None  # the planner's own words

    def document(self, messages) -> dict:
        from sopkinerja.issues import _display

        note = self.note if self.note is not None else messages(self.note_key, **_display(self.params, messages))
        return {"file": self.file, "reason": self.reason, "note": note}


@dataclass
class Round:
    """What this round's files decide: each unit's status, the issues to show, the file each
    unit gets feedback on, what does not count, and every outcome to record."""

    units: list[UnitStatus]
    issues: list[Issue]
    answers: dict[str, FileOutcome]
    ignored: list[Ignored]
    current: list[FileOutcome]


def outcomes(workspace, ledger) -> list[FileOutcome]:
    """One outcome per content; later receipts of the same bytes are duplicates of the first,
    and make the content newer (a unit that sends its good file again)."""
    inbox_rel = workspace.relative(workspace.config.paths.inbox)
    first: dict[str, FileOutcome] = {}
    for receipt in ledger.receipts():
        shown = f"{inbox_rel}/{receipt['original_path']}"
        received = datetime.fromisoformat(receipt["received_at"])
        order = (receipt["run_id"] or 0, received)
        if receipt["sha256"] in first:
            original = first[receipt["sha256"]]
            original.issues.append(Issue("duplicate-file", file=shown, params={"first": original.file},
                                         sha256=receipt["sha256"]))
            original.order = max(original.order, order)
            continue
        first[receipt["sha256"]] = FileOutcome(
            receipt["sha256"], shown, received, receipt["format"], receipt["archive_path"], order=order,
            seen_at=datetime.fromisoformat(receipt["seen_at"]) if receipt["seen_at"] else None,
            sender=receipt["sender"], container=receipt["container_sha256"])
    return list(first.values())


def this_round(ledger, checked: list[FileOutcome], period: str, now: datetime,
               set_aside: dict[str, str]) -> tuple[list[FileOutcome], list[Ignored]]:
    """The files of this round, and what of them does not count.

    Files of an earlier round left in the inbox count for their own round and
    raise nothing here; an unrecognised file from before the round is listed
    as ``old-file``; an identified file whose own time is implausible is
    received when a run first saw it (``suspicious-time``).
    """
    first_issue = ledger.first_issued_at(period)
    since = datetime.fromisoformat(first_issue) if first_issue else None
    inside: dict[str, list[FileOutcome]] = {}
    for outcome in checked:
        if outcome.container:
            inside.setdefault(outcome.container, []).append(outcome)
    kept, ignored = [], []
    for outcome in checked:
        if outcome.format == SYSTEM_FILE:
            if outcome.container:  # at the top the inbox scan lists it; inside an archive, here
                ignored.append(Ignored(outcome.file, "system-file", "ingest.system"))
            continue
        identified = outcome.request is not None and not any(i.code in NOT_IDENTIFIED for i in outcome.issues)
        if identified and outcome.request["period"] == period:
            _plausible(outcome, since, now)
        elif since is not None and outcome.received_at < since:
            if outcome.request is not None:
                continue  # an earlier round's file: it counts there
            outcome.issues = [Issue("old-file", file=outcome.file, params={"stamp": outcome.received_at},
                                    sha256=outcome.sha256)]
            ignored.append(Ignored(outcome.file, "old-file", "ingest.old", {"stamp": outcome.received_at}))
            kept.append(outcome)
            continue
        if outcome.format in CONTAINER_FORMATS:
            _container(outcome, inside)
        if outcome.container and not _workbook_like(outcome.format) and outcome.format not in CONTAINER_FORMATS:
            # Beside a workbook (a logo, a scan) it is listed, not an error; in a container without
            # any workbook the container's own issue names it.
            if _has_workbook(outcome.container, inside):
                ignored.append(Ignored(outcome.file, "attachment", "ingest.attachment",
                                       {"what": outcome.format.split(":", 1)[-1]}))
            outcome.issues = []
        if outcome.sha256 in set_aside:
            outcome.status = "ignored"
            outcome.issues = [Issue("ignored-by-planner", file=outcome.file, unit=outcome.unit,
                                    params={"note": set_aside[outcome.sha256]}, sha256=outcome.sha256)]
            ignored.append(Ignored(outcome.file, "planner", note=set_aside[outcome.sha256]))
        kept.append(outcome)
    return kept, ignored


def _plausible(outcome: FileOutcome, since: datetime | None, now: datetime) -> None:
    """A receipt time before the request went out, or in the future, is the file's own clock
    talking (a copy that kept an old time, a wrong clock): the time a run first saw it counts."""
    stamp = outcome.received_at
    if not ((since is not None and stamp < since) or stamp > now + CLOCK_SKEW):
        return
    outcome.stamp, outcome.received_at = stamp, outcome.seen_at or now
    outcome.issues.append(Issue("suspicious-time", file=outcome.file, unit=outcome.unit, sha256=outcome.sha256,
                                params={"stamp": stamp, "used": outcome.received_at}))


def _container(outcome: FileOutcome, inside: dict[str, list[FileOutcome]]) -> None:
    """A container with no workbook in it (an e-mail without attachments, a zip of PDFs) is
    reported as such, naming what it holds."""
    if _has_workbook(outcome.sha256, inside) or outcome.format.startswith("corrupt"):
        return  # (a container that could not be opened has its own unreadable-file)
    what = ", ".join(o.file.rsplit(":", 1)[-1] for o in inside.get(outcome.sha256, [])) or "-"
    outcome.issues.append(Issue("unsupported-format", file=outcome.file, sha256=outcome.sha256,
                                params={"what": f"{outcome.format}: {what}"}))


def _has_workbook(sha256: str, inside: dict[str, list[FileOutcome]], depth: int = 0) -> bool:
    return depth < 5 and any(_workbook_like(o.format) or _has_workbook(o.sha256, inside, depth + 1)
                             for o in inside.get(sha256, []))


def _workbook_like(fmt: str) -> bool:
    """A workbook, or a file meant to be one that could not be read: its own issue is shown."""
    return fmt in WORKBOOK_LIKE or fmt.startswith("corrupt")


def decide(master, current: list[FileOutcome], deadline: datetime, ignored: list[Ignored] = ()) -> Round:
    """Per unit, the newest file counts; older ones are superseded (product.md §3.5)."""
    emails = {u.code: u.email.strip().lower() for u in master.units}
    by_unit: dict[str, list[FileOutcome]] = {}
    for outcome in current:
        identified = outcome.request is not None and not any(i.code in NOT_IDENTIFIED for i in outcome.issues)
        if identified and outcome.status != "ignored" and not _not_filled(outcome):
            _sender(outcome, emails.get(outcome.unit, ""))
            by_unit.setdefault(outcome.unit, []).append(outcome)
    candidates = {id(o) for files in by_unit.values() for o in files}
    units, issues, answers = [], [], {}
    for outcome in current:
        if id(outcome) not in candidates:
            issues.extend(outcome.issues)
    for unit in master.units:
        files = sorted(by_unit.get(unit.code, []), key=lambda o: (o.order, o.received_at, o.sha256))
        if not files:
            units.append(UnitStatus(unit.code, unit.name, "missing", None, 0, 0, None, None))
            continue
        status, unit_issues = _answer(unit, files, deadline)
        units.append(status)
        issues.extend(unit_issues)
        answers[unit.code] = files[-1]
    known = {u.code for u in master.units}
    issues.extend(i for o in current if o.unit and o.unit not in known for i in o.issues)
    return Round(units, sorted(issues, key=Issue.sort_key), answers, list(ignored), current)


def _not_filled(outcome: FileOutcome) -> bool:
    return any(i.code == "not-filled" for i in outcome.issues)


def _sender(outcome: FileOutcome, expected: str) -> None:
    """An e-mail from another address than the unit's own in the master (product.md §3.6)."""
    if outcome.sender and expected and outcome.sender.lower() != expected:
        outcome.issues.append(Issue("sender-mismatch", file=outcome.file, unit=outcome.unit, sha256=outcome.sha256,
                                    params={"sender": outcome.sender, "expected": expected}))


def _answer(unit, files: list[FileOutcome], deadline: datetime) -> tuple[UnitStatus, list[Issue]]:
    """The unit's status from its files, oldest first; the newest is its answer, unless it is
    rejected and an older one was accepted: then that one's values stand."""
    latest = files[-1]
    latest.status = "rejected" if latest.errors else "accepted"
    kept = latest
    if latest.errors:
        kept = next((o for o in reversed(files[:-1]) if not o.errors), latest)
    issues = list(latest.issues)
    for old in files[:-1]:
        if old is kept:
            continue
        old.status = "superseded"
        issues.append(Issue("superseded", file=old.file, unit=unit.code, params={"newer": latest.file},
                            sha256=old.sha256))
    if kept is latest:
        return UnitStatus(unit.code, unit.name, latest.status, latest.received_at <= deadline, latest.errors,
                          count(latest.issues, WARNING), latest.file, latest.received_at,
                          [o.file for o in files[:-1]]), issues
    kept.status = "accepted"
    revision = Issue("revision-rejected", file=latest.file, unit=unit.code, sha256=latest.sha256,
                     params={"newer": latest.file, "kept": kept.file, "errors": latest.errors})
    latest.issues.append(revision)
    issues += [revision, *(i for i in kept.issues if i.severity != ERROR)]
    return UnitStatus(unit.code, unit.name, "accepted", kept.received_at <= deadline, 0,
                      count(kept.issues, WARNING) + 1, kept.file, kept.received_at,
                      [o.file for o in files if o.status == "superseded"]), issues


def record(ledger, current: list[FileOutcome], period: str, now: str, sistem_steps: list[int],
           loose: list[Issue] = ()) -> None:
    """Rewrite this round's submissions, values, issues and declared step events in one transaction.

    Everything run derives is deleted first and inserted again in the same
    order, so the same files give the same rows (ids included). ``loose``
    issues belong to no recorded file (one that could not be read this time).
    """
    from dataclasses import replace

    submissions = [(o.sha256, o.part, o.request["request_id"] if o.request else None, o.unit,
                    o.request["period"] if o.request else None, o.received_at.isoformat(), o.status, now,
                    PARSER_VERSION) for o in current]
    values = [_values_segment(o) for o in current]
    issues = [(o.sha256, o.part, period, i.unit, i.code, i.severity, i.sheet, i.cell, _params(i))
              for o in current for i in o.issues]
    issues += [(None, "", period, i.unit, i.code, i.severity, i.sheet, i.cell, _params(i)) for i in loose]
    events = [replace(step, period=period, unit_code=o.unit, source="berkas", sha256=o.sha256, part=o.part,
                      recorded_at=o.received_at) for o in current for step in o.steps]
    with ledger.transaction():
        ledger.replace_round(period, sorted({o.sha256 for o in current}), sistem_steps, submissions, values,
                             issues, events)


def _values_segment(outcome: FileOutcome) -> Segment:
    """The outcome's value rows for the ledger, made only if they are written: known by the file,
    its part and its packed values (equal bytes unpack to equal rows), so a round where one unit
    sends a correction makes that file's 500 rows, not the round's 500,000 (issue 20)."""
    import hashlib
    import marshal

    values = outcome.values
    if isinstance(values, PackedValues):
        body = b"p%d" % values.pickled + values.blob
    else:
        body = b"r" + marshal.dumps(value_rows(values), 2)  # version 2: equal values, equal bytes
    head = f"{outcome.sha256}\0{outcome.part}\0".encode()
    return Segment(hashlib.blake2b(head + body, digest_size=16).digest(), len(values),
                   lambda: [(outcome.sha256, outcome.part, *row) for row in value_rows(values)])


def _params(issue: Issue) -> str:
    return json.dumps({"file": issue.file, **issue.params}, ensure_ascii=False, sort_keys=True, default=str)
