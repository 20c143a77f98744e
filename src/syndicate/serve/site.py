"""Keeping the Build current: rebuild on an interval and when a post falls due.

`Site` holds the Build being served. A rebuild makes a new Build and swaps
it in with one assignment, so a request that read `site.build` answers
wholly from one Build. A failed rebuild keeps the last good Build serving
and is remembered (and logged once) until a rebuild succeeds again.

A store that suddenly has no post to publish, under a site that has some, is taken
for a mistake (a volume not mounted, a folder moved, a bad sync) far more often than
for an author's wish: that rebuild fails too, and the site keeps serving its posts
until the store has some again or the server restarts (a start publishes the store as
it is, empty or not).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from syndicate.build.builder import Build, Builder
from syndicate.config import Config
from syndicate.serve.modified import LastModified
from syndicate.source.store import PostChanged, PostStore, StoreError

log = logging.getLogger("syndicate")
_ATTEMPTS = 3  # builds tried in one rebuild while posts keep changing under it
# New Builds between two full scans of the cycle collector (see Site._rebuild): about 10
# unreachable objects are frozen in 100 rebuilds, and a scan at 100,000 posts takes a second.
_THAW_EVERY = 100


@dataclass(frozen=True)
class RebuildError:
    message: str
    since: datetime  # first failure of this kind
    last: datetime  # most recent failure


@dataclass(frozen=True)
class Running:
    """The rebuild running now."""

    number: int  # rebuilds started before it, the first build included
    since: datetime
    started: float  # time.monotonic() then

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started


@dataclass
class RebuildStats:
    changed: int = 0  # rebuilds that made a new Build
    unchanged: int = 0  # rebuilds that found nothing to change
    failed: int = 0
    seconds: float = 0.0  # total time spent rebuilding
    last_seconds: float = 0.0
    # Of the last rebuild that made a new Build: the seconds until it was served (the rest
    # of last_seconds keeps its deferred outputs, see Builder.settle).
    last_served_after: float = 0.0


class Site:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = PostStore(config)
        self.builder = Builder(config, config.build.cache_dir)
        self.build: Build | None = None
        self.last_modified = LastModified()  # of the paths of the Build served
        self.error: RebuildError | None = None
        self.checked_at: datetime | None = None  # the last rebuild attempt
        self.stats = RebuildStats()
        self.running: Running | None = None
        self._started = 0  # rebuilds started
        self._reported = 0  # the last of them reported overdue
        # Called as listener(old, new) after a rebuild swapped in a changed Build.
        self.listeners: list[Callable[[Build, Build], None]] = []
        self._lock = threading.Lock()
        self._builds_frozen = 0  # new Builds so far: every _THAW_EVERY-th, frozen objects are scanned
        self._scheduler: BackgroundScheduler | None = None

    def rebuild(self, now: datetime | None = None) -> bool:
        """Make a new Build if anything changed; False (and the old Build kept) on failure."""
        with self._lock:
            # `now` is a due time when a scheduled post is due; a late timer must not build the past.
            now = max(now, datetime.now(UTC)) if now else datetime.now(UTC)
            self.checked_at = now
            started = time.perf_counter()
            self._watch(now)
            try:
                changed = self._rebuild(now)
            except Exception as exc:
                self.stats.failed += 1
                self._failed(exc, now)
                return False
            finally:
                self.stats.last_seconds = time.perf_counter() - started
                self.stats.seconds += self.stats.last_seconds
                self._finished()
            if changed:
                self.stats.changed += 1
            else:
                self.stats.unchanged += 1
            if self.error is not None:
                log.info("rebuild succeeded again after: %s", self.error.message)
                self.error = None
            self._schedule_due()
            return True

    @property
    def overdue(self) -> bool:
        """Whether a rebuild has been running for longer than `build.rebuild_overdue`."""
        running = self.running
        return running is not None and running.seconds > self.config.build.rebuild_overdue

    @property
    def degraded(self) -> bool:
        """Whether the Build served may not be the store's: the last rebuild failed, or was
        held back, or the one running is overdue."""
        return self.error is not None or self.overdue

    def _watch(self, now: datetime) -> None:
        """Note the rebuild starting, and have it reported if it is still running once overdue."""
        self._started += 1
        self.running = Running(self._started, now, time.monotonic())
        bound = self.config.build.rebuild_overdue
        if self._scheduler is not None:  # not the first build: no thread may run beside it (fork)
            self._scheduler.add_job(
                self._report_overdue,
                "date",
                run_date=now + timedelta(seconds=bound),
                args=[self._started],
                id="overdue",
                replace_existing=True,
                misfire_grace_time=None,
            )

    def _report_overdue(self, number: int) -> None:
        running = self.running
        if running is not None and running.number == number:
            self._reported = number
            log.warning(
                "a rebuild has been running for more than %d s (build.rebuild_overdue):"
                " the site served may be older than the store",
                self.config.build.rebuild_overdue,
            )

    def _finished(self) -> None:
        running, self.running = self.running, None
        if running is not None and running.number == self._reported:
            log.warning("the overdue rebuild ended after %.1f s", running.seconds)

    def _rebuild(self, now: datetime) -> bool:
        for attempt in range(1, _ATTEMPTS + 1):
            result = self.store.load()
            try:
                build = self.builder.build(result, now)
                break
            except PostChanged:  # an author saved a post mid-build: load the store again
                if attempt == _ATTEMPTS:
                    raise
        if build is self.build:
            return False  # nothing changed: the current Build is still exact
        _refuse_an_emptied_store(self.build, build)
        self.last_modified.update(build.resources, now)  # before it is served
        old, self.build = self.build, build
        if self.running is not None:
            self.stats.last_served_after = self.running.seconds
        # What the Build holds lives until the next rebuild replaces it. Frozen, Python's
        # cycle collector stops scanning it: at 100,000 posts a full scan of the ~2 million
        # objects takes over a second and fell in the middle of rebuilds. What a rebuild
        # leaves behind is freed as usual (by reference counts; a collection first takes
        # the few cycles), so this only spares work. A cycle that was frozen is never taken,
        # though: every _THAW_EVERY new Builds, everything is scanned once again.
        self._builds_frozen += 1
        if self._builds_frozen % _THAW_EVERY == 0:
            gc.unfreeze()
        gc.collect()
        gc.freeze()
        if old is not None:
            for listener in self.listeners:
                try:
                    listener(old, self.build)
                except Exception:  # the new Build is good and serving; only the listener failed
                    log.exception("after the rebuild, %r failed", listener)
        log.info(
            "built %d resources from %d posts (%d skipped)",
            len(self.build.resources),
            len(self.build.published),
            sum(p.severity == "error" for p in self.build.problems),  # the store's, and posts not rendered
        )
        try:
            self.builder.settle()
        except Exception:  # served all the same: each is made when asked for
            log.exception("after the rebuild, keeping its feeds in the cache failed")
        return True

    def _failed(self, exc: Exception, now: datetime) -> None:
        message = f"{type(exc).__name__}: {exc}" if not _is_expected(exc) else str(exc)
        if self.error is not None and self.error.message == message:
            self.error = RebuildError(message, self.error.since, now)
            return  # already logged: once per distinct error, not every interval
        self.error = RebuildError(message, now, now)
        if _is_expected(exc):
            log.error("rebuild failed, still serving the last good build: %s", message)
        else:
            log.exception("rebuild failed, still serving the last good build: %s", message)

    # Scheduling

    def start(self) -> None:
        """Rebuild every `build.interval` seconds, and at the moment each scheduled post is due."""
        scheduler = BackgroundScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
        scheduler.add_job(self.rebuild, "interval", seconds=self.config.build.interval, id="interval")
        self._scheduler = scheduler
        scheduler.start()
        self._schedule_due()
        self.builder.renderer.prepare()

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        self.builder.renderer.close()

    def _schedule_due(self) -> None:
        scheduler = self._scheduler
        due = self.build.next_due if self.build else None
        if scheduler is None or due is None:
            return
        # Build "as of" the due time itself, so a timer that wakes a hair early still publishes.
        scheduler.add_job(
            self.rebuild,
            "date",
            run_date=due,
            args=[due],
            id="due",
            replace_existing=True,
            misfire_grace_time=None,
        )


class StoreEmptied(StoreError):
    """The store has no post to publish any more, where the Build served has some."""


def _refuse_an_emptied_store(served: Build | None, new: Build) -> None:
    if served is not None and served.published and not new.published:
        raise StoreEmptied(
            f"the store has no post to publish any more (the site served has {len(served.published)}):"
            " still serving those; a restart publishes the store as it is"
        )


def _is_expected(exc: Exception) -> bool:
    return isinstance(exc, StoreError | OSError)
