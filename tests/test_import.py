"""`syndicate import`: feeds other software wrote, read back by the store unchanged."""

from __future__ import annotations

import http.server
import importlib.util
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser  # type: ignore[import-untyped]
import pytest
from conftest import loopback_http, make_config, write
from test_build import run_cli

from syndicate.authoring.importer import (
    MAX_DOWNLOAD_MB,
    MAX_IMPORTED_POST_BYTES,
    _Progress,
    balance,
    entry_date,
    import_entries,
    markdown_body,
    read_feed,
    title_from_text,
)
from syndicate.build.builder import make_build
from syndicate.cli import main
from syndicate.config import Config
from syndicate.posts import Post
from syndicate.render.renderer import markdown_to_html, sanitize
from syndicate.source.store import PostStore, StoreResult, read_body

DATA = Path(__file__).parent / "data"
WORDPRESS = DATA / "wordpress.rss"
BLOGGER = DATA / "blogger.atom"
PAGE = "https://blog.example/posts/x/"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A configuration file whose store is `content/` beside it."""
    config = tmp_path / "syndicate.toml"
    config.write_text('[site]\ntimezone = "Asia/Shanghai"\n[store]\npath = "content"\n', encoding="utf-8")
    return config


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def load(store: Path) -> StoreResult:
    """The store's posts, each with its body (which the store itself leaves in the file)."""
    result = PostStore(make_config(store)).load()
    return replace(result, posts=tuple(replace(post, body=read_body(store, post)) for post in result.posts))


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def by_id(result: StoreResult) -> dict[str, Post]:
    return {post.id: post for post in result.posts}


def render(post: Post) -> str:
    return sanitize(markdown_to_html(post.body), PAGE)


def imported_posts(store: Path, source: Path) -> dict[str, Post]:
    """The store's posts by id, checked: the store has no problems, and each post says what
    its entry in the `source` feed says."""
    result = load(store)
    assert result.problems == ()
    posts = by_id(result)
    entries = source_entries(source)
    for post in posts.values():
        assert_same_as_source(post, entries[post.id])
    return posts


def source_entries(path: Path) -> dict[str, Any]:
    return {entry.id: entry for entry in feedparser.parse(path.read_bytes()).entries}


def assert_same_as_source(post: Post, entry: Any) -> None:
    """What the store reads back equals what the feed said."""
    assert post.title == entry.title
    assert post.date.replace(microsecond=0) == datetime(*entry.published_parsed[:6], tzinfo=UTC)
    terms = [tag.term for tag in entry.get("tags", []) if "#kind" not in (tag.scheme or "")]
    assert [post.category, *post.tags] == (terms or [None])
    assert post.author == entry.author_detail.name
    assert post.id == entry.id


# --- WordPress -------------------------------------------------------------------------------


def test_wordpress_feed(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "import", str(WORDPRESS), "--config", str(site))
    assert code == 0
    assert out == "imported 3, skipped 0 (already there), 1 bad\n"
    assert err == "import: entry 3 (https://example.wordpress.com/?p=131): no title and no content\n"
    store = site.parent / "content"
    assert sorted(files(store)) == [
        "2019-04-02-hello-lisbon.md",
        "2019-06-15-café-notes.md",  # from the link's percent-encoded last segment
        "2019-06-20-slow-trains.md",
    ]
    posts = imported_posts(store, WORDPRESS)

    lisbon = posts["https://example.wordpress.com/?p=123"]
    assert (lisbon.slug, lisbon.category, lisbon.tags) == (
        "hello-lisbon",
        "Travel",
        ("portugal", "food & drink"),
    )
    assert lisbon.date == datetime(2019, 4, 2, 10, 11, 12, tzinfo=UTC)
    assert lisbon.date.utcoffset() == timedelta(0)
    assert lisbon.summary is not None and lisbon.summary.startswith("We landed at noon")
    cafe = posts["https://example.wordpress.com/?p=130"]
    assert cafe.title == "Café notes: 中文 & more"
    assert cafe.date.isoformat() == "2019-06-15T23:45:00-04:30"  # the offset as written, not UTC
    assert cafe.summary is None  # the description says what the content says
    assert posts["https://example.wordpress.com/?p=140"].summary is None  # no description at all


def test_wordpress_html_survives_markdown(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "import", str(WORDPRESS), "--config", str(site))
    posts = by_id(load(site.parent / "content"))
    html = render(posts["https://example.wordpress.com/?p=123"])
    assert "<p>We landed at noon and went straight for <em>pastéis de nata</em>.</p>" in html
    assert '<a href="https://en.wikipedia.org/wiki/Tram_28">tram 28 article</a>' in html
    assert "*before* you go_there" in html  # Markdown left the HTML's text alone
    assert (
        'src="https://example.files.wordpress.com/2019/04/tram.jpg?w=1024">' in html
        and 'alt="Yellow tram"' in html
    )
    assert "<figcaption>Tram 28 at Graça</figcaption>" in html
    assert "<code>\n```\nnot a fence\n```\n</code>" in html  # no code block made of the backticks
    trains = render(posts["https://example.wordpress.com/?p=140"])
    assert "<li>Porto São Bento</li>" in trains and "<strong>slowly</strong>" in trains


