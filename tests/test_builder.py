"""A Builder's rebuild makes only what changed, and the result is the same as a fresh build's."""

from __future__ import annotations

import dataclasses
import gc
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from conftest import make_config, write

from syndicate.build import builder as builder_module
from syndicate.build.builder import Build, Builder, make_build
from syndicate.build.resource import OnDemand, Stored
from syndicate.caching.diskcache import DiskCache
from syndicate.config import Config
from syndicate.posts import Post
from syndicate.render import renderer
from syndicate.serve import site as scheduler
from syndicate.serve.site import Site
from syndicate.source import store as store_module
from syndicate.source.store import PostStore, StoreResult
from syndicate.workers import parallel

NOW = datetime(2026, 6, 1, tzinfo=UTC)
T = TypeVar("T")
POST = "---\ntitle: {title}\ndate: 2026-01-{day:02d}\ncategory: {category}\ntags: [t{tag}]\n---\n{body}\n"


def fill(store: Path, count: int) -> None:
    for n in range(1, count + 1):
        text = POST.format(
            title=f"Post {n}", day=n % 28 + 1, category=f"c{n % 3}", tag=n % 5, body="Body " * n
        )
        write(store, f"p{n:03}.md", text)


def on_demand(build: Build) -> set[str]:
    """The paths of the resources made when first asked for: the pages of the listings."""
    return {path for path, resource in build.resources.items() if isinstance(resource.content, OnDemand)}


def built(store: Path, count: int) -> tuple[Config, PostStore, Builder]:
    """A store of `count` posts, and a Builder that has built it once."""
    fill(store, count)
    config = make_config(store)
    posts = PostStore(config)
    builder = Builder(config)
    builder.build(posts.load(), NOW)
    return config, posts, builder


def same(one: Build, two: Build) -> bool:
    return {p: (r.body, r.etag) for p, r in one.resources.items()} == {
        p: (r.body, r.etag) for p, r in two.resources.items()
    }


@pytest.fixture(params=["here", "in workers"])
def each_way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test runs twice: once with the outputs made in this process, once with every
    part of the work that can go to workers in two of them (reading, rendering, making),
    whatever the machine's CPUs."""
    if request.param == "here":
        yield
        return
    monkeypatch.setattr(parallel, "_usable_cpus", lambda: 2)
    monkeypatch.setattr(parallel, "_PARALLEL_FROM", 1)
    monkeypatch.setattr(renderer, "_PARALLEL_FROM", 1)
    workers = Counter[str]()
    make_in_batches = parallel.make_in_batches

    def counted(makers: Sequence[Callable[[], T]], *args: Any, **kwargs: Any) -> Iterator[Any]:
        if makers:  # with two CPUs and no threshold, to workers
            workers[getattr(makers[0], "func", makers[0]).__qualname__] += 1
        return make_in_batches(makers, *args, **kwargs)

    for module in (builder_module, store_module):
        monkeypatch.setattr(module, "make_in_batches", counted)
    yield
    assert workers["_read"] and (workers["Output.make"] or workers["_made"])  # the store, outputs


@pytest.mark.usefixtures("each_way")
def test_rebuild_after_one_edit_makes_only_what_shows_that_post(store: Path) -> None:
    fill(store, 60)
    config = make_config(store)
    posts = PostStore(config)
    builder = Builder(config)
    first = builder.build(posts.load(), NOW)
    assert builder.made == len(first.resources) - len(on_demand(first)) > 0

    builder.build(posts.load(), NOW)
    assert builder.made == 0

    # An old post changes: its page, the listing pages it is on, the feeds of its category
    # and tag (small enough to hold it) and the archives holding it; nothing else.
    write(store, "p028.md", POST.format(title="Post 28 edited", day=1, category="c1", tag=3, body="New"))
    edited = builder.build(posts.load(), NOW)
    changed = {path for path, resource in edited.resources.items() if first.resources[path] is not resource}
    feeds = {
        f"/{kind}/{name}"
        for kind in ("categories/c1", "tags/t3")
        for name in ("atom.xml", "rss.xml", "feed.json")
    }
    archives = {
        f"{root}archive/1/{name}" for root in ("/", "/categories/c1/") for name in ("atom.xml", "feed.json")
    }
    # The listing pages that show p028, one in each of the site, c1 and t3.
    listing_pages = {
        path
        for path, resource in first.resources.items()
        if path.startswith(("/page/", "/categories/c1/", "/tags/t3/")) or path == "/"
        if resource.media_type.startswith("text/html") and b"/posts/p028/" in resource.body
    }
    assert len(listing_pages) == 3
    assert changed == {"/posts/p028/"} | listing_pages | feeds | archives
    assert builder.made == len(changed - listing_pages)  # the listing pages are made when asked for
    assert listing_pages <= on_demand(edited)
    assert b"Post 28 edited" in edited.resources["/posts/p028/"].body
    assert same(edited, make_build(PostStore(config).load(), config, NOW))


