from __future__ import annotations

import calendar
import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import feedgen.entry
import feedgen.feed
import pytest
from feedcheck import ATOM_RNC, ATOM_SCH, feedparser_ok, find_jing, jing_validate, run_jing

from syndicate.config import Config
from syndicate.outputs.feeds import FEED_FILES, atom_feed, feed_title, json_feed, rss_feed
from syndicate.outputs.listings import Listing
from syndicate.posts import Entry, Post
from syndicate.urls import absolute, category_path, post_path, tag_path

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"

BASE = "http://127.0.0.1:8000/"
CST = timezone(timedelta(hours=8))
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RL_CATEGORY_URL = BASE + "categories/%E5%BC%BA%E5%8C%96%E5%AD%A6%E4%B9%A0/"
LLM_TAG_URL = BASE + "tags/%E5%A4%A7%E6%A8%A1%E5%9E%8B/"
NASTY_TITLE = "Tom & Jerry: <b>bold</b> \"double\" 'single'"
NASTY_EXCERPT = "Compare a < b && c > d; <script>alert(1)</script> is only text here."

CONFIG = replace(
    Config(),
    site=replace(
        Config().site,
        title="Syndicate 笔记",
        subtitle="Notes on RL & <LLMs>",
        author="Ada",
        language="zh-CN",
        id_authority="example.org,2026",
    ),
)

Generate = Callable[[Listing, Config], bytes]
XML_FEEDS: dict[str, Generate] = {"atom": atom_feed, "rss": rss_feed}


def make_entry(
    slug: str,
    title: str,
    date: datetime,
    *,
    updated: datetime | None = None,
    category: str | None = None,
    tags: tuple[str, ...] = (),
    lang: str = "zh-CN",
    author: str = "Ada",
    excerpt: str | None = None,
    html: str | None = None,
) -> Entry:
    post = Post(
        id=f"posts/{slug}",
        source=f"{slug}.md",
        slug=slug,
        title=title,
        date=date,
        updated=updated,
        category=category,
        tags=tags,
        author=author,
        summary=None,
        draft=False,
        lang=lang,
        body="",
        digest="0" * 64,
    )
    if html is None:
        html = (
            f"<p>{slug} &amp; more</p>\n<pre><code>x = 1 &lt; 2\n</code></pre>\n"
            f'<p><a href="http://127.0.0.1:8000/x">link</a></p>'
        )
    return Entry(
        post=post,
        url=absolute(BASE, post_path(slug)),
        html=html,
        excerpt=excerpt if excerpt is not None else f"Excerpt of {slug}: 强化学习 [代码]...",
    )


# Newest first, as listings give them. "grpo" was edited last, so it decides the feed's updated.
ENTRIES = (
    make_entry(
        "ppo",
        "强化学习入门：PPO",
        datetime(2026, 1, 11, 20, 0, tzinfo=CST),
        category="强化学习",
        tags=("RL", "大模型"),
    ),
    make_entry(
        "escapes",
        NASTY_TITLE,
        datetime(2026, 1, 11, 18, 30, tzinfo=CST),
        category="Notes",
        tags=("html",),
        lang="en",
        author="Bob",
        excerpt=NASTY_EXCERPT,
    ),
    make_entry(
        "grpo",
        "Prefix-Tuning 与 Qwen1.5-7B-Chat",
        datetime(2026, 1, 11, 8, 0, tzinfo=CST),
        updated=datetime(2026, 2, 1, 9, 15, tzinfo=CST),
        category="强化学习",
        tags=("大模型",),
    ),
    make_entry(
        "hourglass",
        "Stacked Hourglass Networks",
        datetime(2025, 12, 30, 23, 59, tzinfo=CST),
        category="Vision",
        tags=("CNN",),
        lang="en",
    ),
    make_entry("utc", "A post in UTC", datetime(2025, 6, 1, 12, 0, tzinfo=UTC), lang="en"),
)

