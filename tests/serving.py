"""Running `syndicate serve` as a real process on a free loopback port, for tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import feedparser
import httpx2 as httpx

CONFIG = """
[site]
title = "E2E"
base_url = "http://127.0.0.1:{port}/"
timezone = "UTC"
id_authority = "e2e.example,2026"
[store]
path = "content"
[build]
interval = {interval}
[server]
# Tests poll feeds in tight loops, unconditionally, as no reader should: a test of the
# refusals turns them on (SYNDICATE_SERVER_POLL_ALLOWANCE).
poll_allowance = 0
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    store: Path
    log: Path

    def get(self, path: str, **headers: str) -> httpx.Response:
        return httpx.get(self.url + path.lstrip("/"), headers=headers, timeout=10)

    def feed(self, path: str = "/atom.xml") -> feedparser.FeedParserDict:
        response = self.get(path)
        assert response.status_code == 200
        return feedparser.parse(response.content)


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def start(tmp_path: Path, interval: int = 1, **environ: str) -> Server:
    """Serve a new, empty-config store in `tmp_path/content` (posts may already be there);
    `environ` adds SYNDICATE_* settings."""
    port = free_port()
    store = tmp_path / "content"
    store.mkdir(exist_ok=True)
    config = tmp_path / "syndicate.toml"
    config.write_text(CONFIG.format(port=port, interval=interval), encoding="utf-8")
    return launch(config, port, store, tmp_path / "server.log", **environ)


def launch(
    config: Path | None,
    port: int,
    store: Path,
    log: Path,
    cwd: Path | None = None,
    program: tuple[str, ...] = ("-m", "syndicate.cli"),
    preexec_fn: Callable[[], None] | None = None,
    **environ: str,
) -> Server:
    """Run `syndicate serve` (in `cwd`, with its default configuration when `config` is None)
    and wait until it answers; `program` is what Python runs, `preexec_fn` what the child
    does first, `environ` adds SYNDICATE_* settings."""
    chosen = [] if config is None else ["--config", str(config)]
    process = subprocess.Popen(
        [sys.executable, *program, "serve", *chosen, "--port", str(port)],
        cwd=cwd,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}, **environ},
        preexec_fn=preexec_fn,
    )
    server = Server(process, f"http://127.0.0.1:{port}/", store, log)

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError("server exited: " + log.read_text())
        try:
            return server.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    wait_for(ready)
    return server


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=10)