def test_importing_twice_changes_nothing(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = site.parent / "content"
    run(capsys, "import", str(WORDPRESS), "--config", str(site))
    first = files(store)
    code, out, _ = run(capsys, "import", str(WORDPRESS), "--config", str(site))
    assert code == 0
    assert out == "imported 0, skipped 3 (already there), 1 bad\n"
    assert files(store) == first


def test_the_same_feed_gives_the_same_bytes_anywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("a", "b"):
        run(
            capsys, "import", str(BLOGGER), "--into", str(tmp_path / name), "--config", str(_config(tmp_path))
        )
    assert files(tmp_path / "a") == files(tmp_path / "b")


def _config(folder: Path) -> Path:
    config = folder / "syndicate.toml"
    config.write_text('[store]\npath = "content"\n', encoding="utf-8")
    return config


# --- Blogger ---------------------------------------------------------------------------------


def test_blogger_export(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "import", str(BLOGGER), "--config", str(site))
    assert code == 0
    assert out == (
        "imported 3 (1 as drafts), skipped 0 (already there), 1 bad, "
        "ignored 2 that are not posts (comments, pages, settings)\n"
    )
    post_4 = "tag:blogger.com,1999:blog-7654321098765432101.post-4444444444444444444"
    assert err == f"import: entry 5 ({post_4}): no date\n"
    posts = imported_posts(site.parent / "content", BLOGGER)

    sourdough = posts["tag:blogger.com,1999:blog-7654321098765432101.post-1111111111111111111"]
    minus_seven = timezone(timedelta(hours=-7))
    assert sourdough.date == datetime(2019, 4, 2, 10, 11, 12, 345000, tzinfo=minus_seven)
    assert sourdough.date.utcoffset() == timedelta(hours=-7)
    assert sourdough.updated == datetime(2019, 4, 3, 8, 30, tzinfo=minus_seven)
    assert (sourdough.category, sourdough.tags) == ("Baking", ("sourdough", "빵"))
    assert sourdough.author == "Jun Park"  # not "Jun Park (noreply@blogger.com)"
    assert sourdough.summary is None
    html = render(sourdough)
    assert "Day one: flour and water.<br>Day two: *nothing* happened." in html
    assert '<img src="https://blogger.googleusercontent.com/img/b/R29v/s320/starter.jpg" width="320">' in html
    assert '<p>Recipe from <a href="https://example.org/recipes/starter">this page</a>.</p>' in html

    kimchi = posts["tag:blogger.com,1999:blog-7654321098765432101.post-2222222222222222222"]
    assert (kimchi.title, kimchi.slug, kimchi.updated) == ("김치 & rice", "blog-post", None)
    assert kimchi.date.microsecond == 1000
    draft = posts["tag:blogger.com,1999:blog-7654321098765432101.post-3333333333333333333"]
    assert draft.draft and draft.slug == "half-written-rye"  # no page link: the slug is the title's


def test_blogger_takeout_types_and_statuses(tmp_path: Path) -> None:
    feed = tmp_path / "feed.atom"
    entries = "".join(
        f"<entry><id>tag:blogger.com,1999:blog-1.post-{n}</id><title>Post {n}</title>"
        f"<published>2021-03-0{n}T10:00:00Z</published><content type='html'>x</content>"
        f"<blogger:type>{kind}</blogger:type><blogger:status>{status}</blogger:status></entry>"
        for n, kind, status in [
            (1, "POST", "LIVE"),
            (2, "POST", "DRAFT"),
            (3, "POST", "DELETED"),
            (4, "PAGE", "LIVE"),
        ]
    )
    feed.write_text(
        "<feed xmlns='http://www.w3.org/2005/Atom' xmlns:blogger='http://schemas.google.com/blogger/2018'>"
        f"<title>b</title><id>tag:b</id><updated>2021-03-09T00:00:00Z</updated>{entries}</feed>",
        encoding="utf-8",
    )
    tally = import_entries(read_feed(str(feed)), tmp_path / "out", make_config(tmp_path / "out"))
    assert (tally.imported, tally.drafts, tally.ignored) == (2, 1, 2)


# --- Pelican ---------------------------------------------------------------------------------

PELICAN_CONF = """\
AUTHOR = "Ann Author"
SITENAME = "Pelican test"
SITEURL = "https://pelican.example"
TIMEZONE = "Europe/Paris"
DEFAULT_LANG = "en"
PATH = "content"
FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
"""

PELICAN_POSTS = {
    "first.md": (
        "Title: First & best post\nDate: 2024-03-10 14:30\nModified: 2024-03-12 09:00\n"
        "Category: Notes\nTags: python, feeds, 中文\nSlug: first-post\nSummary: A short summary.\n\n"
        "Hello *world*, see [a link](https://example.org/) and ![a chart](/images/chart.png).\n\n"
        "Second paragraph.\n"
    ),
    "second.md": "Title: 第二篇 文章\nDate: 2024-01-05 08:00\nCategory: 随笔\nAuthors: Bob\n\nJust text.\n",
    "third.md": "Title: Summer notes\nDate: 2024-07-01 23:30\nCategory: Notes\nTags: travel\n\nIn summer.\n",
}


def pelican_feed(folder: Path) -> Path:
    """Pelican's Atom feed of PELICAN_POSTS, built here by Pelican itself."""
    if importlib.util.find_spec("pelican") is None:
        reason = "pelican is not installed (pip install pelican)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    write(folder, "pelicanconf.py", PELICAN_CONF)
    for name, text in PELICAN_POSTS.items():
        write(folder / "content", name, text)
    command = [sys.executable, "-m", "pelican", "content", "-o", "output", "-s", "pelicanconf.py"]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return folder / "output" / "feeds" / "all.atom.xml"


def test_pelican_feed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feed = pelican_feed(tmp_path / "pelican")
    store = tmp_path / "content"
    code, out, err = run(
        capsys, "import", str(feed), "--into", str(store), "--config", str(_config(tmp_path))
    )
    assert (code, out, err) == (0, "imported 3, skipped 0 (already there), 0 bad\n", "")
    result = load(store)
    assert result.problems == ()
    paris = ZoneInfo("Europe/Paris")
    posts = {post.title: post for post in result.posts}
    assert set(posts) == {"First & best post", "第二篇 文章", "Summer notes"}
    first = posts["First & best post"]
    assert first.date == datetime(2024, 3, 10, 14, 30, tzinfo=paris)
    assert first.date.utcoffset() == timedelta(hours=1)
    assert first.updated == datetime(2024, 3, 12, 9, 0, tzinfo=paris)
    assert (first.category, first.tags, first.author) == ("Notes", ("python", "feeds", "中文"), "Ann Author")
    assert (first.slug, first.summary) == ("first-post", "A short summary.")
    assert first.source == "2024-03-10-first-post.md"
    summer = posts["Summer notes"]
    assert summer.date == datetime(2024, 7, 1, 23, 30, tzinfo=paris)  # summer time: +02:00
    assert summer.source == "2024-07-01-summer-notes.md"  # the day where it was written
    assert (summer.updated, summer.summary) == (None, None)
    second = posts["第二篇 文章"]
    assert (second.category, second.tags, second.author) == ("随笔", (), "Bob")
    entries = source_entries(feed)
    assert {post.id for post in result.posts} == set(entries)
    for post in result.posts:
        assert_same_as_source(post, entries[post.id])
        assert post.id.startswith("tag:pelican.example,")

    html = render(first)
    assert "<p>Hello <em>world</em>, see" in html and "<p>Second paragraph.</p>" in html
    assert '<a href="https://example.org/">a link</a>' in html
    # Pelican leaves the image's link relative: it resolves against the feed's own URL.
    assert '<img alt="a chart" src="https://pelican.example/images/chart.png">' in html

    before = files(store)
    code, out, _ = run(capsys, "import", str(feed), "--into", str(store), "--config", str(_config(tmp_path)))
    assert (code, out) == (0, "imported 0, skipped 3 (already there), 0 bad\n")
    assert files(store) == before


# --- Re-imports, names, collisions -----------------------------------------------------------


def atom(*entries: str) -> str:
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:uuid:feed</id>'
        f"<updated>2024-01-01T00:00:00Z</updated>{''.join(entries)}</feed>"
    )


