"""Each file of the site is served as what it is (its kind), over real HTTP: how long a
cache may keep it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import write
from serving import Server, start, stop

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
        SYNDICATE_SERVER_FEED_MAX_AGE=str(FEED_MAX_AGE),
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
