"""Caches on disk, so a restart does not render every post and page again.

Each is one SQLite file in `build.cache_dir` mapping a hash of everything a
value depends on to the value's bytes. A cache is only ever a shortcut: a
missing, unwritable or corrupt file means making the values again, never a
failed build.

Every value is stored with a checksum of its key and bytes: a value that comes back
otherwise (random bytes written over it, a torn page) is a miss, never bytes served.
A file SQLite reports as damaged, when opened or at any later read or write, is set
aside as `<name>.sqlite3.damaged-<time>` (the last one only) and a new one started,
with one warning. Each warning about a file is given once by a process and the workers
it started (crew.warn_once), though each worker has copies of its own of the caches it
was sent. Each connection checks, before it is used, that the path still names the file
it opened: after another process or thread set the file aside, or someone
deleted the cache folder, it opens the new one.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from syndicate.workers.crew import warn_once

log = logging.getLogger("syndicate")

T = TypeVar("T")

# Bump when the table's layout changes: a file of another version is emptied on open.
_VERSION = 2
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cached (key TEXT PRIMARY KEY, value BLOB NOT NULL, crc INTEGER NOT NULL)"
)
_BATCH = 500  # keys per query, below SQLite's limit on parameters
# SQLite's result codes for a file that is not, or no longer, a sound database.
_DAMAGE = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_FORMAT)
_DAMAGED = ".damaged-"
# Seconds a write waits for another connection's to end before the cache is given up.
_WRITE_WAIT = 120.0


def _checksum(key: str, value: bytes) -> int:
    return zlib.crc32(value, zlib.crc32(key.encode()))


def _sound(key: str, value: object, crc: object) -> bool:
    return isinstance(value, bytes) and crc == _checksum(key, value)


def is_damage(exc: sqlite3.Error) -> bool:
    """Whether SQLite says the file itself is broken (not locked, read-only or full)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _DAMAGE


