"""The subscribe pages: every listing's feeds (and the site's, and the OPML list) as addresses
to copy and "follow in" links of web readers, linked from every page's header."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest
from conftest import EXAMPLE_CONFIG, make_config, write
from lxml.html import HtmlElement
from starlette.testclient import TestClient

from syndicate.build.builder import Build, Builder
from syndicate.build.writer import write_build
from syndicate.config import Config, load_config
from syndicate.outputs.listings import make_listings
from syndicate.outputs.pages import subscribe_outputs
from syndicate.outputs.words import CHINESE
from syndicate.serve.app import create_app
from syndicate.serve.site import Site
from syndicate.source.store import PostStore
from syndicate.urls import absolute, category_path, slugify

NOW = datetime(2029, 3, 17, 5, 43, 21, tzinfo=UTC)
FEEDS = ("atom.xml", "rss.xml", "feed.json")
READERS = {
    "Feedly": "https://feedly.com/i/subscription/feed/",
    "Inoreader": "https://www.inoreader.com/?add_feed=",
    "NewsBlur": "https://www.newsblur.com/?url=",
    "The Old Reader": "https://theoldreader.com/feeds/subscribe?url=",
}


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(EXAMPLE_CONFIG, {})


@pytest.fixture(scope="module")
def build(config: Config) -> Build:
    return Builder(config).build(PostStore(config).load(), NOW)


def url(config: Config, path: str) -> str:
    return absolute(config.site.base_url, path)


def parse(data: bytes) -> HtmlElement:
    return lxml.html.document_fromstring(data.decode("utf-8"))


def page(build: Build, path: str) -> HtmlElement:
    return parse(build.resources[path].body)


def copyable(doc: HtmlElement) -> list[str]:
    """The addresses shown as text, each with its copy button."""
    shown = [code.text_content() for code in doc.xpath("//main//code[@class='feed-url']")]
    assert doc.xpath("//main//button[@data-copy]/@data-copy") == shown
    return shown


def html_paths(build: Build) -> list[str]:
    return [path for path, resource in build.resources.items() if resource.media_type.startswith("text/html")]


def categories(build: Build) -> list[str]:
    """The category listings' paths, from the build's own feeds."""
    return sorted(path.removesuffix("atom.xml") for path in build.resources if _category_feed(path))


def _category_feed(path: str) -> bool:
    return path.startswith("/categories/") and path.count("/") == 3 and path.endswith("/atom.xml")


def test_the_site_page_lists_the_site_feeds_the_opml_and_every_category(config: Config, build: Build) -> None:
    resource = build.resources["/subscribe/"]
    assert resource.kind == "page" and resource.media_type == "text/html; charset=utf-8"
    doc = page(build, "/subscribe/")
    assert copyable(doc) == [*(url(config, "/" + name) for name in FEEDS), url(config, "/feeds.opml")]
    assert doc.xpath("//link[@rel='canonical']/@href") == [url(config, "/subscribe/")]
    linked = doc.xpath("//section[@id='categories']//a/@href")
    assert linked == [url(config, path + "subscribe/") for path in categories(build)]
    assert len(linked) == 6
    assert doc.xpath("string(//main/p[@class='lede'])") == CHINESE.what_a_reader_is  # a zh-CN site


def test_each_category_page_lists_its_feeds_the_sites_and_the_opml(config: Config, build: Build) -> None:
    for path in categories(build):
        doc = page(build, path + "subscribe/")
        own = [url(config, path + name) for name in FEEDS]
        site = [url(config, "/" + name) for name in FEEDS]
        assert copyable(doc) == [*own, *site, url(config, "/feeds.opml")], path
        assert doc.xpath("//section/@id") == [f"categories-{path.split('/')[2]}", "site", "opml"]
        assert all(address.startswith("http://127.0.0.1:8000/") for address in copyable(doc))
        assert [build.resources[p].kind for p in (path + name for name in FEEDS)] == ["feed"] * 3
    chinese = page(build, "/categories/强化学习/subscribe/")
    assert (
        copyable(chinese)[0]
        == "http://127.0.0.1:8000/categories/%E5%BC%BA%E5%8C%96%E5%AD%A6%E4%B9%A0/atom.xml"
    )


def test_every_tag_and_author_has_a_subscribe_page(build: Build) -> None:
    for path in build.resources:
        if path.startswith(("/tags/", "/authors/")) and path.count("/") == 3 and path.endswith("/atom.xml"):
            assert path.removesuffix("atom.xml") + "subscribe/" in build.resources, path
    assert "/tags/论文笔记/subscribe/" in build.resources


def follow_links(doc: HtmlElement) -> list[list[tuple[str, str]]]:
    return [
        [(a.text_content(), a.get("href")) for a in p.iter("a")] for p in doc.xpath("//p[@class='follow']")
    ]


def test_follow_in_links_carry_the_atom_url_percent_encoded(config: Config, build: Build) -> None:
    doc = page(build, "/categories/强化学习/subscribe/")
    feeds = [url(config, "/categories/强化学习/atom.xml"), url(config, "/atom.xml")]
    for links, feed in zip(follow_links(doc), feeds, strict=True):
        assert [name for name, _ in links] == list(READERS)
        for name, href in links:
            encoded = href.removeprefix(READERS[name])
            assert encoded != href and unquote(encoded) == feed
            assert not set(encoded) & set(":/?&=#"), href  # the whole URL is one value
    feedly = dict(follow_links(doc)[0])["Feedly"]
    assert feedly == (
        "https://feedly.com/i/subscription/feed/http%3A%2F%2F127.0.0.1%3A8000%2Fcategories%2F"
        "%25E5%25BC%25BA%25E5%258C%2596%25E5%25AD%25A6%25E4%25B9%25A0%2Fatom.xml"
    )


def test_a_base_url_with_reserved_characters_is_encoded_in_every_reader_link() -> None:
    config = make_config(Path("unused"))
    config = dataclasses.replace(
        config, site=dataclasses.replace(config.site, base_url="https://x.example/a&b=c/")
    )
    (output,) = [o for o in subscribe_outputs(make_listings([])) if o.path == "/subscribe/"]
    doc = parse(output.make(config))
    for name, href in follow_links(doc)[0]:
        assert href == READERS[name] + "https%3A%2F%2Fx.example%2Fa%26b%3Dc%2Fatom.xml"


def test_every_page_header_links_a_subscribe_page(config: Config, build: Build) -> None:
    for path in html_paths(build):
        doc = page(build, path)
        (link,) = doc.xpath("//header//p[@class='subscribe']/a/@href")
        target = "/" + link.removeprefix(config.site.base_url)
        assert unquote(target) in build.resources, (path, link)
        if path.startswith(("/categories/", "/tags/", "/authors/")):
            listing = "/".join(path.split("/")[:3]) + "/"
            assert link == url(config, listing + "subscribe/"), path
        elif not path.startswith("/posts/"):
            assert link == url(config, "/subscribe/"), path
    # A post's page links its category's: the feeds of what it is about, and the site's.
    post = next(p for p in PostStore(config).load().posts if p.category and p.date <= NOW and not p.draft)
    header = page(build, f"/posts/{post.slug}/").xpath("//header//p[@class='subscribe']/a/@href")
    assert header == [url(config, category_path(slugify(post.category or "")) + "subscribe/")]
    own = page(build, "/subscribe/").xpath("//header//a[@aria-current='page']/@href")
    assert own == [url(config, "/subscribe/")]


def test_autodiscovery_still_points_at_the_feeds(config: Config, build: Build) -> None:
    for path in html_paths(build):
        hrefs = page(build, path).xpath("//head/link[@rel='alternate']/@href")
        assert hrefs, path
        for href in hrefs:
            feed = unquote("/" + href.removeprefix(config.site.base_url))
            assert build.resources[feed].kind == "feed", (path, href)
    subscribe = page(build, "/tags/llm/subscribe/").xpath("//head/link[@rel='alternate']/@href")
    assert subscribe == [url(config, f"/tags/llm/{name}") for name in FEEDS] + [
        url(config, "/" + name) for name in FEEDS
    ]


def test_the_only_script_is_the_sites_own_file_and_buttons_start_hidden(config: Config, build: Build) -> None:
    for path in html_paths(build):
        doc = page(build, path)
        scripts = doc.xpath("//script")
        expected = [url(config, "/copy.js")] if path.endswith("/subscribe/") else []
        assert [script.get("src") for script in scripts] == expected, path
        assert all(not (script.text or "").strip() for script in scripts), path
        elements = [el for el in doc.iter() if isinstance(el.tag, str)]  # no comments, doctype
        assert not [name for el in elements for name in el.attrib if name.startswith("on")], path
        assert all(button.get("hidden") is not None for button in doc.iter("button")), path
    script = build.resources["/copy.js"]
    assert script.kind == "static" and script.media_type == "text/javascript; charset=utf-8"
    assert b"://" not in script.body and b"fetch(" not in script.body  # no request of its own


def test_the_script_is_served_as_javascript(store: Path) -> None:
    write(store, "a.md", "---\ntitle: A\ndate: 2026-01-02\ncategory: C\n---\nText.\n")
    site = Site(make_config(store))
    assert site.rebuild()
    response = TestClient(create_app(site)).get("/copy.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert TestClient(create_app(site)).get("/categories/c/subscribe/").status_code == 200


def test_in_the_sitemap_as_the_listing_pages_are(config: Config, build: Build) -> None:
    sitemap = build.resources["/sitemap.xml"].body.decode()
    assert f"<loc>{url(config, '/subscribe/')}</loc>" in sitemap
    assert f"<loc>{url(config, '/categories/nlp/')}</loc>" in sitemap


def test_same_bytes_from_a_new_builder_and_from_a_pickled_output(config: Config, build: Build) -> None:
    again = Builder(config).build(PostStore(config).load(), NOW)
    for path in ("/subscribe/", "/categories/nlp/subscribe/", "/copy.js"):
        assert again.resources[path].body == build.resources[path].body
        assert again.resources[path].etag_of("identity") == build.resources[path].etag_of("identity")
    for output in subscribe_outputs(make_listings([])):
        assert pickle.loads(pickle.dumps(output)).make(config) == output.make(config)


def test_a_new_post_in_a_known_category_leaves_the_subscribe_pages_as_they_were(store: Path) -> None:
    post = "---\ntitle: {n}\ndate: 2026-01-0{n}\ncategory: C\ntags: [t]\n---\nText.\n"
    write(store, "a.md", post.format(n=1))
    config = make_config(store)
    builder = Builder(config)
    first = builder.build(PostStore(config).load(), NOW)
    write(store, "b.md", post.format(n=2))
    second = builder.build(PostStore(config).load(), NOW)
    assert second.resources["/"] is not first.resources["/"]
    for path in ("/subscribe/", "/categories/c/subscribe/", "/tags/t/subscribe/"):
        assert second.resources[path] is first.resources[path], path
    write(store, "c.md", post.format(n=3).replace("category: C", "category: D"))
    third = builder.build(PostStore(config).load(), NOW)
    assert "/categories/d/subscribe/" in third.resources
    assert third.resources["/subscribe/"].body != first.resources["/subscribe/"].body


def test_build_out_writes_them(config: Config, build: Build, tmp_path: Path) -> None:
    folder = write_build(build, tmp_path / "public")
    assert (folder / "subscribe" / "index.html").read_bytes() == build.resources["/subscribe/"].body
    assert (folder / "copy.js").read_bytes() == build.resources["/copy.js"].body
    assert (folder / "categories" / "强化学习" / "subscribe" / "index.html").is_file()
    assert urlsplit(url(config, "/subscribe/")).path == "/subscribe/"