SITE = Listing("site", "", "", "/", ENTRIES)
RL = Listing(
    "category",
    "强化学习",
    "强化学习",
    category_path("强化学习"),
    tuple(e for e in ENTRIES if e.post.category == "强化学习"),
)
LLM = Listing(
    "tag", "大模型", "大模型", tag_path("大模型"), tuple(e for e in ENTRIES if "大模型" in e.post.tags)
)
EMPTY = Listing("site", "", "", "/", ())
LISTINGS = {"site": SITE, "category": RL, "tag": LLM, "empty": EMPTY}

# A title, excerpt, html, author and tag holding characters XML 1.0 forbids.
DIRTY = Listing(
    "site",
    "",
    "",
    "/",
    (
        make_entry(
            "dirty",
            "bad\x0bchars\x00in\ufffetitle",
            datetime(2026, 1, 12, 10, 0, tzinfo=CST),
            tags=("t\x01ag",),
            author="A\x1bda",
            excerpt="ex\x0ccerpt\ud800",
            html="<p>ht\x00ml\x08</p>",
        ),
    ),
)


def with_feed(config: Config = CONFIG, **changes: Any) -> Config:
    return replace(config, feed=replace(config.feed, **changes))


def parse(data: bytes) -> Any:
    return feedparser_ok(data)


def utc(struct: Any) -> datetime:
    """feedparser's dates are UTC struct_times."""
    return datetime.fromtimestamp(calendar.timegm(struct), UTC)


def entry_ids(kind: str, data: bytes) -> list[str]:
    if kind == "json":
        return [item["id"] for item in json.loads(data)["items"]]
    return [e.id for e in parse(data).entries]


def tag_id(entry: Entry) -> str:
    return f"tag:example.org,2026:{entry.post.id}"


# --- validity ------------------------------------------------------------


@pytest.fixture(scope="module")
def jing() -> str:
    return find_jing()


def atom_documents() -> dict[str, bytes]:
    return {
        "site": atom_feed(SITE, CONFIG),
        "category": atom_feed(RL, CONFIG),
        "tag": atom_feed(LLM, CONFIG),
        "summary": atom_feed(SITE, with_feed(content="summary")),
        "limit": atom_feed(SITE, with_feed(limit=2)),
        "empty": atom_feed(EMPTY, Config()),
        "defaults": atom_feed(SITE, Config()),
        "images": atom_feed(SITE, with_feed(icon="/favicon.png", logo="https://cdn.example.org/logo.png")),
        "dirty": atom_feed(DIRTY, CONFIG),
    }


def test_atom_feeds_validate_against_rfc4287_schema_and_rules(jing: str, tmp_path: Path) -> None:
    files = []
    for name, data in atom_documents().items():
        files.append(tmp_path / f"{name}.xml")
        files[-1].write_bytes(data)
    jing_validate(files)  # atom.rnc, then atom.sch: raises with jing's report


def test_jing_rejects_an_invalid_atom_feed(jing: str, tmp_path: Path) -> None:
    """Guards the test above against a validator that accepts everything."""
    text = atom_feed(SITE, CONFIG).decode()
    broken = tmp_path / "broken.xml"
    broken.write_text(text.replace("2026-02-01T09:15:00+08:00", "2026-02-01T09:15:00", 1))
    assert run_jing(jing, "-c", ATOM_RNC, broken).returncode != 0
    authorless = tmp_path / "authorless.xml"
    authorless.write_text(re.sub(r"<author>.*?</author>", "", text, flags=re.DOTALL))
    assert run_jing(jing, ATOM_SCH, authorless).returncode != 0
    # ...and the shared helper turns a rejection into a failure.
    with pytest.raises(AssertionError, match="rejected"):
        jing_validate([broken])


@pytest.mark.parametrize("listing", LISTINGS.values(), ids=LISTINGS.keys())
@pytest.mark.parametrize("kind", XML_FEEDS)
def test_xml_feeds_are_well_formed(kind: str, listing: Listing) -> None:
    data = XML_FEEDS[kind](listing, CONFIG)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    ET.fromstring(data)  # strict: raises on any well-formedness error
    parse(data)


@pytest.mark.parametrize("listing", LISTINGS.values(), ids=LISTINGS.keys())
def test_json_feed_has_the_required_fields(listing: Listing) -> None:
    data = json_feed(listing, CONFIG)
    assert data.endswith(b"}\n")
    feed = json.loads(data)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == feed_title(listing, CONFIG)
    assert isinstance(feed["items"], list)
    assert len(feed["items"]) == len(listing.entries)
    for item in feed["items"]:
        assert item["id"].startswith("tag:example.org,2026:")
        assert "content_html" in item or "content_text" in item


