from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from conftest import make_config as store_config
from conftest import write
from lxml.html import HtmlElement

from syndicate import urls
from syndicate.build.builder import Build, Builder
from syndicate.config import Config, PageConfig, SiteConfig
from syndicate.outputs.listings import Listings, make_listings
from syndicate.outputs.pages import not_found_page, page_numbers, render_pages
from syndicate.posts import Entry, Post
from syndicate.source.store import PostStore

BASE = "https://example.org/blog/"
CATEGORIES = ("Large Model", "3D Model", "强化学习")
TRICKY_TITLE = """Tom & Jerry <b>"quoted"</b> 'single'"""
FEED_TYPES = ("application/atom+xml", "application/rss+xml", "application/feed+json")


def make_config(**page: int | str) -> Config:
    return Config(
        site=dataclasses.replace(SiteConfig(), base_url=BASE, title="Transmissions"),
        page=dataclasses.replace(PageConfig(), **page),  # type: ignore[arg-type]
    )


def make_entry(
    n: int,
    *,
    title: str | None = None,
    category: str | None = None,
    tags: tuple[str, ...] = (),
    updated: datetime | None = None,
    lang: str = "zh",
) -> Entry:
    slug = f"post-{n:02d}"
    post = Post(
        id=f"posts/{slug}.md",
        source=f"{slug}.md",
        slug=slug,
        title=f"Post {n}" if title is None else title,
        date=datetime(2026, 1, 1, 8, 30, tzinfo=UTC) + timedelta(days=n),
        updated=updated,
        category=category if category is not None else CATEGORIES[n % len(CATEGORIES)],
        tags=tags or (("llm", "Deep Learning") if n % 2 == 0 else ("vision",)),
        author="Ada",
        summary=None,
        draft=False,
        lang=lang,
        body=f"Body {n}",
        digest=f"{n:064x}",
    )
    html = f'<p>Body of post {n} with <a href="{BASE}x">a link</a>.</p>\n<pre><code>x = {n}</code></pre>'
    return Entry(post, urls.absolute(BASE, urls.post_path(slug)), html, f"Excerpt of post {n}...")


def with_post(entry: Entry, **changes: Any) -> Entry:
    """The entry of its post with `changes`."""
    return Entry(dataclasses.replace(entry.post, **changes), entry.url, entry.html, entry.excerpt)


def make_entries(count: int = 30) -> list[Entry]:
    entries = [make_entry(n) for n in range(count)]
    return sorted(entries, key=lambda e: e.post.date, reverse=True)  # newest first


def make_site(count: int = 30) -> Listings:
    return make_listings(make_entries(count))


def parse(data: bytes) -> HtmlElement:
    return lxml.html.document_fromstring(data.decode("utf-8"))


def html_pages(pages: dict[str, bytes]) -> dict[str, bytes]:
    return {path: data for path, data in pages.items() if path not in ("/style.css", "/favicon.svg")}


def articles(doc: HtmlElement) -> list[HtmlElement]:
    return doc.xpath("//main//article")  # type: ignore[no-any-return]


def pagination(doc: HtmlElement) -> HtmlElement | None:
    navs = doc.xpath('//nav[@aria-label="Pagination"]')
    assert len(navs) <= 1
    return navs[0] if navs else None


def abs_url(path: str) -> str:
    return urls.absolute(BASE, path)


@pytest.fixture(scope="module")
def pages() -> dict[str, bytes]:
    return render_pages(make_site(), make_config())


def listing_paths(pages: dict[str, bytes], listing: str = "/") -> list[str]:
    """The listing's pages in reading order: its own path (page 1), then /page/N/ from N = 2."""
    numbers = [int(p[len(listing) + 5 : -1]) for p in pages if p.startswith(listing + "page/")]
    return [listing, *(f"{listing}page/{n}/" for n in sorted(numbers))]


def shown_numbers(data: bytes) -> list[int]:
    """The "Post N" numbers a listing page shows, in order (N counts from the oldest post)."""
    return [int(h.text_content().removeprefix("Post ")) for h in parse(data).xpath("//main//article/h2/a")]


def test_thirty_entries_at_twelve_a_page_make_three_pages_newest_first(pages: dict[str, bytes]) -> None:
    assert listing_paths(pages) == ["/", "/page/2/", "/page/3/"]
    assert shown_numbers(pages["/"]) == list(range(29, 17, -1))  # the newest 12
    assert shown_numbers(pages["/page/2/"]) == list(range(17, 5, -1))
    assert shown_numbers(pages["/page/3/"]) == list(range(5, -1, -1))  # the oldest 6
    assert "/page/1/" not in pages and "/page/4/" not in pages


