"""`syndicate import` of JSON Feed 1.0 and 1.1: the same posts, ids and limits as Atom and RSS."""

from __future__ import annotations

import contextlib
import dataclasses
import http.server
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE_CONFIG, loopback_http, make_config, write
from test_import import _config, by_id, files, load, render, run

from syndicate.build.builder import make_build
from syndicate.config import load_config
from syndicate.posts import Post
from syndicate.source.store import PostStore

NOW = datetime(2029, 3, 17, 5, 43, 21, tzinfo=UTC)  # after every published post of the example
V1 = "https://jsonfeed.org/version/1"
V11 = "https://jsonfeed.org/version/1.1"


def import_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: object, name: str = "feed.json"
) -> tuple[int, str, str]:
    text = document if isinstance(document, str | bytes) else json.dumps(document, ensure_ascii=False)
    feed = write(tmp_path, name, text)
    store = str(tmp_path / "content")
    return run(capsys, "import", str(feed), "--into", store, "--config", str(_config(tmp_path)))


# --- The example site's own feeds, both ways -------------------------------------------------


@pytest.fixture(scope="module")
def example_feeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site's /feed.json and /atom.xml, built into a folder of their own."""
    folder = tmp_path_factory.mktemp("example-feeds")
    config = load_config(EXAMPLE_CONFIG, {})
    config = dataclasses.replace(config, build=dataclasses.replace(config.build, cache_dir=folder / ".cache"))
    build = make_build(PostStore(config).load(), config, NOW)
    for name in ("feed.json", "atom.xml"):
        (folder / name).write_bytes(build.resources[f"/{name}"].body)
    return folder


def comparable(post: Post) -> tuple[object, ...]:
    return (post.title, post.date, post.updated, post.category, post.tags, post.author, post.summary)


def test_the_example_sites_json_feed_gives_the_posts_its_atom_feed_gives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], example_feeds: Path
) -> None:
    config = str(_config(tmp_path))
    stores = {name: tmp_path / name for name in ("feed.json", "atom.xml")}
    for name, store in stores.items():
        code, out, err = run(
            capsys, "import", str(example_feeds / name), "--into", str(store), "--config", config
        )
        assert (code, out, err) == (0, "imported 20, skipped 0 (already there), 0 bad\n", "")
    from_json, from_atom = (load(store) for store in stores.values())
    assert from_json.problems == from_atom.problems == ()
    json_posts, atom_posts = by_id(from_json), by_id(from_atom)
    assert len(json_posts) == 20 and set(json_posts) == set(atom_posts)
    assert all(post_id.startswith("tag:signal-notes.example,2026:") for post_id in json_posts)
    for post_id, post in json_posts.items():
        other = atom_posts[post_id]
        assert comparable(post) == comparable(other)
        assert (post.slug, post.body) == (other.slug, other.body)
        assert post.lang == "zh-CN"  # the feed's language, which is not this site's
    feed = json.loads((example_feeds / "feed.json").read_bytes())
    assert [item["title"] for item in feed["items"]] == [
        json_posts[item["id"]].title for item in feed["items"]
    ]
    assert any(post.tags for post in json_posts.values())

    # Entry ids are the same in both: either feed, imported over the other, adds nothing.
    before = files(stores["atom.xml"])
    code, out, _ = run(
        capsys,
        "import",
        str(example_feeds / "feed.json"),
        "--into",
        str(stores["atom.xml"]),
        "--config",
        config,
    )
    assert (code, out) == (0, "imported 0, skipped 20 (already there), 0 bad\n")
    assert files(stores["atom.xml"]) == before


# --- Samples of each version -----------------------------------------------------------------

VERSION_1 = {
    "version": V1,
    "title": "Harbour log",
    "home_page_url": "https://harbour.example/",
    "feed_url": "https://harbour.example/feed.json",
    "author": {"name": "Ines Duarte", "url": "https://harbour.example/about"},
    "_harbour": {"tide": "high"},
    "items": [
        {
            "id": "https://harbour.example/2020/boats",
            "url": "https://harbour.example/2020/boats/",
            "title": "Boats & ropes",
            "content_html": (
                '<p>Knots <img src="/img/knot.png" alt="a knot"> and '
                '<a href="../ropes/" onclick="steal()">ropes</a>.</p><script>alert(1)</script>'
            ),
            "summary": "About knots.",
            "date_published": "2020-03-04T05:06:07+01:00",
            "date_modified": "2020-03-05T00:00:00Z",
            "tags": ["sea", "knots"],
            "image": "/img/boat.jpg",
            "_harbour": {"crew": 3},
        },
        {
            "id": 42,
            "url": "https://harbour.example/2020/fog/",
            "content_text": "Fog <again> today.\n\nNo boats & no gulls.",
            "date_published": "2020-04-01T08:00:00-03:00",
        },
    ],
}


