"""Work on both cores: one ``spawn`` process pool, and one way to map jobs over it that a dying
worker cannot break (generate's workbooks, run's files, the recap's rows all use it)."""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path


def worker_count(jobs: int) -> int:
    """One process per core, never more than there are jobs."""
    return max(1, min(os.cpu_count() or 1, jobs))


# Python collects reference cycles after every 700 new objects; a run holds millions of long-lived
# ones (the master's indicators, the agency table), walked again and again. Collected 140 times
# less often (cycles still are): one resubmission at 1,000 units 13.9 s -> 11.3 s, the master's
# load 2.7 s -> 0.9 s (docs/performance.md).
GC_THRESHOLDS = (100_000, 20, 100)


MMAP_THRESHOLD = 128 * 1024  # bytes: glibc's default, kept fixed (settle_malloc)
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


def settle_gc() -> None:
    """This process's cycle collector at ``GC_THRESHOLDS`` and its allocator settled
    (``settle_malloc``): the CLI's process and every worker."""
    import gc

    gc.set_threshold(*GC_THRESHOLDS)
    settle_malloc()


def settle_malloc() -> bool:
    """On glibc, fix the size from which an allocation gets its own mapping at ``MMAP_THRESHOLD``.

    glibc raises that size each time such a block is freed (up to 32 MiB), so after the first big
    array of a run every later one (a column of 500,000 rows: 4 MiB) comes from the heap and its
    memory is not given back when freed: measured at 1,000 units, 80 MiB more peak in a
    resubmission (docs/performance.md). Setting it once stops the raising. Elsewhere (Windows,
    macOS, musl) nothing is done; False when not applied."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:  # the process's own symbols, libc's among them (ctypes.util.find_library runs ldconfig)
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1


def spawn_pool(workers: int):
    """A ``spawn`` pool everywhere: the start method Windows has, so Linux tests prove it works."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=settle_gc)


def map_jobs(function: Callable, jobs: Iterable, *, parallel: bool, workers: int = 1, window: int = 0,
             on_crash: Callable | None = None) -> Iterator:
    """``function(job)`` for every job, the results in job order.

    With ``parallel`` the jobs run in a spawn pool of ``workers`` processes, at most
    ``window`` queued at a time (0: all at once), so memory holds a window of jobs, not
    all of them; ``jobs`` is consumed lazily, which lets the caller prepare the next jobs
    (e.g. commit their ledger rows) while the first ones run. ``function`` must be a
    module-level function and every job picklable.

    When a worker process dies (the OS killed it: a hostile file, no memory), the pool is
    broken: the job whose result was lost and every job after it are answered by
    ``on_crash(job)`` in this process (default: ``function(job)`` run here).
    """
    if not parallel:
        yield from map(function, jobs)
        return
    from concurrent.futures.process import BrokenProcessPool

    pending, source, broken = deque(), iter(jobs), False
    limit = window or float("inf")
    rescue = on_crash or function
    with spawn_pool(workers) as pool:
        def fill() -> None:
            while len(pending) < limit:
                job = next(source, _END)
                if job is _END:
                    return
                pending.append((job, None if broken else pool.submit(function, job)))

        fill()
        while pending:
            job, future = pending.popleft()
            if future is not None and not broken:
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                else:
                    fill()
                    yield result
                    continue
            yield rescue(job)
            fill()


def run_alone(function: Callable, job, fallback: Callable):
    """``function(job)`` in a process of its own; ``fallback(job)`` when that process dies too.

    For untrusted input: after a crash, each remaining job runs alone, so only the job
    that kills its process fails.
    """
    return next(map_jobs(function, [job], parallel=True, on_crash=fallback))


_END = object()


@contextlib.contextmanager
def beside(function: Callable, args: tuple, instead: Callable[[], object]) -> Iterator[Callable[[], object]]:
    """``function(*args)`` started now in a spawn process of its own, while the caller goes on; the
    call yielded waits for it and gives its result — or ``instead()``'s, run here, when the
    process could not start or died. Leaving the block waits for the process."""
    from concurrent.futures.process import BrokenProcessPool

    with spawn_pool(1) as pool:
        try:
            job = pool.submit(function, *args)
        except (BrokenProcessPool, OSError):
            job = None

        def wait():
            if job is None:
                return instead()
            try:
                return job.result()
            except BrokenProcessPool:
                return instead()

        yield wait


def dump_columns(table, names: tuple[str, ...], also, path: Path) -> None:
    """``table``'s columns ``names`` and the object ``also`` into ``path`` for a spawn process
    (``load_columns``): a float column as its array, any other as one marshalled list. Pickling
    the frame would hold a memo entry for each of its millions of strings (hundreds of MiB at
    1,000 units) and the pickle whole; this writes one column at a time. ValueError when a
    column holds a value marshal does not carry (then hand nothing over)."""
    import marshal
    import pickle

    with open(path, "wb") as out:
        pickle.dump((len(table), names, also), out, protocol=5)
        for name in names:
            column = table[name]
            if column.dtype.kind == "f":
                pickle.dump(("array", column.to_numpy()), out, protocol=5)
            else:
                pickle.dump(("list", column.dtype, marshal.dumps(column.tolist(), 2)), out, protocol=5)


def load_columns(path: Path):
    """(a frame of the columns, the object) ``dump_columns`` wrote, each column of its own dtype."""
    import marshal
    import pickle

    import numpy as np
    import pandas as pd

    columns = {}
    with open(path, "rb") as source:
        count, names, also = pickle.load(source)
        for name in names:
            kind, *data = pickle.load(source)
            if kind == "array":
                columns[name] = data[0]
            else:
                dtype, blob = data
                values = np.empty(count, dtype=object)
                values[:] = marshal.loads(blob)
                columns[name] = pd.Series(values, dtype=dtype, copy=False)
    return pd.DataFrame(columns, copy=False), also