def entry(
    n: int,
    title: str = "Post",
    *,
    published: str | None = "2024-05-0{n}T10:00:00+02:00",
    updated: str | None = None,
    content: str = "&lt;p&gt;Body {n}&lt;/p&gt;",
    link: str | None = None,
) -> str:
    parts = [f"<id>urn:example:{n}</id>", f"<title>{title}</title>"]
    if published is not None:
        parts.append(f"<published>{published.format(n=n)}</published>")
    if updated is not None:
        parts.append(f"<updated>{updated}</updated>")
    if link is not None:
        parts.append(f'<link rel="alternate" href="{link}"/>')
    if content:
        parts.append(f'<content type="html">{content.format(n=n)}</content>')
    return f"<entry>{''.join(parts)}</entry>"


def do_import(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> tuple[int, str, str]:
    feed = tmp_path / "feed.xml"
    feed.write_text(text, encoding="utf-8")
    store = tmp_path / "content"
    return run(capsys, "import", str(feed), "--into", str(store), "--config", str(_config(tmp_path)))


def test_a_newer_version_rewrites_the_post_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "content"
    do_import(tmp_path, capsys, atom(entry(1, "Old title"), entry(2)))
    (path,) = store.glob("*old-title.md")
    newer = entry(1, "New title", updated="2024-06-01T00:00:00Z", content="&lt;p&gt;New body&lt;/p&gt;")
    code, out, _ = do_import(tmp_path, capsys, atom(newer, entry(2)))
    assert (code, out) == (0, "imported 0, updated 1, skipped 1 (already there), 0 bad\n")
    assert sorted(p.name for p in store.iterdir()) == ["2024-05-01-old-title.md", "2024-05-02-post.md"]
    (post,) = [p for p in load(store).posts if p.id == "urn:example:1"]
    assert (post.title, post.slug) == ("New title", "old-title")  # the URL stays
    assert "New body" in (post.body or "")
    # The same version again, or an older one, is left alone.
    before = path.read_bytes()
    code, out, _ = do_import(tmp_path, capsys, atom(newer, entry(2)))
    assert out == "imported 0, skipped 2 (already there), 0 bad\n"
    do_import(tmp_path, capsys, atom(entry(1, "Old title"), entry(2)))
    assert path.read_bytes() == before


def test_names_never_collide(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "content"
    write(store, "2024-05-01-post.md", "---\ntitle: Mine\ndate: 2024-05-01\nid: urn:mine\n---\nMine.\n")
    write(store, "2024-05-01-post-2.md", "not a post the store can read: no front matter, no title\n")
    write(store, "older/2023-01-01-x.md", "---\ntitle: Other\ndate: 2023-01-01\nslug: post-3\n---\nX\n")
    code, out, err = do_import(tmp_path, capsys, atom(entry(1, "Post"), entry(2, "Post")))
    assert (code, out, err) == (0, "imported 2, skipped 0 (already there), 0 bad\n", "")
    assert (store / "2024-05-01-post.md").read_text(encoding="utf-8").endswith("Mine.\n")
    assert (store / "2024-05-01-post-2.md").read_text(encoding="utf-8").startswith("not a post")
    result = load(store)
    assert [str(p) for p in result.problems] == [
        "2024-05-01-post-2.md:1: error: no title: add a 'title' field or a '# Heading'"
    ]
    assert {post.id: post.source for post in result.posts} == {
        "urn:mine": "2024-05-01-post.md",
        "older/2023-01-01-x": "older/2023-01-01-x.md",
        "urn:example:1": "2024-05-01-post-4.md",  # post-2's file exists, post-3 is the subfolder's slug
        "urn:example:2": "2024-05-02-post-2.md",
    }


def test_entries_with_one_title_get_their_own_slugs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    do_import(tmp_path, capsys, atom(*(entry(n, "Weekly notes") for n in (1, 2, 3))))
    result = load(tmp_path / "content")
    assert result.problems == ()
    assert sorted(post.slug for post in result.posts) == ["weekly-notes", "weekly-notes-2", "weekly-notes-3"]


def test_slug_from_the_page_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    links = [
        "https://old.example/2019/04/02/hello-world/",
        "https://old.example/posts/Second%20Post.html",
        "https://old.example/?p=123",
    ]
    entries = [entry(n + 1, f"Title {n}", link=link) for n, link in enumerate(links)]
    do_import(tmp_path, capsys, atom(*entries))
    assert sorted(post.slug for post in load(tmp_path / "content").posts) == [
        "hello-world",
        "second-post",
        "title-2",
    ]


def test_bad_entries_are_reported_and_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feed = atom(
        entry(1, "Good"),
        entry(2, "No date", published=None),
        entry(3, "Bad date", published="the day after tomorrow"),
        entry(4, "", content=""),
        entry(1, "Same id again"),
        "<entry><title>No id</title><published>2024-05-06T00:00:00Z</published></entry>",
        entry(7, "Only updated", published=None, updated="2024-05-07T08:00:00-03:00"),
        entry(8, "", content="&lt;p&gt;A status update with no title, just some words.&lt;/p&gt;"),
    )
    code, out, err = do_import(tmp_path, capsys, feed)
    assert code == 0
    assert out == "imported 3, skipped 0 (already there), 5 bad\n"
    assert err.splitlines() == [
        "import: entry 2 (urn:example:2): no date",
        "import: entry 3 (urn:example:3): unreadable date 'the day after tomorrow'",
        "import: entry 4 (urn:example:4): no title and no content",
        "import: entry 5 (urn:example:1): the same id as entry 1",
        "import: entry 6 (No id): no id and no link, so a second import could not recognise it",
    ]
    posts = by_id(load(tmp_path / "content"))
    assert posts["urn:example:7"].date.isoformat() == "2024-05-07T08:00:00-03:00"
    assert posts["urn:example:8"].title == "A status update with no title, just some words."


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("page.html", "<!doctype html><html><body><p>Hello</p></body></html>", "not an RSS or Atom feed"),
        ("broken.xml", "<rss><channel><title>x</title>", "not an RSS or Atom feed"),
        ("empty.xml", "", "not an RSS or Atom feed"),
    ],
)
def test_not_a_feed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, message: str
) -> None:
    write(tmp_path, name, text)
    code, out, err = run(capsys, "import", str(tmp_path / name), "--config", str(_config(tmp_path)))
    assert (code, out) == (2, "")
    assert err.startswith(f"syndicate: error: import: {tmp_path / name}: {message}")
    assert err.count("\n") == 1
    assert not (tmp_path / "content").exists()


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "import", str(tmp_path / "nope.xml"), "--config", str(_config(tmp_path)))
    assert code == 2
    assert err == f"syndicate: error: import: {tmp_path / 'nope.xml'}: No such file or directory\n"


