"""WebSub: a hub on loopback records what a real server tells it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from conftest import write
from serving import CONFIG, Server, free_port, launch, stop, wait_for

POST = "---\ntitle: {title}\ndate: 2026-01-0{day}\ncategory: {category}\ntags: [{tag}]\n---\n{body}\n"


class Hub:
    """Records publish notifications; answers 503 to the first `failures` of them."""

    def __init__(self, failures: int = 0) -> None:
        self.received: list[dict[str, list[str]]] = []
        self.failures = failures
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                form = parse_qs(self.rfile.read(length).decode())
                if hub.failures > 0:
                    hub.failures -= 1
                    self.send_response(503)
                else:
                    hub.received.append(form)
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def topics(self) -> set[str]:
        return {form["hub.url"][0] for form in self.received if form["hub.mode"] == ["publish"]}


@pytest.fixture
def hub() -> Iterator[Hub]:
    running = Hub(failures=1)
    yield running
    running.server.shutdown()


@pytest.fixture
def server(tmp_path: Path, hub: Hub) -> Iterator[Server]:
    store = tmp_path / "content"
    write(store, "a.md", POST.format(title="A", day=1, category="Systems", tag="python", body="a"))
    write(store, "b.md", POST.format(title="B", day=2, category="Notes", tag="life", body="b"))
    port = free_port()
    config = tmp_path / "syndicate.toml"
    config.write_text(CONFIG.format(port=port, interval=1), encoding="utf-8")
    running = launch(config, port, store, tmp_path / "server.log", SYNDICATE_FEED_WEBSUB_HUBS=hub.url)
    yield running
    stop(running)


def test_feeds_name_the_hub(server: Server, hub: Hub) -> None:
    response = server.get("/atom.xml")
    assert f'<{hub.url}>; rel="hub"' in response.headers["link"]
    assert f'<{server.url}atom.xml>; rel="self"' in response.headers["link"]
    assert f'href="{hub.url}" rel="hub"' in response.text
    assert server.get("/feed.json").json()["hubs"] == [{"type": "WebSub", "url": hub.url}]
    assert "link" not in server.get("/").headers


def test_changed_feeds_are_announced_and_unchanged_ones_are_not(server: Server, hub: Hub) -> None:
    write(
        server.store,
        "a.md",
        POST.format(title="A, edited", day=1, category="Systems", tag="python", body="new"),
    )
    expected = {
        f"{server.url}{folder}{name}"
        for folder in ("", "categories/systems/", "tags/python/")
        for name in ("atom.xml", "rss.xml", "feed.json")
    }
    wait_for(lambda: hub.topics() == expected, timeout=20)  # the first attempt got a 503 and was retried
    assert not any("notes" in topic or "life" in topic for topic in hub.topics())
    metrics = server.get("/metrics").text
    assert 'syndicate_websub_attempts_total{result="failed"} 1.0' in metrics
    assert 'syndicate_websub_attempts_total{result="ok"} 9.0' in metrics
    assert "websub: telling" in server.log.read_text()  # each attempt is logged
