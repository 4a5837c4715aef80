"""Crash safety and concurrency (issue 8).

``run`` is killed (SIGKILL, as a power cut would stop it) at many moments.
After each kill the ledger must pass SQLite's integrity check, the outputs
must be the previous complete set or the new complete set (or a switch the
journal names, which any next run finishes first), never a half-written
file; and the next run must end with exactly the outputs of a run that was
never interrupted.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import col, fill_all, fill_workbook, run_round

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX; the logic is the same")
NOW = "2026-10-12T09:00:00+07:00"
KILLS = 24
LATEST = 4  # times the reference run's duration: the last kill tried when none fell after the switch


def _command(root: Path) -> list[str]:
    return [sys.executable, "-m", "sopkinerja", "--project", str(root), "run", "--json"]


def _env() -> dict:
    return {**os.environ, "SOPKINERJA_NOW": NOW}


def _outputs(root: Path) -> dict[str, bytes]:
    folder = root / "output" / "2026-TW3"
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "permintaan" not in p.parts}


def _run(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(_command(root), capture_output=True, text=True, env=_env(), timeout=300)


@pytest.fixture
def before_and_after(round_ws, tmp_path):
    """A workspace after one complete run with new files waiting (``before``), and the outputs
    of an uninterrupted second run on a copy of it (``expected``)."""
    root, paths = round_ws
    fill_all(root, paths, skip=("LITBANG", "IPW"))
    assert _run(root).returncode == 3
    fill_all(root, {"LITBANG": paths["LITBANG"]})
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK-perbaikan.xlsx", received="2026-10-06T10:00:00+07:00",
                  mutate=lambda wb, rows: wb["Data Kinerja"].cell(row=next(iter(rows.values())), column=col("actual"),
                                                                  value=1))
    reference = tmp_path / "tanpa-gangguan"
    shutil.copytree(root, reference)
    started = time.perf_counter()
    assert _run(reference).returncode == 3
    duration = time.perf_counter() - started
    return root, _outputs(root), _outputs(reference), duration, reference


def test_killed_at_any_moment_the_next_run_finishes_the_job(before_and_after, tmp_path):
    root, old, new, duration, reference = before_and_after
    assert old != new
    moments = [0.05 + duration * 1.1 * k / (KILLS - 1) for k in range(KILLS)]
    seen = {"old": 0, "new": 0, "journal": 0}

    def later():  # a busy machine may run a victim slower than the reference: kill later, until one is done
        moment = moments[-1]
        while not seen["new"] and moment < duration * LATEST:
            moment *= 1.25
            yield moment

    for index, moment in enumerate(itertools.chain(moments, later())):
        victim = tmp_path / f"korban-{index}"
        shutil.copytree(root, victim)
        process = subprocess.Popen(_command(victim), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env())
        time.sleep(moment)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        # Its pool workers, if any, only read (files, the ledger read-only) and return data;
        # they exit on their own when the parent's pipe closes.
        db = sqlite3.connect(victim / "arsip" / "buku-besar.sqlite")
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()
        now = _outputs(victim)
        visible = {name: data for name, data in now.items() if not any(p.startswith(".") for p in Path(name).parts)}
        journal = (victim / "output" / "2026-TW3" / ".ganti-keluaran.json").exists()
        if journal:
            seen["journal"] += 1
        elif visible == {k: v for k, v in old.items()}:
            seen["old"] += 1
        elif visible == new:
            seen["new"] += 1
        else:
            pytest.fail(f"kill at {moment:.2f}s left a mix: "
                        f"{sorted(k for k in visible if visible.get(k) not in (old.get(k), new.get(k)))}")
        finished = _run(victim)
        assert finished.returncode == 3, finished.stderr[-2000:]
        assert _outputs(victim) == new, f"kill at {moment:.2f}s: the next run did not give the uninterrupted outputs"
        status = subprocess.run([sys.executable, "-m", "sopkinerja", "--project", str(victim), "status", "--json"],
                                capture_output=True, text=True, env=_env())
        expected = subprocess.run([sys.executable, "-m", "sopkinerja", "--project", str(reference), "status",
                                   "--json"], capture_output=True, text=True, env=_env())
        assert _comparable(json.loads(status.stdout)) == _comparable(json.loads(expected.stdout))
        shutil.rmtree(victim)
    assert seen["old"] and seen["new"], seen  # the moments span the whole run


def _comparable(document: dict) -> dict:
    return {"units": [{k: v for k, v in u.items() if k != "steps"} for u in document["units"]]}


def test_two_runs_at_once_one_waits_or_refuses(round_ws, run_cli):
    """A second run while the first holds the workspace: it waits for the lock, or refuses
    with a clear message after the wait; nothing is corrupted either way."""
    from sopkinerja.workspace import open_workspace

    root, paths = round_ws
    fill_all(root, paths)
    workspace = open_workspace(root)
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with workspace.lock():
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(10)
    try:
        refused = subprocess.run(_command(root), capture_output=True, text=True, timeout=120, env=_env())
    finally:
        release.set()
        holder.join()
    assert refused.returncode == 1  # waited 10 s for the lock, then refused
    assert "Traceback" not in refused.stderr
    message = json.loads(refused.stdout)["error"]["message"]
    assert "sedang dipakai oleh proses sopkinerja lain" in message, message
    both = [subprocess.Popen(_command(root), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
            for _ in range(2)]
    codes = sorted(p.wait(timeout=300) for p in both)
    for process in both:
        process.stdout.close()
        process.stderr.close()
    # The second waits for the first and then finds nothing changed (or, on a very slow
    # machine, refuses after its wait); both end cleanly.
    assert codes in ([0, 0], [0, 1]), codes
    db = sqlite3.connect(root / "arsip" / "buku-besar.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    assert run_round(root).unchanged is True  # the record is whole: nothing left to redo
