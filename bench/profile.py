"""Profiling helpers on a prepared year (issue 20), so that no session has to write them again.

    python -m bench.profile prepare WS [--units N] [--indicators M] [--history H]
    python -m bench.profile phases WS [--cprofile FILE]
    python -m bench.profile resubmit WS [--name a] [--factor 0.9] [--hours 2]

``prepare`` plays the earlier rounds and fills the current one's files, as ``python -m bench run``
does before it times anything (1,000 units: ~25 min), and leaves the workspace: copy it (``cp -a``)
for each cold run to compare. ``phases`` runs ``run`` once in this process at the round's run time
and prints each stage's wall time and the process's RSS before and after and its peak (HWM) so far
(Linux; elsewhere wall time only); with ``--cprofile`` it also writes a cProfile of the whole run;
each stage's CPU time is this process's and its ended workers'. ``resubmit`` adds one more return
of the first unit (a new name each time, so each call is a new resubmission). Compare builds with a
git worktree of each commit on the same venv (``PYTHONPATH=<worktree>``), one after the other — and
from one worktree per workspace: the kept caches are keyed by the code, so a run from another
checkout makes them all again.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

# (module, attribute, label) of the stages ``phases`` times, in the order a run reaches them.
PHASES = (("sopkinerja.workspace", "Workspace.master", "master"), ("sopkinerja.ingest", "receive_inbox", "receive"),
          ("sopkinerja.run", "check_all", "check"), ("sopkinerja.decide", "record", "record"),
          ("sopkinerja.run", "consolidate", "consolidate"), ("sopkinerja.report.view", "build_view", "view"),
          ("sopkinerja.report.xlsx", "write_placeholder", "recap frame"), ("sopkinerja.report.html", "render", "html"),
          ("sopkinerja.forms.e81", "write", "e81"), ("sopkinerja.forms.lkjip", "write", "lkjip"),
          ("sopkinerja.report.rows", "build_all", "recap rows"), ("sopkinerja.report.xlsx", "splice_tables", "splice"),
          ("sopkinerja.run", "write_reports", "reports + forms"))


def memory() -> dict[str, int]:
    """VmRSS and VmHWM of this process in MiB (empty where /proc is not there)."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return {}
    return {key: int(rest.split()[0]) >> 10 for key, _, rest in (line.partition(":") for line in lines)
            if key in ("VmRSS", "VmHWM")}


def _timed(function, label: str, out):
    def timed(*args, **kwargs):
        import os

        before, started, cpu = memory(), time.perf_counter(), os.times()
        try:
            return function(*args, **kwargs)
        finally:
            after, spent = memory(), os.times()
            rss = (f"  rss {before['VmRSS']} -> {after['VmRSS']} MiB  hwm {after['VmHWM']} MiB"
                   if before and after else "")
            own = spent.user + spent.system - cpu.user - cpu.system
            workers = spent.children_user + spent.children_system - cpu.children_user - cpu.children_system
            print(f"{label:16s} {time.perf_counter() - started:8.2f} s  cpu {own:6.1f} + workers {workers:6.1f} s{rss}",
                  file=out, flush=True)
    return timed


def _round(period: str) -> int:
    """``period``'s place in the bench's year (``run_bench.YEAR``): the rounds played before it."""
    from bench.run_bench import YEAR

    codes = [code for code, *_ in YEAR]
    if period not in codes:
        raise SystemExit(f"{period} is not a round of the bench's year")
    return codes.index(period)


def phases(root: Path, out=sys.stdout, cprofile: Path | None = None):
    """One ``run`` in this process with each of ``PHASES`` timed; returns its result."""
    import importlib

    from sopkinerja.pool import settle_gc
    from sopkinerja.run import run
    from sopkinerja.workspace import open_workspace

    settle_gc()  # as the CLI does
    restore = []
    for module_name, attribute, label in PHASES:
        owner = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        restore.append((owner, name, getattr(owner, name)))
        setattr(owner, name, _timed(getattr(owner, name), label, out))
    try:
        workspace = open_workspace(root)
        from bench.run_bench import YEAR

        at = datetime.fromisoformat(YEAR[_round(workspace.config.period.code)][3])
        profiler = None
        if cprofile is not None:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        result = run(workspace, lambda: at)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(cprofile))
        print(f"{'run':16s} {time.perf_counter() - started:8.2f} s  {memory()}", file=out, flush=True)
        return result
    finally:
        for owner, name, original in reversed(restore):
            setattr(owner, name, original)


def prepare(root: Path, units: int, indicators: int, history: int) -> Path:
    from bench.run_bench import _year
    from bench.synth import make_workspace

    root = make_workspace(root, units, indicators)
    _year(root, history)
    return root


def resubmit(root: Path, name: str, factor: float, hours: int) -> Path:
    from bench.run_bench import YEAR, resubmission
    from sopkinerja.generate import generate
    from sopkinerja.workspace import open_workspace

    workspace = open_workspace(root)
    period = workspace.config.period.code
    history = _round(period)
    at = datetime.fromisoformat(YEAR[history][1])
    result = generate(workspace, lambda: at)  # the round's requests again: reused, not new
    return resubmission(workspace, result, workspace.config.paths.inbox / period, history, name, factor, hours)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("prepare", help="play the earlier rounds, fill the current one")
    made.add_argument("workspace", type=Path)
    made.add_argument("--units", type=int, default=1000)
    made.add_argument("--indicators", type=int, default=500)
    made.add_argument("--history", type=int, default=3)
    timed = commands.add_parser("phases", help="one run in this process, timed by stage")
    timed.add_argument("workspace", type=Path)
    timed.add_argument("--cprofile", type=Path)
    again = commands.add_parser("resubmit", help="the first unit sends its file again")
    again.add_argument("workspace", type=Path)
    again.add_argument("--name", default="perbaikan")
    again.add_argument("--factor", type=float, default=0.95)
    again.add_argument("--hours", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.command == "prepare":
        root = prepare(args.workspace, args.units, args.indicators, args.history)
        print(f"prepared {root} in {time.perf_counter() - started:.0f} s")
    elif args.command == "phases":
        phases(args.workspace, cprofile=args.cprofile)
    else:
        print(resubmit(args.workspace, args.name, args.factor, args.hours))


if __name__ == "__main__":
    main()
