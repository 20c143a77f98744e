"""The disk cache reads and writes files made with other page sizes alike."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from syndicate.caching import diskcache
from syndicate.caching.diskcache import DiskCache


def test_a_cache_file_with_small_pages_is_used_as_it_is(tmp_path: Path) -> None:
    # As an earlier syndicate made it: SQLite's default 4 KB pages.
    old = sqlite3.connect(tmp_path / "rendered.sqlite3", isolation_level=None)
    old.execute("PRAGMA journal_mode=WAL")
    old.execute(diskcache._SCHEMA)
    old.execute(f"PRAGMA user_version = {diskcache._VERSION}")
    value = b"x" * 100_000
    old.execute("INSERT INTO cached VALUES ('kept', ?, ?)", (value, diskcache._checksum("kept", value)))
    assert old.execute("PRAGMA page_size").fetchone() == (4096,)
    old.close()
    cache = DiskCache(tmp_path, "rendered")
    assert cache.usable
    assert cache.get("kept") == b"x" * 100_000
    cache.put_many({"new": b"y" * 300_000, "small": b"z"})
    assert cache.get_many(["kept", "new", "small"]) == {
        "kept": b"x" * 100_000,
        "new": b"y" * 300_000,
        "small": b"z",
    }


def test_large_and_small_values_come_back_as_they_went_in(tmp_path: Path) -> None:
    values = {
        f"key {size}": bytes(range(256)) * (size // 256) + b"!" * (size % 256)
        for size in (0, 1, 65_535, 65_536, 400_001)
    }
    DiskCache(tmp_path, "outputs").put_many(values)
    reopened = DiskCache(tmp_path, "outputs")
    assert reopened.get_many(values) == values
    assert {key: reopened.get(key) for key in values} == values
