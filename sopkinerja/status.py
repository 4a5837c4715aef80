"""``sopkinerja status``: who has returned, who is missing or late, who has errors — from the ledger only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sopkinerja.timing import events
from sopkinerja.workspace import Workspace


@dataclass
class UnitReport:
    unit: str
    name: str
    status: str  # accepted, rejected, missing
    file: str | None = None
    received_at: datetime | None = None
    on_time: bool | None = None
    errors: int = 0
    warnings: int = 0
    superseded: list[str] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)  # unit-level SOP steps with a start and an end

    def document(self) -> dict:
        return {"unit": self.unit, "name": self.name, "status": self.status, "file": self.file,
                "steps_recorded": self.steps,
                "received_at": self.received_at.isoformat() if self.received_at else None,
                "on_time": self.on_time, "errors": self.errors, "warnings": self.warnings,
                "superseded": self.superseded}


@dataclass
class StatusReport:
    period: str
    deadline: datetime
    has_run: bool
    units: list[UnitReport]
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (file, the planner's reason)
    # Mail fetch left on the server for its size: (sender, subject, size in bytes, server's receipt time).
    mail_too_large: list[tuple[str | None, str | None, int, str]] = field(default_factory=list)

    def document(self) -> dict:
        return {"period": self.period, "deadline": self.deadline.isoformat(), "has_run": self.has_run,
                "units": [u.document() for u in self.units],
                "ignored": [{"file": f, "reason": "planner", "note": n} for f, n in self.ignored],
                "mail_too_large": [{"from": sender, "subject": subject, "size": size, "received_at": received}
                                   for sender, subject, size, received in self.mail_too_large]}


def status(workspace: Workspace) -> StatusReport:
    """Read-only: no lock, no file is opened but the master and the ledger."""
    config = workspace.config
    master = workspace.master().master
    period = config.period.code
    inbox = workspace.relative(config.paths.inbox)
    with workspace.ledger() as ledger:
        has_run = ledger.has_run("run", period)
        rows = ledger.submissions_of(period)
        found = events(ledger, period)
        set_aside = [(f"{inbox}/{path}", note) for _, path, note in ledger.set_aside_files()]
        too_large = [(row[7], row[8], row[5], row[4]) for row in ledger.mail_in_log() if row[3] == "too-large"]
    recorded: dict[str, set[int]] = {}
    for event in found:
        if event.unit_code and (event.started_at or event.ended_at):
            recorded.setdefault(event.unit_code, set()).add(event.step)
    units = []
    for unit in master.units:
        mine = [r for r in rows if r["unit_code"] == unit.code]
        # The accepted answer stands even when a newer file was rejected (revision-rejected).
        current = next((r for r in reversed(mine) if r["status"] == "accepted"), None) or next(
            (r for r in reversed(mine) if r["status"] == "rejected"), None)
        if current is None:
            units.append(UnitReport(unit.code, unit.name, "missing", steps=sorted(recorded.get(unit.code, ()))))
            continue
        received = datetime.fromisoformat(current["received_at"])
        units.append(UnitReport(
            unit.code, unit.name, current["status"], _shown(inbox, current), received,
            received <= config.deadline, current["errors"], current["warnings"],
            [_shown(inbox, r) for r in mine if r["status"] == "superseded"],
            sorted(recorded.get(unit.code, ()))))
    return StatusReport(period, config.deadline, has_run, units, set_aside, too_large)


def _shown(inbox: str, row) -> str:
    """A submission as run shows it: the received path, and the data sheet when the workbook has several."""
    return f"{inbox}/{row['path']}" + (f"#{row['part']}" if row["part"] else "")
