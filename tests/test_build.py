"""The Build stage on the real example site (examples/site): determinism, every feed,
every page, the dates, and the `syndicate build` and `syndicate check` commands.

Expectations are worked out from the posts' own fields (titles, dates, categories,
tags) and from the example's known shape, never from the modules that make the
output. The expensive build of the example is made once per module.
"""

from __future__ import annotations

import calendar
import dataclasses
import email.utils
import fcntl
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo

import brotli
import lxml.html
import pytest
from conftest import EXAMPLE_CONFIG, make_config, write
from feedcheck import feedparser_ok, jing_validate, strict_parse
from lxml import etree

from syndicate.build.builder import Build, Builder, make_build
from syndicate.build.resource import OnDemand, Resource
from syndicate.build.writer import write_build
from syndicate.config import Config, load_config
from syndicate.posts import Post
from syndicate.source.store import PostStore, StoreResult
from syndicate.urls import slugify

CONTENT = EXAMPLE_CONFIG.parent / "content"
BASE = "http://127.0.0.1:8000/"
ID_PREFIX = "tag:signal-notes.example,2026:"
SHANGHAI = ZoneInfo("Asia/Shanghai")

# After every published post and before the scheduled one; no source file holds its year.
NOW = datetime(2029, 3, 17, 5, 43, 21, tzinfo=UTC)
EARLIER = datetime(2026, 11, 1, tzinfo=UTC)  # two builds with no post falling due between them
LATER = datetime(2027, 6, 1, tzinfo=UTC)

DRAFT_SOURCE = "drafts/2026-02-14-diffusion-draft.md"
FUTURE_SOURCE = "2031-06-01-future-announcement.md"
FUTURE_DATE = datetime(2031, 6, 1, 8, 0, tzinfo=SHANGHAI)
ESCAPING_TITLE = "Escaping <tags> & \"quotes\" in 'feeds'"

LIMIT = 20  # feed.limit
PER_PAGE = 12  # page.per_page
CATEGORY_SLUGS = ("computer-vision", "deep-learning", "nlp", "notes", "systems", "强化学习")
TAG_SLUGS = (
    *("asyncio", "cnn", "fine-tuning", "llm", "performance", "pose-estimation", "python", "research"),
    *("rl", "segmentation", "tooling", "transformer", "大模型", "论文笔记", "读书"),
)
LISTINGS = (
    "/",
    *(f"/categories/{slug}/" for slug in CATEGORY_SLUGS),
    *(f"/tags/{slug}/" for slug in TAG_SLUGS),
)
FEED_NAMES = ("atom.xml", "rss.xml", "feed.json")
FEED_TYPES = {
    "atom.xml": "application/atom+xml; charset=utf-8",
    "rss.xml": "application/rss+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
}
ATOM = "{http://www.w3.org/2005/Atom}"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


# --- the example, built once ------------------------------------------------


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(EXAMPLE_CONFIG, {})


@pytest.fixture(scope="module")
def store_result(config: Config) -> StoreResult:
    return PostStore(config).load()


@pytest.fixture(scope="module")
def builder(config: Config) -> Builder:
    """Made the example's `build`; later builds through it reuse what did not change."""
    return Builder(config)


@pytest.fixture(scope="module")
def build(builder: Builder, store_result: StoreResult) -> Build:
    return builder.build(store_result, NOW)  # a first build: everything made afresh


@pytest.fixture(scope="module")
def published(store_result: StoreResult) -> list[Post]:
    return [post for post in store_result.posts if not post.draft and post.date <= NOW]


@pytest.fixture(scope="module")
def draft(store_result: StoreResult) -> Post:
    return next(post for post in store_result.posts if post.source == DRAFT_SOURCE)


@pytest.fixture(scope="module")
def future(store_result: StoreResult) -> Post:
    return next(post for post in store_result.posts if post.source == FUTURE_SOURCE)


def with_store(config: Config, folder: Path) -> Config:
    return dataclasses.replace(config, store=dataclasses.replace(config.store, path=folder))


def listing_posts(posts: Sequence[Post], listing: str) -> list[Post]:
    """The posts a listing shows, newest first, from the posts' own category and tags."""
    if listing == "/":
        chosen = list(posts)
    else:
        kind, slug = listing.strip("/").split("/")
        if kind == "categories":
            chosen = [post for post in posts if post.category and slugify(post.category) == slug]
        else:
            chosen = [post for post in posts if any(slugify(tag) == slug for tag in post.tags)]
    return sorted(chosen, key=lambda post: post.date, reverse=True)


