"""A first build's work on every core: reading the store, making the outputs.

After the renderer's workers were done, a 10,000-post first build spent about
13 seconds making pages and feeds in one process while the other core waited,
and loading the store took another 2 seconds the same way. That work is done
by closures over posts, entries, listings and the configuration, which cannot
be pickled for spawned workers; forked workers inherit them as they are. Fork
copies only the thread that calls it, so it is used only while the process has
no other thread: in `syndicate build` and in `serve`'s first build, before the
server and its schedule start. Anywhere else, and for fewer than
`_PARALLEL_FROM` items, the work is done here, one item after another; the
results are the same either way.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many items, starting workers costs more than it saves.
_PARALLEL_FROM = 2000

# What the workers do: set just before they are forked, so each inherits it.
_work: tuple[Sequence[Callable[[], object]], Callable[[list[Any]], object]] = ((), list)


def make_in_batches(
    makers: Sequence[Callable[[], T]], batch: int, keep: Callable[[list[T]], R]
) -> Iterator[R]:
    """`keep` of what `makers` make, `batch` makers at a time, in their order; on every
    core when that is safe and worth it. `keep` runs where the batch was made, so a
    worker can store its bytes itself and send back only what the caller needs."""
    workers = min(os.cpu_count() or 1, 8)
    bounds = [(start, min(start + batch, len(makers))) for start in range(0, len(makers), batch)]
    if not _can_fork(len(makers), workers):
        for start, end in bounds:
            yield keep([make() for make in makers[start:end]])
        return
    global _work
    _work = (makers, keep)
    # An executor rather than a Pool: a worker killed (by the OOM killer, say) fails the
    # build with BrokenProcessPool instead of leaving it waiting forever. With fork it
    # starts its workers before its own thread.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        yield from pool.map(_make_slice, bounds)
    finally:
        pool.shutdown(cancel_futures=True)
        _work = ((), list)


def _can_fork(count: int, workers: int) -> bool:
    return (
        count >= _PARALLEL_FROM
        and workers > 1
        and threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
    )


def _make_slice(bounds: tuple[int, int]) -> Any:  # what keep returns
    makers, keep = _work
    start, end = bounds
    return keep([make() for make in makers[start:end]])
