"""Full history (RFC 5005): archives a reader can walk back to the first post, which
never change when new posts arrive; JSON Feed paging over the same history; WebSub hubs."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

from conftest import make_config, write
from feedcheck import feedparser_ok, jing_validate
from lxml import etree

from syndicate.build.builder import Build, make_build
from syndicate.config import Config
from syndicate.source.store import PostStore

NOW = datetime(2027, 1, 1, tzinfo=UTC)
NS = {"a": "http://www.w3.org/2005/Atom", "fh": "http://purl.org/syndication/history/1.0"}
BASE = "https://blog.example/"


def add_posts(store: Path, first: int, last: int) -> None:
    for n in range(first, last + 1):
        date = f"2026-{1 + n // 28:02d}-{1 + n % 28:02d}"
        write(store, f"p{n:03}.md", f"---\ntitle: Post {n}\ndate: {date}\ncategory: C\n---\nBody {n}.\n")


def config_for(store: Path, **feed: object) -> Config:
    config = make_config(store)
    return dataclasses.replace(config, feed=dataclasses.replace(config.feed, limit=10, **feed))


def build_of(config: Config) -> Build:
    return make_build(PostStore(config).load(), config, NOW)


def links(document: bytes, rel: str) -> list[str]:
    return etree.fromstring(document).xpath(f"/a:feed/a:link[@rel='{rel}']/@href", namespaces=NS)


def path_of(url: str) -> str:
    return "/" + url.removeprefix(BASE)


def test_a_reader_walks_back_to_the_first_post(store: Path, tmp_path: Path) -> None:
    add_posts(store, 1, 45)
    build = build_of(config_for(store))
    seen: list[str] = []
    document = build.resources["/atom.xml"].body
    visited = ["/atom.xml"]
    while True:
        seen += [entry.title for entry in feedparser_ok(document).entries]
        older = links(document, "prev-archive")
        if not older:
            break
        visited.append(path_of(older[0]))
        document = build.resources[visited[-1]].body
        root = etree.fromstring(document)
        assert root.xpath("fh:archive", namespaces=NS), visited[-1]
        assert links(document, "current") == [f"{BASE}atom.xml"]
    assert visited == [
        "/atom.xml",
        "/archive/4/atom.xml",
        "/archive/3/atom.xml",
        "/archive/2/atom.xml",
        "/archive/1/atom.xml",
    ]
    assert set(seen) == {f"Post {n}" for n in range(1, 46)}
    assert links(build.resources["/archive/1/atom.xml"].body, "next-archive") == [f"{BASE}archive/2/atom.xml"]
    assert links(build.resources["/archive/4/atom.xml"].body, "next-archive") == []
    assert "/categories/c/archive/1/atom.xml" in build.resources  # category feeds have archives too
    assert not any("/tags/" in path and "/archive/" in path for path in build.resources)

    files = []
    for path, resource in build.resources.items():
        if path.endswith("atom.xml") and "/archive/" in path:
            files.append(tmp_path / (path.strip("/").replace("/", "-")))
            files[-1].write_bytes(resource.body)
    jing_validate(files)


def test_archives_do_not_change_when_new_posts_arrive(store: Path) -> None:
    add_posts(store, 1, 45)
    config = config_for(store)
    before = build_of(config)
    add_posts(store, 46, 50)
    after = build_of(config)
    for number in range(1, 5):
        for name in ("atom.xml", "feed.json"):
            path = f"/archive/{number}/{name}"
            if path != "/archive/4/atom.xml":
                assert after.resources[path].body == before.resources[path].body, path
    # The archive that was newest keeps its entries and gains one link, to the new archive.
    link = f'  <link href="{BASE}archive/5/atom.xml" rel="next-archive"/>\n'.encode()
    assert (
        after.resources["/archive/4/atom.xml"].body.replace(link, b"")
        == before.resources["/archive/4/atom.xml"].body
    )
    assert "/archive/5/atom.xml" in after.resources
    assert "/archive/5/atom.xml" not in before.resources
    assert links(after.resources["/atom.xml"].body, "prev-archive") == [f"{BASE}archive/5/atom.xml"]


def test_json_feed_pages_through_the_same_history(store: Path) -> None:
    add_posts(store, 1, 25)
    build = build_of(config_for(store))
    titles: list[str] = []
    path: str | None = "/feed.json"
    pages = 0
    while path:
        feed = json.loads(build.resources[path].body)
        titles += [item["title"] for item in feed["items"]]
        path = path_of(feed["next_url"]) if "next_url" in feed else None
        pages += 1
    assert pages == 3  # the subscription feed, then archives 2 and 1
    assert set(titles) == {f"Post {n}" for n in range(1, 26)}


def test_websub_hubs_in_every_feed(store: Path) -> None:
    add_posts(store, 1, 3)
    hubs = ("https://hub.example/", "https://other-hub.example/websub")
    build = build_of(config_for(store, websub_hubs=hubs))
    atom = build.resources["/atom.xml"].body
    assert links(atom, "hub") == list(hubs)
    assert links(atom, "self") == [f"{BASE}atom.xml"]
    rss = etree.fromstring(build.resources["/categories/c/rss.xml"].body)
    assert rss.xpath("/rss/channel/a:link[@rel='hub']/@href", namespaces=NS) == list(hubs)
    assert rss.xpath("/rss/channel/a:link[@rel='self']/@href", namespaces=NS) == [
        f"{BASE}categories/c/rss.xml"
    ]
    feed = json.loads(build.resources["/feed.json"].body)
    assert feed["hubs"] == [{"type": "WebSub", "url": hub} for hub in hubs]
    assert feedparser_ok(atom).feed.title
    without = build_of(config_for(store))
    assert links(without.resources["/atom.xml"].body, "hub") == []