# --- Over HTTP -------------------------------------------------------------------------------


@pytest.fixture
def feed_server() -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.1 serving the WordPress sample at /feed/; it records User-Agents."""
    agents: list[str] = []
    body = WORDPRESS.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            agents.append(self.headers.get("User-Agent", ""))
            if self.path != "/feed/":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with loopback_http(Handler) as url:
        yield url, agents


def test_import_from_a_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], feed_server: tuple[str, list[str]]
) -> None:
    base, agents = feed_server
    config = str(_config(tmp_path))
    code, out, _ = run(capsys, "import", f"{base}/feed/", "--into", str(tmp_path / "web"), "--config", config)
    assert (code, out) == (0, "imported 3, skipped 0 (already there), 1 bad\n")
    assert agents == ["syndicate-import"]
    run(capsys, "import", str(WORDPRESS), "--into", str(tmp_path / "file"), "--config", config)
    assert files(tmp_path / "web") == files(tmp_path / "file")

    code, out, err = run(capsys, "import", f"{base}/gone/", "--config", config)
    assert (code, out) == (2, "")
    assert err == f"syndicate: error: import: {base}/gone/: HTTP 404 Not Found\n"


# --- Pieces ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tue, 02 Apr 2019 10:11:12 +0000", "2019-04-02T10:11:12+00:00"),
        ("Sat, 15 Jun 2019 23:45:00 -0430", "2019-06-15T23:45:00-04:30"),
        ("2019-04-02T10:11:12.345-07:00", "2019-04-02T10:11:12.345000-07:00"),
        ("2019-04-02T10:11:12Z", "2019-04-02T10:11:12+00:00"),
        ("Tue, 02 Apr 2019 10:11:12 GMT", "2019-04-02T10:11:12+00:00"),
        ("Tue, 02 Apr 2019 10:11:12 EST", "2019-04-02T10:11:12-05:00"),
        ("Tue, 02 Apr 2019 10:11:12 Z", "2019-04-02T10:11:12+00:00"),  # military zone: feedparser's
        ("2019-04-02", "2019-04-02T00:00:00+00:00"),  # no offset given: UTC
    ],
)
def test_entry_dates_keep_their_offset(raw: str, expected: str) -> None:
    parsed = feedparser.parse(atom(entry(1, published=raw))).entries[0]
    moment = entry_date(parsed, "published")
    assert moment is not None and moment.isoformat() == expected


def test_markdown_body_is_one_balanced_raw_block() -> None:
    assert balance("<div><p>a <b>b</p></div></div><p>c") == "<div><p>a <b>b</b></p></div><p>c</p>"
    assert balance("<p>one<p>two<br>three &amp; &#169;<!-- note -->") == (
        "<p>one</p><p>two<br>three &amp; &#169;<!-- note --></p>"
    )
    body = markdown_body("<p>x</p></div>\n    indented *not code*\n\n# not a heading\n~~~\n")
    html = sanitize(markdown_to_html(body), PAGE)
    assert "<pre" not in html and "<h" not in html and "<em>" not in html
    assert "indented *not code*" in html and "# not a heading" in html and "~~~" in html


def test_title_from_text() -> None:
    assert title_from_text("Short.") == "Short."
    long = "A status update with many words that goes on and on, longer than a title should be."
    assert title_from_text(long) == "A status update with many words that goes on and on, longer…"
    assert title_from_text("长" * 80) == "长" * 60 + "…"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal_and_only_for_long_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    entries = [entry(n, f"Post {n}", published="2024-05-01T10:00:00Z") for n in range(1, 61)]
    entries[30] = entry(31, "", content="")
    feed = tmp_path / "feed.xml"
    feed.write_text(atom(*entries), encoding="utf-8")
    config = make_config(tmp_path / "content")
    tally = import_entries(read_feed(str(feed)), tmp_path / "content", config)
    assert (tally.imported, tally.bad) == (59, 1)
    shown = terminal.getvalue()
    assert "\rimport: entry 1/60" in shown and "\rimport: entry 60/60" in shown
    # A report starts on a clean line, and the counter is gone at the end.
    assert "\rimport: entry 31/60\r" + " " * 19 + "\rimport: entry 31 (urn:example:31)" in shown
    assert shown.endswith("\r" + " " * 19 + "\r")

    short = _Terminal()
    _Progress(50, short).show(1)
    not_a_terminal = io.StringIO()
    _Progress(500, not_a_terminal).show(1)
    assert short.getvalue() == not_a_terminal.getvalue() == ""


# --- WordPress export (WXR) ------------------------------------------------------------------

WXR = """\
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Export</title><link>https://old.example</link><wp:wxr_version>1.2</wp:wxr_version>
<item><title>Classic post</title><link>https://old.example/classic-post/</link>
  <pubDate>Mon, 01 Apr 2019 09:00:00 +0000</pubDate><dc:creator><![CDATA[maria]]></dc:creator>
  <guid isPermaLink="false">https://old.example/?p=10</guid>
  <content:encoded><![CDATA[First paragraph
with a line break.

<ul><li>a list</li></ul>

Last paragraph.]]></content:encoded>
  <category domain="post_tag" nicename="lisbon"><![CDATA[lisbon]]></category>
  <category domain="category" nicename="travel"><![CDATA[Travel]]></category>
  <category domain="category" nicename="food"><![CDATA[Food]]></category>
  <wp:post_type><![CDATA[post]]></wp:post_type><wp:status><![CDATA[publish]]></wp:status></item>