def test_a_version_1_feed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = import_file(tmp_path, capsys, VERSION_1)
    assert (code, out, err) == (0, "imported 2, skipped 0 (already there), 0 bad\n", "")
    result = load(tmp_path / "content")
    assert result.problems == ()
    posts = by_id(result)
    boats = posts["https://harbour.example/2020/boats"]
    assert (boats.title, boats.slug, boats.category, boats.tags) == (
        "Boats & ropes",
        "boats",
        "sea",
        ("knots",),
    )
    assert boats.author == "Ines Duarte"  # the feed's author
    assert boats.date == datetime(2020, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=1)))
    assert boats.updated == datetime(2020, 3, 5, tzinfo=UTC)
    assert (boats.summary, boats.image) == ("About knots.", "https://harbour.example/img/boat.jpg")
    html = render(boats)
    assert '<img alt="a knot" src="https://harbour.example/img/knot.png">' in html
    assert '<a href="https://harbour.example/2020/ropes/">ropes</a>' in html  # against the item's page
    text = (tmp_path / "content" / "2020-03-04-boats.md").read_text(encoding="utf-8")
    assert not any(word in text for word in ("script", "onclick", "alert", "tide", "crew"))  # nor extensions

    fog = posts["42"]  # a number as the id: its text
    assert fog.title == "Fog <again> today. No boats & no gulls."  # no title: its opening words
    assert fog.date.isoformat() == "2020-04-01T08:00:00-03:00"
    assert (fog.lang, fog.image, fog.summary) == ("en", None, None)
    assert render(fog) == "<div>\n<p>Fog &lt;again&gt; today.</p>\n<p>No boats &amp; no gulls.</p>\n</div>"

    code, out, _ = import_file(tmp_path, capsys, VERSION_1)
    assert (code, out) == (0, "imported 0, skipped 2 (already there), 0 bad\n")


VERSION_1_1 = {
    "version": V11,
    "title": "Notas",
    "home_page_url": "https://notas.example/",
    "language": "pt-BR",
    "authors": [{"url": "https://notas.example/"}, {"name": "Rui Lima"}],
    "items": [
        {
            "id": "tag:notas.example,2024:1",
            "url": "https://notas.example/p/um",
            "title": "Um",
            "content_html": "<p>Olá.</p>",
            "date_published": "2024-06-01T10:00:00-03:00",
            "authors": [{"name": "Ana Souza", "avatar": "https://notas.example/ana.png"}],
            "banner_image": "https://notas.example/banner.png",
        },
        {
            "id": "tag:notas.example,2024:2",
            "url": "https://notas.example/p/two",
            "title": "Two",
            "language": "en",  # this site's language: the post needs no `lang`
            "content_text": "Hello.",
            "date_modified": "2024-06-02T10:00:00Z",  # no date_published: the date
        },
        {
            "id": "tag:notas.example,2024:3",
            "url": "https://notas.example/p/link",
            "title": "A page worth reading",
            "external_url": "https://elsewhere.example/article?a=1&b=2",
            "content_html": "",
            "date_published": "2024-06-03T10:00:00Z",
        },
        {
            "id": "tag:notas.example,2024:4",
            "url": "https://notas.example/p/only-a-title",
            "title": "Only a title",
            "content_html": "  ",
            "content_text": "",
            "summary": " ",
            "date_published": "2024-06-04T10:00:00Z",
        },
        "not an item",
        {"id": "tag:notas.example,2024:6", "title": "No date", "content_text": "x"},
        {"id": {"not": "a string"}, "title": "Odd id", "content_text": "x", "date_published": "2024-06-06"},
    ],
}


