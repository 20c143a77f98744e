"""A first build's work on every core: reading the store, making the outputs, writing
the site.

After the renderer's workers were done, a 10,000-post first build spent about 13
seconds making pages and feeds in one process while the other core waited, and
loading the store took another 2 seconds the same way. The work is a list of makers,
each a picklable call (a module-level function and its arguments, see
syndicate.outputs.output): a crew of workers (syndicate.workers.crew) does it, forked
or started as new Pythons, whatever else runs in this process. For fewer than
`_PARALLEL_FROM` makers it is done here, one after another; the results are the same
either way.
"""

from __future__ import annotations

import heapq
import math
import os
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from syndicate.workers.crew import Crew, Lost

T = TypeVar("T")
R = TypeVar("R")

# Below this many items, starting workers costs more than it saves.
_PARALLEL_FROM = 2000
# Workers when `build.workers` is 0: one per usable CPU, up to this many.
_MAX_AUTO_WORKERS = 8
# A container's CPU limit: cgroup v2, then v1 (each "quota period" in microseconds).
_CPU_QUOTAS = (
    (Path("/sys/fs/cgroup/cpu.max"),),
    (Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us")),
)


def worker_count(setting: int) -> int:
    """Processes for a first build: `build.workers`, or with 0 one per CPU this process may
    use (its CPU affinity, and its container's CPU limit), at most 8.

    os.cpu_count() would count the host's CPUs in a container limited to fewer, and each
    worker of a large first build holds hundreds of MiB (pages of the parent it touches
    become its own)."""
    if setting > 0:
        return setting
    return min(_usable_cpus(), _MAX_AUTO_WORKERS)


def _usable_cpus() -> int:
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    for files in _CPU_QUOTAS:
        try:
            quota, period = " ".join(path.read_text() for path in files).split()
            if quota not in ("max", "-1"):
                count = min(count, max(1, math.ceil(int(quota) / int(period))))
        except (OSError, ValueError, ZeroDivisionError):
            continue  # not there, or not as documented
        break
    return count


def make_in_batches(
    makers: Sequence[Callable[[], T]],
    batch: int,
    keep: Callable[[list[T]], R],
    workers: int,
    minimum: int | None = None,
    shared: Sequence[object] = (),
) -> Iterator[R]:
    """`keep` of what `makers` make, `batch` makers at a time, in their order; in `workers`
    processes when there are at least `minimum` makers (default `_PARALLEL_FROM`). `keep`
    runs where the batch was made, so a worker can store its bytes itself and send back
    only what the caller needs. Makers and `keep` must pickle; `shared` are objects many
    makers hold, sent to each worker once (see Crew)."""
    batches = [list(makers[start : start + batch]) for start in range(0, len(makers), batch)]
    enough = len(makers) >= (_PARALLEL_FROM if minimum is None else minimum)
    if not (enough and workers > 1):
        for makers_of_batch in batches:
            yield keep([make() for make in makers_of_batch])
        return
    crew = Crew(_make, partial(_keep_numbered, keep), workers, timeout=math.inf, shared=shared)
    numbered = [
        [(number, make) for make in makers_of_batch] for number, makers_of_batch in enumerate(batches)
    ]
    waiting: list[tuple[int, Any]] = []  # batches done before one that comes first
    following = 0
    try:
        for done in crew.run(numbered):
            if isinstance(done, Lost):
                raise RuntimeError(f"a worker process died ({done.died}) making the same output twice")
            heapq.heappush(waiting, done)
            while waiting and waiting[0][0] == following:
                yield heapq.heappop(waiting)[1]
                following += 1
    finally:
        crew.close()


def _make(item: tuple[int, Callable[[], T]]) -> tuple[int, T]:
    number, make = item
    return number, make()


def _keep_numbered(keep: Callable[[list[T]], R], made: list[tuple[int, T]]) -> tuple[int, R]:
    return made[0][0], keep([value for _, value in made])
