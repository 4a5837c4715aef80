"""``sopkinerja demo``: the whole loop on the example agency, safe to repeat."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sopkinerja.clock import now
from sopkinerja.config import CONFIG_NAME
from sopkinerja.models import Period
from sopkinerja.workspace import init_workspace, open_workspace


@dataclass
class DemoResult:
    root: Path
    created: bool
    period: str
    units: int
    indicators: int
    sop_steps: int
    sop_minutes: int
    ledger: Path
    schema_version: int
    requests: list[dict] = field(default_factory=list)
    request_folder: Path | None = None
    warnings: list[str] = field(default_factory=list)
    run: dict = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        return {
            "workspace": str(self.root), "created": self.created, "period": self.period,
            "units": self.units, "indicators": self.indicators, "sop_steps": self.sop_steps,
            "sop_minutes": self.sop_minutes, "ledger": str(self.ledger),
            "schema_version": self.schema_version, "warnings": self.warnings,
            "requests": self.requests, "run": self.run,
        }

    def lines(self, msg) -> list[str]:
        return [
            msg("demo.workspace_created" if self.created else "demo.workspace_reused", path=self.root),
            msg("demo.master", units=self.units, indicators=self.indicators, period=self.period),
            msg("demo.sop", steps=self.sop_steps, minutes=self.sop_minutes),
            msg("demo.ledger", path=self.ledger),
            msg("demo.story"),
            msg("demo.requests", count=len(self.requests), folder=self.request_folder),
            *self.warnings,
            *[msg("demo.unit", unit=u["unit"], status=msg(f"demo.status_{u['status']}"), errors=u["errors"],
                  warnings=u["warnings"]) for u in self.run.get("units", [])],
            *self._why(msg),
            msg("demo.recap", html=self.root / self.run["outputs"]["recap_html"],
                xlsx=self.root / self.run["outputs"]["recap_xlsx"],
                csv=self.root / self.run["outputs"]["recap_csv"],
                e81=self.root / self.run["outputs"]["e81_xlsx"]) if self.run else "",
            *([msg("demo.exit_code")] if any(u["status"] != "accepted" for u in self.run.get("units", [])) else []),
        ]

    def _why(self, msg) -> list[str]:
        """Why each unit that is not simply accepted on time is what it is, from the run's own issues."""
        lines = []
        issues = self.run.get("issues", [])
        for unit in self.run.get("units", []):
            code = unit["unit"]
            if unit["status"] == "rejected":
                first = next((i for i in issues if i["unit"] == code and i["severity"] == "error"), None)
                lines.append(msg("demo.why_rejected", unit=code, errors=unit["errors"],
                                 example=first["message"] if first else "-",
                                 feedback=self.run["outputs"].get("feedback", {}).get(code, "-")))
            elif unit["status"] == "missing":
                lines.append(msg("demo.why_missing", unit=code))
            elif unit["on_time"] is False:
                lines.append(msg("demo.why_late", unit=code))
        return lines


# The year so far: (round, requests go out, deadline, the planner runs the recap, Kepala's disposition).
ROUNDS = (
    ("2026-TW1", "2026-04-01T08:00:00+07:00", "2026-04-10T16:00:00+07:00", "2026-04-13T09:00:00+07:00",
     "2026-03-31T09:00:00+07:00"),
    ("2026-TW2", "2026-07-01T08:00:00+07:00", "2026-07-10T16:00:00+07:00", "2026-07-13T09:00:00+07:00",
     "2026-06-30T09:00:00+07:00"),
)
GENERATED_AT = "2026-09-28T08:00:00+07:00"  # SOP steps 2-3: the requests go out on a Monday
RUN_AT = "2026-10-12T09:00:00+07:00"  # the planner runs the recap the Monday after the deadline
DISPOSITION_AT = "2026-09-25T09:00:00+07:00"


def run_demo(root: Path, messages) -> DemoResult:
    """Init the example agency if needed, play the year's earlier rounds (TW1, TW2: every unit
    answers), then the configured round: generate, fill as the units would, run. Safe to repeat."""
    from sopkinerja.generate import generate
    from sopkinerja.run import run

    root = Path(root).resolve()
    created = not (root / CONFIG_NAME).exists()
    if created:
        init_workspace(root, example=True, today=now().date(), messages=messages)
    workspace = open_workspace(root)
    report = workspace.master()
    sop = workspace.sop()
    new_id = _seeded_ids()  # fixed times and seeded request IDs: the demo gives the same recap every time
    for code, generated_at, deadline, run_at, disposition in ROUNDS:
        period = Period.parse(code)
        if period >= workspace.config.period or period.year != workspace.config.period.year:
            continue
        earlier = dataclasses.replace(workspace, config=dataclasses.replace(
            workspace.config, period=period, deadline=datetime.fromisoformat(deadline)))
        _play(earlier, report.master, generate(earlier, _at(generated_at), new_id=new_id),
              workspace.config.paths.inbox / code, disposition)
        run(earlier, _at(run_at))
    generated = generate(workspace, _at(GENERATED_AT), new_id=new_id)
    _play(workspace, report.master, generated, workspace.config.paths.inbox, DISPOSITION_AT)
    result = run(workspace, _at(RUN_AT))
    with workspace.ledger() as ledger:
        version = ledger.schema_version
    master = report.master
    return DemoResult(
        root=root, created=created, period=workspace.config.period.code,
        units=len(master.units), indicators=len(master.indicators),
        sop_steps=len(sop.steps), sop_minutes=sop.total_minutes,
        ledger=workspace.ledger_path, schema_version=version,
        requests=generated.document(messages)["workbooks"], request_folder=generated.folder,
        warnings=[w.render(messages) for w in generated.warnings],
        run=result.document(messages, workspace),
    )


def _play(workspace, master, generated, inbox: Path, disposition: str) -> None:
    """The units' answers to one round's requests (each unit answers once; repeating adds nothing)
    and the Kepala's disposition of the round (step 1, on paper)."""
    from sopkinerja import demofill

    for workbook in generated.workbooks:
        target = inbox / workbook.path.name
        if not target.exists():
            demofill.fill(workbook.path, target, workbook.unit, workspace.config.period, master)
    _record_disposition(workspace, datetime.fromisoformat(disposition))


def _record_disposition(workspace, at: datetime) -> None:
    """SOP step 1 happens on paper: the Kepala's disposition, recorded as `sopkinerja step 1` would."""
    from sopkinerja.timing import record_step

    step = workspace.sop().by_role("disposisi")
    if step is None:
        return
    with workspace.ledger() as ledger:
        done = ledger.has_step_event(workspace.config.period.code, step.number, "manual")
    if not done:
        record_step(workspace, step.number, at, at + timedelta(minutes=10), None, "Kepala Bappedalitbang",
                    at + timedelta(minutes=15))


def _at(moment: str):
    fixed = datetime.fromisoformat(moment)
    return lambda: fixed


def _seeded_ids():
    import random

    from sopkinerja.generate import CROCKFORD

    rng = random.Random("sopkinerja-demo")

    def new_id() -> str:
        token = "".join(rng.choice(CROCKFORD) for _ in range(16))
        return "SK-" + "-".join(token[i:i + 4] for i in range(0, 16, 4))

    return new_id
