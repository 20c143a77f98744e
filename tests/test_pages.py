from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import lxml.html
import pytest
from lxml.html import HtmlElement

from syndicate import urls
from syndicate.config import Config, PageConfig, SiteConfig
from syndicate.listings import Listings, make_listings
from syndicate.pages import not_found_page, page_numbers, render_pages
from syndicate.posts import Entry, Post

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


def test_site_listing_has_three_pages_of_twelve_twelve_six(pages: dict[str, bytes]) -> None:
    site_pages = sorted(p for p in pages if p == "/" or p.startswith("/page/"))
    assert site_pages == ["/", "/page/2/", "/page/3/"]
    assert [len(articles(parse(pages[p]))) for p in ("/", "/page/2/", "/page/3/")] == [12, 12, 6]


def test_every_post_has_a_page_and_the_stylesheet_is_served(pages: dict[str, bytes]) -> None:
    for entry in make_entries():
        assert urls.post_path(entry.post.slug) in pages
    css = pages["/style.css"].decode("utf-8")
    assert "prefers-color-scheme: dark" in css
    assert "max-width" in css
    assert pages["/favicon.svg"].startswith(b"<svg")


@pytest.mark.parametrize(
    ("path", "current", "has_previous", "has_next"),
    [("/", 1, False, True), ("/page/2/", 2, True, True), ("/page/3/", 3, True, False)],
)
def test_pagination_links(
    pages: dict[str, bytes], path: str, current: int, has_previous: bool, has_next: bool
) -> None:
    nav = pagination(parse(pages[path]))
    assert nav is not None
    assert nav.getparent() is not None and nav.getparent().tag == "main"
    numbers = [el.text_content().strip() for el in nav if el.text_content().strip().isdigit()]
    assert numbers == ["1", "2", "3"]
    marked = nav.xpath('.//*[@aria-current="page"]')
    assert len(marked) == 1
    assert marked[0].tag != "a" and marked[0].text_content().strip() == str(current)
    links = {a.text_content().strip(): a.get("href") for a in nav.iter("a")}
    for n in (1, 2, 3):
        if n == current:
            assert str(n) not in links
        else:
            assert links[str(n)] == abs_url(urls.page_path("/", n))
    assert ("Previous" in links) is has_previous
    assert ("Next" in links) is has_next
    if has_previous:
        assert links["Previous"] == abs_url(urls.page_path("/", current - 1))
    if has_next:
        assert links["Next"] == abs_url(urls.page_path("/", current + 1))


def test_one_page_has_no_pagination() -> None:
    pages = render_pages(make_site(), make_config(per_page=50))
    assert "/page/2/" not in pages
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


def test_category_and_tag_pages_exist_paginate_and_keep_the_banner(pages: dict[str, bytes]) -> None:
    listings = make_site()
    assert listings.categories and listings.tags
    for listing in (*listings.categories, *listings.tags):
        count = -(-len(listing.entries) // 12)
        paths = [urls.page_path(listing.path, n) for n in range(1, count + 1)]
        assert all(p in pages for p in paths)
        assert urls.page_path(listing.path, count + 1) not in pages
        shown: list[str] = []
        for path in paths:
            doc = parse(pages[path])
            label = "Category" if listing.kind == "category" else "Tag"
            assert [h.text_content() for h in doc.iter("h1")] == [f"{label}: {listing.name}"]
            assert doc.xpath("//header//p[@class='banner']")[0].text_content() == "INCOMING TRANSMISSION"
            assert (pagination(doc) is not None) is (count > 1)
            shown += [a.get("href") for a in doc.xpath("//main//article/h2/a")]
        assert shown == [e.url for e in listing.entries]
    # 30 entries, "llm" on every other one: 15 entries, two pages.
    assert "/tags/llm/page/2/" in pages and "/tags/llm/page/3/" not in pages


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
    assert "Updated 2026-02-03" in " ".join(meta.split())
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
    site_pages = [p for p in pages if p == "/" or p.startswith("/page/")]
    assert site_pages == ["/", *[f"/page/{n}/" for n in range(2, 7)]]
    assert all(len(articles(parse(pages[p]))) == 5 for p in site_pages)
    nav = pagination(parse(pages["/page/6/"]))
    assert nav is not None
    # The last of six pages: the first page, a gap, then the two before it.
    assert [a.text_content() for a in nav.iter("a")] == ["Previous", "1", "4", "5"]
    assert [span.text_content() for span in nav.iter("span")] == ["…", "6"]


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
    assert doc.xpath("//header//a/@href") == [BASE]


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


@pytest.mark.parametrize(
    ("current", "count", "shown"),
    [
        (1, 1, [1]),
        (2, 3, [1, 2, 3]),
        (1, 834, [1, 2, 3, 0, 834]),
        (6, 834, [1, 0, 4, 5, 6, 7, 8, 0, 834]),
        (834, 834, [1, 0, 832, 833, 834]),
        (4, 7, [1, 2, 3, 4, 5, 6, 7]),  # a gap of one page shows the page
    ],
)
def test_pager_shows_first_last_and_a_window(current: int, count: int, shown: list[int]) -> None:
    assert page_numbers(current, count) == shown


def test_a_long_listing_pager_stays_short() -> None:
    config = dataclasses.replace(make_config(), page=PageConfig(per_page=1))
    pages = render_pages(make_listings(make_entries()), config)
    doc = parse(pages["/page/15/"])
    nav = doc.xpath("//nav[@aria-label='Pagination']")[0]
    assert [a.text_content() for a in nav.xpath("./a | ./span")] == [
        "Previous", "1", "…", "13", "14", "15", "16", "17", "…", "30", "Next",
    ]  # fmt: skip
