"""Who reads the feeds: every feed request noted in an Audience (serve.audience) under the
reader its User-Agent names (serve.readers), the client known only by a hash of the day,
and the counts kept across restarts in `build.cache_dir`."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from syndicate.serve.audience import Audience
from syndicate.serve.readers import client_hash, identify, load_secret

log = logging.getLogger("syndicate")
AUDIENCE_FILE = "audience.json"
SAVE_EVERY = 300  # seconds between two saves while serving (and one when the server stops)
_EPOCH = date(1970, 1, 1)
_HASHES_KEPT = 10_000  # clients whose hash of the day is kept, not made again on each poll
# Feed requests noted before they are counted, all at once: a request then costs a list
# append, and a client polling a feed many times a second is counted in one step. Whatever
# reads the counts (/metrics, /stats/, a save) counts what is noted first.
_BATCH = 1024
_Noted = tuple[str, str, str, bool, bool, int]  # feed, address, User-Agent, conditional, refused, second


class Readership:
    def __init__(self, cache_dir: Path | None) -> None:
        self._secret = load_secret(cache_dir)
        self._path = cache_dir / AUDIENCE_FILE if cache_dir is not None else None
        self._audience = Audience()
        self._noted: list[_Noted] = []
        self._noting = threading.Lock()  # the server's loop notes, a worker thread may count
        self._counting = threading.Lock()
        self._hashes: dict[tuple[str, str], str] = {}  # (address, User-Agent) -> today's hash
        self._hashes_of: int | None = None  # the UTC day (since 1970) they are of
        if self._path is not None:
            self._audience, reason = Audience.load(self._path)
            if reason is not None:
                log.warning("%s", reason)

    @property
    def audience(self) -> Audience:
        """The counts, every request noted so far among them."""
        self.count()
        return self._audience

    def note(
        self, feed: str, address: str, user_agent: str, conditional: bool, refused: bool, when: float
    ) -> None:
        """One request of the feed at `feed` at `when` (a Unix time: the hashes follow UTC
        days; counted to the second)."""
        with self._noting:
            self._noted.append((feed, address, user_agent, conditional, refused, int(when)))
            full = len(self._noted) >= _BATCH
        if full:
            self.count()

    def count(self) -> None:
        """Count the requests noted since the last count, in the order they came."""
        with self._counting:
            with self._noting:
                noted, self._noted = self._noted, []
            for (feed, address, user_agent, conditional, refused, second), times in Counter(noted).items():
                reader = identify(user_agent)
                client = "" if reader.service else self._client(address, user_agent, second // 86400)
                self._audience.record(feed, reader, client, conditional, refused, float(second), times)

    def _client(self, address: str, user_agent: str, day: int) -> str:
        # Two HMACs a request were most of the cost of noting one (4 of 7 µs).
        if day != self._hashes_of or len(self._hashes) >= _HASHES_KEPT:
            self._hashes, self._hashes_of = {}, day
        key = (address, user_agent)
        known = self._hashes.get(key)
        if known is None:
            known = client_hash(address, user_agent, _EPOCH + timedelta(days=day), self._secret)
            self._hashes[key] = known
        return known

    def save(self) -> None:
        """Write the counts to the cache folder, if there is one; a failure is logged, and the
        counts kept in memory."""
        if self._path is None:
            return
        try:
            self.audience.save(self._path)
        except OSError as exc:
            log.warning("the reader counts could not be saved to %s: %s", self._path, exc.strerror or exc)
