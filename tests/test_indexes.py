"""OPML, sitemap and robots.txt; per-author listings; a post's image in pages and feeds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from conftest import make_config, write
from lxml import etree

import syndicate.outputs.indexes
from syndicate.build.builder import Build, make_build
from syndicate.source.store import PostStore

NOW = datetime(2026, 6, 1, tzinfo=UTC)
POST = "---\ntitle: {title}\ndate: 2026-01-0{day}\nauthor: {author}\ncategory: 强化学习\n{extra}---\nText.\n"


def build_of(store: Path) -> Build:
    config = make_config(store, author="Site Author")
    return make_build(PostStore(config).load(), config, NOW)


def test_opml_lists_every_feed(store: Path) -> None:
    write(store, "a.md", POST.format(title="A", day=1, author="Ann", extra="tags: [rl]\n"))
    build = build_of(store)
    root = etree.fromstring(build.resources["/feeds.opml"].body)
    assert root.get("version") == "2.0"
    urls = root.xpath("//outline/@xmlUrl")
    assert urls == [
        "https://blog.example/atom.xml",
        "https://blog.example/categories/%E5%BC%BA%E5%8C%96%E5%AD%A6%E4%B9%A0/atom.xml",
        "https://blog.example/tags/rl/atom.xml",
    ]
    assert b"feeds.opml" in build.resources["/"].body  # linked from the page


def test_sitemap_and_robots(store: Path) -> None:
    write(store, "a.md", POST.format(title="A", day=1, author="Ann", extra=""))
    build = build_of(store)
    root = etree.fromstring(build.resources["/sitemap.xml"].body)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = root.xpath("//s:loc/text()", namespaces=ns)
    assert "https://blog.example/posts/a/" in locs
    assert "https://blog.example/" in locs
    assert not any(loc.endswith((".xml", ".json", ".css")) for loc in locs)
    lastmod = root.xpath("//s:url[s:loc='https://blog.example/posts/a/']/s:lastmod/text()", namespaces=ns)
    assert lastmod == ["2025-12-31T16:00:00Z"]  # 2026-01-01 in Asia/Shanghai
    robots = build.resources["/robots.txt"].body.decode()
    assert "Sitemap: https://blog.example/sitemap.xml" in robots


def test_past_the_limit_the_sitemap_is_an_index_of_sitemaps(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for day in range(1, 8):
        write(store, f"p{day}.md", POST.format(title=f"P{day}", day=day, author="Ann", extra=""))
    single = build_of(store)
    monkeypatch.setattr(syndicate.outputs.indexes, "SITEMAP_LIMIT", 4)
    split = build_of(store)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    every = etree.fromstring(single.resources["/sitemap.xml"].body).xpath("//s:url", namespaces=ns)
    index = etree.fromstring(split.resources["/sitemap.xml"].body)
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    parts = index.xpath("//s:sitemap/s:loc/text()", namespaces=ns)
    assert parts == [f"https://blog.example/sitemap-{n}.xml" for n in range(1, len(parts) + 1)]
    listed = []
    for part in parts:
        urls = etree.fromstring(split.resources[part.removeprefix("https://blog.example")].body).xpath(
            "//s:url", namespaces=ns
        )
        assert 1 <= len(urls) <= 4
        listed += [tuple(url.itertext()) for url in urls]
    assert listed == [tuple(url.itertext()) for url in every]  # each page once, in the same order


def test_author_feeds_and_pages_only_with_several_authors(store: Path) -> None:
    write(store, "a.md", POST.format(title="A", day=1, author="Ann Lee", extra=""))
    assert not any(path.startswith("/authors/") for path in build_of(store).resources)
    write(store, "b.md", POST.format(title="B", day=2, author="Bo", extra=""))
    build = build_of(store)
    assert {"/authors/ann-lee/", "/authors/ann-lee/atom.xml", "/authors/bo/feed.json"} <= set(build.resources)
    feed = feedparser.parse(build.resources["/authors/bo/atom.xml"].body)
    assert [entry.title for entry in feed.entries] == ["B"]
    assert b'href="https://blog.example/authors/bo/"' in build.resources["/posts/b/"].body


def test_post_image_in_page_and_feeds(store: Path) -> None:
    write(store, "a.md", POST.format(title="A", day=1, author="Ann", extra="image: cover.png\n"))
    write(store, "b.md", POST.format(title="B", day=2, author="Ann", extra="image: javascript:alert(1)\n"))
    build = build_of(store)
    image = "https://blog.example/posts/a/cover.png"
    assert f'src="{image}"'.encode() in build.resources["/posts/a/"].body
    atom = etree.fromstring(build.resources["/atom.xml"].body)
    media = {"m": "http://search.yahoo.com/mrss/", "a": "http://www.w3.org/2005/Atom"}
    assert atom.xpath("//a:entry[a:title='A']//m:content/@url", namespaces=media) == [image]
    assert atom.xpath("//a:entry[a:title='A']//m:thumbnail/@url", namespaces=media) == [image]
    assert atom.xpath("//a:entry[a:title='B']//m:content", namespaces=media) == []
    rss = etree.fromstring(build.resources["/rss.xml"].body)
    assert rss.xpath("//item[title='A']//m:content/@url", namespaces=media) == [image]
    items = {item["title"]: item for item in json.loads(build.resources["/feed.json"].body)["items"]}
    assert items["A"]["image"] == image
    assert "image" not in items["B"]
