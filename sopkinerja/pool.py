"""The process pool that generate and run use to work on both cores."""

from __future__ import annotations

import os


def worker_count(jobs: int) -> int:
    """One process per core, never more than there are jobs."""
    return max(1, min(os.cpu_count() or 1, jobs))


def spawn_pool(workers: int):
    """A ``spawn`` pool everywhere: the start method Windows has, so Linux tests prove it works."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
