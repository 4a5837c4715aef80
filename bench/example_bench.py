"""The example agency's year as a planner lives it (issue 20): the demo's three rounds, each
``period`` -> ``generate`` -> the units' answers -> ``run``, every command timed as its own
process (interpreter start included, as on the planner's laptop); ``status`` and ``--help`` too."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

# (round, requests go out, deadline, the planner runs the recap): the demo's year (sopkinerja.demo).
ROUNDS = (("2026-TW1", "2026-04-01T08:00:00+07:00", "2026-04-10T16:00", "2026-04-13T09:00:00+07:00"),
          ("2026-TW2", "2026-07-01T08:00:00+07:00", "2026-07-10T16:00", "2026-07-13T09:00:00+07:00"),
          ("2026-TW3", "2026-09-28T08:00:00+07:00", "2026-10-09T16:00", "2026-10-12T09:00:00+07:00"))
TARGET_RUN_S, TARGET_QUICK_S = 2.0, 0.3


def _timed(args: list[str], at: str) -> float:
    env = {**os.environ, "SOPKINERJA_NOW": at}
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "sopkinerja", *args], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if completed.returncode not in (0, 3):
        raise RuntimeError(completed.stderr[-2000:])
    return wall


def run() -> dict:
    from sopkinerja import demofill
    from sopkinerja.i18n import Messages
    from sopkinerja.workspace import init_workspace, open_workspace

    tmp = Path(tempfile.mkdtemp(prefix="sk-example-"))
    try:
        root = tmp / "ws"
        init_workspace(root, example=True, today=date(2026, 3, 30), messages=Messages("id"))
        rounds = []
        for code, generated_at, deadline, run_at in ROUNDS:
            project = ["--project", str(root)]
            _timed([*project, "period", code, "--deadline", deadline, "--force"], generated_at)
            generate_s = _timed([*project, "generate"], generated_at)
            workspace = open_workspace(root)
            master = workspace.master().master
            folder = workspace.period_output() / "permintaan"
            for path in sorted(folder.glob("*.xlsx")):
                unit = next(u.code for u in master.units if path.stem.endswith(u.name))
                target = workspace.config.paths.inbox / code / path.name
                if not demofill.fill(path, target, unit, workspace.config.period, master):
                    continue  # the demo's unit that does not answer
                stamp = datetime.fromisoformat(run_at).timestamp() - 3 * 86400
                os.utime(target, (stamp, stamp))
            cold = _timed([*project, "run"], run_at)
            unchanged = _timed([*project, "run"], run_at)
            status = _timed([*project, "status"], run_at)
            rounds.append({"period": code, "generate_s": generate_s, "run_s": cold, "unchanged_s": unchanged,
                           "status_s": status})
        help_s = min(_timed(["--help"], ROUNDS[-1][3]) for _ in range(3))
        return {"rounds": rounds, "help_s": help_s, "target_run_s": TARGET_RUN_S, "target_quick_s": TARGET_QUICK_S}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