# --- content -------------------------------------------------------------


def test_feed_title() -> None:
    assert feed_title(SITE, CONFIG) == "Syndicate 笔记"
    assert feed_title(RL, CONFIG) == "Syndicate 笔记 · 强化学习"
    assert feed_title(LLM, CONFIG) == "Syndicate 笔记 · 大模型"


def test_feed_files() -> None:
    assert FEED_FILES == {
        "atom.xml": "application/atom+xml",
        "rss.xml": "application/rss+xml",
        "feed.json": "application/feed+json",
    }


def test_atom_reads_back_as_the_posts() -> None:
    feed = parse(atom_feed(SITE, CONFIG))
    assert feed.version == "atom10"
    assert feed.feed.id == "tag:example.org,2026:feed/"
    assert feed.feed.title == "Syndicate 笔记"
    assert feed.feed.subtitle == "Notes on RL & <LLMs>"
    assert feed.feed.language == "zh-CN"
    assert feed.feed.author == "Ada"
    assert feed.feed.generator == "syndicate"
    assert utc(feed.feed.updated_parsed) == datetime(2026, 2, 1, 9, 15, tzinfo=CST)
    links = {link.rel: link for link in feed.feed.links}
    assert (links["self"].href, links["self"].type) == (BASE + "atom.xml", "application/atom+xml")
    assert (links["alternate"].href, links["alternate"].type) == (BASE, "text/html")
    assert len(feed.entries) == len(ENTRIES)
    for got, entry in zip(feed.entries, ENTRIES, strict=True):
        post = entry.post
        assert got.id == tag_id(entry)
        assert got.title == post.title
        assert got.link == entry.url
        assert utc(got.published_parsed) == post.date
        assert utc(got.updated_parsed) == post.last_modified
        assert got.author == post.author
        assert [t.term for t in got.get("tags", [])] == [*filter(None, [post.category]), *post.tags]
        assert got.summary == entry.excerpt
        assert got.content[0].type == "text/html"
    escaped = feed.entries[1]
    assert escaped.title == NASTY_TITLE
    assert escaped.summary == NASTY_EXCERPT
    assert escaped.summary_detail.type == "text/plain"
    assert '<a href="http://127.0.0.1:8000/x">link</a>' in escaped.content[0].value
    assert "<pre><code>x = 1 &lt; 2" in escaped.content[0].value


def test_atom_keeps_the_posts_offsets_and_category_terms() -> None:
    root = ET.fromstring(atom_feed(SITE, CONFIG))
    first = root.findall(f"{ATOM}entry")[0]
    assert first.findtext(f"{ATOM}published") == "2026-01-11T20:00:00+08:00"
    assert first.findtext(f"{ATOM}updated") == "2026-01-11T20:00:00+08:00"
    assert root.findtext(f"{ATOM}updated") == "2026-02-01T09:15:00+08:00"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-CN"
    categories = [c.attrib for c in first.findall(f"{ATOM}category")]
    assert categories[0] == {"term": "强化学习", "label": "强化学习", "scheme": RL_CATEGORY_URL}
    assert categories[2] == {"term": "大模型", "label": "大模型", "scheme": LLM_TAG_URL}
    summary = first.find(f"{ATOM}summary")
    assert summary is not None and summary.get("type") == "text"
    content = first.find(f"{ATOM}content")
    assert content is not None and content.get("type") == "html"
    assert content.text == ENTRIES[0].html


