"""Stage ``decide`` (SOP step 8, received): the round's files and one answer per unit (product.md §3.5).

Every received file is one outcome per content; the files of this round are
those for its period or received since its first request went out; per unit
the newest identified file is its answer, accepted or rejected, and older
ones are superseded. The round's record is then rewritten in the ledger.
"""

from __future__ import annotations

import json
from datetime import datetime

from sopkinerja.ingest import EMAIL_FORMATS
from sopkinerja.ingest.reader import PARSER_VERSION
from sopkinerja.issues import WARNING, Issue, count
from sopkinerja.records import FileOutcome, UnitStatus

NOT_IDENTIFIED = ("unknown-request", "wrong-period")


def outcomes(workspace, ledger) -> list[FileOutcome]:
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


def this_round(ledger, checked: list[FileOutcome], period: str) -> list[FileOutcome]:
    """The files of this round: for this period, or received since its first request went out.

    Old rounds' files left in the inbox are not this round's business; a file
    sent by mistake during this round (another period's, or no request at all)
    is reported.
    """
    first_issue = ledger.first_issued_at(period)
    since = datetime.fromisoformat(first_issue) if first_issue else None
    kept = []
    for outcome in checked:
        if outcome.format in EMAIL_FORMATS and not outcome.issues:
            continue
        ours = outcome.request is not None and outcome.request["period"] == period
        if ours or since is None or outcome.received_at >= since:
            kept.append(outcome)
    return kept


def decide(master, current: list[FileOutcome], deadline: datetime) -> tuple[list[UnitStatus], list[Issue]]:
    """Per unit, the newest file counts; older ones are superseded (product.md §3.5)."""
    by_unit: dict[str, list[FileOutcome]] = {}
    for outcome in current:
        identified = outcome.request is not None and not any(i.code in NOT_IDENTIFIED for i in outcome.issues)
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


def record(ledger, current: list[FileOutcome], period: str, now: str, sistem_steps: list[int]) -> None:
    """Rewrite this round's submissions, values, issues and declared step events in one transaction.

    Everything run derives is deleted first and inserted again in the same
    order, so the same files give the same rows (ids included).
    """
    from dataclasses import replace

    submissions = [(o.sha256, o.request["request_id"] if o.request else None, o.unit,
                    o.request["period"] if o.request else None, o.received_at.isoformat(), o.status, now,
                    PARSER_VERSION) for o in current]
    values = [(o.sha256, v.indicator, v.field, v.number, v.text, v.original, v.cell) for o in current for v in o.values]
    issues = [(o.sha256, period, i.unit, i.code, i.severity, i.sheet, i.cell,
               json.dumps({"file": i.file, **i.params}, ensure_ascii=False, sort_keys=True, default=str))
              for o in current for i in o.issues]
    events = [replace(step, period=period, unit_code=o.unit, source="berkas", sha256=o.sha256,
                      recorded_at=o.received_at) for o in current for step in o.steps]
    with ledger.transaction():
        ledger.replace_round(period, [o.sha256 for o in current], sistem_steps, submissions, values, issues, events)