def test_every_post_has_a_page_and_the_stylesheet_is_served(pages: dict[str, bytes]) -> None:
    for entry in make_entries():
        assert urls.post_path(entry.post.slug) in pages
    css = pages["/style.css"].decode("utf-8")
    assert "prefers-color-scheme: dark" in css
    assert "max-width" in css
    assert pages["/favicon.svg"].startswith(b"<svg")


def pager_items(data: bytes) -> list[tuple[str, str | None, str | None]]:
    """The pagination's items in order: (text, href, rel); a span has no href."""
    nav = pagination(parse(data))
    assert nav is not None
    return [(el.text_content().strip(), el.get("href"), el.get("rel")) for el in nav]


@pytest.mark.parametrize(
    ("path", "items"),
    [
        (
            "/",
            [("1", None, None), ("2", "page/2/", None), ("3", "page/3/", None), ("Older", "page/2/", "next")],
        ),
        (
            "/page/2/",
            [
                ("Newer", "", "prev"),
                ("1", "", None),
                ("2", None, None),
                ("3", "page/3/", None),
                ("Older", "page/3/", "next"),
            ],
        ),
        (
            "/page/3/",
            [("Newer", "page/2/", "prev"), ("1", "", None), ("2", "page/2/", None), ("3", None, None)],
        ),
    ],
)
def test_pagination_links(
    pages: dict[str, bytes], path: str, items: list[tuple[str, str | None, str | None]]
) -> None:
    nav = pagination(parse(pages[path]))
    assert nav is not None
    assert nav.getparent() is not None and nav.getparent().tag == "main"
    expected = [(text, abs_url("/" + href) if href is not None else None, rel) for text, href, rel in items]
    assert pager_items(pages[path]) == expected
    marked = nav.xpath('.//*[@aria-current="page"]')
    assert len(marked) == 1 and marked[0].tag == "span"
    assert marked[0].text_content() == ("1" if path == "/" else path.split("/")[2])


def test_one_page_has_no_pagination() -> None:
    pages = render_pages(make_site(), make_config(per_page=50))
    assert listing_paths(pages) == ["/"]
    doc = parse(pages["/"])
    assert len(articles(doc)) == 30
    assert pagination(doc) is None


def test_entries_newest_first_each_with_title_excerpt_category_and_date(pages: dict[str, bytes]) -> None:
    shown = [art for p in ("/", "/page/2/", "/page/3/") for art in articles(parse(pages[p]))]
    entries = make_entries()
    assert len(shown) == len(entries)
    for art, entry in zip(shown, entries, strict=True):
        post = entry.post
        (title,) = art.xpath("./h2/a")
        assert title.text_content() == post.title
        assert title.get("href") == entry.url
        assert entry.excerpt in [p.text_content() for p in art.iter("p")]
        assert post.category is not None
        category_href = abs_url(urls.category_path(urls.slugify(post.category)))
        assert [(a.text_content(), a.get("href")) for a in art.xpath(".//a[@class='category']")] == [
            (post.category, category_href)
        ]
        (time,) = art.iter("time")
        assert time.text_content() == post.date.strftime("%Y-%m-%d")
        assert datetime.fromisoformat(time.get("datetime")) == post.date


def test_dates_are_shown_in_the_site_time_zone() -> None:
    late = make_entry(1)
    late = with_post(late, date=datetime(2026, 1, 10, 20, 0, tzinfo=UTC))
    config = dataclasses.replace(
        make_config(), site=dataclasses.replace(make_config().site, timezone="Asia/Shanghai")
    )
    (time,) = parse(render_pages(make_listings([late]), config)["/"]).iter("time")
    assert time.text_content() == "2026-01-11"
    assert time.get("datetime") == "2026-01-11T04:00:00+08:00"