def page_count(listing: str, posts: Sequence[Post]) -> int:
    """How many pages the listing has: `PER_PAGE` posts a page, at least one page."""
    return max(1, -(-len(listing_posts(posts, listing)) // PER_PAGE))


def page_paths(listing: str, count: int) -> list[str]:
    """Page 1 (the listing's own path), then /page/2/ and on: the order posts are shown in."""
    return [listing, *(f"{listing}page/{number}/" for number in range(2, count + 1))]


def post_url(post: Post) -> str:
    return f"{BASE}posts/{quote(post.slug)}/"


def text_resources(build: Build) -> Iterator[tuple[str, str]]:
    for path, resource in build.resources.items():
        if not resource.media_type.startswith("image/"):
            yield path, resource.body.decode("utf-8")


# --- comparing builds -------------------------------------------------------


def differences(first: Build, second: Build) -> list[str]:
    """Every path, field and variant where two builds differ, for a readable failure."""
    found = []
    for path in sorted(first.resources.keys() | second.resources.keys()):
        a, b = first.resources.get(path), second.resources.get(path)
        if a is None or b is None:
            found.append(f"{path}: only in the {'second' if a is None else 'first'} build")
            continue
        if a.media_type != b.media_type:
            found.append(f"{path}: media type {a.media_type!r} != {b.media_type!r}")
        if a.compressible != b.compressible:
            found.append(f"{path}: compressible in one build only")
        for name in ("identity", "gzip", "br") if a.compressible else ("identity",):
            if (a.encoded(name), a.etag_of(name)) != (b.encoded(name), b.etag_of(name)):
                found.append(f"{path}: the {name} variant differs")
    return found


def assert_same_build(first: Build, second: Build) -> None:
    found = differences(first, second)
    assert not found, "\n".join(found)


def copy_store(source: Path, target: Path, *, reverse: bool, mtime_ns: Callable[[int], int]) -> None:
    """Copy every file, in sorted or reverse order, stamping the n-th copied file with mtime_ns(n)."""
    files = sorted(path for path in source.rglob("*") if path.is_file())
    for index, path in enumerate(reversed(files) if reverse else files):
        copy = target / path.relative_to(source)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(path.read_bytes())
        os.utime(copy, ns=(mtime_ns(index), mtime_ns(index)))


@dataclass(frozen=True)
class Copies:
    sorted_config: Config
    sorted_store: StoreResult
    sorted_build: Build  # at EARLIER
    reversed_build: Build  # at EARLIER


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory, config: Config) -> Copies:
    root = tmp_path_factory.mktemp("copies")
    one_time = 978_307_200 * 10**9  # 2001-01-01 for every file
    copy_store(CONTENT, root / "sorted", reverse=False, mtime_ns=lambda n: one_time)
    # Reverse order, each file an hour apart, some in the future.
    copy_store(
        CONTENT, root / "reversed", reverse=True, mtime_ns=lambda n: (2_000_000_000 + 3600 * n) * 10**9
    )
    sorted_config = with_store(config, root / "sorted")
    reversed_config = with_store(config, root / "reversed")
    sorted_store = PostStore(sorted_config).load()
    return Copies(
        sorted_config=sorted_config,
        sorted_store=sorted_store,
        sorted_build=make_build(sorted_store, sorted_config, EARLIER),  # a fresh Builder each
        reversed_build=make_build(PostStore(reversed_config).load(), reversed_config, EARLIER),
    )


# --- the example itself -----------------------------------------------------


def test_the_example_has_34_published_posts_a_draft_and_a_scheduled_post(
    store_result: StoreResult, published: list[Post], config: Config
) -> None:
    assert store_result.problems == ()
    assert len(store_result.posts) == 36
    assert len(published) == 34
    unpublished = {post.source for post in store_result.posts} - {post.source for post in published}
    assert unpublished == {DRAFT_SOURCE, FUTURE_SOURCE}
    for post in store_result.posts:
        assert post.id == post.source.removesuffix(".md")  # no post sets an id of its own
    assert (config.feed.limit, config.page.per_page) == (LIMIT, PER_PAGE)
    assert {slugify(post.category) for post in published if post.category} == set(CATEGORY_SLUGS)
    assert {slugify(tag) for post in published for tag in post.tags} == set(TAG_SLUGS)


# --- determinism ------------------------------------------------------------


def test_copies_written_in_different_file_orders_and_times_build_byte_identical(copies: Copies) -> None:
    assert_same_build(copies.sorted_build, copies.reversed_build)


def test_a_later_build_with_no_newly_due_post_is_byte_identical(copies: Copies) -> None:
    later = make_build(copies.sorted_store, copies.sorted_config, LATER)
    assert_same_build(copies.sorted_build, later)
    assert later.next_due == copies.sorted_build.next_due == FUTURE_DATE


def test_the_store_folder_its_file_times_and_the_build_time_leave_no_trace(
    build: Build, copies: Copies
) -> None:
    """The example itself at NOW against a copy elsewhere, with other file times, at EARLIER."""
    assert_same_build(build, copies.sorted_build)


def test_no_output_holds_the_build_time_or_todays_date(build: Build, store_result: StoreResult) -> None:
    sources = b"".join(path.read_bytes() for path in CONTENT.rglob("*") if path.is_file())
    stamps = [
        NOW.strftime("%Y-%m-%d"),  # 2029-03-17
        NOW.strftime("%d %b %Y"),  # as RSS writes dates
        NOW.strftime("%Y"),  # any date in that year at all
        NOW.strftime("%H:%M:%S"),
        str(int(NOW.timestamp())),
    ]
    assert not [stamp for stamp in stamps if stamp.encode() in sources]
    post_days = {
        moment.astimezone(zone).date()
        for post in store_result.posts
        for moment in (post.date, post.last_modified)
        for zone in (UTC, SHANGHAI)
    }
    today = datetime.now(UTC)
    if today.date() not in post_days and today.astimezone(SHANGHAI).date() not in post_days:
        stamps += [today.strftime("%Y-%m-%d"), today.strftime("%d %b %Y")]  # the clock of the test run
    for path, resource in build.resources.items():
        for stamp in stamps:
            assert stamp.encode() not in resource.body, f"{path} holds {stamp!r}"
        if resource.compressible:
            assert resource.encoded("gzip")[4:8] == b"\0\0\0\0", f"{path}: gzip header carries a time"


def test_every_variant_is_its_body_compressed_under_its_own_etag(build: Build) -> None:
    for path, resource in build.resources.items():
        check_variants(path, resource)


def check_variants(path: str, resource: Resource) -> None:
    if isinstance(resource.content, OnDemand) or resource.kind == "feed":
        # Tagged by what it is made from: before it is made (on demand), or so that a feed
        # a rebuild leaves to be made once it serves (Output.deferred) has its tag at once.
        assert re.fullmatch('"[0-9a-f]{32}"', resource.etag), path
    else:
        assert resource.etag == '"' + hashlib.sha256(resource.body).hexdigest()[:32] + '"', path
    assert resource.compressible, path  # every type here compresses
    assert gzip.decompress(resource.encoded("gzip")) == resource.body, path
    assert brotli.decompress(resource.encoded("br")) == resource.body, path
    # Each encoding's tag is the identity's with a suffix: a 304 needs no compressing.
    assert resource.etag_of("gzip") == resource.etag[:-1] + '-gz"', path
    assert resource.etag_of("br") == resource.etag[:-1] + '-br"', path


# --- the scheduled post -----------------------------------------------------


def test_the_scheduled_post_waits_for_its_date(
    build: Build, builder: Builder, store_result: StoreResult, future: Post, draft: Post
) -> None:
    assert future.date == FUTURE_DATE
    assert build.next_due == FUTURE_DATE
    assert future not in build.published and draft not in build.published
    just_before = builder.build(store_result, FUTURE_DATE - timedelta(microseconds=1))
    assert just_before.next_due == FUTURE_DATE
    assert_same_build(build, just_before)


def test_the_scheduled_post_appears_once_when_due(
    build: Build, builder: Builder, store_result: StoreResult, future: Post, draft: Post
) -> None:
    due = builder.build(store_result, FUTURE_DATE)
    assert due.next_due is None
    assert [post.source for post in due.published].count(FUTURE_SOURCE) == 1
    assert due.published[0] == future
    assert draft not in due.published
    future_id = ID_PREFIX + future.id
    for listing in ("/", "/categories/notes/", "/tags/research/"):
        for name in FEED_NAMES:
            ids = [entry.id for entry in read_feed(name, due.resources[listing + name].body)]
            assert ids[0] == future_id and ids.count(future_id) == 1, listing + name
        updated = strict_parse(due.resources[listing + "atom.xml"].body).findtext(ATOM + "updated")
        assert datetime.fromisoformat(updated) == FUTURE_DATE.astimezone(UTC)
    assert len(read_feed("atom.xml", due.resources["/atom.xml"].body)) == LIMIT
    assert article_urls(due.resources["/"].body).count(post_url(future)) == 1
    assert len(article_urls(due.resources["/"].body)) == PER_PAGE
    # Every page shifts by one: page 3 gains the last entry of page 2.
    assert article_urls(due.resources["/page/3/"].body)[1:] == article_urls(build.resources["/page/3/"].body)
    assert "/posts/future-announcement/" in due.resources
    assert "/posts/diffusion-draft/" not in due.resources
    # A listing the post is not in keeps its bytes and its date.
    assert not [line for line in differences(build, due) if line.startswith("/categories/nlp/")]
    for path, resource in due.resources.items():
        check_variants(path, resource)
    # Going back (the post withdrawn), the builder's reuse must land on the first build's bytes.
    assert_same_build(build, builder.build(store_result, NOW))


# --- feeds ------------------------------------------------------------------


@dataclass(frozen=True)
class ReadEntry:
    id: str
    title: str
    link: str
    published: datetime


def utc(struct: object) -> datetime:
    return datetime.fromtimestamp(calendar.timegm(struct), UTC)  # type: ignore[arg-type]


def alternate_link(entry: etree._Element) -> str:
    """An Atom entry's one link to its page: rel="alternate", or no rel, which means the same."""
    (href,) = [
        link.get("href") for link in entry.iter(ATOM + "link") if link.get("rel", "alternate") == "alternate"
    ]
    return str(href)


def read_feed(name: str, data: bytes) -> list[ReadEntry]:
    """A feed's entries, read strictly; XML feeds are read twice (lxml, feedparser) and must agree."""
    if name == "feed.json":
        feed = json.loads(data)
        assert feed["version"] == JSON_FEED_VERSION
        return [
            ReadEntry(item["id"], item["title"], item["url"], datetime.fromisoformat(item["date_published"]))
            for item in feed["items"]
        ]
    root = strict_parse(data)
    if name == "atom.xml":
        assert root.tag == ATOM + "feed"
        strict = [
            ReadEntry(
                entry.findtext(ATOM + "id"),
                entry.findtext(ATOM + "title"),
                alternate_link(entry),
                datetime.fromisoformat(entry.findtext(ATOM + "published")),
            )
            for entry in root.iter(ATOM + "entry")
        ]
    else:
        assert root.tag == "rss" and root.get("version") == "2.0"
        strict = [
            ReadEntry(
                item.findtext("guid"),
                item.findtext("title"),
                item.findtext("link"),
                email.utils.parsedate_to_datetime(item.findtext("pubDate")),
            )
            for item in root.iter("item")
        ]
    parsed = feedparser_ok(data)
    assert parsed.version == {"atom.xml": "atom10", "rss.xml": "rss20"}[name]
    loose = [ReadEntry(e.id, e.title, e.link, utc(e.published_parsed)) for e in parsed.entries]
    assert loose == strict
    return strict


def feed_folders(build: Build) -> dict[str, list[str]]:
    """Every feed in the Build (every path ending atom.xml, rss.xml or feed.json), by folder."""
    folders: dict[str, list[str]] = {}
    for path in build.resources:
        folder, _, name = path.rpartition("/")
        if name in FEED_NAMES:
            folders.setdefault(folder + "/", []).append(name)
    return folders


def test_the_site_every_category_and_every_tag_have_three_feeds(build: Build) -> None:
    folders = feed_folders(build)
    for listing in LISTINGS:
        assert sorted(folders.get(listing, [])) == sorted(FEED_NAMES), listing
    # No category or tag that only a draft or the scheduled post uses.
    listing_folder = re.compile(r"/(categories|tags)/[^/]+/")
    assert {folder for folder in folders if listing_folder.fullmatch(folder)} == set(LISTINGS[1:])
    for folder, names in folders.items():
        for name in names:
            assert build.resources[folder + name].media_type == FEED_TYPES[name], folder + name


def test_every_atom_feed_validates_against_rfc4287(build: Build, tmp_path: Path) -> None:
    files = []
    for folder, names in feed_folders(build).items():
        if "atom.xml" in names:
            files.append(tmp_path / ((folder.strip("/").replace("/", "_") or "site") + ".xml"))
            files[-1].write_bytes(build.resources[folder + "atom.xml"].body)
    assert len(files) >= len(LISTINGS)
    jing_validate(files)


def check_feeds(
    build: Build, folder: str, names: Sequence[str], published: list[Post], hidden: list[Post]
) -> list[str]:
    """What holds for every feed: read strictly, published posts only, newest first, at most
    feed.limit entries, titles, links and dates as the posts have them, and the same entries
    in each format of one folder. Returns the ids, in order."""
    by_id = {ID_PREFIX + post.id: post for post in published}
    read = {name: read_feed(name, build.resources[folder + name].body) for name in names}
    ids = [entry.id for entry in read[names[0]]]
    for name, entries in read.items():
        where = folder + name
        assert [entry.id for entry in entries] == ids, f"{where} lists other entries than {names[0]}"
        assert len(entries) <= LIMIT, where
        dates = [entry.published for entry in entries]
        assert dates == sorted(dates, reverse=True), f"{where}: not newest first"
        for entry in entries:
            assert entry.id in by_id, f"{where}: {entry.id} is no published post's id"
            post = by_id[entry.id]
            read_back = (entry.title, entry.link, entry.published)
            assert read_back == (post.title, post_url(post), post.date), where
        for post in hidden:
            assert ID_PREFIX + post.id not in ids, where
            assert post.title not in {entry.title for entry in entries}, where
    return ids


def test_every_feed_in_the_build_lists_published_posts_newest_first(
    build: Build, published: list[Post], draft: Post, future: Post
) -> None:
    for folder, names in sorted(feed_folders(build).items()):
        check_feeds(build, folder, sorted(names), published, [draft, future])


@pytest.mark.parametrize("listing", LISTINGS)
def test_feeds_list_the_newest_published_posts(
    build: Build, published: list[Post], draft: Post, future: Post, listing: str
) -> None:
    expected = listing_posts(published, listing)
    if len(expected) > LIMIT:  # no tie at the cut, so which posts make it is well defined
        assert expected[LIMIT - 1].date > expected[LIMIT].date
    ids = check_feeds(build, listing, FEED_NAMES, published, [draft, future])
    assert len(ids) == min(LIMIT, len(expected))
    assert set(ids) == {ID_PREFIX + post.id for post in expected[:LIMIT]}


@pytest.mark.parametrize("listing", LISTINGS)
def test_feeds_say_they_were_updated_when_their_newest_post_changed(
    build: Build, published: list[Post], listing: str
) -> None:
    shown = listing_posts(published, listing)[:LIMIT]
    newest = max(post.last_modified for post in shown).astimezone(UTC)
    updated = strict_parse(build.resources[listing + "atom.xml"].body).findtext(ATOM + "updated")
    assert datetime.fromisoformat(updated) == newest


def test_the_site_feed_is_updated_at_the_newest_change_of_any_post(
    build: Build, published: list[Post]
) -> None:
    # "Mixed Precision", 2026-02-21 15:00 in Shanghai, is both the newest post and the latest change.
    assert max(post.last_modified for post in published) == datetime(2026, 2, 21, 7, 0, tzinfo=UTC)
    updated = strict_parse(build.resources["/atom.xml"].body).findtext(ATOM + "updated")
    assert datetime.fromisoformat(updated) == datetime(2026, 2, 21, 7, 0, tzinfo=UTC)


def test_the_escaping_title_reads_back_exactly_everywhere(build: Build, published: list[Post]) -> None:
    (post,) = [post for post in published if post.source.endswith("escaping-in-feeds.md")]
    assert post.title == ESCAPING_TITLE
    for listing in ("/", "/categories/systems/", "/tags/python/", "/tags/tooling/"):
        for name in FEED_NAMES:
            entries = read_feed(name, build.resources[listing + name].body)
            titles = [entry.title for entry in entries if entry.id == ID_PREFIX + post.id]
            assert titles == [ESCAPING_TITLE], listing + name
    page = lxml.html.document_fromstring(build.resources["/posts/escaping-in-feeds/"].body.decode())
    assert page.xpath("string(//main//h1)") == ESCAPING_TITLE
    shown = [
        title
        for page in ("/", "/page/2/", "/page/3/")
        for title in article_titles(build.resources[page].body)
    ]
    assert ESCAPING_TITLE in shown


def test_drafts_and_scheduled_posts_appear_nowhere(build: Build, draft: Post, future: Post) -> None:
    hidden = [
        draft.title,
        future.title,
        draft.id,
        future.id,
        f"/posts/{draft.slug}/",
        f"/posts/{future.slug}/",
    ]
    for path, text in text_resources(build):
        for mark in hidden:
            assert mark not in text, f"{path} mentions {mark!r}"


# --- pages ------------------------------------------------------------------


def article_urls(page: bytes) -> list[str]:
    doc = lxml.html.document_fromstring(page.decode())
    return [str(href) for href in doc.xpath("//main//article//h2/a/@href")]


def article_titles(page: bytes) -> list[str]:
    doc = lxml.html.document_fromstring(page.decode())
    return [a.text_content() for a in doc.xpath("//main//article//h2/a")]


def article_dates(page: bytes) -> list[datetime]:
    doc = lxml.html.document_fromstring(page.decode())
    return [datetime.fromisoformat(str(d)) for d in doc.xpath("//main//article//time/@datetime")]


def test_the_build_holds_the_sites_pages_feeds_posts_and_images(build: Build, published: list[Post]) -> None:
    expected = {"/style.css", "/favicon.svg", "/copy.js"}
    expected |= {"/images/" + path.name for path in (CONTENT / "images").glob("*.svg")}
    expected |= {f"/posts/{post.slug}/" for post in published}
    for listing in LISTINGS:
        expected |= set(page_paths(listing, page_count(listing, published)))
        expected |= {listing + name for name in FEED_NAMES}
        expected.add(listing + "subscribe/")
    assert expected <= set(build.resources)
    # Exactly these where posts, pages, categories, tags and images live; other kinds may come.
    scoped = ("/posts/", "/page/", "/categories/", "/tags/", "/images/")
    assert {path for path in build.resources if path.startswith(scoped)} == {
        path for path in expected if path.startswith(scoped)
    }


def test_34_posts_at_12_a_page_make_three_pages_as_in_the_snapshots(
    build: Build, published: list[Post]
) -> None:
    pages = ["/", "/page/2/", "/page/3/"]  # the newest 12 on "/", then 12, then the oldest 10
    assert [len(article_urls(build.resources[page].body)) for page in pages] == [12, 12, 10]
    assert "/page/1/" not in build.resources and "/page/4/" not in build.resources
    urls = [url for page in pages for url in article_urls(build.resources[page].body)]
    assert sorted(urls) == sorted(post_url(post) for post in published)
    dates = [date for page in pages for date in article_dates(build.resources[page].body)]
    assert dates == sorted(dates, reverse=True)  # newest first across the pages; ties allowed


@pytest.mark.parametrize("listing", LISTINGS)
def test_every_listing_has_its_pages(build: Build, published: list[Post], listing: str) -> None:
    posts = listing_posts(published, listing)
    count = page_count(listing, published)
    pages = page_paths(listing, count)
    assert f"{listing}page/{count + 1}/" not in build.resources
    shown = [article_urls(build.resources[page].body) for page in pages]
    assert [len(urls) for urls in shown] == [PER_PAGE] * (count - 1) + [len(posts) - PER_PAGE * (count - 1)]
    assert sorted(url for urls in shown for url in urls) == sorted(post_url(post) for post in posts)
    for page in pages:
        assert build.resources[page].media_type == "text/html; charset=utf-8"


def test_every_published_post_has_a_page_and_no_other_post_does(
    build: Build, published: list[Post], draft: Post, future: Post
) -> None:
    for post in published:
        resource = build.resources[f"/posts/{post.slug}/"]
        assert resource.media_type == "text/html; charset=utf-8"
        doc = lxml.html.document_fromstring(resource.body.decode())
        assert doc.xpath("string(//main//h1)") == post.title
    assert "/posts/qwen-7b-chat-sft/" in build.resources  # a slug from front matter
    posts = {path for path in build.resources if path.startswith("/posts/")}
    assert len(posts) == len(published) == 34
    assert f"/posts/{draft.slug}/" not in build.resources
    assert f"/posts/{future.slug}/" not in build.resources


def test_images_from_the_store_are_served_as_they_are(build: Build, store_result: StoreResult) -> None:
    images = sorted((CONTENT / "images").glob("*.svg"))
    assert len(images) == 3
    assert [asset.path for asset in store_result.assets] == [f"/images/{path.name}" for path in images]
    for path in images:
        resource = build.resources[f"/images/{path.name}"]
        assert resource.media_type == "image/svg+xml"
        assert resource.body == path.read_bytes()


def test_every_link_into_the_site_leads_to_a_resource(build: Build) -> None:
    link = re.compile(re.escape(BASE) + r"""[^\s"'<>\\)]*""")
    broken = set()
    for path, text in text_resources(build):
        for url in link.findall(unescape(text)):
            target = unquote(urlsplit(url).path)
            if target not in build.resources:
                broken.add(f"{path} -> {url}")
    assert not broken, "\n".join(sorted(broken))


# --- the commands -----------------------------------------------------------


def run_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # SYNDICATE_* settings of the test run (SYNDICATE_FEED_LIMIT, say) are not the command's.
    env = {key: value for key, value in os.environ.items() if not key.startswith("SYNDICATE_")}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, "-m", "syndicate.cli", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def clock_build(builder: Builder, store_result: StoreResult) -> Build:
    """The example as the commands, which read the clock, see it today."""
    return builder.build(store_result, datetime.now(UTC))


def example_summary(today: datetime) -> str:
    scheduled = 1 if today < FUTURE_DATE else 0
    return (
        f"36 posts ({35 - scheduled} published, 1 drafts, {scheduled} scheduled), "
        "0 skipped with errors, 0 warnings"
    )


def expected_files(build: Build) -> dict[str, bytes]:
    return {
        path.lstrip("/") + ("index.html" if path.endswith("/") else ""): resource.body
        for path, resource in build.resources.items()
    }


def assert_tree_is_build(out: Path, build: Build) -> None:
    root = out.resolve()
    written = {path.relative_to(root).as_posix(): path for path in root.rglob("*") if path.is_file()}
    expected = expected_files(build)
    assert sorted(written) == sorted(expected)
    assert [name for name, path in written.items() if path.read_bytes() != expected[name]] == []


def test_build_command_writes_the_build_and_replaces_it_atomically(
    tmp_path: Path, clock_build: Build
) -> None:
    out = tmp_path / "public"
    builds = tmp_path / "public.builds"
    command = ("build", "--config", EXAMPLE_CONFIG, "--out", out)

    first = run_cli(*command, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == example_summary(datetime.now(UTC))
    assert first.stdout.splitlines()[-1].startswith(f"wrote {len(clock_build.resources)} files to {out}")
    assert out.is_symlink()
    assert "强化学习" in os.listdir(out / "categories")  # a real folder name, not percent-encoded
    named = ["index.html", "page/2/index.html", "atom.xml", "categories/强化学习/atom.xml"]
    named += [f"posts/{post.slug}/index.html" for post in clock_build.published]
    for name in named:
        assert (out / name).is_file(), name
    assert_tree_is_build(out, clock_build)
    first_target = out.resolve()
    assert list(builds.iterdir()) == [first_target]

    second = run_cli(*command, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert out.is_symlink()
    assert out.resolve() != first_target and not first_target.exists()
    assert list(builds.iterdir()) == [out.resolve()]
    assert_tree_is_build(out, clock_build)


def test_a_second_writer_to_the_same_place_waits_for_the_first(tmp_path: Path, clock_build: Build) -> None:
    out = tmp_path / "public"
    builds = tmp_path / "public.builds"
    builds.mkdir()
    first = os.open(builds, os.O_RDONLY)
    fcntl.flock(first, fcntl.LOCK_EX)  # as a `build --out` in the middle of writing holds it
    second = threading.Thread(target=write_build, args=(clock_build, out))
    second.start()
    second.join(0.5)
    assert second.is_alive() and not out.exists()
    os.close(first)
    second.join(30)
    assert not second.is_alive()
    assert_tree_is_build(out, clock_build)
    assert list(builds.iterdir()) == [out.resolve()]


def test_check_command_summarises_the_example(tmp_path: Path) -> None:
    result = run_cli("check", "--config", EXAMPLE_CONFIG, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == example_summary(datetime.now(UTC)) + "\n"
    if datetime.now(UTC) < FUTURE_DATE:
        assert result.stdout == (
            "36 posts (34 published, 1 drafts, 1 scheduled), 0 skipped with errors, 0 warnings\n"
        )


SMALL_CONFIG = """\
[site]
base_url = "https://blog.example/"
timezone = "UTC"
id_authority = "blog.example,2026"
[store]
path = "content"
"""
GOOD = "---\ntitle: Good\ndate: 2026-01-01\ncategory: {category}\n---\nHello.\n"
BAD = "---\ntitle: Bad\ndate: someday\n---\nNot a date.\n"
BAD_LINE = (
    "content/bad.md:3: error: 'date' is not a valid date: 'someday' "
    "(expected YYYY-MM-DD or an ISO 8601 date-time)"
)


def small_site(folder: Path, posts: dict[str, str]) -> Path:
    for name, text in posts.items():
        write(folder / "content", name, text)
    return write(folder, "syndicate.toml", SMALL_CONFIG)


def test_check_command_reports_a_bad_post_and_keeps_the_good_one(tmp_path: Path) -> None:
    config = small_site(tmp_path, {"good.md": GOOD.format(category="Notes"), "bad.md": BAD})
    result = run_cli("check", "--config", config, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        BAD_LINE,
        "1 posts (1 published, 0 drafts, 0 scheduled), 1 skipped with errors, 0 warnings",
    ]


def test_build_command_writes_the_good_posts_of_a_store_with_a_bad_one(tmp_path: Path) -> None:
    config = small_site(tmp_path, {"good.md": GOOD.format(category="Notes"), "bad.md": BAD})
    out = tmp_path / "public"
    result = run_cli("build", "--config", config, "--out", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert BAD_LINE in result.stdout.splitlines()
    assert (out / "posts" / "good" / "index.html").is_file()
    assert not (out / "posts" / "bad").exists()
    assert b"Good" in (out / "atom.xml").read_bytes()


def warning_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if ": warning: " in line]


def test_check_command_warns_about_categories_sharing_a_slug(tmp_path: Path) -> None:
    config = small_site(
        tmp_path, {"one.md": GOOD.format(category="AI"), "two.md": GOOD.format(category="ai")}
    )
    result = run_cli("check", "--config", config, cwd=tmp_path)
    assert result.returncode == 0  # a warning is not an error
    warnings = warning_lines(result.stdout)
    store = (tmp_path / "content").resolve()  # as the configuration resolves it
    assert warnings == [f"{store}: warning: category names 'AI' and 'ai' share the slug 'ai': one listing"]
    summary = result.stdout.splitlines()[-1]
    assert summary.endswith(f", 0 skipped with errors, {len(warnings)} warnings")


def test_a_slug_warning_names_both_spellings(tmp_path: Path) -> None:
    posts = {"one.md": GOOD.format(category="Deep Learning"), "two.md": GOOD.format(category="deep_learning")}
    config = small_site(tmp_path, posts)
    result = run_cli("check", "--config", config, cwd=tmp_path)
    assert result.returncode == 0
    assert any("Deep Learning" in line and "deep_learning" in line for line in warning_lines(result.stdout))


@pytest.mark.parametrize("kind", ["folder", "file"])
def test_build_command_refuses_what_it_did_not_write(tmp_path: Path, kind: str) -> None:
    config = small_site(tmp_path, {"good.md": GOOD.format(category="Notes")})
    out = tmp_path / "public"
    if kind == "folder":
        write(out, "keep.txt", "mine")
    else:
        write(tmp_path, "public", "mine")
    before = {path: path.read_bytes() for path in [out, *out.rglob("*")] if path.is_file()}
    result = run_cli("build", "--config", config, "--out", out, cwd=tmp_path)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("syndicate: error: ") and str(out) in line
    assert not out.is_symlink()
    assert {path: path.read_bytes() for path in [out, *out.rglob("*")] if path.is_file()} == before
    assert not (tmp_path / "public.builds").exists()


def test_build_command_reports_an_unwritable_out_in_one_line(tmp_path: Path) -> None:
    config = small_site(tmp_path, {"good.md": GOOD.format(category="Notes")})
    write(tmp_path, "blocker", "a file where a folder must go")
    result = run_cli("build", "--config", config, "--out", tmp_path / "blocker" / "public", cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("syndicate: error: ")


def test_a_store_file_at_a_generated_path_is_not_dropped_silently(tmp_path: Path) -> None:
    store = tmp_path / "content"
    write(store, "good.md", GOOD.format(category="Notes"))
    mine = write(store, "favicon.svg", '<svg xmlns="http://www.w3.org/2000/svg"><title>mine</title></svg>\n')
    config = make_config(store)
    built = make_build(PostStore(config).load(), config, NOW)
    served = built.resources["/favicon.svg"].body == mine.read_bytes()
    reported = any(problem.path == "favicon.svg" for problem in built.problems)
    assert served or reported


def test_a_post_page_shows_its_cover_once_and_its_meta_line_spaced(build: Build) -> None:
    page = build.resources["/posts/transformer-attention-notes/"].body.decode()
    doc = lxml.html.document_fromstring(page)
    assert len([src for src in doc.xpath("//main//img/@src") if src.endswith("/attention.svg")]) == 1
    meta = " ".join(doc.xpath("string(//p[@class='meta'])").split())
    assert meta.endswith("· Lin Wei · Deep Learning"), meta


def test_a_cover_not_in_the_text_is_shown_above_it(tmp_path: Path) -> None:
    store = tmp_path / "content"
    write(store, "p.md", "---\ntitle: P\ndate: 2026-01-01\nimage: /cover.png\n---\nNo picture here.\n")
    write(store, "cover.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    config = make_config(store)
    page = Builder(config).build(PostStore(config).load(), NOW).resources["/posts/p/"].body
    assert lxml.html.document_fromstring(page).xpath("//img[@class='cover']/@src") == [
        "https://blog.example/cover.png"
    ]