<item><title>Unfinished</title><pubDate>Tue, 02 Apr 2019 09:00:00 +0000</pubDate>
  <guid isPermaLink="false">https://old.example/?p=11</guid>
  <content:encoded><![CDATA[Draft text]]></content:encoded>
  <wp:post_type><![CDATA[post]]></wp:post_type><wp:status><![CDATA[draft]]></wp:status></item>
<item><title>photo.jpg</title><pubDate>Tue, 02 Apr 2019 09:00:00 +0000</pubDate>
  <guid isPermaLink="false">https://old.example/photo.jpg</guid>
  <wp:post_type><![CDATA[attachment]]></wp:post_type><wp:status><![CDATA[inherit]]></wp:status></item>
</channel></rss>
"""


def test_wordpress_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = do_import(tmp_path, capsys, WXR)
    assert code == 0
    assert out == (
        "imported 2 (1 as drafts), skipped 0 (already there), 0 bad, "
        "ignored 1 that are not posts (comments, pages, settings)\n"
    )
    result = load(tmp_path / "content")
    assert result.problems == ()
    posts = by_id(result)
    classic = posts["https://old.example/?p=10"]
    assert (classic.category, classic.tags, classic.author) == ("Travel", ("Food", "lisbon"), "maria")
    html = render(classic)
    assert "<p>First paragraph<br>\nwith a line break.</p>" in html
    assert "<ul><li>a list</li></ul>" in html and "<p>Last paragraph.</p>" in html
    assert posts["https://old.example/?p=11"].draft


def test_an_author_given_only_as_an_address_is_not_published(tmp_path: Path) -> None:
    rss = (
        '<rss version="2.0"><channel><title>t</title><item><title>A</title><guid>urn:a</guid>'
        "<author>someone@example.org</author><pubDate>Tue, 02 Apr 2019 10:11:12 +0000</pubDate>"
        "<description>x</description></item></channel></rss>"
    )
    feed = tmp_path / "feed.xml"
    feed.write_text(rss, encoding="utf-8")
    config: Config = make_config(tmp_path / "content", author="Site Author")
    import_entries(read_feed(str(feed)), tmp_path / "content", config)
    (post,) = PostStore(config).load().posts
    assert post.author == "Site Author"


def test_a_feed_of_only_bad_entries_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = do_import(tmp_path, capsys, atom(entry(1, published=None), entry(2, published=None)))
    assert (code, out) == (1, "imported 0, skipped 0 (already there), 2 bad\n")
    assert err.count("no date") == 2


def test_a_broken_feed_is_read_leniently_with_one_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rss = (
        '<rss version="2.0"><channel><title>Fish & chips</title><link>https://old.example/</link>'
        "<item><title>One</title><guid>urn:one</guid><pubDate>Tue, 02 Apr 2019 10:11:12 +0000</pubDate>"
        "<description>&lt;p&gt;Text&lt;/p&gt;</description></item></channel></rss>"
    )
    code, out, err = do_import(tmp_path, capsys, rss)
    assert (code, out) == (0, "imported 1, skipped 0 (already there), 0 bad\n")
    (line,) = err.splitlines()
    assert line.startswith(f"import: warning: {tmp_path / 'feed.xml'}: read leniently: ")


# --- Hostile feeds, through the real command -------------------------------------------------


def rss_item(
    guid: str,
    title: str,
    link: str | None = None,
    body: str = "&lt;p&gt;Text&lt;/p&gt;",
    *,
    categories: tuple[str, ...] = (),
    date: str = "Tue, 02 Apr 2019 10:11:12 +0000",
) -> str:
    link_element = f"<link>{link}</link>" if link else ""
    terms = "".join(f"<category>{name}</category>" for name in categories)
    return (
        f'<item><title>{title}</title><guid isPermaLink="false">{guid}</guid>{link_element}{terms}'
        f"<pubDate>{date}</pubDate><description>{body}</description></item>"
    )


def rss(*items: str) -> str:
    return f'<rss version="2.0"><channel><title>t</title>{"".join(items)}</channel></rss>'


def import_command(folder: Path, text: str) -> subprocess.CompletedProcess[str]:
    """`syndicate import` of `text` into `folder/content`, as a process of its own."""
    feed = write(folder, "feed.xml", text)
    return run_cli("import", feed, "--config", _config(folder), cwd=folder)


def test_an_id_that_is_a_script_uri_never_becomes_an_entry_id(tmp_path: Path) -> None:
    feed = rss(
        rss_item("javascript:alert(1)", "Script", link="https://old.example/script"),
        rss_item("JavaScript:alert(2)", "Script without a link"),
        rss_item(
            "data:text/html,&lt;script&gt;alert(3)&lt;/script&gt;", "Data", link="https://old.example/data"
        ),
        rss_item("tag:old.example,2019:4", "Tag"),
        rss_item("urn:uuid:0f6e2b46-0f41-4b38-9d47-5d2b1b7b8b05", "Urn"),
        rss_item("https://old.example/?p=6", "Web"),
        rss_item("post 7", "Plain"),
    )
    done = import_command(tmp_path, feed)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "imported 6, skipped 0 (already there), 1 bad\n"
    assert done.stderr.splitlines() == [
        "import: warning: entry 1 (javascript:alert(1)): id 'javascript:alert(1)' is a javascript: URI, "
        "not an identifier; its link https://old.example/script is its id instead",
        "import: warning: entry 2 (JavaScript:alert(2)): id 'JavaScript:alert(2)' is a javascript: URI, "
        "not an identifier; and it has no link to use instead",
        "import: entry 2 (JavaScript:alert(2)): no id and no link, so a second import could not recognise it",
        "import: warning: entry 3 (data:text/html,<script>alert(3)</script>): id "
        "'data:text/html,<script>alert(3)</script>' is a data: URI, not an identifier; "
        "its link https://old.example/data is its id instead",
    ]
    ids = sorted(post.id for post in load(tmp_path / "content").posts)
    assert ids == [
        "https://old.example/?p=6",
        "https://old.example/data",
        "https://old.example/script",
        "post 7",
        "tag:old.example,2019:4",
        "urn:uuid:0f6e2b46-0f41-4b38-9d47-5d2b1b7b8b05",
    ]
    again = import_command(tmp_path, feed)  # the link is found again: nothing twice
    assert again.stdout == "imported 0, skipped 6 (already there), 1 bad\n"


def test_published_entry_ids_are_all_identifiers(tmp_path: Path) -> None:
    feed = rss(rss_item("javascript:alert(1)", "Script", link="https://old.example/script"))
    assert import_command(tmp_path, feed).returncode == 0
    config = make_config(tmp_path / "content")
    build = make_build(PostStore(config).load(), config, datetime.now(UTC))
    atom_feed = feedparser.parse(build.resources["/atom.xml"].body)
    json_feed = json.loads(build.resources["/feed.json"].body)
    assert [entry.id for entry in atom_feed.entries] == ["https://old.example/script"]
    assert [item["id"] for item in json_feed["items"]] == ["https://old.example/script"]


def test_an_entry_larger_than_a_post_may_be_is_refused(tmp_path: Path) -> None:
    huge = "&lt;p&gt;" + "x" * (MAX_IMPORTED_POST_BYTES + 1) + "&lt;/p&gt;"
    feed = rss(rss_item("urn:huge", "Huge", body=huge), rss_item("urn:small", "Small"))
    done = import_command(tmp_path, feed)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "imported 1, skipped 0 (already there), 1 bad\n"
    assert done.stderr.splitlines() == [
        "import: entry 1 (urn:huge): 5.0 MB of content, more than a post may have"
        " (store.max_post_bytes, 5 MB)"
    ]
    assert [post.id for post in load(tmp_path / "content").posts] == ["urn:small"]


def test_the_limit_is_on_the_whole_file(tmp_path: Path) -> None:
    """A post file of exactly the limit is written; one byte more is refused, though its
    content alone is under the limit."""
    wrapping = 98  # this entry's front matter and <div> around its text, measured
    fits = rss_item(
        "urn:fits", "Fits", body="&lt;p&gt;" + "x" * (MAX_IMPORTED_POST_BYTES - wrapping) + "&lt;/p&gt;"
    )
    over = rss_item(
        "urn:over", "Over", body="&lt;p&gt;" + "x" * (MAX_IMPORTED_POST_BYTES - wrapping + 1) + "&lt;/p&gt;"
    )
    done = import_command(tmp_path, rss(fits, over))
    assert done.stdout == "imported 1, skipped 0 (already there), 1 bad\n", done.stderr
    assert done.stderr == (
        "import: entry 2 (urn:over): a post of 5.0 MB, more than a post may have"
        " (store.max_post_bytes, 5 MB)\n"
    )
    (written,) = (tmp_path / "content").glob("*.md")
    assert len(written.read_bytes()) == MAX_IMPORTED_POST_BYTES


def test_stray_end_tags_under_deep_nesting_cost_what_their_size_does(tmp_path: Path) -> None:
    """Each stray end tag searched every open element: 150,000 of each took minutes. The
    bound is run_cli's timeout."""
    count = 150_000
    html = "<div>" * count + "</span>" * count + "<p>End.</p>"
    done = import_command(tmp_path, rss(rss_item("urn:deep", "Deep", body=escape(html))))
    assert (done.returncode, done.stdout) == (0, "imported 1, skipped 0 (already there), 0 bad\n"), (
        done.stderr
    )
    (written,) = (tmp_path / "content").glob("*.md")
    text = written.read_text(encoding="utf-8")
    assert "</span>" not in text and text.count("</div>") == count + 1  # and the wrapping one


