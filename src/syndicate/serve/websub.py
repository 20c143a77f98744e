"""WebSub, publisher side: tell the hubs which feeds changed after a rebuild.

Announcements go out from one background thread, so they never hold up a rebuild
or a request. A failed attempt is retried with growing delays; every attempt is
logged and counted.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Iterable

import httpx2 as httpx

from syndicate.build.builder import Build
from syndicate.urls import absolute

log = logging.getLogger("syndicate.websub")


def changed_feeds(old: Build, new: Build, base_url: str) -> list[str]:
    """URLs of the subscription feeds whose bytes differ between two builds."""
    urls = []
    for path, resource in new.resources.items():
        if resource.kind != "feed":  # archives are not subscribed to
            continue
        before = old.resources.get(path)
        if before is None or before.etag != resource.etag:
            urls.append(absolute(base_url, path))
    return urls


class Publisher:
    def __init__(
        self, hubs: Iterable[str], *, attempts: int = 5, first_delay: float = 0.5, timeout: float = 10.0
    ) -> None:
        self.hubs = tuple(hubs)
        self.attempts = attempts
        self.first_delay = first_delay
        self.timeout = timeout
        self.counts: Counter[str] = Counter()  # attempts by result: "ok", "failed", "gave_up"
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def announce(self, feed_urls: Iterable[str]) -> None:
        for url in feed_urls:
            for hub in self.hubs:
                self._queue.put((hub, url))

    def on_rebuild(self, old: Build, new: Build, base_url: str) -> None:
        self.announce(changed_feeds(old, new, base_url))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="websub", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout, headers={"User-Agent": "syndicate-websub"}) as client:
            while not self._stopping.is_set():
                job = self._queue.get()
                if job is None:
                    return
                self._publish(client, *job)

    def _publish(self, client: httpx.Client, hub: str, url: str) -> None:
        delay = self.first_delay
        for attempt in range(1, self.attempts + 1):
            try:
                response = client.post(hub, data={"hub.mode": "publish", "hub.url": url})
                if response.status_code < 300:
                    self.counts["ok"] += 1
                    log.info(
                        "websub: told %s of %s (attempt %d): %d", hub, url, attempt, response.status_code
                    )
                    return
                reason = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                reason = f"{type(exc).__name__}: {exc}"
            self.counts["failed"] += 1
            log.warning("websub: telling %s of %s failed (attempt %d): %s", hub, url, attempt, reason)
            if self._stopping.wait(delay):
                return
            delay *= 2
        self.counts["gave_up"] += 1
        log.error("websub: gave up telling %s of %s after %d attempts", hub, url, self.attempts)