def test_category_and_tag_pages_exist_paginate_and_keep_the_banner() -> None:
    pages = render_pages(make_site(), make_config(per_page=4))
    listings = make_site()
    assert listings.categories and listings.tags
    for listing in (*listings.categories, *listings.tags):
        count = -(-len(listing.entries) // 4)
        paths = listing_paths(pages, listing.path)
        assert paths == [listing.path, *(f"{listing.path}page/{n}/" for n in range(2, count + 1))]
        shown: list[str] = []
        for path in paths:
            doc = parse(pages[path])
            label = "Category" if listing.kind == "category" else "Tag"
            assert [h.text_content() for h in doc.iter("h1")] == [f"{label}: {listing.name}"]
            assert doc.xpath("//header//p[@class='banner']")[0].text_content() == "INCOMING TRANSMISSION"
            assert (pagination(doc) is not None) is (count > 1)
            shown += [a.get("href") for a in doc.xpath("//main//article/h2/a")]
        assert shown == [e.url for e in listing.entries]
    # "llm" is on every other post: 15 of them, 4 a page, the last page holds the oldest 3.
    assert listing_paths(pages, "/tags/llm/") == ["/tags/llm/", *(f"/tags/llm/page/{n}/" for n in (2, 3, 4))]
    assert shown_numbers(pages["/tags/llm/"]) == [28, 26, 24, 22]
    assert shown_numbers(pages["/tags/llm/page/4/"]) == [4, 2, 0]


def feed_links(doc: HtmlElement) -> list[tuple[str, str, str]]:
    return [
        (link.get("type"), link.get("title"), link.get("href"))
        for link in doc.xpath("//head/link[@rel='alternate']")
    ]


def expected_feeds(path: str, title: str) -> list[tuple[str, str, str]]:
    files = ("atom.xml", "rss.xml", "feed.json")
    return [(t, title, abs_url(path + f)) for t, f in zip(FEED_TYPES, files, strict=True)]


def visible_feed_links(doc: HtmlElement) -> list[tuple[str, str]]:
    return [(a.text_content(), a.get("href")) for a in doc.xpath("//footer//a[@type!='text/x-opml']")]


def test_every_page_links_the_opml_list_of_feeds(pages: dict[str, bytes]) -> None:
    for data in html_pages(pages).values():
        assert parse(data).xpath("//footer//a[@type='text/x-opml']/@href") == [f"{BASE}feeds.opml"]


def test_autodiscovery_and_visible_feed_links_on_the_site_page(pages: dict[str, bytes]) -> None:
    doc = parse(pages["/"])
    assert feed_links(doc) == [
        ("application/atom+xml", "Transmissions", f"{BASE}atom.xml"),
        ("application/rss+xml", "Transmissions", f"{BASE}rss.xml"),
        ("application/feed+json", "Transmissions", f"{BASE}feed.json"),
    ]
    assert visible_feed_links(doc) == [
        ("Atom", f"{BASE}atom.xml"),
        ("RSS", f"{BASE}rss.xml"),
        ("JSON Feed", f"{BASE}feed.json"),
    ]


def test_autodiscovery_on_a_chinese_category_page_is_percent_encoded(pages: dict[str, bytes]) -> None:
    doc = parse(pages["/categories/强化学习/"])
    links = feed_links(doc)
    assert links == expected_feeds("/categories/强化学习/", "Transmissions · 强化学习")
    encoded = f"{BASE}categories/%E5%BC%BA%E5%8C%96%E5%AD%A6%E4%B9%A0/"
    assert [href for _, _, href in links] == [
        encoded + "atom.xml",
        encoded + "rss.xml",
        encoded + "feed.json",
    ]
    assert visible_feed_links(doc) == [
        ("Atom", encoded + "atom.xml"),
        ("RSS", encoded + "rss.xml"),
        ("JSON Feed", encoded + "feed.json"),
    ]


def test_autodiscovery_on_a_post_page_has_site_and_category_feeds(pages: dict[str, bytes]) -> None:
    entry = make_entries()[0]
    assert entry.post.category is not None
    doc = parse(pages[urls.post_path(entry.post.slug)])
    category = urls.category_path(urls.slugify(entry.post.category))
    expected = expected_feeds("/", "Transmissions") + expected_feeds(
        category, f"Transmissions · {entry.post.category}"
    )
    assert feed_links(doc) == expected
    assert [href for _, href in visible_feed_links(doc)] == [href for _, _, href in expected]


def test_every_link_is_absolute_and_percent_encoded(pages: dict[str, bytes]) -> None:
    for path, data in html_pages(pages).items():
        doc = parse(data)
        hrefs = [el.get("href") for el in doc.xpath("//*[@href]")]
        assert hrefs, path
        for href in hrefs:
            assert href.startswith(BASE), (path, href)
            assert href.isascii(), (path, href)
        (stylesheet,) = doc.xpath("//head/link[@rel='stylesheet']")
        assert stylesheet.get("href") == f"{BASE}style.css"


def test_head_has_charset_viewport_title_and_language(pages: dict[str, bytes]) -> None:
    for path, data in html_pages(pages).items():
        doc = parse(data)
        assert doc.xpath("//head/meta/@charset") == ["utf-8"], path
        assert doc.xpath("//head/meta[@name='viewport']/@content") == ["width=device-width, initial-scale=1"]
        assert doc.findtext(".//head/title"), path
    assert parse(pages["/"]).get("lang") == "en"
    assert parse(pages["/posts/post-00/"]).get("lang") == "zh"  # the post's own language
    config = dataclasses.replace(
        make_config(), site=dataclasses.replace(make_config().site, language="zh-CN")
    )
    assert parse(render_pages(make_site(3), config)["/"]).get("lang") == "zh-CN"


def test_titles_are_escaped() -> None:
    entry = make_entry(40, title=TRICKY_TITLE, category="R&D <lab>")
    pages = render_pages(make_listings([entry, *make_entries()]), make_config())
    for path in ("/", urls.post_path(entry.post.slug)):
        raw = pages[path]
        assert TRICKY_TITLE.encode() not in raw
        for escaped in (b"&amp;", b"&lt;", b"&gt;"):
            assert escaped in raw
        assert b"&#34;" in raw or b"&quot;" in raw
        doc = parse(raw)
        assert doc.xpath("//b") == []  # the <b> in the title did not become markup
        shown = doc.xpath("//main//h1" if path != "/" else "//main//article/h2")
        assert TRICKY_TITLE in [h.text_content() for h in shown]
    post = parse(pages[urls.post_path(entry.post.slug)])
    assert post.findtext(".//head/title") == f"{TRICKY_TITLE} · Transmissions"
    category_page = parse(pages["/categories/r-d-lab/"])
    assert [h.text_content() for h in category_page.iter("h1")] == ["Category: R&D <lab>"]
    assert {link.get("title") for link in category_page.xpath("//head/link[@rel='alternate']")} == {
        "Transmissions · R&D <lab>"
    }


def test_no_script_no_inline_handlers_no_inline_styles(pages: dict[str, bytes]) -> None:
    documents = [*html_pages(pages).values(), not_found_page(make_config())]
    for data in documents:
        doc = parse(data)
        for el in doc.iter():
            if not isinstance(el.tag, str):
                continue  # comments, doctype
            assert el.tag not in ("script", "style", "noscript", "iframe")
            assert "style" not in el.attrib
            assert not [name for name in el.attrib if name.lower().startswith("on")]
            assert not (el.get("href") or "").lower().startswith("javascript:")


def test_landmarks_one_h1_and_headings_in_order(pages: dict[str, bytes]) -> None:
    documents = {**html_pages(pages), "404": not_found_page(make_config())}
    for path, data in documents.items():
        doc = parse(data)
        body = doc.body
        assert [el.tag for el in body] == ["header", "main", "footer"], path
        assert len(doc.xpath("//h1")) == 1, path
        assert doc.xpath("//h1")[0].xpath("ancestor::main"), path
        levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
        assert levels[0] == 1, path
        assert all(b <= a + 1 for a, b in pairwise(levels)), path


def test_post_page_shows_title_dates_author_category_tags_and_full_html() -> None:
    updated = datetime(2026, 2, 3, 9, 0, tzinfo=UTC)
    entry = make_entry(5, updated=updated, category="强化学习", tags=("RL", "Deep Learning"))
    pages = render_pages(make_listings([entry]), make_config())
    raw = pages["/posts/post-05/"]
    assert entry.html.encode() in raw  # inserted verbatim, not escaped
    doc = parse(raw)
    article = doc.xpath("//main/article")[0]
    assert article.findtext("h1") == "Post 5"
    assert article.xpath(".//div[@class='content']/p/a/@href") == [f"{BASE}x"]
    assert article.xpath(".//div[@class='content']//code")[0].text_content() == "x = 5"
    times = [(t.text_content(), t.get("datetime")) for t in article.iter("time")]
    assert times == [("2026-01-06", "2026-01-06T08:30:00+00:00"), ("2026-02-03", "2026-02-03T09:00:00+00:00")]
    meta = article.xpath(".//p[@class='meta']")[0].text_content()
    assert "更新于 2026-02-03" in " ".join(meta.split())  # a post in Chinese: the words are too
    assert "Ada" in meta
    assert article.xpath(".//a[@class='category']/@href") == [abs_url("/categories/强化学习/")]
    tags = [(a.text_content(), a.get("href")) for a in article.xpath(".//ul[@class='tags']//a")]
    assert tags == [("RL", abs_url("/tags/rl/")), ("Deep Learning", abs_url("/tags/deep-learning/"))]
    assert pages["/tags/rl/"] and pages["/tags/deep-learning/"]


def test_post_without_update_or_category() -> None:
    entry = make_entry(3, category="")
    doc = parse(render_pages(make_listings([entry]), make_config())["/posts/post-03/"])
    assert len(list(doc.iter("time"))) == 1
    assert "Updated" not in doc.xpath("//main")[0].text_content()
    assert doc.xpath("//a[@class='category']") == []
    assert len(feed_links(doc)) == 3  # only the site's feeds


def test_output_is_deterministic() -> None:
    config = make_config()
    first = render_pages(make_site(), config)
    second = render_pages(make_site(), config)
    assert first == second
    assert list(first) == list(second)
    assert not_found_page(config) == not_found_page(config)


def test_per_page_is_respected() -> None:
    pages = render_pages(make_site(), make_config(per_page=5))
    site_pages = listing_paths(pages)
    assert site_pages == ["/", *[f"/page/{n}/" for n in range(2, 7)]]
    assert all(len(articles(parse(pages[p]))) == 5 for p in site_pages)
    # The last of six pages: back to the first, with a gap after page 1.
    assert [text for text, _, _ in pager_items(pages["/page/6/"])] == ["Newer", "1", "…", "4", "5", "6"]


def test_custom_banner_and_heading() -> None:
    pages = render_pages(make_site(), make_config(banner="SIGNAL ACQUIRED", heading="Fresh from the wire"))
    for path in ("/", "/page/2/", "/categories/3d-model/"):
        doc = parse(pages[path])
        assert doc.xpath("//header/p[@class='banner']")[0].text_content() == "SIGNAL ACQUIRED"
    assert [h.text_content() for h in parse(pages["/"]).iter("h1")] == ["Fresh from the wire"]
    assert [h.text_content() for h in parse(pages["/categories/3d-model/"]).iter("h1")] == [
        "Category: 3D Model"
    ]


def test_default_banner_and_heading(pages: dict[str, bytes]) -> None:
    doc = parse(pages["/"])
    assert doc.xpath("//header/p[@class='banner']")[0].text_content() == "INCOMING TRANSMISSION"
    assert [h.text_content() for h in doc.iter("h1")] == ["LATEST UPDATES"]
    assert doc.xpath("//header//a/@href") == [BASE, BASE + "subscribe/"]


def test_empty_site_still_has_a_front_page() -> None:
    pages = render_pages(make_listings([]), make_config())
    assert sorted(pages) == ["/", "/favicon.svg", "/style.css"]
    doc = parse(pages["/"])
    assert "No posts yet" in doc.xpath("//main")[0].text_content()
    assert articles(doc) == []
    assert pagination(doc) is None
    assert len(feed_links(doc)) == 3


def test_not_found_page() -> None:
    data = not_found_page(make_config())
    assert data.startswith(b"<!DOCTYPE html>")
    doc = parse(data)
    assert [h.text_content() for h in doc.iter("h1")] == ["Not found"]
    assert "Not found" in doc.findtext(".//head/title")
    assert BASE in doc.xpath("//main//a/@href")
    assert doc.xpath("//head/link[@rel='stylesheet']/@href") == [f"{BASE}style.css"]


def test_a_shared_slug_gives_the_page_to_the_newer_post() -> None:
    newer, older = make_entry(9, title="Newer"), make_entry(9, title="Older")
    older = with_post(older, id="other", date=datetime(2025, 1, 1, tzinfo=UTC))
    doc = parse(render_pages(make_listings([newer, older]), make_config())["/posts/post-09/"])
    assert [h.text_content() for h in doc.iter("h1")] == ["Newer"]


# --- pagination: page 1 the newest, as in the snapshots --------------------------


def expected_pages(count: int, per_page: int) -> dict[str, list[int]]:
    """Path -> the post numbers (0 = the oldest) each site page must show: `per_page` a
    page, newest first, page 1 at "/", the last page the rest."""
    pages: dict[str, list[int]] = {"/": []}
    newest_first = list(range(count - 1, -1, -1))
    for k in range(0, count, per_page):
        number = k // per_page + 1
        pages["/" if number == 1 else f"/page/{number}/"] = newest_first[k : k + per_page]
    return pages


@pytest.mark.parametrize(
    ("count", "per_page", "expected"),
    [
        (0, 5, {"/": []}),
        (3, 5, {"/": [2, 1, 0]}),
        (5, 5, {"/": [4, 3, 2, 1, 0]}),
        (6, 5, {"/": [5, 4, 3, 2, 1], "/page/2/": [0]}),
        (10, 5, {"/": [9, 8, 7, 6, 5], "/page/2/": [4, 3, 2, 1, 0]}),
        (4, 1, {"/": [3], "/page/2/": [2], "/page/3/": [1], "/page/4/": [0]}),
    ],
)
def test_pages_hold_per_page_entries_newest_first(
    count: int, per_page: int, expected: dict[str, list[int]]
) -> None:
    pages = render_pages(make_site(count), make_config(per_page=per_page))
    assert listing_paths(pages) == list(expected)
    assert {path: shown_numbers(pages[path]) for path in expected} == expected
    assert expected == expected_pages(count, per_page)  # the rule the larger cases below rely on


@pytest.mark.parametrize(("count", "per_page"), [(57, 5), (30, 12), (23, 12), (24, 12), (100, 7), (13, 1)])
def test_every_entry_is_on_exactly_one_page(count: int, per_page: int) -> None:
    pages = render_pages(make_site(count), make_config(per_page=per_page))
    expected = expected_pages(count, per_page)
    assert listing_paths(pages) == list(expected)
    shown = {path: shown_numbers(pages[path]) for path in expected}
    assert shown == expected
    in_order = [n for numbers in shown.values() for n in numbers]
    assert in_order == list(range(count - 1, -1, -1))  # each once, newest first from "/" to the last page
    for path in list(expected)[:-1]:
        assert len(shown[path]) == per_page
    assert 1 <= len(shown[list(expected)[-1]]) <= per_page


def walk(pages: dict[str, bytes], start: str, rel: str) -> list[str]:
    """Follow the pager's rel link from `start` until a page has none."""
    seen = [start]
    while True:
        links = [href for _, href, r in pager_items(pages[seen[-1]]) if r == rel]
        assert len(links) <= 1
        if not links:
            return seen
        assert links[0] is not None and links[0].startswith(BASE)
        seen.append("/" + links[0].removeprefix(BASE))
        assert len(seen) <= len(pages)


@pytest.mark.parametrize(("count", "per_page"), [(57, 5), (10, 5), (15, 5), (40, 3)])
def test_older_and_newer_links_walk_every_page_both_ways(count: int, per_page: int) -> None:
    pages = render_pages(make_site(count), make_config(per_page=per_page))
    paths = listing_paths(pages)
    assert walk(pages, "/", "next") == paths  # Older, from page 1 to the last
    assert walk(pages, paths[-1], "prev") == paths[::-1]  # Newer, back to page 1
    for number, path in enumerate(paths, start=1):
        items = pager_items(pages[path])
        texts = [text for text, _, _ in items]
        assert texts[0] == "Newer" or number == 1
        assert texts[-1] == "Older" or number == len(paths)
        numbered = [(text, href) for text, href, rel in items if rel is None and text != "…"]
        assert numbered[0][0] == "1" and numbered[-1][0] == str(len(paths))  # the first and the last
        assert [text for text, href in numbered if href is None] == [str(number)]  # the current one
        numbers = [int(text) for text, _ in numbered]
        assert numbers == sorted(numbers)
        for text, href in numbered:
            if href is not None:
                assert href == abs_url("/" if text == "1" else f"/page/{text}/")
                assert "/" + href.removeprefix(BASE) in pages


@pytest.mark.parametrize(
    ("current", "total", "shown"),
    [
        (1, 1, [1]),
        (1, 2, [1, 2]),  # the snapshots' "1 2"
        (2, 2, [1, 2]),
        (1, 3, [1, 2, 3]),
        (1, 40, [1, 2, 3, None, 40]),
        (40, 40, [1, None, 38, 39, 40]),
        (5, 40, [1, 2, 3, 4, 5, 6, 7, None, 40]),  # a gap of one page shows the page
        (20, 40, [1, None, 18, 19, 20, 21, 22, None, 40]),
        (36, 40, [1, None, 34, 35, 36, 37, 38, 39, 40]),
        (3, 834, [1, 2, 3, 4, 5, None, 834]),
    ],
)
def test_pager_shows_the_first_the_last_and_a_window(
    current: int, total: int, shown: list[int | None]
) -> None:
    assert page_numbers(current, total) == shown


def test_a_long_listing_pager_stays_short() -> None:
    config = dataclasses.replace(make_config(), page=PageConfig(per_page=1))
    pages = render_pages(make_listings(make_entries()), config)
    assert listing_paths(pages)[-1] == "/page/30/"
    assert [text for text, _, _ in pager_items(pages["/page/15/"])] == [
        "Newer", "1", "…", "13", "14", "15", "16", "17", "…", "30", "Older",
    ]  # fmt: skip
    assert [text for text, _, _ in pager_items(pages["/"])] == ["1", "2", "3", "…", "30", "Older"]


# --- through the real build: a new post shifts the pages of its listings ------------

BUILD_NOW = datetime(2027, 1, 1, tzinfo=UTC)
STORE_POST = "---\ntitle: Post {n}\ndate: {date}\ncategory: c{category}\ntags: [t{tag}]\n---\nBody {n}.\n"
STORE_LISTINGS = ("/", "/categories/c0/", "/categories/c1/", "/categories/c2/", "/tags/t0/", "/tags/t1/")


def write_post(store: Path, n: int) -> Path:
    """Post n, an hour newer than post n - 1; in category c(n % 3) and tag t(n % 2)."""
    date = (datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=n)).isoformat()
    return write(store, f"p{n:03}.md", STORE_POST.format(n=n, date=date, category=n % 3, tag=n % 2))