def test_import_honours_the_store_limit_of_its_configuration(tmp_path: Path) -> None:
    config = tmp_path / "syndicate.toml"
    config.write_text('[store]\npath = "content"\nmax_post_bytes = 2000\n', encoding="utf-8")
    big = "&lt;p&gt;" + "x" * 1950 + "&lt;/p&gt;"  # under the limit, but not with its front matter
    write(tmp_path, "feed.xml", rss(rss_item("urn:big", "Big", body=big), rss_item("urn:small", "Small")))
    done = run_cli("import", "feed.xml", "--config", config, cwd=tmp_path)
    assert done.stdout == "imported 1, skipped 0 (already there), 1 bad\n", done.stderr
    assert done.stderr == (
        "import: entry 1 (urn:big): a post of 2,045 bytes, more than a post may have"
        " (store.max_post_bytes, 2,000 bytes)\n"
    )
    check = run_cli("check", "--config", config, cwd=tmp_path)
    assert check.stdout == "1 posts (1 published, 0 drafts, 0 scheduled), 0 skipped with errors, 0 warnings\n"


# --- What the store would refuse: cleaned on the way in, or reported and not written ---------

LATE = "Fri, 31 Dec 9999 23:59:59 -1200"  # 10000-01-01 in UTC
STORE_WOULD_REFUSE = rss(
    rss_item("urn:control", "Tit&#1;le", categories=("cat&#1;x", "ok")),
    rss_item("urn:many", "Many", categories=tuple(f"t{n}" for n in range(150))),
    rss_item("urn:long", "Long", categories=("x" * 300, "short")),
    rss_item("urn:device", "Device", categories=("nul", "food")),
    rss_item("urn:late", "Late", date=LATE),
)


