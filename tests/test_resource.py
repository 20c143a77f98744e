"""Resources whose bytes live in the disk cache: read back when asked, kept while used,
and made again if the cache lost them."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import make_config, write

import syndicate.build.resource
from syndicate.build.builder import Builder, make_build
from syndicate.build.resource import OnDemand, RecentBytes, Stored
from syndicate.source.store import PostStore

NOW = datetime(2026, 6, 1, tzinfo=UTC)
POST = "---\ntitle: Post {n}\ndate: 2026-01-{n:02d}\ntags: [t{n}]\n---\nText of post {n}.\n"


@pytest.fixture
def recent(monkeypatch: pytest.MonkeyPatch) -> RecentBytes:
    fresh = RecentBytes(1 << 20)
    monkeypatch.setattr(syndicate.build.resource, "RECENT", fresh)
    return fresh


def test_with_a_cache_folder_bodies_are_read_back_from_disk(
    store: Path, tmp_path: Path, recent: RecentBytes
) -> None:
    for n in range(1, 6):
        write(store, f"p{n}.md", POST.format(n=n))
    config = make_config(store)
    build = Builder(config, tmp_path / "cache").build(PostStore(config).load(), NOW)
    expected = make_build(PostStore(config).load(), config, NOW)
    for path, resource in build.resources.items():
        assert isinstance(resource.content, Stored | OnDemand), path  # not held in memory
        assert resource.body == expected.resources[path].body, path
    page = build.resources["/posts/p3/"]
    assert recent.get((page.etag, "identity")) == page.body  # kept while used


def test_a_body_the_cache_lost_is_made_again(store: Path, tmp_path: Path, recent: RecentBytes) -> None:
    write(store, "p1.md", POST.format(n=1))
    config = make_config(store)
    build = Builder(config, tmp_path / "cache").build(PostStore(config).load(), NOW)
    with sqlite3.connect(tmp_path / "cache" / "outputs.sqlite3") as db:
        db.execute("DELETE FROM cached")
    assert b"Text of post 1." in build.resources["/posts/p1/"].body


def test_bodies_are_read_from_another_thread_while_the_builder_holds_the_cache(
    store: Path, tmp_path: Path, recent: RecentBytes
) -> None:
    write(store, "p1.md", POST.format(n=1))
    config = make_config(store)
    build = Builder(config, tmp_path / "cache").build(PostStore(config).load(), NOW)
    bodies: dict[str, bytes] = {}
    reader = threading.Thread(target=lambda: bodies.update({p: r.body for p, r in build.resources.items()}))
    reader.start()
    reader.join()
    assert (
        bodies["/posts/p1/"] == make_build(PostStore(config).load(), config, NOW).resources["/posts/p1/"].body
    )


def test_recent_bytes_keep_the_most_recently_used_within_the_budget() -> None:
    recent = RecentBytes(40)
    recent.put(("a", "identity"), b"x" * 10)
    recent.put(("b", "identity"), b"y" * 10)
    recent.put(("c", "identity"), b"z" * 10)
    assert recent.get(("a", "identity")) == b"x" * 10  # now the most recent
    recent.put(("d", "identity"), b"w" * 10)
    recent.put(("e", "identity"), b"v" * 10)  # 50 bytes: the least recent, b, goes
    assert recent.get(("b", "identity")) is None
    assert [recent.get((k, "identity")) is not None for k in "acde"] == [True, True, True, True]
    recent.put(("huge", "identity"), b"h" * 11)  # over a quarter of the budget: not kept
    assert recent.get(("huge", "identity")) is None


def test_a_cache_that_cannot_be_written_keeps_the_bodies_in_memory(
    store: Path, tmp_path: Path, recent: RecentBytes
) -> None:
    write(store, "p1.md", POST.format(n=1))
    (tmp_path / "a-file").write_text("")
    config = make_config(store)
    build = Builder(config, tmp_path / "a-file" / "cache").build(PostStore(config).load(), NOW)
    page = build.resources["/posts/p1/"]
    assert isinstance(page.content, bytes) and b"Text of post 1." in page.content
