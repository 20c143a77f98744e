"""End to end: `syndicate serve` as a real uvicorn process on a free loopback port."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
from conftest import write
from lxml import etree
from serving import CONFIG, Server, free_port, start, stop, wait_for

from syndicate.logs import ACCESS_LOGGER

POST = "---\ntitle: {title}\ndate: {date}\ncategory: Systems\ntags: [python]\n---\n{body}\n"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    store = tmp_path / "content"
    for day in range(1, 6):
        write(
            store, f"post-{day}.md", POST.format(title=f"Post {day}", date=f"2026-01-0{day}", body="Hello.")
        )
    running = start(tmp_path)
    yield running
    stop(running)


def test_every_feed_parses(server: Server) -> None:
    paths = [
        f"{root}{name}"
        for root in ("/", "/categories/systems/", "/tags/python/")
        for name in ("atom.xml", "rss.xml")
    ]
    for path in paths:
        feed = server.feed(path)
        assert feed.bozo == 0, path
        assert [entry.title for entry in feed.entries] == [f"Post {day}" for day in range(5, 0, -1)]
    assert len(server.get("/feed.json").json()["items"]) == 5


def test_added_edited_and_deleted_posts_follow_the_store(server: Server) -> None:
    before = {entry.title: entry for entry in server.feed().entries}
    write(server.store, "new.md", POST.format(title="Brand new", date="2026-02-01", body="New."))
    wait_for(lambda: "Brand new" in [e.title for e in server.feed().entries])
    assert "Brand new" in server.get("/").text

    old_id = before["Post 3"].id
    write(
        server.store,
        "post-3.md",
        POST.format(title="Post 3 (edited)", date="2026-01-03", body="Changed.").replace(
            "category:", "updated: 2026-03-01\ncategory:"
        ),
    )
    wait_for(lambda: "Post 3 (edited)" in [e.title for e in server.feed().entries])
    edited = next(e for e in server.feed().entries if e.title == "Post 3 (edited)")
    assert edited.id == old_id
    assert edited.updated_parsed[:3] == (2026, 3, 1)

    (server.store / "post-1.md").unlink()
    wait_for(lambda: "Post 1" not in [e.title for e in server.feed().entries])
    assert server.get("/posts/post-1/").status_code == 404


def test_future_post_appears_at_its_time(tmp_path: Path) -> None:
    due = (datetime.now(UTC) + timedelta(seconds=4)).replace(microsecond=0)
    write(tmp_path / "content", "now.md", POST.format(title="Now", date="2026-01-01", body="."))
    write(tmp_path / "content", "later.md", POST.format(title="Later", date=due.isoformat(), body="."))
    server = start(tmp_path, interval=3600)  # only the one-off job for the due post can publish it
    try:
        assert "Later" not in [e.title for e in server.feed().entries]
        wait_for(lambda: "Later" in [e.title for e in server.feed().entries], timeout=15)
        seen = datetime.now(UTC)
        assert due <= seen < due + timedelta(seconds=2)
    finally:
        stop(server)


def test_conditional_get_and_compression_over_http(server: Server) -> None:
    first = server.get("/atom.xml", **{"Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"
    again = server.get("/atom.xml", **{"Accept-Encoding": "gzip", "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    brotli = server.get("/atom.xml", **{"Accept-Encoding": "br"})
    assert brotli.headers["content-encoding"] == "br"
    assert brotli.headers["etag"] != first.headers["etag"]


def test_dot_segments_on_the_wire_are_404(server: Server) -> None:
    host, port = server.url.removeprefix("http://").rstrip("/").split(":")
    for raw in ("/posts/../atom.xml", "/./atom.xml", "/posts/%2E%2E/atom.xml"):
        connection = http.client.HTTPConnection(host, int(port), timeout=5)
        connection.request("GET", raw)
        response = connection.getresponse()
        assert response.status == 404, raw
        assert b"Not found" in response.read()
        connection.close()


def test_failed_rebuild_keeps_serving_and_shows_on_healthz(server: Server) -> None:
    feed = server.get("/atom.xml").content
    hidden = server.store.with_name("hidden")
    server.store.rename(hidden)
    try:
        wait_for(lambda: server.get("/healthz").json()["last_error"] is not None)
        health = server.get("/healthz").json()
        assert health["status"] == "degraded"
        assert "store folder does not exist" in health["last_error"]["message"]
        assert server.get("/atom.xml").content == feed  # never turns into an empty feed
        time.sleep(2.5)  # a few more failing rebuilds
    finally:
        hidden.rename(server.store)
    wait_for(lambda: server.get("/healthz").json()["last_error"] is None)
    log = server.log.read_text()
    assert log.count("rebuild failed") == 1  # logged once, not every interval


def test_concurrent_requests_during_rebuilds_get_whole_responses(server: Server) -> None:
    stop_writing = threading.Event()

    def keep_changing() -> None:
        n = 0
        while not stop_writing.is_set():
            n += 1
            write(server.store, "churn.md", POST.format(title=f"Churn {n}", date="2026-02-02", body="x" * n))
            time.sleep(0.2)

    failures: list[str] = []

    def fetch_many() -> None:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            for _ in range(40):
                for path in ("atom.xml", "rss.xml", "feed.json", ""):
                    response = client.get(path)
                    if response.status_code != 200:
                        failures.append(f"{path}: {response.status_code}")
                    elif path.endswith(".xml"):
                        etree.fromstring(response.content)  # whole, well-formed XML

    writer = threading.Thread(target=keep_changing)
    writer.start()
    readers = [threading.Thread(target=fetch_many) for _ in range(6)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    stop_writing.set()
    writer.join()
    assert failures == []
    assert server.get("/healthz").json()["last_error"] is None


def test_sigterm_stops_quickly(server: Server) -> None:
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal it caught, as a shell expects.
    assert server.process.wait(timeout=10) in (0, -signal.SIGTERM)
    assert time.monotonic() - started < 5
    assert "Application shutdown complete" in server.log.read_text()


def test_serves_on_the_production_stack(server: Server) -> None:
    """httptools and uvloop, as uvicorn[standard] gives (measured here: 2.5 times the 304s a second
    of h11 and asyncio)."""
    assert "serving with uvicorn on httptools and uvloop" in server.log.read_text()


def test_the_log_says_a_first_build_is_under_way_and_when_it_is_done(server: Server) -> None:
    lines = server.log.read_text().splitlines()
    started = next(n for n, line in enumerate(lines) if "first build of the store at" in line)
    done = next(n for n, line in enumerate(lines) if "first build done in" in line)
    serving = next(n for n, line in enumerate(lines) if "serving with uvicorn" in line)
    assert "the port opens when it is done" in lines[started]
    assert started < done < serving


def test_first_build_failure_exits_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "syndicate.toml"
    config.write_text(CONFIG.format(port=free_port(), interval=1), encoding="utf-8")
    (tmp_path / "content").write_text("a file where the store folder should be", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "syndicate.cli", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1].startswith("syndicate: error: first build failed:")
    assert "store path is not a folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_every_request_has_an_access_line_by_the_time_the_server_stops(tmp_path: Path) -> None:
    write(tmp_path / "content", "a.md", POST.format(title="A", date="2026-01-01", body="."))
    server = start(tmp_path, interval=60)
    try:
        etag = server.get("/atom.xml").headers["etag"]
        assert server.get("/atom.xml", **{"If-None-Match": etag}).status_code == 304
        assert server.get("/nowhere?x=1").status_code == 404
    finally:
        stop(server)
    access = [line for line in server.log.read_text().splitlines() if " syndicate.access: " in line]
    requests = [line.split(' - "', 1)[1] for line in access if "/healthz" not in line]
    assert requests == [
        'GET /atom.xml HTTP/1.1" 200',
        'GET /atom.xml HTTP/1.1" 304',
        'GET /nowhere?x=1 HTTP/1.1" 404',
    ]
    assert "uvicorn.access" not in server.log.read_text()  # one access log, not two


def test_access_log_can_be_turned_off(tmp_path: Path) -> None:
    write(tmp_path / "content", "a.md", POST.format(title="A", date="2026-01-01", body="."))
    server = start(tmp_path, interval=60, SYNDICATE_SERVER_ACCESS_LOG="false")
    try:
        assert server.get("/atom.xml").status_code == 200
    finally:
        stop(server)
    text = server.log.read_text()
    assert f"{ACCESS_LOGGER}:" not in text and '"GET /' not in text


def test_json_logs_one_object_per_line(tmp_path: Path) -> None:
    write(tmp_path / "content", "a.md", POST.format(title="A", date="2026-01-01", body="."))
    server = start(tmp_path, interval=60, SYNDICATE_SERVER_LOG_FORMAT="json")
    server.get("/atom.xml")
    stop(server)
    lines = [json.loads(line) for line in server.log.read_text().splitlines()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert any('"GET /atom.xml HTTP/1.1" 200' in line["message"] for line in lines)  # the access log