def check_command(folder: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("check", "--config", _config(folder), cwd=folder)


def test_what_the_store_would_refuse_is_cleaned_on_the_way_in(tmp_path: Path) -> None:
    done = import_command(tmp_path, STORE_WOULD_REFUSE)
    assert (done.returncode, done.stdout) == (0, "imported 4, skipped 0 (already there), 1 bad\n"), (
        done.stderr
    )
    check = check_command(tmp_path)
    assert (check.returncode, check.stdout) == (
        0,
        "4 posts (4 published, 0 drafts, 0 scheduled), 0 skipped with errors, 0 warnings\n",
    )
    posts = by_id(load(tmp_path / "content"))
    control = posts["urn:control"]
    assert (control.title, control.category, control.tags) == ("Title", "catx", ("ok",))
    many = posts["urn:many"]
    assert (many.category, many.tags) == ("t0", tuple(f"t{n}" for n in range(1, 101)))
    assert (posts["urn:long"].category, posts["urn:long"].tags) == ("x" * 200, ("short",))
    assert (posts["urn:device"].category, posts["urn:device"].tags) == ("food", ())  # the next term


def test_each_change_is_a_warning_naming_its_entry(tmp_path: Path) -> None:
    lines = import_command(tmp_path, STORE_WOULD_REFUSE).stderr.splitlines()
    assert lines[0].startswith("import: warning: ") and "read leniently" in lines[0]  # the &#1;
    assert lines[1:4] == [
        "import: warning: entry 2 (urn:many): 149 tags, more than a post may have (100); the first 100 kept",
        f"import: warning: entry 3 (urn:long): the term '{'x' * 40}…' makes a slug that is 300 bytes long, "
        "more than the 200 a file name may have everywhere; cut to 200 characters",
        "import: warning: entry 4 (urn:device): the term 'nul' makes the slug 'nul', "
        "which is a name Windows keeps for a device; left out",
    ]


def test_an_entry_the_store_would_still_refuse_is_one_line_and_no_file(tmp_path: Path) -> None:
    done = import_command(tmp_path, STORE_WOULD_REFUSE)
    (error,) = [line for line in done.stderr.splitlines() if not line.startswith("import: warning: ")]
    assert error == (
        "import: entry 5 (urn:late): 'date' 9999-12-31T23:59:59-12:00 is out of range: "
        "in UTC every date must fall between 0001-01-02 and 9999-12-30"
    )
    assert not list((tmp_path / "content").glob("9999-*"))
    again = import_command(tmp_path, STORE_WOULD_REFUSE)
    assert again.stdout == "imported 0, skipped 4 (already there), 1 bad\n", again.stderr


def test_a_feed_the_store_would_refuse_all_of_fails(tmp_path: Path) -> None:
    feed = atom(
        entry(1, published="9999-12-31T23:59:59-12:00"), entry(2, published="0001-01-01T00:00:00+01:00")
    )
    done = import_command(tmp_path, feed)
    assert (done.returncode, done.stdout) == (1, "imported 0, skipped 0 (already there), 2 bad\n")
    range_ = "is out of range: in UTC every date must fall between 0001-01-02 and 9999-12-30"
    assert done.stderr.splitlines() == [
        f"import: entry 1 (urn:example:1): 'date' 9999-12-31T23:59:59-12:00 {range_}",
        f"import: entry 2 (urn:example:2): 'date' 0001-01-01T00:00:00+01:00 {range_}",
    ]
    assert list((tmp_path / "content").glob("*.md")) == []


def test_a_newer_version_the_store_would_refuse_leaves_the_post_as_it_was(tmp_path: Path) -> None:
    first = rss_item("urn:one", "One")
    assert import_command(tmp_path, rss(first)).stdout == "imported 1, skipped 0 (already there), 0 bad\n"
    before = files(tmp_path / "content")
    newer = atom(entry(1, published="9999-12-31T23:59:59-12:00")).replace("urn:example:1", "urn:one")
    done = import_command(tmp_path, newer)
    assert done.stdout == "imported 0, skipped 0 (already there), 1 bad\n", done.stderr
    assert files(tmp_path / "content") == before


# --- Over HTTP, of a size --------------------------------------------------------------------

MB = 1024 * 1024


def padded_feed(size: int) -> bytes:
    """A feed of two posts that is `size` bytes long, padded with a comment."""
    head = rss(rss_item("urn:one", "One"), rss_item("urn:two", "Two")).encode()
    padding = size - len(head) - len("<!---->")
    assert padding >= 0
    return head + b"<!--" + b"x" * padding + b"-->"


@pytest.fixture
def sized_server() -> Iterator[tuple[str, dict[str, Any]]]:
    """A server on 127.0.0.1: /feed/SIZE is a feed of SIZE bytes, sent with its length;
    /unsized/SIZE the same, without it (its end is where the connection closes);
    /endless/ and /endless-chunked/ an item after another until the client hangs up."""
    seen: dict[str, Any] = {"encodings": [], "sent": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen["encodings"].append(self.headers.get("Accept-Encoding"))
            kind, _, size = self.path.strip("/").partition("/")
            self.protocol_version = "HTTP/1.1" if kind == "endless-chunked" else "HTTP/1.0"
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            if kind in ("feed", "unsized"):
                body = padded_feed(int(size))
                if kind == "feed":
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            chunked = kind == "endless-chunked"
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            item = rss_item("urn:again", "Again").encode() * 200
            try:
                while seen["sent"] < 1024 * MB:  # a bound for the test, should the client read on
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(item), item) if chunked else item)
                    seen["sent"] += len(item)
            except OSError:  # the client hung up: what it should do
                pass
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with loopback_http(Handler) as url:
        yield url, seen


