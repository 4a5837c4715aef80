"""run at scale: cold, unchanged, after one resubmission; against the floor and the naive script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.fill import fill
from bench.synth import make_workspace
from sopkinerja.generate import build_spec, generate
from sopkinerja.workspace import open_workspace

GENERATED = datetime.fromisoformat("2026-09-28T08:00:00+07:00")
TIME = ["/usr/bin/time", "-f", "%e %M"]  # wall seconds, max RSS (KiB)


def _measure(args: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall time and peak memory (MiB) of one command in its own process."""
    completed = subprocess.run(TIME + args, capture_output=True, text=True, env=env)
    if completed.returncode not in (0, 3):
        raise RuntimeError(completed.stderr[-2000:])
    wall, rss = completed.stderr.strip().splitlines()[-1].split()
    return float(wall), int(rss) / 1024


def run(units: int, indicators: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="sk-runbench-"))
    try:
        root = make_workspace(tmp / "ws", units, indicators)
        workspace = open_workspace(root)
        result = generate(workspace, lambda: GENERATED)
        master, sop = workspace.master().master, workspace.sop()
        inbox = workspace.config.paths.inbox
        started = time.perf_counter()
        for item in result.workbooks:
            spec = build_spec(workspace, master, sop, master.unit(item.unit), item.request_id, GENERATED)
            fill(item.path, inbox / f"{item.unit}.xlsx", spec)
        fill_s = time.perf_counter() - started
        stamp = datetime(2026, 10, 5, 10).timestamp()
        for path in inbox.iterdir():
            os.utime(path, (stamp, stamp))
        files = sorted(inbox.iterdir())
        env = {**os.environ, "SOPKINERJA_NOW": "2026-10-12T09:00:00+07:00"}
        command = [sys.executable, "-m", "sopkinerja", "--project", str(root), "run", "--json"]
        cold = _measure(command, env)
        unchanged = _measure(command, env)
        first = result.workbooks[0]
        spec = build_spec(workspace, master, sop, master.unit(first.unit), first.request_id, GENERATED)
        fill(first.path, inbox / f"{first.unit}-perbaikan.xlsx", spec, factor=0.95)
        resubmitted = _measure(command, env)
        floor = _measure([sys.executable, "-m", "bench.floor", str(inbox), str(tmp / "floor.xlsx")])
        naive = _measure([sys.executable, "-m", "bench.naive", str(inbox), str(tmp / "naive.xlsx")])
        return {"units": units, "indicators": indicators, "cores": os.cpu_count(), "fill_s": fill_s,
                "files": len(files), "cold": cold, "unchanged": unchanged, "resubmitted": resubmitted,
                "floor": floor, "naive": naive}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
