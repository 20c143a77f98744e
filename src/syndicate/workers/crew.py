"""Work in processes that can be stopped: an item that runs past its time has its
worker killed, and comes back as Lost; everything else is done.

Python cannot stop a thread, and a signal's handler runs only between bytecodes, never
inside C code that loops: only a process can be stopped whatever it is doing. Each
worker takes a chunk of items at a time, tells the parent each time it finishes one
(an empty message on its pipe) when items have a time bound, so that the parent knows
which item runs and since when, and ends the chunk by `keep` of what it made, run where
it was made. Without a bound, a worker that dies has its chunk's first item tried alone.

A worker is forked while this process has no other thread (quick to start: the
modules are imported already), else started as a new Python (`python -c ...`) that
imports what `do` and `keep` need; unlike multiprocessing's "spawn", it never runs this
process's main script again, which a script without an `if __name__ == "__main__"`
guard does not survive. Either way it is sent its work and its items pickled, and uses
nothing else of this process: the same work runs the same in both, and a forked worker
never touches an object it inherited (a database connection, a lock) by mistake.
Workers never outlive this process (bind_to_parent): the kernel kills a worker when the
thread that started it ends, which a server's threads do only when it stops. A worker
found dead while it waited for work is replaced. A warning given once (warn_once) is
this process's to give, once, whichever of its workers came upon it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import io
import logging
import math
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
# prctl(2): the signal a process gets when the thread that started it ends.
_PR_SET_PDEATHSIG = 1
# Signals whose handlers in this process are this process's alone (see _Worker).
_PARENTS_SIGNALS = {signal.SIGINT, signal.SIGTERM}
# What a worker does: `do` to each item, `keep` of a chunk's, and `setup` first, if any;
# whether it tells the parent each time it finishes an item (only items with a time bound);
# the objects items share (see Crew).
_Work = tuple[
    Callable[[Any], Any], Callable[[list[Any]], Any], Callable[[], object] | None, bool, tuple[object, ...]
]
# A warning given once: its logger's name, and its text.
_Note = tuple[str, str]
# Warnings given once, by this process or for it (see warn_once), and when (monotonic).
_given: dict[_Note, float] = {}
_given_lock = threading.Lock()
_GIVEN_FOR = 3600.0  # seconds: a server whose cache file is damaged again later says so again
_GIVEN_KEPT = 1000  # distinct warnings remembered at most
_notes: list[_Note] | None = None  # in a worker: those the parent is to give, with the next reply


def warn_once(logger: logging.Logger, message: str) -> None:
    """Log `message` as a warning, unless this process or a worker it started did within the
    last hour. In a worker it is sent to the parent with the chunk's results, and given
    there: a command whose workers all come upon the same thing (a damaged cache file)
    says so once."""
    note = (logger.name, message)
    now = time.monotonic()
    with _given_lock:
        given = _given.get(note)
        if given is not None and now - given < _GIVEN_FOR:
            return
        if len(_given) >= _GIVEN_KEPT:
            _given.clear()
        _given[note] = now
    if _notes is not None:
        _notes.append(note)
    else:
        logger.warning("%s", message)


def _take_notes() -> list[_Note]:
    """In a worker: the warnings to send to the parent now."""
    taken = list(_notes or ())
    if _notes is not None:
        _notes.clear()
    return taken


@dataclass(frozen=True)
class Lost(Generic[T]):
    """An item that was not done: it ran past its time, or its worker died under it (how,
    such as "killed by SIGSEGV")."""

    item: T
    died: str | None = None


class Crew(Generic[T, R]):
    """Up to `size` worker processes doing `do` to each item of a chunk, then `keep` of the
    chunk's results; an item still running after `timeout` seconds is stopped. `do` and
    `keep` are pickled for a spawned worker: module-level functions, or objects of them.
    `setup`, if any, runs in each worker before it takes work, on no item's time (imports
    and caches that the first item would otherwise pay for). `shared` are objects many
    items refer to (a build's entries, each in dozens of feeds and pages): each worker is
    sent them once, and an item that holds one is sent with its number only. Idle workers
    are kept for the next run() until close()."""

    def __init__(
        self,
        do: Callable[[T], Any],
        keep: Callable[[list[Any]], R],
        size: int,
        timeout: float,
        setup: Callable[[], object] | None = None,
        shared: Iterable[object] = (),
    ) -> None:
        shared = tuple(shared)
        work: _Work = (do, keep, setup, timeout != math.inf, shared)
        self._work = pickle.dumps(work, pickle.HIGHEST_PROTOCOL)  # once for all its workers
        self._numbers = {id(one): number for number, one in enumerate(shared)}
        self._size = size
        self._timeout = timeout
        self._idle: list[_Worker] = []
        self.started = 0  # workers started so far: forked or spawned

    def run(self, chunks: Iterable[list[T]]) -> Iterator[R | Lost[T]]:
        """`keep` of each chunk, in the order they are done, and each item that was stopped:
        the rest of its chunk is done again by another worker. An item whose worker died
        under it (a crash, the OOM killer) is tried again alone, and lost if that dies too.
        An exception `do` or `keep` raised is raised here."""
        queue = deque(chunks)
        busy: dict[Connection, _Worker] = {}
        died: set[int] = set()  # ids of the items a worker died under once
        restore = end_on_sigterm(lambda: self._kill([*busy.values(), *self._idle]))
        try:
            while queue or busy:
                while queue and len(busy) < self._size:
                    worker = self._worker()
                    if worker.give(queue[0], self._timeout, self._numbers):
                        queue.popleft()
                        busy[worker.conn] = worker
                    elif worker.fresh:
                        raise RuntimeError("a worker process could not start")
                soonest = min(worker.deadline for worker in busy.values())
                left = None if soonest == math.inf else max(0.0, soonest - time.monotonic())
                for ready in wait(list(busy), left):
                    worker = busy[ready]  # type: ignore[index]  # one of those it was given
                    try:
                        message = worker.conn.recv_bytes()
                    except (EOFError, OSError):
                        del busy[worker.conn]
                        yield from self._died(worker, queue, died)
                        continue
                    if not message:
                        worker.finished_one(self._timeout)  # or started
                        continue
                    del busy[worker.conn]
                    self._idle.append(worker)
                    ok, value, notes = pickle.loads(message)
                    for name, text in notes:
                        warn_once(logging.getLogger(name), text)
                    if not ok:
                        raise value
                    yield value
                now = time.monotonic()
                for worker in list(busy.values()):
                    if worker.deadline <= now and not worker.conn.poll():
                        del busy[worker.conn]
                        self._kill([worker])
                        item, rest = worker.running()
                        if rest:
                            queue.appendleft(rest)
                        yield Lost(item)
        except BaseException:
            self._kill(list(busy.values()))  # in the middle of a chunk: of no more use
            raise
        finally:
            restore()

    def prepare(self) -> None:
        """Start a worker now if none is idle, so that the next run() need not wait for one."""
        if not any(worker.process.is_alive() for worker in self._idle):
            self._idle.append(self._worker())

    def close(self, forked_only: bool = False) -> None:
        """End the idle workers (only those that were forked): each is asked to, and killed
        if it has not within a second."""
        ending = [worker for worker in self._idle if worker.forked or not forked_only]
        self._idle = [worker for worker in self._idle if worker not in ending]
        for worker in ending:
            worker.stop()
        for worker in ending:
            worker.process.join(1)
            if worker.process.is_alive():
                self._kill([worker])

    def _worker(self) -> _Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker.process.is_alive():
                worker.fresh = False
                return worker
            self._kill([worker])  # ended while idle (from outside, or with its thread): reaped
        self.started += 1
        return _Worker(self._work)

    def _died(self, worker: _Worker, queue: deque[list[T]], died: set[int]) -> Iterator[Lost[T]]:
        self._kill([worker])
        code = worker.process.exitcode
        how = f"killed by {signal.Signals(-code).name}" if code and code < 0 else f"exit code {code}"
        if not worker.ready or worker.done == len(worker.chunk):  # no item's fault
            raise RuntimeError(f"a worker process died ({how}) before or after its items")
        item, rest = worker.running()
        if rest:
            queue.appendleft(rest)
        if id(item) in died:
            yield Lost(item, how)
        else:
            died.add(id(item))
            queue.appendleft([item])

    @staticmethod
    def _kill(workers: list[_Worker]) -> None:
        for worker in workers:
            worker.process.kill()
        for worker in workers:
            worker.process.join()
            worker.conn.close()


class _Worker:
    """One worker process, and the chunk it is doing."""

    def __init__(self, work: bytes) -> None:  # a pickled _Work
        self.forked = can_fork()
        self.conn, child = multiprocessing.Pipe()
        self.process: BaseProcess | _Started
        if self.forked:
            context = multiprocessing.get_context("fork")
            self.process = context.Process(
                target=_forked, args=(child, os.getpid()), daemon=True, name="syndicate-worker"
            )
            # A ^C at a terminal goes to its whole process group, and is the parent's to
            # act on (it ends the workers); a SIGTERM's handler here ends the workers too.
            # Blocked across the fork, both wait in the child until it has set its own.
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _PARENTS_SIGNALS)
            try:
                self.process.start()
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        else:
            self.process = _Started(child.fileno())
            self.conn.send(sys.path)  # where the worker finds what its work is made of
        self.conn.send_bytes(work)
        child.close()  # the worker's end: once it is gone, reading here ends
        self.fresh = True  # started for the chunk it is about to be given
        # Until it says it is ready, no item runs: a spawned worker takes a while to start.
        self.ready = False
        self.chunk: list[Any] = []
        self.done = 0  # items of the chunk done
        self.deadline = math.inf

    def give(self, chunk: list[Any], timeout: float, numbers: dict[int, int]) -> bool:
        """Send it a chunk, the shared objects in it by `numbers`; False if it is gone (it
        is then ended)."""
        try:
            self.conn.send_bytes(_dumps(chunk, numbers))
        except OSError:
            Crew._kill([self])
            return False
        self.chunk, self.done = chunk, 0
        self.deadline = time.monotonic() + timeout if self.ready else math.inf
        return True

    def finished_one(self, timeout: float) -> None:
        """It finished an item of its chunk, or started (and began the first)."""
        if self.ready:
            self.done += 1
        self.ready = True
        # After the last item it keeps the chunk (writes to a disk): no item of it is at fault.
        self.deadline = time.monotonic() + timeout if self.done < len(self.chunk) else math.inf

    def running(self) -> tuple[Any, list[Any]]:
        """The item it was doing, and the others of its chunk (those done were not kept)."""
        index = self.done
        return self.chunk[index], self.chunk[:index] + self.chunk[index + 1 :]

    def stop(self) -> None:
        with contextlib.suppress(OSError):  # gone already
            self.conn.send_bytes(pickle.dumps(None))


class _Started:
    """A worker started as a new Python process, with what a forked one has of a Process."""

    def __init__(self, fd: int) -> None:
        command = f"from syndicate.workers.crew import _started; _started({fd}, {os.getpid()})"
        # In a process group of its own, a ^C at the terminal never reaches it (see _Worker).
        self._popen = subprocess.Popen([sys.executable, "-c", command], pass_fds=[fd], process_group=0)

    @property
    def exitcode(self) -> int | None:
        return self._popen.poll()

    def is_alive(self) -> bool:
        return self._popen.poll() is None

    def kill(self) -> None:
        self._popen.kill()

    def join(self, timeout: float | None = None) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._popen.wait(timeout)


def _started(fd: int, parent: int) -> None:
    """A started worker's life (see _Started)."""
    bind_to_parent(parent)
    conn = Connection(fd)
    sys.path[:] = conn.recv()
    _serve(conn, pickle.loads(conn.recv_bytes()))


def _forked(conn: Connection, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    bind_to_parent(parent)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _PARENTS_SIGNALS)  # blocked by the parent
    # What it shares with the parent is never collected here: a collection writes to every
    # object it looks at, and so copies the parent's memory into this process page by page.
    gc.freeze()
    _serve(conn, pickle.loads(conn.recv_bytes()))


def _serve(conn: Connection, work: _Work) -> None:
    """A worker's life: chunks until the parent sends None, or goes."""
    global _notes
    _notes = []  # its warn_once() are the parent's to give
    do, keep, setup, report, shared = work
    if setup is not None:
        setup()
    conn.send_bytes(b"")  # ready
    while True:
        try:
            chunk = _loads(conn.recv_bytes(), shared)
        except EOFError:
            return
        if chunk is None:
            return
        try:
            made = []
            for item in chunk:
                made.append(do(item))
                if report:
                    conn.send_bytes(b"")
            reply: tuple[bool, Any] = (True, keep(made))
        except Exception as exc:
            reply = (False, exc)
        notes = _take_notes()
        try:
            conn.send_bytes(pickle.dumps((*reply, notes)))
        except pickle.PicklingError as exc:
            conn.send_bytes(pickle.dumps((False, RuntimeError(f"a worker's result: {exc}"), notes)))


def bind_to_parent(parent: int) -> None:
    """In a worker: be killed when `parent` dies; exit now if it died already."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker's copy of the parent's
    if sys.platform == "linux":
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # it died before prctl: this process was given to another
        os._exit(1)


def end_on_sigterm(end_workers: Callable[[], None]) -> Callable[[], None]:
    """Make SIGTERM call `end_workers`, then end this process as it would have ended (by
    the signal); the undo. Only where SIGTERM has no handler of its own (a server's)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return lambda: None

    def end(signum: int, frame: FrameType | None) -> None:
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


class _SharedPickler(pickle.Pickler):
    """Writes each shared object (see Crew) as its number."""

    def __init__(self, file: io.BytesIO, numbers: dict[int, int]) -> None:
        super().__init__(file, pickle.HIGHEST_PROTOCOL)
        self._numbers = numbers

    def persistent_id(self, obj: object) -> int | None:
        return self._numbers.get(id(obj))


class _SharedUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, shared: tuple[object, ...]) -> None:
        super().__init__(file)
        self._shared = shared

    def persistent_load(self, pid: object) -> object:
        assert isinstance(pid, int)
        return self._shared[pid]


def _dumps(chunk: object, numbers: dict[int, int]) -> bytes:
    if not numbers:
        return pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL)
    data = io.BytesIO()
    _SharedPickler(data, numbers).dump(chunk)
    return data.getvalue()


def _loads(data: bytes, shared: tuple[object, ...]) -> Any:
    return _SharedUnpickler(io.BytesIO(data), shared).load()