def test_rss_reads_back_as_the_posts() -> None:
    data = rss_feed(SITE, CONFIG)
    feed = parse(data)
    assert feed.version == "rss20"
    assert feed.feed.title == "Syndicate 笔记"
    assert feed.feed.link == BASE
    assert html.unescape(feed.feed.subtitle) == "Notes on RL & <LLMs>"
    assert feed.feed.language == "zh-CN"
    assert feed.feed.generator == "syndicate"
    assert utc(feed.feed.updated_parsed) == datetime(2026, 2, 1, 9, 15, tzinfo=CST)
    assert utc(feed.feed.published_parsed) == datetime(2026, 2, 1, 9, 15, tzinfo=CST)
    for got, entry in zip(feed.entries, ENTRIES, strict=True):
        post = entry.post
        assert got.id == tag_id(entry)
        assert got.guidislink is False
        assert got.title == post.title
        assert got.link == entry.url
        assert utc(got.published_parsed) == post.date
        assert got.author == post.author
        assert [t.term for t in got.get("tags", [])] == [*filter(None, [post.category]), *post.tags]
        assert html.unescape(got.summary) == entry.excerpt
        assert got.content[0].value.startswith("<p>")

    channel = ET.fromstring(data).find("channel")
    assert channel is not None
    assert channel.findtext("pubDate") == "Sun, 01 Feb 2026 09:15:00 +0800"
    # RSS descriptions are HTML, so plain text is escaped inside them.
    assert channel.findtext("description") == "Notes on RL &amp; &lt;LLMs&gt;"
    for item, entry in zip(channel.findall("item"), ENTRIES, strict=True):
        guid = item.find("guid")
        assert guid is not None and guid.get("isPermaLink") == "false"
        assert guid.text == tag_id(entry)
        assert item.findtext("description") == html.escape(entry.excerpt, quote=False)
        assert item.findtext(CONTENT_ENCODED) == entry.html
        assert item.findtext(DC_CREATOR) == entry.post.author
        assert item.find("author") is None  # RSS <author> must be an email address
    first = channel.findall("item")[0]
    assert first.findtext("pubDate") == "Sun, 11 Jan 2026 20:00:00 +0800"


def test_json_feed_reads_back_as_the_posts() -> None:
    data = json_feed(RL, CONFIG)
    assert "强化学习".encode() in data  # not \u-escaped
    feed = json.loads(data)
    assert list(feed) == [
        "version",
        "title",
        "home_page_url",
        "feed_url",
        "description",
        "language",
        "authors",
        "items",
    ]
    assert feed["home_page_url"] == RL_CATEGORY_URL
    assert feed["feed_url"] == RL_CATEGORY_URL + "feed.json"
    assert feed["language"] == "zh-CN"
    assert feed["authors"] == [{"name": "Ada"}]
    for item, entry in zip(feed["items"], RL.entries, strict=True):
        post = entry.post
        assert item["id"] == tag_id(entry)
        assert item["url"] == entry.url
        assert item["title"] == post.title
        assert item["content_html"] == entry.html
        assert item["summary"] == entry.excerpt
        assert datetime.fromisoformat(item["date_published"]) == post.date
        assert datetime.fromisoformat(item["date_modified"]) == post.last_modified
        assert datetime.fromisoformat(item["date_published"]).utcoffset() == timedelta(hours=8)
        assert item["authors"] == [{"name": post.author}]
        assert item["tags"] == [post.category, *post.tags]
        assert item["language"] == post.lang
    assert json.loads(json_feed(SITE, CONFIG))["items"][1]["title"] == NASTY_TITLE


@pytest.mark.parametrize("kind", ["atom", "rss", "json"])
def test_limit_keeps_the_newest(kind: str) -> None:
    generate = {"atom": atom_feed, "rss": rss_feed, "json": json_feed}[kind]
    config = with_feed(limit=2)
    assert entry_ids(kind, generate(SITE, config)) == [tag_id(e) for e in ENTRIES[:2]]
    if kind != "json":
        # "grpo" (edited last) is cut, so the newest of the two that remain decides.
        assert utc(parse(generate(SITE, config)).feed.updated_parsed) == ENTRIES[0].post.date


def test_empty_feed_is_dated_at_the_epoch() -> None:
    atom = parse(atom_feed(EMPTY, Config()))
    assert atom.entries == []
    assert utc(atom.feed.updated_parsed) == EPOCH
    channel = ET.fromstring(rss_feed(EMPTY, Config())).find("channel")
    assert channel is not None
    assert channel.findtext("lastBuildDate") == "Thu, 01 Jan 1970 00:00:00 +0000"
    assert channel.findtext("pubDate") == "Thu, 01 Jan 1970 00:00:00 +0000"
    assert channel.findtext("description") == "syndicate"  # RSS requires one; falls back to the title
    assert json.loads(json_feed(EMPTY, Config()))["items"] == []