@pytest.mark.usefixtures("each_way")
def test_added_and_deleted_posts_match_a_fresh_build(store: Path) -> None:
    config, posts, builder = built(store, 30)
    write(store, "new.md", POST.format(title="New", day=28, category="c9", tag=9, body="Fresh"))
    (store / "p003.md").unlink()
    rebuilt = builder.build(posts.load(), NOW)
    assert "/categories/c9/" in rebuilt.resources
    assert "/posts/p003/" not in rebuilt.resources
    assert same(rebuilt, make_build(PostStore(config).load(), config, NOW))


@pytest.mark.usefixtures("each_way")
def test_a_restart_reuses_outputs_from_the_disk_cache(store: Path, tmp_path: Path) -> None:
    fill(store, 30)
    config = make_config(store)
    first = Builder(config, tmp_path / "cache").build(PostStore(config).load(), NOW)
    restarted = Builder(config, tmp_path / "cache")
    again = restarted.build(PostStore(config).load(), NOW)
    assert restarted.made == 0
    assert restarted.renderer.rendered == 0
    assert same(again, first)
    write(store, "p005.md", POST.format(title="Post 5 edited", day=6, category="c2", tag=0, body="New"))
    edited = Builder(config, tmp_path / "cache").build(PostStore(config).load(), NOW)
    assert same(edited, make_build(PostStore(config).load(), config, NOW))


@pytest.mark.usefixtures("each_way")
def test_a_rebuild_serves_its_new_feeds_before_it_makes_and_keeps_them(store: Path, tmp_path: Path) -> None:
    """A rebuild leaves the feeds a new post changed to be made once its Build is served
    (Builder.settle): asked for before, each is made then, with the bytes and the ETag a
    fresh build gives; kept on disk after, a restart makes none of them."""
    fill(store, 30)
    config = make_config(store)
    builder = Builder(config, tmp_path / "cache")
    builder.build(PostStore(config).load(), NOW)
    write(store, "new.md", POST.format(title="New", day=28, category="c1", tag=2, body="Fresh"))
    rebuilt = builder.build(PostStore(config).load(), NOW)
    showing = {
        f"{root}{name}"
        for root in ("/", "/categories/c1/", "/tags/t2/")
        for name in ("atom.xml", "rss.xml", "feed.json")
    }
    kept = DiskCache(tmp_path / "cache", "outputs")
    waiting = {path for path in showing if isinstance(rebuilt.resources[path].content, Stored)}
    assert waiting == showing
    assert all(kept.get(_stored(rebuilt, path).name) is None for path in showing)

    fresh = make_build(PostStore(config).load(), config, NOW)
    assert same(rebuilt, fresh)  # read before settle(): made when asked for
    assert all(b"/posts/new/" in rebuilt.resources[path].body for path in showing)
    builder.settle()
    assert all(kept.get(_stored(rebuilt, path).name) == fresh.resources[path].body for path in showing)
    restarted = Builder(config, tmp_path / "cache")
    assert same(restarted.build(PostStore(config).load(), NOW), fresh)
    assert restarted.made == 0


def test_a_served_rebuild_keeps_its_feeds_on_disk(store: Path) -> None:
    fill(store, 10)
    site = Site(make_config(store))
    assert site.rebuild()
    write(store, "new.md", POST.format(title="New", day=28, category="c1", tag=2, body="Fresh"))
    assert site.rebuild() and site.build is not None
    name = _stored(site.build, "/atom.xml").name
    assert DiskCache(store.parent / ".cache", "outputs").get(name) == site.build.resources["/atom.xml"].body
    assert 0 < site.stats.last_served_after <= site.stats.last_seconds


def _stored(build: Build, path: str) -> Stored:
    content = build.resources[path].content
    assert isinstance(content, Stored), path
    return content


@pytest.mark.parametrize(
    ("section", "setting", "value"),
    [("server", "port", 8123), ("server", "log_format", "json"), ("build", "interval", 5)],
)
def test_settings_outputs_are_not_made_from_leave_the_disk_cache_warm(
    store: Path, tmp_path: Path, section: str, setting: str, value: object
) -> None:
    fill(store, 30)
    config = make_config(store)
    first = Builder(config, tmp_path / "cache").build(PostStore(config).load(), NOW)
    changed = dataclasses.replace(getattr(config, section), **{setting: value})
    config = dataclasses.replace(config, **{section: changed})
    restarted = Builder(config, tmp_path / "cache")
    assert same(restarted.build(PostStore(config).load(), NOW), first)
    assert restarted.made == 0


