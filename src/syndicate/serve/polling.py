"""Answering clients that poll a feed too hard.

Each client (its address and User-Agent) has, for each feed, a bucket of `allowance`
fetches that refills at one per max-age. A fetch without `If-None-Match` or
`If-Modified-Since` takes one; when none is left it gets `429 Too Many Requests` with a
`Retry-After` saying when the next one is due. A reader that fetches once per max-age is
never refused, however long it runs; a conditional request is never refused and takes
nothing (a 304 costs nothing). The table is of fixed size: past it, the client not seen
for longest is forgotten, and starts again with a full bucket.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from collections.abc import Iterable

SLOTS = 50_000  # clients and feeds remembered at once (about 10 MB)


class PollLimiter:
    def __init__(self, allowance: int, slots: int = SLOTS) -> None:
        self.allowance = allowance
        self.slots = slots
        self._buckets: OrderedDict[bytes, tuple[float, float]] = OrderedDict()  # key -> (fetches left, when)

    def refusal(self, client: str, feed: str, max_age: int, now: float) -> int | None:
        """None if this unconditional fetch of `feed` is within the client's allowance (and
        it is counted); else the seconds until it would be (Retry-After). `now`: a
        monotonic clock's time."""
        key = hashlib.blake2b(f"{client}\0{feed}".encode("utf-8", "replace"), digest_size=16).digest()
        left, then = self._buckets.pop(key, (float(self.allowance), now))
        if max_age > 0:
            left = min(float(self.allowance), left + (now - then) / max_age)
        else:
            left = float(self.allowance)
        refused = left < 1
        self._buckets[key] = (left if refused else left - 1, now)
        while len(self._buckets) > self.slots:
            self._buckets.popitem(last=False)
        return max(1, math.ceil((1 - left) * max_age)) if refused else None

    def __len__(self) -> int:
        return len(self._buckets)


def client_address(peer: str | None, headers: Iterable[tuple[bytes, bytes]], forwarded: bytes) -> str:
    """The client's address: the peer's, or, when `forwarded` (the lower-case name of a
    header the proxy in front sets, `server.forwarded_header`) is given, the last address
    in that header, the one the proxy itself added (any before it came from the client)."""
    if forwarded:
        values = [value for name, value in headers if name == forwarded]
        if values:
            last = values[-1].decode("latin-1").split(",")[-1].strip()
            if last:
                return last[:64]
    return peer or ""