@pytest.mark.parametrize("path", ["feed", "unsized"])
def test_a_feed_url_is_read_up_to_its_limit(
    tmp_path: Path, sized_server: tuple[str, dict[str, Any]], path: str
) -> None:
    base, seen = sized_server
    config = _config(tmp_path)
    url = f"{base}/{path}/{MB + 1}"
    over = run_cli("import", url, "--max-download-mb", "1", "--config", config, cwd=tmp_path)
    assert (over.returncode, over.stdout) == (2, "")
    assert over.stderr == (
        f"syndicate: error: import: {url}: more than 1 MB to download (--max-download-mb); nothing imported\n"
    )
    assert not (tmp_path / "content").exists()

    fits = run_cli(
        "import", f"{base}/{path}/{MB}", "--max-download-mb", "1", "--config", config, cwd=tmp_path
    )
    assert (fits.returncode, fits.stdout) == (0, "imported 2, skipped 0 (already there), 0 bad\n"), (
        fits.stderr
    )
    assert sorted(post.id for post in load(tmp_path / "content").posts) == ["urn:one", "urn:two"]
    assert seen["encodings"] == ["identity", "identity"]  # nothing compressed to count twice


@pytest.mark.parametrize("path", ["endless", "endless-chunked"])
def test_a_feed_url_that_never_ends_is_given_up_at_the_limit(
    tmp_path: Path, sized_server: tuple[str, dict[str, Any]], path: str
) -> None:
    base, seen = sized_server
    url = f"{base}/{path}/"
    done = run_cli("import", url, "--max-download-mb", "2", "--config", _config(tmp_path), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"syndicate: error: import: {url}: more than 2 MB to download (--max-download-mb); nothing imported\n"
    )
    assert not (tmp_path / "content").exists()
    assert seen["sent"] < 1024 * MB


def test_the_default_download_limit_is_the_one_help_shows() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "syndicate.cli", "import", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"(default: {MAX_DOWNLOAD_MB})" in " ".join(shown.stdout.split())


# --- Double escaping, empty content ----------------------------------------------------------

DOUBLE_ESCAPED = """\
<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Marta&amp;#8217;s notebook</title><link>https://notebook.example/</link>
<item><title>Lo&amp;#239;c in Lyon</title><link>https://notebook.example/lyon/</link>
  <guid>https://notebook.example/lyon/</guid><pubDate>Tue, 02 Apr 2019 10:11:12 +0000</pubDate>
  <author>loic@notebook.example (Lo&amp;#239;c Le Meur)</author>
  <category>Lo&amp;#239;c Le Meur</category><category>Fish &amp;amp; chips</category>
  <category>&amp;copy Fish &amp; chips</category>
  <description>&lt;p&gt;Text&lt;/p&gt;</description></item>
<item><title>Second</title><guid>https://notebook.example/second/</guid>
  <pubDate>Wed, 03 Apr 2019 10:11:12 +0000</pubDate><dc:creator>Ren&amp;eacute;e</dc:creator>
  <description>&lt;p&gt;Text&lt;/p&gt;</description></item>
</channel></rss>
"""


def test_names_of_a_double_escaped_feed_are_decoded_as_its_titles_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = do_import(tmp_path, capsys, DOUBLE_ESCAPED)
    assert (code, out, err) == (0, "imported 2, skipped 0 (already there), 0 bad\n", "")
    result = load(tmp_path / "content")
    assert result.problems == ()
    posts = by_id(result)
    lyon = posts["https://notebook.example/lyon/"]
    assert lyon.title == "Loïc in Lyon"
    assert (lyon.category, lyon.tags, lyon.author) == (
        "Loïc Le Meur",
        ("Fish & chips", "&copy Fish & chips"),  # a reference without its `;` is text
        "Loïc Le Meur",
    )
    assert posts["https://notebook.example/second/"].author == "Renée"
    config = make_config(tmp_path / "content")
    build = make_build(result, config, datetime(2030, 1, 1, tzinfo=UTC))
    categories = sorted(path for path in build.resources if path.startswith("/categories/"))
    assert "/categories/loïc-le-meur/" in categories or "/categories/loic-le-meur/" in categories
    assert not any("239" in path for path in build.resources)


def test_an_entry_of_empty_content_becomes_a_post_with_a_body(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = atom(
        entry(1, "Linked", content="", link="https://old.example/linked/").replace(
            "</entry>", '<content type="html"></content><summary>  </summary></entry>'
        ),
        entry(2, "Unlinked", content=" &lt;p&gt; &amp;nbsp; &lt;/p&gt; "),
        entry(3, "Summary only", content="").replace(
            "</entry>", '<content type="html"> </content><summary>The summary says it.</summary></entry>'
        ),
        entry(4, "Picture", content='&lt;img src="https://old.example/a.png"&gt;'),
        entry(5, "", content=" "),
    )
    code, out, err = do_import(tmp_path, capsys, feed)
    assert (code, out) == (0, "imported 4, skipped 0 (already there), 1 bad\n")
    assert err == "import: entry 5 (urn:example:5): no title and no content\n"
    result = load(tmp_path / "content")
    assert result.problems == ()
    posts = by_id(result)
    assert render(posts["urn:example:1"]) == (
        '<div>\n<p><a href="https://old.example/linked/">Linked</a></p>\n</div>'
    )
    assert render(posts["urn:example:2"]) == "<div>\n<p>Unlinked</p>\n</div>"
    summary_only = posts["urn:example:3"]
    assert render(summary_only) == "<div>\n<p>The summary says it.</p>\n</div>"
    assert summary_only.summary is None
    assert render(posts["urn:example:4"]) == '<div>\n<img src="https://old.example/a.png">\n</div>'
    config = make_config(tmp_path / "content")
    build = make_build(result, config, datetime(2030, 1, 1, tzinfo=UTC))
    for item in json.loads(build.resources["/feed.json"].body)["items"]:
        assert item["content_html"].strip(), item["id"]
    for atom_entry in feedparser.parse(build.resources["/atom.xml"].body).entries:
        assert atom_entry.content[0].value.strip(), atom_entry.id