def test_a_post_saved_during_a_rebuild_is_built_in_its_new_version(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(store, 3)
    site = Site(make_config(store))
    real_load = site.store.load
    saves = []

    def load_then_save() -> StoreResult:
        result = real_load()
        if not saves:  # an author saves p002.md after the store was read, before its render
            saves.append(1)
            write(store, "p002.md", POST.format(title="Saved", day=9, category="c2", tag=2, body="Late"))
        return result

    monkeypatch.setattr(site.store, "load", load_then_save)
    assert site.rebuild()
    assert site.build is not None and site.error is None
    assert b"Late" in site.build.resources["/posts/p002/"].body


@pytest.mark.usefixtures("each_way")
@pytest.mark.parametrize(
    ("title", "category", "tag", "day"),
    [
        ("Post 10", "c1", 0, 11),  # the body only: the entry is swapped in place in every listing
        ("Post 10 retitled", "c1", 0, 11),
        ("Post 10", "C1", 0, 11),  # another spelling of the same category: its listing's name may change
        ("Post 10", "c1", 3, 11),  # another tag: another place, so listed again
        ("Post 10", "c1", 0, 2),  # another date: another place in every listing
    ],
)
def test_an_edit_matches_a_fresh_build(store: Path, title: str, category: str, tag: int, day: int) -> None:
    config, posts, builder = built(store, 30)
    text = POST.format(title=title, day=day, category=category, tag=tag, body="Only this changed")
    write(store, "p010.md", text)
    edited = builder.build(posts.load(), NOW)
    assert b"Only this changed" in edited.resources["/posts/p010/"].body
    assert same(edited, make_build(PostStore(config).load(), config, NOW))


@pytest.mark.usefixtures("each_way")
def test_several_edits_in_place_at_once_match_a_fresh_build(store: Path) -> None:
    config, posts, builder = built(store, 30)
    for n in (3, 17, 29):
        text = POST.format(
            title=f"Post {n}", day=n % 28 + 1, category=f"c{n % 3}", tag=n % 5, body=f"Edit {n}"
        )
        write(store, f"p{n:03}.md", text)
    edited = builder.build(posts.load(), NOW)
    assert builder.made > 0
    assert same(edited, make_build(PostStore(config).load(), config, NOW))


def test_a_served_site_keeps_no_old_version_of_a_post_alive(store: Path) -> None:
    """A server rebuilds for months: each edit must not leave the post's old version (and
    its HTML) reachable from what the next Builds reuse."""

    def text(n: int, body: str) -> str:  # titles no other test's posts have
        return POST.format(title=f"Kept {n}", day=n % 28 + 1, category=f"c{n % 3}", tag=n % 5, body=body)

    for n in range(1, 41):
        write(store, f"p{n:03}.md", text(n, "Old"))
    site = Site(make_config(store))
    assert site.rebuild()
    for n in range(1, 21):  # each an edit of another post, in place: same date and names
        write(store, f"p{n:03}.md", text(n, "New"))
        assert site.rebuild() and site.error is None
        assert site.build is not None
        for resource in site.build.resources.values():  # every page, feed and index made
            assert resource.body
    gc.unfreeze()  # a rebuild freezes what its Build holds, and get_objects skips frozen objects
    gc.collect()
    alive = Counter(
        thing.title
        for thing in gc.get_objects()
        if isinstance(thing, Post) and thing.title.startswith("Kept ")
    )
    assert {title: count for title, count in alive.items() if count > 1} == {}
    assert len(alive) == 40


def test_a_cycle_frozen_with_a_build_is_collected_in_the_end(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild freezes what is alive (gc.freeze) so the collector skips it; a cycle that
    became garbage after that must still be taken by a later full scan, or a server that
    runs for months keeps every one."""
    monkeypatch.setattr(scheduler, "_THAW_EVERY", 3)

    class Node:
        link: object = None

    fill(store, 3)
    site = Site(make_config(store))
    node = Node()
    node.link = node  # a cycle: only the cycle collector can free it
    gone = weakref.ref(node)
    assert site.rebuild()  # frozen with the first Build
    del node
    for n in range(1, 4):
        write(store, "p001.md", POST.format(title="Post 1", day=2, category="c1", tag=1, body=f"Edit {n}"))
        assert site.rebuild() and site.error is None
    assert gone() is None
