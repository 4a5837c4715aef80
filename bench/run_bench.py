"""run at scale with a year of history (issue 20): three earlier rounds generated, answered by
every unit and run (in this process, untimed), then the current round timed as its own process:
cold, nothing changed, after one resubmission; against the floor (calamine read of the round's
files + bare writes of the agency table and of the E.81's cells) and the naive script; and the
cold run's cost per unit at smaller sizes (the growth series)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench.fill import fill
from bench.synth import make_workspace

TIME = ["/usr/bin/time", "-f", "%e %M"]  # wall seconds, max RSS (KiB)
# (round, requests go out, deadline, the planner runs the recap): the year up to TW4.
YEAR = (("2026-TW1", "2026-04-01T08:00:00+07:00", "2026-04-10T16:00", "2026-04-13T09:00:00+07:00"),
        ("2026-TW2", "2026-07-01T08:00:00+07:00", "2026-07-10T16:00", "2026-07-13T09:00:00+07:00"),
        ("2026-TW3", "2026-09-28T08:00:00+07:00", "2026-10-09T16:00", "2026-10-12T09:00:00+07:00"),
        ("2026-TW4", "2027-01-04T08:00:00+07:00", "2027-01-11T16:00", "2027-01-13T09:00:00+07:00"))
SPENT_SHARE = 0.2  # of the pagu per round: four rounds spend 80 % of it
GROWTH = (100, 300)  # and the main size: cost per unit of a cold run with history


def _measure(args: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall time and peak memory (MiB) of one command in its own process."""
    completed = subprocess.run(TIME + args, capture_output=True, text=True, env=env)
    if completed.returncode not in (0, 3):
        raise RuntimeError(completed.stderr[-2000:])
    wall, rss = completed.stderr.strip().splitlines()[-1].split()
    return float(wall), int(rss) / 1024


def _round(root: Path, code: str, generated_at: str, deadline: str, received: datetime, factor: float = 1.0):
    """Point the workspace at ``code``, generate its requests and fill them all into
    ``input/masuk/<code>/`` (received at ``received``); the generate result."""
    from sopkinerja.generate import build_spec, generate
    from sopkinerja.period import move
    from sopkinerja.workspace import open_workspace

    move(root, code, deadline, force=True)
    workspace = open_workspace(root)
    at = datetime.fromisoformat(generated_at)
    result = generate(workspace, lambda: at)
    master, sop = workspace.master().master, workspace.sop()
    folder = workspace.config.paths.inbox / code
    folder.mkdir(parents=True, exist_ok=True)
    for item in result.workbooks:
        spec = build_spec(workspace, master, sop, master.unit(item.unit), item.request_id, at)
        target = folder / f"{item.unit}.xlsx"
        fill(item.path, target, spec, factor=factor, log_until=received, spent_share=SPENT_SHARE, year=True)
        os.utime(target, (received.timestamp(), received.timestamp()))
    return workspace, result, folder


def _year(root: Path, history: int):
    """The earlier rounds played in this process; the current round's requests filled. Returns
    (workspace, the current round's generate result, its inbox folder, its run time)."""
    from sopkinerja.run import run

    for code, generated_at, deadline, run_at in YEAR[:history]:
        workspace, _, _ = _round(root, code, generated_at, deadline, _received(generated_at))
        at = datetime.fromisoformat(run_at)
        run(workspace, lambda at=at: at)
    code, generated_at, deadline, run_at = YEAR[history]
    workspace, result, folder = _round(root, code, generated_at, deadline, _received(generated_at))
    return workspace, result, folder, run_at


def resubmission(workspace, result, folder: Path, history: int, name: str = "perbaikan", factor: float = 0.95,
                 hours: int = 1) -> Path:
    """The first unit sends its file again ``hours`` after the others, its values at ``factor``:
    ``<unit>-<name>.xlsx`` in the round's inbox ``folder``; its path."""
    from sopkinerja.generate import build_spec

    first = result.workbooks[0]
    master, sop = workspace.master().master, workspace.sop()
    at = datetime.fromisoformat(YEAR[history][1])
    spec = build_spec(workspace, master, sop, master.unit(first.unit), first.request_id, at)
    fix = folder / f"{first.unit}-{name}.xlsx"
    later = _received(YEAR[history][1]) + timedelta(hours=hours)
    fill(first.path, fix, spec, factor=factor, log_until=later, spent_share=SPENT_SHARE, year=True)
    os.utime(fix, (later.timestamp(), later.timestamp()))
    return fix


def _received(generated_at: str) -> datetime:
    """Every unit's file arrives six days after the requests, at 16.00, before the deadline."""
    return (datetime.fromisoformat(generated_at) + timedelta(days=6)).replace(hour=16)


def _cold(units: int, indicators: int, history: int, tmp: Path) -> tuple[float, float]:
    root = make_workspace(tmp / f"ws-{units}", units, indicators)
    _, _, _, run_at = _year(root, history)
    command = [sys.executable, "-m", "sopkinerja", "--project", str(root), "run", "--json"]
    measured = _measure(command, {**os.environ, "SOPKINERJA_NOW": run_at})
    shutil.rmtree(root, ignore_errors=True)
    return measured


def run(units: int, indicators: int, history: int = 3, growth: bool = True) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="sk-runbench-"))
    try:
        root = make_workspace(tmp / "ws", units, indicators)
        started = time.perf_counter()
        workspace, result, folder, run_at = _year(root, history)
        setup_s = time.perf_counter() - started
        files = sorted(folder.iterdir())
        env = {**os.environ, "SOPKINERJA_NOW": run_at}
        command = [sys.executable, "-m", "sopkinerja", "--project", str(root), "run", "--json"]
        cold = _measure(command, env)
        unchanged = _measure(command, env)
        fix = resubmission(workspace, result, folder, history)
        resubmitted = _measure(command, env)
        own_read = _read_one(fix, tmp)
        floor_inbox = tmp / "floor-inbox"
        floor_inbox.mkdir()
        for path in files:
            shutil.copy2(path, floor_inbox / path.name)
        floor = _measure([sys.executable, "-m", "bench.floor", str(floor_inbox), str(tmp / "floor.xlsx"),
                          str(tmp / "floor-e81.xlsx")])
        naive = _measure([sys.executable, "-m", "bench.naive", str(floor_inbox), str(tmp / "naive.xlsx")])
        shutil.rmtree(root, ignore_errors=True)
        series = {}
        if growth:
            for size in GROWTH:
                if size < units:
                    series[size] = _cold(size, indicators, history, tmp)
            series[units] = cold
        return {"units": units, "indicators": indicators, "history": history, "cores": os.cpu_count(),
                "setup_s": setup_s, "files": len(files), "cold": cold, "unchanged": unchanged,
                "resubmitted": resubmitted, "own_read": own_read, "floor": floor, "naive": naive,
                "growth": {str(k): v for k, v in sorted(series.items())}}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _read_one(path: Path, tmp: Path) -> tuple[float, float]:
    """The resubmitted file's own bare read (calamine), in its own process like the others."""
    folder = tmp / "one"
    folder.mkdir(exist_ok=True)
    shutil.copy2(path, folder / path.name)
    return _measure([sys.executable, "-m", "bench.floor", str(folder), str(tmp / "one.xlsx")])
