"""Caches on disk, so a restart does not render every post and page again.

Each is one SQLite file in `build.cache_dir` mapping a hash of everything a
value depends on to the value's bytes. A cache is only ever a shortcut: a
missing, unwritable or corrupt file means making the values again, never a
failed build.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger("syndicate")

_SCHEMA = "CREATE TABLE IF NOT EXISTS cached (key TEXT PRIMARY KEY, value BLOB NOT NULL)"
_BATCH = 500  # keys per query, below SQLite's limit on parameters


class DiskCache:
    def __init__(self, folder: Path, name: str) -> None:
        self.path = folder / f"{name}.sqlite3"
        self._db: sqlite3.Connection | None = None
        self._pid = os.getpid()  # whose connection _db is
        self._readers = threading.local()  # get() from other threads: a connection each
        self._read_failed = False
        try:
            self._db = self._open()
        except (OSError, sqlite3.Error) as exc:
            self._disable(f"cannot use the cache {self.path}: {exc}")

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = self._connect()
            db.execute("SELECT count(*) FROM cached").fetchone()
            return db
        except sqlite3.OperationalError:
            raise  # cannot open or write it (a read-only folder): not damage
        except sqlite3.DatabaseError:  # "file is not a database"
            log.warning("cache %s is damaged; starting a new one", self.path)
            self.path.unlink(missing_ok=True)
            return self._connect()

    def _writer(self) -> sqlite3.Connection | None:
        """The connection to write with: in a forked worker, one of its own, never the parent's."""
        if self._db is not None and self._pid != os.getpid():
            self._db, self._pid = None, os.getpid()  # the parent's: neither used nor closed here
            self._db = self._connect()
        return self._db

    def _connect(self) -> sqlite3.Connection:
        # Only the rebuild thread writes (the Site holds a lock), or the workers it forked.
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        # Values are whole pages and feeds, tens to hundreds of KB: in 64 KB pages (for a
        # new file; one that exists keeps its own) each takes a few pages instead of
        # dozens, which halves the time a first build spends writing them.
        db.execute("PRAGMA page_size=65536")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(_SCHEMA)
        return db

    def _disable(self, reason: str) -> None:
        log.warning("%s; rendering without it", reason)
        if self._db is not None:
            self._db.close()
        self._db = None

    @property
    def usable(self) -> bool:
        return self._db is not None

    def get(self, key: str) -> bytes | None:
        """One value, from any thread: the server reads bodies while a rebuild writes."""
        if self._db is None:
            return None
        try:
            reader: sqlite3.Connection | None = getattr(self._readers, "db", None)
            if reader is None or self._readers.pid != os.getpid():  # never one a parent opened (fork)
                reader = self._readers.db = sqlite3.connect(self.path, isolation_level=None)
                self._readers.pid = os.getpid()
            row = reader.execute("SELECT value FROM cached WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            if not self._read_failed:  # once, not once per request
                log.warning("cache read failed, making the value again: %s", exc)
                self._read_failed = True
            return None
        return row[0] if row is not None else None

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        if self._db is None:
            return found
        wanted = list(keys)
        try:
            for start in range(0, len(wanted), _BATCH):
                batch = wanted[start : start + _BATCH]
                marks = ",".join("?" * len(batch))
                rows = self._db.execute(f"SELECT key, value FROM cached WHERE key IN ({marks})", batch)
                found.update(rows)
        except sqlite3.Error as exc:
            self._disable(f"cache read failed: {exc}")
        return found

    def put_many(self, items: dict[str, bytes]) -> None:
        if self._db is None or not items:
            return
        try:
            db = self._writer()
            assert db is not None
            with db:
                db.execute("BEGIN")
                db.executemany("INSERT OR REPLACE INTO cached VALUES (?, ?)", items.items())
        except sqlite3.Error as exc:
            self._disable(f"cache write failed: {exc}")

    def oversized(self, live: int) -> bool:
        """Whether the file holds much more than the `live` values still used."""
        if self._db is None:
            return False
        try:
            (count,) = self._db.execute("SELECT count(*) FROM cached").fetchone()
        except sqlite3.Error as exc:
            self._disable(f"cache read failed: {exc}")
            return False
        return bool(count > 2 * live + 100)

    def keep_only(self, keys: set[str]) -> None:
        """Drop every value but those of `keys`."""
        if self._db is None:
            return
        try:
            with self._db:
                self._db.execute("BEGIN")
                self._db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (key TEXT PRIMARY KEY)")
                self._db.execute("DELETE FROM keep")
                self._db.executemany("INSERT INTO keep VALUES (?)", ((key,) for key in keys))
                self._db.execute("DELETE FROM cached WHERE key NOT IN (SELECT key FROM keep)")
        except sqlite3.Error as exc:
            self._disable(f"cache clean-up failed: {exc}")
