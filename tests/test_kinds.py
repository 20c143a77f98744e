"""Each file of the site is served as what it is (its kind), over real HTTP: how long a
cache may keep it, and the 404 page, which is part of the Build: `build --out` writes it
for a static host, and `syndicate serve` answers every unknown path with its bytes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import own_scripts_only, write
from serving import Server, start, stop
from test_build import run_cli

from syndicate.build.builder import make_build
from syndicate.config import load_config
from syndicate.source.store import PostStore

POST = "---\ntitle: Post {n}\ndate: 2026-01-{n:02d}\ncategory: Notes\n---\n![dot](/images/dot.png)\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")  # enough to serve
FEED_MAX_AGE, PAGE_MAX_AGE = 123, 45


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    store = tmp_path / "content"
    for n in range(1, 6):
        write(store, f"post-{n}.md", POST.format(n=n))
    write(store, "images/dot.png", PNG)
    running = start(
        tmp_path,
        interval=60,
        SYNDICATE_FEED_LIMIT="2",  # archives too
        # Daily posts: a quarter of a day, bounded by the upper bound.
        SYNDICATE_SERVER_FEED_MAX_AGE_MIN="100",
        SYNDICATE_SERVER_FEED_MAX_AGE_MAX=str(FEED_MAX_AGE),
        SYNDICATE_SERVER_PAGE_MAX_AGE=str(PAGE_MAX_AGE),
    )
    yield running
    stop(running)


@pytest.mark.parametrize(
    ("path", "max_age"),
    [
        ("/atom.xml", FEED_MAX_AGE),  # feed
        ("/categories/notes/rss.xml", FEED_MAX_AGE),
        ("/feed.json", FEED_MAX_AGE),
        ("/archive/1/atom.xml", FEED_MAX_AGE),  # archive: a feed too
        ("/", PAGE_MAX_AGE),  # page
        ("/posts/post-1/", PAGE_MAX_AGE),
        ("/robots.txt", PAGE_MAX_AGE),  # index
        ("/sitemap.xml", PAGE_MAX_AGE),
        ("/feeds.opml", PAGE_MAX_AGE),
        ("/style.css", PAGE_MAX_AGE),  # static
        ("/favicon.svg", PAGE_MAX_AGE),
        ("/images/dot.png", PAGE_MAX_AGE),  # asset
    ],
)
def test_cache_control_follows_the_kind(server: Server, path: str, max_age: int) -> None:
    response = server.get(path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == f"public, max-age={max_age}"
    again = server.get(path, **{"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["cache-control"] == f"public, max-age={max_age}"  # RFC 9110, 15.4.5


def test_unknown_paths_and_the_404_page_itself_answer_404_with_what_build_out_writes(
    tmp_path: Path, server: Server
) -> None:
    result = run_cli(
        "build", "--config", tmp_path / "syndicate.toml", "--out", tmp_path / "public", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "public" / "404.html").read_bytes()
    assert b"Not found" in written
    for path in ("/nowhere", "/posts/nothing/", "/images/none.png", "/archive/9/atom.xml", "/404.html"):
        response = server.get(path)
        assert response.status_code == 404, path
        assert response.content == written, path
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"  # a path may exist soon
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and own_scripts_only(policy)
        assert response.headers["x-content-type-options"] == "nosniff"


def test_the_sitemap_lists_pages_only(tmp_path: Path) -> None:
    store = tmp_path / "content"
    write(store, "post-1.md", POST.format(n=1))
    config = load_config(write(tmp_path, "syndicate.toml", '[store]\npath = "content"\n'))
    build = make_build(PostStore(config).load(), config, datetime(2026, 6, 1, tzinfo=UTC))
    sitemap = build.resources["/sitemap.xml"].body.decode()
    listed = {path for path, resource in build.resources.items() if resource.kind == "page"}
    assert "/404.html" in build.resources and "404" not in sitemap
    assert sitemap.count("<loc>") == len(listed)