def test_summary_mode_omits_content() -> None:
    config = with_feed(content="summary")
    atom = ET.fromstring(atom_feed(SITE, config))
    for element in atom.findall(f"{ATOM}entry"):
        assert element.find(f"{ATOM}content") is None
        assert element.findtext(f"{ATOM}summary")
    rss = ET.fromstring(rss_feed(SITE, config))
    for item, entry in zip(rss.iter("item"), ENTRIES, strict=True):
        assert item.find(CONTENT_ENCODED) is None
        assert item.findtext("description") == html.escape(entry.excerpt, quote=False)
    items = json.loads(json_feed(SITE, config))["items"]
    for item, entry in zip(items, ENTRIES, strict=True):
        assert "content_html" not in item
        assert item["content_text"] == item["summary"] == entry.excerpt


@pytest.mark.parametrize(
    ("listing", "page"), [(RL, RL_CATEGORY_URL), (LLM, LLM_TAG_URL)], ids=["category", "tag"]
)
def test_category_and_tag_links_are_percent_encoded_absolute_urls(listing: Listing, page: str) -> None:
    atom = parse(atom_feed(listing, CONFIG)).feed
    assert {link.rel: link.href for link in atom.links} == {"self": page + "atom.xml", "alternate": page}
    assert atom.id == "tag:example.org,2026:feed" + page.removeprefix(BASE[:-1])
    assert atom.subtitle == {"category": "分类：", "tag": "标签："}[listing.kind] + listing.name
    channel = ET.fromstring(rss_feed(listing, CONFIG)).find("channel")
    assert channel is not None
    self_link = channel.find(f"{ATOM}link")
    assert self_link is not None and self_link.get("href") == page + "rss.xml"
    assert channel.findtext("link") == page
    feed = json.loads(json_feed(listing, CONFIG))
    assert (feed["home_page_url"], feed["feed_url"]) == (page, page + "feed.json")
    assert page.isascii()


def test_icon_and_logo_are_absolute() -> None:
    config = with_feed(icon="/favicon.png", logo="https://cdn.example.org/logo.png")
    atom = ET.fromstring(atom_feed(SITE, config))
    assert atom.findtext(f"{ATOM}icon") == BASE + "favicon.png"
    assert atom.findtext(f"{ATOM}logo") == "https://cdn.example.org/logo.png"
    assert ET.fromstring(rss_feed(SITE, config)).findtext("channel/image/url") == (
        "https://cdn.example.org/logo.png"
    )
    assert json.loads(json_feed(SITE, config))["icon"] == BASE + "favicon.png"
    assert ET.fromstring(atom_feed(SITE, CONFIG)).find(f"{ATOM}icon") is None


# --- feedgen's traps -----------------------------------------------------


@pytest.mark.parametrize("kind", ["atom", "rss", "json"])
def test_entries_keep_the_listing_order(kind: str) -> None:
    """feedgen's add_entry prepends by default, which would reverse the listing."""
    generate = {"atom": atom_feed, "rss": rss_feed, "json": json_feed}[kind]
    assert entry_ids(kind, generate(SITE, CONFIG)) == [tag_id(e) for e in ENTRIES]
    assert entry_ids(kind, generate(RL, CONFIG)) == [tag_id(e) for e in RL.entries]


class _FakeDatetimeType(type):
    # feedgen checks isinstance(value, datetime) against the name we replace.
    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, datetime)


def fake_clock(now: datetime) -> type[datetime]:
    class FakeDatetime(datetime, metaclass=_FakeDatetimeType):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return now.astimezone(tz)

    return FakeDatetime


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[datetime], None]]:
    def set_now(now: datetime) -> None:
        for module in (feedgen.feed, feedgen.entry):
            monkeypatch.setattr(module, "datetime", fake_clock(now))

    yield set_now


ALL_FEEDS: list[Generate] = [atom_feed, rss_feed, json_feed]


