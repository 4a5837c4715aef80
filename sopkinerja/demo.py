"""``sopkinerja demo``: the whole loop on the example agency, safe to repeat."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sopkinerja.clock import now
from sopkinerja.config import CONFIG_NAME
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

    def document(self) -> dict[str, Any]:
        return {
            "workspace": str(self.root), "created": self.created, "period": self.period,
            "units": self.units, "indicators": self.indicators, "sop_steps": self.sop_steps,
            "sop_minutes": self.sop_minutes, "ledger": str(self.ledger),
            "schema_version": self.schema_version, "warnings": self.warnings,
            "requests": self.requests,
        }

    def lines(self, msg) -> list[str]:
        return [
            msg("demo.workspace_created" if self.created else "demo.workspace_reused", path=self.root),
            msg("demo.master", units=self.units, indicators=self.indicators, period=self.period),
            msg("demo.sop", steps=self.sop_steps, minutes=self.sop_minutes),
            msg("demo.ledger", path=self.ledger, version=self.schema_version),
            msg("demo.requests", count=len(self.requests), folder=self.request_folder),
            *self.warnings,
        ]


def run_demo(root: Path, messages) -> DemoResult:
    """Init the example agency if needed, then run every stage that exists (so far: generate)."""
    from sopkinerja.generate import generate

    root = Path(root).resolve()
    created = not (root / CONFIG_NAME).exists()
    if created:
        init_workspace(root, example=True, today=now().date(), messages=messages)
    workspace = open_workspace(root)
    report = workspace.master()
    sop = workspace.sop()
    generated = generate(workspace, now)
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
    )
