"""Last-Modified: when this server first served each path's present bytes.

A post's date says when its author last touched it, not when the bytes of a page showing
it changed: an edit that keeps `updated`, a deleted newest post or a page gaining a link
all change bytes under the same date, and a client asking `If-Modified-Since` that date
would be told, wrongly, that it has them. So a path's Last-Modified is the second at which
a Build with its present bytes (its ETag) was first swapped in, one second later than the
path's last one at least: it moves forward whenever the bytes change and never back.

A restart starts again from its own time, later than any Last-Modified sent before it.
If-Modified-Since is answered with a 304 only when it is the exact Last-Modified of the
present bytes (as nginx does by default), never because it is later: another replica, or
this server before a restart, stamped its bytes with its own clock, and a later date from
it says nothing about the bytes here. The ETag remains the way to revalidate everywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime

from syndicate.build.resource import Resource


class LastModified:
    def __init__(self) -> None:
        self._stamps: dict[str, tuple[str, int]] = {}  # path -> (ETag, Unix second)
        self._lock = threading.Lock()

    def update(self, resources: Mapping[str, Resource], now: datetime) -> None:
        """Stamp the paths of a Build about to be served; forget the paths it no longer has
        (should one come back, the present time is later than its old stamp)."""
        second = int(now.timestamp())
        with self._lock:
            old = self._stamps
            stamps: dict[str, tuple[str, int]] = {}
            for path, resource in resources.items():
                known = old.get(path)
                if known is not None and known[0] == resource.etag:
                    stamps[path] = known
                else:
                    stamps[path] = (resource.etag, max(second, known[1] + 1) if known else second)
            self._stamps = stamps

    def of(self, path: str, resource: Resource) -> datetime | None:
        """The Last-Modified of `resource` served at `path`, or None for bytes not stamped
        (a Build not swapped in yet, or one just replaced)."""
        known = self._stamps.get(path)
        if known is None or known[0] != resource.etag:
            return None
        return datetime.fromtimestamp(known[1], UTC)