def test_output_does_not_depend_on_the_clock(clock: Callable[[datetime], None]) -> None:
    """feedgen stamps the current time on every date left unset."""
    listings = [SITE, RL, EMPTY]
    unpatched = [generate(listing, CONFIG) for generate in ALL_FEEDS for listing in listings]

    clock(datetime(2003, 3, 3, 3, 3, 3, tzinfo=UTC))
    first = [generate(listing, CONFIG) for generate in ALL_FEEDS for listing in listings]
    clock(datetime(2013, 4, 4, 4, 4, 4, tzinfo=UTC))
    second = [generate(listing, CONFIG) for generate in ALL_FEEDS for listing in listings]

    assert first == second == unpatched
    today = datetime.now(UTC)
    stamps = [b"2003", b"2013", today.strftime("%Y-%m-%d").encode(), today.strftime("%d %b %Y").encode()]
    for data in unpatched:
        for stamp in stamps:
            assert stamp not in data


def test_fake_clock_reaches_feedgen(clock: Callable[[datetime], None]) -> None:
    """The test above would prove nothing if feedgen did not read the patched clock."""
    clock(datetime(2003, 3, 3, 3, 3, 3, tzinfo=UTC))
    fg = feedgen.feed.FeedGenerator()
    fg.id("urn:x")
    fg.title("x")
    assert b"2003-03-03T03:03:03" in fg.atom_str()


def test_rss_channel_link_is_the_html_page() -> None:
    """feedgen uses the last link added for RSS's <link>, whatever its rel."""
    for listing in (SITE, RL):
        channel = ET.fromstring(rss_feed(listing, CONFIG)).find("channel")
        assert channel is not None
        page = absolute(BASE, listing.path)
        assert channel.findtext("link") == page
        self_links = channel.findall(f"{ATOM}link")
        assert [(link.get("rel"), link.get("href"), link.get("type")) for link in self_links] == [
            ("self", page + "rss.xml", "application/rss+xml")
        ]


@pytest.mark.parametrize("kind", ["atom", "rss", "json"])
def test_characters_xml_forbids_are_stripped(kind: str) -> None:
    generate = {"atom": atom_feed, "rss": rss_feed, "json": json_feed}[kind]
    data = generate(DIRTY, CONFIG)
    assert data.decode("utf-8")  # a lone surrogate would not have encoded
    expected = ("badcharsintitle", "excerpt", "Ada", ["tag"])
    if kind == "json":
        item = json.loads(data)["items"][0]
        assert (item["title"], item["summary"], item["authors"][0]["name"], item["tags"]) == expected
    else:
        ET.fromstring(data)
        entry = parse(data).entries[0]
        assert (entry.title, entry.summary, entry.author, [t.term for t in entry.tags]) == expected


def test_feedgen_generator_does_not_leak() -> None:
    for generate in XML_FEEDS.values():
        for listing in LISTINGS.values():
            data = generate(listing, CONFIG)
            assert b"feedgen" not in data
            assert b"lkiesow" not in data
    assert parse(atom_feed(SITE, CONFIG)).feed.generator_detail == {"name": "syndicate"}
    assert ET.fromstring(rss_feed(SITE, CONFIG)).findtext("channel/generator") == "syndicate"


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_an_entry_with_many_tags_costs_feedgen_one_category_call(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # feedgen remakes an entry's whole RSS category list on every category() call: one call
    # per tag made a post with n tags cost n² a feed, n³ over the n feeds it is in.
    tags = tuple(f"tag{number}" for number in range(300))
    entry = make_entry("many", "Many tags", datetime(2026, 1, 1, tzinfo=UTC), category="c", tags=tags)
    calls = []
    category = feedgen.entry.FeedEntry.category

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return category(self, *args, **kwargs)

    monkeypatch.setattr(feedgen.entry.FeedEntry, "category", counted)
    data = XML_FEEDS[kind](Listing("tag", "tag1", "tag1", "/tags/tag1/", (entry,)), CONFIG)
    assert len(calls) == 1
    elements = [element for element in ET.fromstring(data).iter() if element.tag.endswith("category")]
    terms = [element.get("term") or element.text for element in elements]
    assert terms == ["c", *tags]
