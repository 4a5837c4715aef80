"""A workspace: the folder holding sopkinerja.toml, the master, the inbox, outputs and the ledger."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sopkinerja.atomic import write_text
from sopkinerja.config import CONFIG_NAME, Config, load_config
from sopkinerja.errors import WorkspaceError
from sopkinerja.ledger import LEDGER_NAME, Ledger, workspace_lock
from sopkinerja.models import Period, Sop
from sopkinerja.sop import load_sop

if TYPE_CHECKING:
    from sopkinerja.master import MasterReport


@dataclass(frozen=True)
class Workspace:
    """An opened workspace: its validated configuration and where things live."""

    config: Config

    @property
    def root(self) -> Path:
        return self.config.root

    @property
    def ledger_path(self) -> Path:
        return self.config.paths.archive / LEDGER_NAME

    def relative(self, path: Path) -> str:
        """A path as the planner sees it from the workspace (``input/masuk/x.xlsx``), else in full."""
        try:
            return Path(path).resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def period_output(self, period: Period | None = None) -> Path:
        return self.config.paths.outbox / (period or self.config.period).code

    def ledger(self) -> Ledger:
        return Ledger.open(self.ledger_path)

    def master(self) -> MasterReport:
        from sopkinerja.master import load_master

        return load_master(self.config.paths.master, self.config.number_locale, self.cache_folder)

    @property
    def cache_folder(self) -> Path:
        """Derived data (master, recap blocks) that makes the next command faster; safe to delete."""
        return self.config.paths.archive / "cache"

    def sop(self) -> Sop:
        return load_sop(self.config.sop_file, self.config.agency)

    @contextlib.contextmanager
    def lock(self, wait_seconds: float = 10.0) -> Iterator[None]:
        with workspace_lock(self.config.paths.archive, wait_seconds):
            yield


def open_workspace(root: Path) -> Workspace:
    return Workspace(load_config(Path(root)))


@dataclass(frozen=True)
class InitResult:
    root: Path
    config: Path
    master: Path
    example: bool
    units: int
    indicators: int


def init_workspace(root: Path, example: bool, today: date, messages) -> InitResult:
    """Create a workspace; refuse if one (or a master) is already there."""
    from sopkinerja.example import EXAMPLE_DEADLINE, EXAMPLE_PERIOD, config_text, example_master
    from sopkinerja.masterbook import write_master

    root = Path(root)
    config_path, master_path = root / CONFIG_NAME, root / "input" / "master.xlsx"
    for existing in (config_path, master_path):
        if existing.exists():
            raise WorkspaceError("workspace.exists", path=str(root), file=str(existing))
    try:
        for folder in (root / "input" / "masuk", root / "output"):
            folder.mkdir(parents=True, exist_ok=True)
        master = example_master() if example else None
        write_master(master_path, master, messages)
        if example:
            period, deadline = EXAMPLE_PERIOD, EXAMPLE_DEADLINE
        else:
            period, deadline = _current_round(today)
        # The config last: a half-made workspace is never taken for a finished one.
        write_text(config_path, config_text(example, period, deadline))
    except OSError as exc:
        raise WorkspaceError("workspace.not_writable", path=str(root), detail=str(exc)) from None
    return InitResult(
        root, config_path, master_path, example,
        len(master.units) if master else 0, len(master.indicators) if master else 0,
    )


def _current_round(today: date) -> tuple[str, str]:
    """The quarter that ended most recently, due on the 10th of the month after it at 16:00 WIB, or
    the next working day of the default calendar (``period.default_deadline``, as ``period`` does)."""
    from sopkinerja.config import DAYS, CalendarConfig, _calendar
    from sopkinerja.models import Period
    from sopkinerja.period import default_deadline

    quarter = (today.month - 1) // 3  # 0 means the last quarter of the previous year
    year = today.year if quarter else today.year - 1
    quarter = quarter or 4
    calendar = _calendar({f"kalender.jam_kerja.{d}": None for d in DAYS} | {
        "kalender.libur_nasional": None, "kalender.cuti_bersama": None, "kalender.libur_tambahan": None},
        CalendarConfig().timezone)
    due = default_deadline(Period(year, "TW", quarter), calendar)
    return f"{year}-TW{quarter}", due.isoformat()