def listing_etags(build: Build, listing: str) -> dict[str, str]:
    """Path -> ETag of each page of the listing rooted at `listing`."""
    return {
        path: resource.etag
        for path, resource in build.resources.items()
        if path == listing or path.startswith(listing + "page/")
    }


def changed_pages(one: Build, two: Build, listing: str) -> set[str]:
    before, after = listing_etags(one, listing), listing_etags(two, listing)
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}


def test_a_new_post_shifts_its_listings_and_leaves_the_others_alone(store: Path) -> None:
    for n in range(30):
        write_post(store, n)
    config = dataclasses.replace(store_config(store), page=PageConfig(per_page=5))
    posts = PostStore(config)
    builder = Builder(config)
    first = builder.build(posts.load(), BUILD_NOW)
    assert len(listing_etags(first, "/")) == 6
    assert shown_numbers(first.resources["/page/6/"].body) == [4, 3, 2, 1, 0]

    added_post = write_post(store, 30)  # newer than every other post: in c0 and t0
    added = builder.build(posts.load(), BUILD_NOW)
    assert shown_numbers(added.resources["/"].body) == [30, 29, 28, 27, 26]
    assert shown_numbers(added.resources["/page/7/"].body) == [0]
    assert changed_pages(first, added, "/") == {"/", *(f"/page/{n}/" for n in range(2, 8))}
    for listing in ("/categories/c1/", "/categories/c2/", "/tags/t1/"):  # without the new post
        assert changed_pages(first, added, listing) == set(), listing
        for path in listing_etags(first, listing):
            assert added.resources[path] is first.resources[path], path  # reused, not made again
    assert "/categories/c0/" in changed_pages(first, added, "/categories/c0/")
    # Pages are tagged before they are made, from what they are made of: a tag is the same
    # exactly when the bytes are, so no client ever gets a 304 for bytes it has not seen.
    for listing in STORE_LISTINGS:
        for path in listing_etags(first, listing).keys() & listing_etags(added, listing).keys():
            one, two = first.resources[path], added.resources[path]
            assert (one.etag == two.etag) is (one.body == two.body), path
    tags = [resource.etag for resource in added.resources.values()]
    assert len(tags) == len(set(tags))

    added_post.unlink()
    deleted = builder.build(posts.load(), BUILD_NOW)
    for listing in STORE_LISTINGS:
        assert listing_etags(deleted, listing) == listing_etags(first, listing), listing
        for path in listing_etags(first, listing):
            assert deleted.resources[path].body == first.resources[path].body, path
