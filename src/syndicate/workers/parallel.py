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

Workers never outlive the process that started them: on Linux each asks the kernel to
kill it when its parent dies (however it dies, kill -9 included), and exits at once if
the parent died before it could ask. A SIGTERM to a `syndicate build` ends its workers
before the build itself ends, as it did before: at once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

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

# prctl(2): the signal a process gets when the thread that started it ends.
_PR_SET_PDEATHSIG = 1

# What the workers do: set just before they are forked, so each inherits it.
_work: tuple[Sequence[Callable[[], object]], Callable[[list[Any]], object]] = ((), list)


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
) -> Iterator[R]:
    """`keep` of what `makers` make, `batch` makers at a time, in their order; in `workers`
    processes when that is safe and there are at least `minimum` makers (default
    `_PARALLEL_FROM`). `keep` runs where the batch was made, so a worker can store its bytes
    itself and send back only what the caller needs."""
    bounds = [(start, min(start + batch, len(makers))) for start in range(0, len(makers), batch)]
    enough = len(makers) >= (_PARALLEL_FROM if minimum is None else minimum)
    if not (enough and workers > 1 and can_fork()):
        for start, end in bounds:
            yield keep([make() for make in makers[start:end]])
        return
    global _work
    _work = (makers, keep)
    try:
        with worker_pool(workers, "fork") as pool:
            yield from pool.map(_make_slice, bounds)
    finally:
        _work = ((), list)


@contextmanager
def worker_pool(workers: int, method: str) -> Iterator[ProcessPoolExecutor]:
    """A pool of `workers` processes started by `method` that never outlive this process:
    on an exception (KeyboardInterrupt included) or SIGTERM they are ended at once, not
    waited for."""
    # An executor rather than a Pool: a worker killed (by the OOM killer, say) fails the
    # build with BrokenProcessPool instead of leaving it waiting forever. With fork it
    # starts its workers before its own thread. The pool must be left in the thread that
    # made it: the kernel kills the workers when that thread ends.
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context(method),
        initializer=bind_to_parent,
        initargs=(os.getpid(),),
    )
    restore = end_on_sigterm(lambda: _end_workers(pool))
    try:
        yield pool
    except BaseException:
        _end_workers(pool)
        raise
    finally:
        pool.shutdown(cancel_futures=True)
        restore()


def bind_to_parent(parent: int) -> None:
    """In a worker: be killed when `parent` dies; exit now if it died already."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker's copy of the parent's
    if sys.platform == "linux":
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # it died before prctl: this process was given to another
        os._exit(1)


def _end_workers(pool: ProcessPoolExecutor) -> None:
    for process in list(pool._processes.values()):
        process.terminate()


def end_on_sigterm(end_workers: Callable[[], None]) -> Callable[[], None]:
    """Make SIGTERM call `end_workers`, then end this process as it would have ended (by
    the signal); the undo. Only where SIGTERM has no handler of its own (a server's)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return lambda: None
    owner = os.getpid()

    def end(signum: int, frame: FrameType | None) -> None:
        if os.getpid() == owner:  # not in a worker forked before it reset the handler
            end_workers()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    def restore() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    signal.signal(signal.SIGTERM, end)
    return restore


def can_fork() -> bool:
    """Whether workers may be forked from this process now: it has no other thread."""
    return threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()


def _make_slice(bounds: tuple[int, int]) -> Any:  # what keep returns
    makers, keep = _work
    start, end = bounds
    return keep([make() for make in makers[start:end]])