def test_a_version_1_1_feed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = import_file(tmp_path, capsys, VERSION_1_1)
    assert (code, out) == (0, "imported 4, skipped 0 (already there), 3 bad\n")
    assert err.splitlines() == [
        "import: entry 5 (no id): the item is not a JSON object",
        "import: entry 6 (tag:notas.example,2024:6): no date",
        "import: entry 7 (Odd id): its id is not a string",
    ]
    result = load(tmp_path / "content")
    assert result.problems == ()
    posts = by_id(result)
    one = posts["tag:notas.example,2024:1"]
    assert (one.author, one.lang, one.image) == ("Ana Souza", "pt-BR", "https://notas.example/banner.png")
    two = posts["tag:notas.example,2024:2"]
    assert (two.author, two.lang, two.date, two.updated) == (
        "Rui Lima",
        "en",
        datetime(2024, 6, 2, 10, tzinfo=UTC),
        None,
    )
    assert "lang:" not in (tmp_path / "content" / "2024-06-02-two.md").read_text(encoding="utf-8")
    link = render(posts["tag:notas.example,2024:3"])
    assert '<a href="https://elsewhere.example/article?a=1&amp;b=2">' in link
    only = posts["tag:notas.example,2024:4"]
    assert (
        render(only)
        == '<div>\n<p><a href="https://notas.example/p/only-a-title">Only a title</a></p>\n</div>'
    )
    assert only.summary is None


def test_a_newer_version_of_an_item_rewrites_its_post(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    item = {
        "id": "urn:x:1",
        "title": "First",
        "content_text": "One.",
        "date_published": "2024-01-01T00:00:00Z",
    }
    import_file(tmp_path, capsys, {"version": V11, "items": [item]})
    newer = {**item, "title": "Second", "date_modified": "2024-02-01T00:00:00Z"}
    code, out, _ = import_file(tmp_path, capsys, {"version": V11, "items": [newer]})
    assert (code, out) == (0, "imported 0, updated 1, skipped 0 (already there), 0 bad\n")
    (post,) = load(tmp_path / "content").posts
    assert (post.title, post.slug, post.updated) == ("Second", "first", datetime(2024, 2, 1, tzinfo=UTC))


def test_what_the_store_would_refuse_is_cleaned_or_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = [
        {
            "id": "urn:x\u0001y",
            "title": "Con\u0085trol",
            "summary": "A sum\ufffemary",
            "content_text": "Text.",
            "date_published": "2019-04-02T10:11:12Z",
            "tags": ["\u0007bell", "con", "food"],
            "authors": [{"name": "Ann\u0001e"}],
            "image": "https://pics.example/a\u0001.png",
        },
        {
            "id": "urn:shanghai",
            "title": "Local mean time",
            "content_text": "Text.",
            "date_published": "1900-06-01T12:00:00+08:05:43",  # an offset feeds cannot write
            "date_modified": "9999-12-31T23:59:59-12:00",
        },
        {
            "id": "urn:late",
            "title": "Late",
            "content_text": "Text.",
            "date_published": "9999-12-31T23:59:59-12:00",
        },
    ]
    code, out, err = import_file(tmp_path, capsys, {"version": V11, "items": items})
    assert (code, out) == (0, "imported 2, skipped 0 (already there), 1 bad\n")
    range_ = "is out of range: in UTC every date must fall between 0001-01-02 and 9999-12-30"
    assert err.splitlines() == [
        "import: warning: entry 1 (urn:x\\x01y): id 'urn:x\\x01y' holds U+0001 (a control character), "
        "which no field may hold; its id is 'urn:xy'",
        "import: warning: entry 1 (urn:x\\x01y): the term 'con' makes the slug 'con', "
        "which is a name Windows keeps for a device; left out",
        "import: warning: entry 1 (urn:x\\x01y): its image URL holds U+0001 (a control character), "
        "which no field may hold; left out",
        f"import: warning: entry 2 (urn:shanghai): 'updated' 9999-12-31T23:59:59-12:00 {range_}; left out",
        f"import: entry 3 (urn:late): 'date' 9999-12-31T23:59:59-12:00 {range_}",
    ]
    code, out, _ = run(capsys, "check", "--config", str(_config(tmp_path)))
    assert (code, out) == (
        0,
        "2 posts (2 published, 0 drafts, 0 scheduled), 0 skipped with errors, 0 warnings\n",
    )
    posts = by_id(load(tmp_path / "content"))
    control = posts["urn:xy"]
    assert (control.title, control.summary, control.category, control.tags) == (
        "Control",
        "A summary",
        "bell",
        ("food",),
    )
    assert (control.author, control.image) == ("Anne", None)
    shanghai = posts["urn:shanghai"]
    assert (shanghai.date, shanghai.updated) == (
        datetime(1900, 6, 1, 3, 54, 17, tzinfo=UTC),
        None,
    )  # the same moment


# --- Not a JSON Feed -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "feed.json",
            '{"version": "https://jsonfeed.org/version/1.1", "items": [',
            "invalid JSON (Expecting value at line 1 column 59)",
        ),
        ("feed.json", "", "invalid JSON (Expecting value at line 1 column 1)"),
        ("feed.json", b'{"title": "caf\xe9"}', "not UTF-8 text"),
        ("feed.json", "[" * 100_000 + "]" * 100_000, "invalid JSON (nested too deeply)"),
        ("data.txt", '{"name": "a package", "dependencies": {}}', "missing version"),
        ("feed.json", '[{"version": "https://jsonfeed.org/version/1.1"}]', "not a JSON object"),
        ("feed.json", '{"version": "https://jsonfeed.org/version/1.1", "title": "t"}', "missing items"),
        ("feed.json", '{"version": "https://jsonfeed.org/version/1.1", "items": {}}', "items is not a list"),
        (
            "feed.json",
            '{"version": "1.1", "items": []}',
            "version '1.1' is not https://jsonfeed.org/version/…",
        ),
    ],
)
def test_not_a_json_feed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str | bytes, message: str
) -> None:
    code, out, err = import_file(tmp_path, capsys, text, name)
    assert (code, out) == (2, "")
    assert err == f"syndicate: error: import: {tmp_path / name}: not a JSON Feed: {message}\n"
    assert not (tmp_path / "content").exists()