class DiskCache:
    """One cache file. Pickled (sent to a worker process), it is its folder and name: the
    worker opens the file with connections of its own."""

    def __init__(self, folder: Path, name: str, disabled: bool = False, opened: bool = False) -> None:
        self.path = folder / f"{name}.sqlite3"
        self._name = name
        self._db: sqlite3.Connection | None = None
        self._inode: int | None = None  # the file _db was opened on
        self._readers = threading.local()  # get() from other threads: a connection each
        self._set_aside = False  # once a process: a disk that damages every file is given up
        self._read_failed = False
        self._unsound_seen = False
        self._lock = threading.Lock()
        # Sent by a process that opened it already (`opened`), it is opened when first used:
        # the check reads the whole table (count(*)), a tenth of a second for a large site's.
        self._disabled = disabled  # given up by the process that sent it: warned there already
        if not (disabled or opened):
            self._run(lambda db: db.execute("SELECT count(*) FROM cached").fetchone(), "open")

    def __reduce__(self) -> tuple[type[DiskCache], tuple[Path, str, bool, bool]]:
        return (DiskCache, (self.path.parent, self._name, self._disabled, True))

    # Connections

    def _connect(self) -> tuple[sqlite3.Connection, int]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Only the rebuild thread writes (the Site holds a lock), or the build's workers: a
        # first build's workers each write batches of tens of MB, and on a slow disk one
        # waited for another longer than sqlite's default 5 s, found the file "locked" and
        # went on without the cache. Waiting is right: the other's batch will end.
        db = sqlite3.connect(self.path, timeout=_WRITE_WAIT, check_same_thread=False, isolation_level=None)
        try:
            # Values are whole pages and feeds, tens to hundreds of KB: in 64 KB pages (for
            # a new file; one that exists keeps its own) each takes a few pages instead of
            # dozens, which halves the time a first build spends writing them.
            db.execute("PRAGMA page_size=65536")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            (version,) = db.execute("PRAGMA user_version").fetchone()
            if version != _VERSION:
                with db:
                    db.execute("BEGIN IMMEDIATE")
                    db.execute("DROP TABLE IF EXISTS cached")  # values without checksums
                    db.execute(_SCHEMA)
                    db.execute(f"PRAGMA user_version = {_VERSION}")
            return db, os.stat(self.path).st_ino
        except BaseException:
            db.close()
            raise

    def _current_inode(self) -> int | None:
        try:
            return os.stat(self.path).st_ino
        except OSError:
            return None

    def _writer(self) -> sqlite3.Connection:
        """The connection to write with: a new one when the path names another file than the
        one it opened."""
        if self._db is not None and self._inode != self._current_inode():
            self._db.close()
            self._db = None
        if self._db is None:
            self._db, self._inode = self._connect()
        return self._db

    def _reader(self) -> sqlite3.Connection:
        """This thread's connection for get(): never one of a file set aside."""
        local = self._readers
        db: sqlite3.Connection | None = getattr(local, "db", None)
        if db is not None and local.inode != self._current_inode():
            db.close()
            db = None
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = local.db = sqlite3.connect(self.path, isolation_level=None)
            local.inode = os.stat(self.path).st_ino
        return db

    def _run(self, op: Callable[[sqlite3.Connection], T], doing: str, reader: bool = False) -> T | None:
        """`op` on a connection; None if the cache cannot do it. A damaged file is set aside
        and `op` tried once more on a new one, as it is when the file was replaced under us."""
        for attempt in (1, 2):
            if self._disabled:
                return None
            inode = self._current_inode()
            try:
                return op(self._reader() if reader else self._writer())
            except (OSError, sqlite3.Error) as exc:
                if attempt == 1 and self._recovered(exc, inode):
                    continue
                if reader:
                    self._reader_failed(exc)
                else:
                    self._disable(f"cannot {doing} the cache {self.path}: {exc}")
                return None
        return None

    def _recovered(self, exc: BaseException, inode: int | None) -> bool:
        """Whether it is worth trying again: the file was replaced meanwhile, or was damaged
        and is set aside now."""
        if inode != self._current_inode():
            return True
        if not isinstance(exc, sqlite3.Error) or not is_damage(exc):
            return False
        with self._lock:
            if inode != self._current_inode():
                return True  # another thread set it aside first
            if self._set_aside:
                return False
            self._set_aside = True
            try:
                aside = self._move_aside()
            except FileNotFoundError:
                return True  # another process set it aside first
            except OSError as error:
                log.warning("cache %s is damaged (%s) and cannot be set aside: %s", self.path, exc, error)
                return False
        log.warning(
            "cache %s is damaged (%s): set aside as %s, starting a new one", self.path, exc, aside.name
        )
        return True

    def _move_aside(self) -> Path:
        """Rename the file to `<name>.damaged-<time>`, the only one kept; its WAL and shared
        memory go, so that the new file never takes in the old one's pages."""
        for old in self.path.parent.glob(self.path.name + _DAMAGED + "*"):
            old.unlink(missing_ok=True)
        aside = self.path.with_name(f"{self.path.name}{_DAMAGED}{time.strftime('%Y%m%dT%H%M%S')}")
        os.replace(self.path, aside)
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        return aside

    def _disable(self, reason: str) -> None:
        warn_once(log, f"{reason}; going on without it")
        if self._db is not None:
            self._db.close()
        self._db = None
        self._disabled = True

    def _reader_failed(self, exc: BaseException) -> None:
        if not self._read_failed:  # once, not once per request
            warn_once(log, f"cache {self.path}: a read failed, making the value again: {exc}")
            self._read_failed = True

    def _unsound(self) -> None:
        if not self._unsound_seen:  # once: each value is made again and written over it
            warn_once(log, f"cache {self.path} holds damaged values; making them again")
            self._unsound_seen = True

    # Values

    @property
    def usable(self) -> bool:
        return not self._disabled

    def get(self, key: str) -> bytes | None:
        """One value, from any thread: the server reads bodies while a rebuild writes."""

        def read(db: sqlite3.Connection) -> tuple[object, object] | None:
            row = db.execute("SELECT value, crc FROM cached WHERE key = ?", (key,)).fetchone()
            return None if row is None else (row[0], row[1])

        row = self._run(read, "read", reader=True)
        if row is None:
            return None
        value, crc = row
        if not _sound(key, value, crc):
            self._unsound()
            return None
        assert isinstance(value, bytes)
        return value

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        wanted = list(keys)

        def read(db: sqlite3.Connection) -> list[tuple[object, object, object]]:
            rows: list[tuple[object, object, object]] = []
            for start in range(0, len(wanted), _BATCH):
                batch = wanted[start : start + _BATCH]
                marks = ",".join("?" * len(batch))
                rows += db.execute(f"SELECT key, value, crc FROM cached WHERE key IN ({marks})", batch)
            return rows

        found: dict[str, bytes] = {}
        for key, value, crc in self._run(read, "read") or ():
            if isinstance(key, str) and _sound(key, value, crc):
                assert isinstance(value, bytes)
                found[key] = value
            else:
                self._unsound()
        return found

    def put_many(self, items: dict[str, bytes]) -> None:
        if not items:
            return

        def write(db: sqlite3.Connection) -> None:
            with db:
                db.execute("BEGIN")
                db.executemany(
                    "INSERT OR REPLACE INTO cached VALUES (?, ?, ?)",
                    ((key, value, _checksum(key, value)) for key, value in items.items()),
                )

        self._run(write, "write")

    def oversized(self, live: int) -> bool:
        """Whether the file holds much more than the `live` values still used."""
        found = self._run(lambda db: db.execute("SELECT count(*) FROM cached").fetchone(), "read")
        return found is not None and bool(found[0] > 2 * live + 100)

    def keep_only(self, keys: set[str]) -> None:
        """Drop every value but those of `keys`."""

        def clean(db: sqlite3.Connection) -> None:
            with db:
                db.execute("BEGIN")
                db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (key TEXT PRIMARY KEY)")
                db.execute("DELETE FROM keep")
                db.executemany("INSERT INTO keep VALUES (?)", ((key,) for key in keys))
                db.execute("DELETE FROM cached WHERE key NOT IN (SELECT key FROM keep)")

        self._run(clean, "clean up")
