"""The benchmarks still run (issue 20): a tiny agency through the run benchmark with a year of
history, and the example agency's year. Their numbers are not checked here (benchmarks only in
``make bench``); that they measure what they claim is: every round accepted, nothing warned."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("time", path="/usr/bin") is None or sys.platform == "win32",
                                reason="the run benchmark measures with /usr/bin/time")


@pytest.fixture(autouse=True)
def _bench_importable(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO))


def test_the_run_benchmark_plays_a_clean_year(tmp_path):
    import sqlite3
    from datetime import datetime

    from bench import run_bench
    from bench.synth import make_workspace
    from sopkinerja.run import run
    from sopkinerja.workspace import open_workspace

    root = make_workspace(tmp_path / "ws", 4, 12)
    _, result, folder, run_at = run_bench._year(root, 2)
    assert len(result.workbooks) == 4 and len(list(folder.iterdir())) == 4
    outcome = run(open_workspace(root), lambda: datetime.fromisoformat(run_at))
    assert outcome.issues == [] and {u.status for u in outcome.units} == {"accepted"}
    db = sqlite3.connect(open_workspace(root).ledger_path)
    try:
        rounds = db.execute("SELECT period, status, COUNT(*) FROM submissions GROUP BY 1, 2 ORDER BY 1").fetchall()
    finally:
        db.close()
    assert rounds == [("2026-TW1", "accepted", 4), ("2026-TW2", "accepted", 4), ("2026-TW3", "accepted", 4)]


def test_the_run_benchmark_reports_every_row(tmp_path, monkeypatch):
    from bench import run_bench

    monkeypatch.setattr(run_bench, "GROWTH", (2,))
    report = run_bench.run(4, 12, history=1, growth=True)
    for key in ("cold", "unchanged", "resubmitted", "own_read", "floor", "naive"):
        wall, peak = report[key]
        assert wall > 0 and peak > 0, key
    assert sorted(report["growth"], key=int) == ["2", "4"]


def test_the_example_benchmark_plays_the_demo_year():
    from bench import example_bench

    report = example_bench.run()
    assert [r["period"] for r in report["rounds"]] == ["2026-TW1", "2026-TW2", "2026-TW3"]
    assert all(r["run_s"] > 0 and r["status_s"] > 0 for r in report["rounds"]) and report["help_s"] > 0


def test_the_profiling_helpers_prepare_time_and_resubmit(tmp_path):
    """``python -m bench.profile``: a prepared year runs with every stage timed, and a resubmission
    added after it is the one new file of the next run."""
    import io

    from bench import profile

    root = profile.prepare(tmp_path / "ws", 4, 12, 1)
    out = io.StringIO()
    cold = profile.phases(root, out, cprofile=tmp_path / "run.prof")
    shown = out.getvalue()
    assert {u.status for u in cold.units} == {"accepted"} and cold.new_files == 4
    assert [line.split()[0] for line in shown.splitlines()].count("check") == 1
    for label in ("master", "consolidate", "e81", "recap", "reports", "run"):
        assert label in shown.split(), label
    if sys.platform.startswith("linux"):
        assert "hwm" in shown
    assert (tmp_path / "run.prof").stat().st_size > 0
    fix = profile.resubmit(root, "a", 0.9, 2)
    assert fix.name == "U0000-a.xlsx" and fix.is_file()
    again = profile.phases(root, io.StringIO())
    assert again.new_files == 1 and {u.status for u in again.units} == {"accepted"}
    assert next(u for u in again.units if u.unit == "U0000").file.endswith("U0000-a.xlsx")
