"""Last-Modified over real HTTP: a client asking If-Modified-Since is never told it has
bytes it was not sent, whatever changed, across a restart and between two replicas."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from conftest import write
from serving import Server, start, stop, wait_for

POST = "---\ntitle: {title}\ndate: 2026-01-{day:02d}\nupdated: 2026-02-01\ntags: [t]\n---\n{body}\n"
PATHS = ("/atom.xml", "/rss.xml", "/feed.json", "/", "/tags/t/", "/sitemap.xml", "/feeds.opml")


def write_posts(store: Path, count: int) -> None:
    for day in range(1, count + 1):
        write(store, f"post-{day}.md", POST.format(title=f"Post {day}", day=day, body=f"Text {day}."))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    write_posts(tmp_path / "content", 12)
    running = start(tmp_path)
    yield running
    stop(running)


def validators(server: Server) -> dict[str, tuple[str, str]]:
    """Each path's ETag and Last-Modified."""
    found = {}
    for path in PATHS:
        response = server.get(path)
        assert response.status_code == 200, path
        found[path] = (response.headers["etag"], response.headers["last-modified"])
    return found


def assert_honest(server: Server, before: dict[str, tuple[str, str]]) -> None:
    """A path whose bytes changed is sent again to a client that has only its old date,
    and its Last-Modified moved forward; an unchanged one may be a 304."""
    for path, (etag, modified) in before.items():
        response = server.get(path, **{"If-Modified-Since": modified})
        if response.headers["etag"] != etag:
            assert response.status_code == 200, path
            later = parsedate_to_datetime(response.headers["last-modified"])
            assert later > parsedate_to_datetime(modified), path


def changed_everywhere(server: Server, before: dict[str, tuple[str, str]]) -> None:
    wait_for(lambda: server.get("/atom.xml").headers["etag"] != before["/atom.xml"][0])
    time.sleep(0.2)  # the rest of the rebuild's Build is swapped in with the feed


def test_an_edit_that_keeps_the_dates(server: Server) -> None:
    before = validators(server)
    write(server.store, "post-12.md", POST.format(title="Post 12", day=12, body="Changed, same dates."))
    changed_everywhere(server, before)
    assert_honest(server, before)
    assert server.get("/atom.xml", **{"If-Modified-Since": before["/atom.xml"][1]}).status_code == 200


def test_the_newest_post_deleted(server: Server) -> None:
    before = validators(server)
    (server.store / "post-12.md").unlink()
    changed_everywhere(server, before)
    assert_honest(server, before)
    assert server.get("/", **{"If-Modified-Since": before["/"][1]}).status_code == 200


def test_the_front_page_gaining_a_second_page(server: Server) -> None:
    before = validators(server)
    write(server.store, "post-13.md", POST.format(title="Post 13", day=13, body="Thirteen."))
    changed_everywhere(server, before)
    assert '/page/2/"' in server.get("/").text
    assert_honest(server, before)


def test_an_unchanged_path_keeps_its_date_and_its_304(server: Server) -> None:
    before = validators(server)
    write(server.store, "other.md", "---\ntitle: Other\ndate: 2026-01-20\ntags: [u]\n---\nNo t here.\n")
    wait_for(lambda: server.get("/tags/u/").status_code == 200)
    etag, modified = before["/tags/t/"]
    again = server.get("/tags/t/", **{"If-Modified-Since": modified})
    assert again.status_code == 304 and again.headers["etag"] == etag


def test_across_a_restart(tmp_path: Path) -> None:
    write_posts(tmp_path / "content", 3)
    first = start(tmp_path)
    before = validators(first)
    stop(first)
    write(first.store, "post-3.md", POST.format(title="Post 3", day=3, body="Edited while stopped."))
    second = start(tmp_path)
    try:
        assert second.get("/atom.xml").headers["etag"] != before["/atom.xml"][0]
        assert_honest(second, before)
    finally:
        stop(second)


def test_between_two_replicas_that_differ(tmp_path: Path) -> None:
    # One replica's store is a sync behind the other's: the same path, other bytes.
    one, two = tmp_path / "one", tmp_path / "two"
    write_posts(one / "content", 3)
    write_posts(two / "content", 3)
    write(two / "content", "post-3.md", POST.format(title="Post 3", day=3, body="Newer on two."))
    a = start(one)
    try:
        before = validators(a)
        time.sleep(1.1)  # see syndicate.serve.modified: replicas stamp by their own clocks
        b = start(two)
        try:
            assert_honest(b, before)
            assert b.get("/atom.xml", **{"If-Modified-Since": before["/atom.xml"][1]}).status_code == 200
        finally:
            stop(b)
    finally:
        stop(a)
