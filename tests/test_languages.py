"""A site in two languages: a listing and feeds per language, translations that link each
other (on their pages and in the sitemap), and every feed still passing every checker."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser  # type: ignore[import-untyped]
import lxml.html
import pytest
from conftest import make_config, write
from feedcheck import feedparser_ok, jing_validate, strict_parse
from feedrules import findings
from lxml import etree

from syndicate.build.builder import Build, Builder
from syndicate.config import Config, FeedConfig, SiteConfig
from syndicate.source.store import PostStore

NOW = datetime(2026, 6, 1, tzinfo=UTC)
BASE = "https://blog.example/"
POSTS = {
    "zh-1.md": "title: 注意力\ndate: 2026-01-01\ntranslation: attention",
    "en-1.md": "title: Attention\ndate: 2026-01-02\nlang: en\ntranslation: attention",
    "zh-2.md": "title: 强化学习\ndate: 2026-01-03",
    "en-2.md": "title: Reinforcement\ndate: 2026-01-04\nlang: en",
    "zh-3.md": "title: 第三篇\ndate: 2026-01-05",
    "en-3.md": "title: Third\ndate: 2026-01-06\nlang: EN",  # the same language, however written
}
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def make(store: Path, posts: dict[str, str], limit: int = 2) -> tuple[Build, Config]:
    for name, front in posts.items():
        write(store, name, f"---\n{front}\n---\nText of {name}.\n")
    config = make_config(store, language="zh-CN")
    config = dataclasses.replace(config, feed=FeedConfig(limit=limit))
    return Builder(config).build(PostStore(config).load(), NOW), config


@pytest.fixture
def site(store: Path) -> Build:
    return make(store, POSTS)[0]


def titles(build: Build, path: str) -> list[str]:
    return [entry.title for entry in feedparser.parse(build.resources[path].body).entries]


def test_each_language_has_its_listing_and_feeds_and_the_site_keeps_all(site: Build) -> None:
    assert titles(site, "/languages/en/atom.xml") == ["Third", "Reinforcement"]  # feed.limit 2
    assert titles(site, "/languages/zh-cn/rss.xml") == ["第三篇", "强化学习"]
    items = json.loads(site.resources["/languages/en/feed.json"].body)["items"]
    assert [item["title"] for item in items] == ["Third", "Reinforcement"]
    assert titles(site, "/languages/en/archive/1/atom.xml") == ["Reinforcement", "Attention"]
    assert len(titles(site, "/atom.xml")) == 2 and "/archive/3/atom.xml" in site.resources  # all six
    page = lxml.html.document_fromstring(site.resources["/languages/en/"].body)
    assert page.get("lang") == "en"
    links = page.xpath("//main//article//h2/a/@href")
    assert links == [BASE + f"posts/{slug}/" for slug in ("en-3", "en-2", "en-1")]
    assert "English" in page.xpath("string(//main//h1)")
    assert "/languages/en/subscribe/" in site.resources


def test_the_opml_lists_every_languages_feed(site: Build) -> None:
    opml = etree.fromstring(site.resources["/feeds.opml"].body)
    urls = set(opml.xpath("//outline/@xmlUrl"))
    assert {BASE + "languages/en/atom.xml", BASE + "languages/zh-cn/atom.xml"} <= urls


def test_translations_link_each_other_on_their_pages(site: Build) -> None:
    for path, other, tag in (("/posts/zh-1/", "en-1", "en"), ("/posts/en-1/", "zh-1", "zh-CN")):
        page = lxml.html.document_fromstring(site.resources[path].body)
        visible = page.xpath("//p[@class='translations']/a")
        assert [(a.get("href"), a.get("hreflang")) for a in visible] == [(BASE + f"posts/{other}/", tag)]
        alternates = {
            (link.get("hreflang"), link.get("href")) for link in page.xpath("//head/link[@hreflang]")
        }
        assert alternates == {("en", BASE + "posts/en-1/"), ("zh-CN", BASE + "posts/zh-1/")}
    untranslated = lxml.html.document_fromstring(site.resources["/posts/zh-2/"].body)
    assert not untranslated.xpath("//p[@class='translations']") and not untranslated.xpath(
        "//link[@hreflang]"
    )


def test_the_sitemap_lists_each_translations_alternates(site: Build) -> None:
    sitemap = etree.fromstring(site.resources["/sitemap.xml"].body)
    by_page = {
        url.findtext(SITEMAP + "loc"): {
            (link.get("hreflang"), link.get("href")) for link in url.iter(XHTML + "link")
        }
        for url in sitemap.iter(SITEMAP + "url")
    }
    versions = {("en", BASE + "posts/en-1/"), ("zh-CN", BASE + "posts/zh-1/")}
    assert by_page[BASE + "posts/en-1/"] == by_page[BASE + "posts/zh-1/"] == versions
    assert by_page[BASE + "posts/en-2/"] == set()


def test_feeds_keep_each_translation_as_its_own_entry(site: Build) -> None:
    ids = [entry.id for entry in feedparser.parse(site.resources["/archive/1/atom.xml"].body).entries]
    assert len(ids) == len(set(ids)) == 2  # 注意力 and Attention, each its own id


def test_every_feed_of_a_two_language_site_passes_every_checker(site: Build, tmp_path: Path) -> None:
    atom = []
    for path, resource in site.resources.items():
        if resource.kind in ("feed", "archive") and path.endswith(".xml"):
            strict_parse(resource.body)
            feedparser_ok(resource.body)
            assert findings(resource.body) == [], path
            if path.endswith("atom.xml"):
                atom.append(tmp_path / f"{len(atom)}.xml")
                atom[-1].write_bytes(resource.body)
    assert len(atom) >= 8
    jing_validate(atom)


def test_a_site_in_one_language_has_no_language_listings(store: Path) -> None:
    build, _ = make(store, {name: front for name, front in POSTS.items() if name.startswith("zh")})
    assert not any(path.startswith("/languages/") for path in build.resources)


def test_a_translation_added_on_a_rebuild_is_a_fresh_build(store: Path) -> None:
    posts = {**POSTS, "zh-2.md": "title: 强化学习\ndate: 2026-01-03\ntranslation: rl"}
    _, config = make(store, POSTS)
    builder = Builder(config)
    builder.build(PostStore(config).load(), NOW)
    for name, front in posts.items():
        write(store, name, f"---\n{front}\n---\nText of {name}.\n")
    write(store, "en-2.md", f"---\n{POSTS['en-2.md']}\ntranslation: rl\n---\nText of en-2.md.\n")
    rebuilt = builder.build(PostStore(config).load(), NOW)
    fresh = Builder(dataclasses.replace(config, site=dataclasses.replace(config.site))).build(
        PostStore(config).load(), NOW
    )
    assert rebuilt.resources.keys() == fresh.resources.keys()
    assert [p for p in fresh.resources if rebuilt.resources[p].body != fresh.resources[p].body] == []
    assert b'hreflang="en"' in fresh.resources["/posts/zh-2/"].body
    assert isinstance(config.site, SiteConfig)


def test_the_subscribe_page_leads_to_each_languages_feeds(site: Build) -> None:
    page = lxml.html.document_fromstring(site.resources["/subscribe/"].body)
    links = page.xpath("//section[@id='languages']//a")
    assert [(a.text_content(), a.get("href")) for a in links] == [
        ("English", BASE + "languages/en/subscribe/"),
        ("中文", BASE + "languages/zh-cn/subscribe/"),
    ]
    english = lxml.html.document_fromstring(site.resources["/languages/en/subscribe/"].body)
    assert english.get("lang") == "en" and "Subscribe" in english.xpath("string(//main/h1)")
    assert BASE + "languages/en/atom.xml" in english.xpath("//code[@class='feed-url']/text()")