def test_an_empty_feed_imports_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = import_file(tmp_path, capsys, {"version": V1, "title": "t", "items": []})
    assert (code, out, err) == (0, "imported 0, skipped 0 (already there), 0 bad\n", "")


# --- Over HTTP -------------------------------------------------------------------------------


@pytest.fixture
def json_server() -> Iterator[str]:
    """/feed/TYPE serves VERSION_1 with the media type TYPE, as its path names it
    (`feed+json`: application/feed+json); /big/ is a JSON Feed of over 1 MB."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            kind = self.path.strip("/").split("/")[-1]
            if self.path.startswith("/big/"):
                items = [
                    {"id": f"urn:big:{n}", "title": "x" * 1000, "content_text": "x"} for n in range(1100)
                ]
                body = json.dumps({"version": V11, "items": items}).encode()
            else:
                body = json.dumps(VERSION_1).encode()
            self.send_response(200)
            self.send_header("Content-Type", f"application/{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client gave up on a body too big: as it should
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with loopback_http(Handler) as url:
        yield url


@pytest.mark.parametrize("kind", ["feed+json", "json"])
def test_a_json_feed_from_a_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], json_server: str, kind: str
) -> None:
    config = str(_config(tmp_path))
    web = tmp_path / "web"
    code, out, err = run(
        capsys, "import", f"{json_server}/feed/{kind}", "--into", str(web), "--config", config
    )
    assert (code, out, err) == (0, "imported 2, skipped 0 (already there), 0 bad\n", "")
    import_file(tmp_path, capsys, VERSION_1)
    assert files(web) == files(tmp_path / "content")  # the same posts as from the file


def test_a_json_feed_url_is_read_up_to_its_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], json_server: str
) -> None:
    url = f"{json_server}/big/feed+json"
    code, out, err = run(capsys, "import", url, "--max-download-mb", "1", "--config", str(_config(tmp_path)))
    assert (code, out) == (2, "")
    assert err.endswith(f"{url}: more than 1 MB to download (--max-download-mb); nothing imported\n")
    assert err.count("\n") == 1


def test_imported_json_items_make_feed_entries_with_content(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_file(tmp_path, capsys, VERSION_1_1)
    config = make_config(tmp_path / "content")
    build = make_build(PostStore(config).load(), config, NOW)
    items = json.loads(build.resources["/feed.json"].body)["items"]
    assert len(items) == 4
    assert all(item["content_html"].strip() for item in items)
