"""Connections that say nothing cannot stop a real server: it holds at most what its
open-file limit allows, closes the one idle longest to take a new one, closes one that
takes too long to send its headers, and logs a flood of like lines once."""

from __future__ import annotations

import contextlib
import errno
import logging
import resource
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import write
from serving import CONFIG, Server, free_port, launch, stop, wait_for

from syndicate.logs import Throttle

POST = "---\ntitle: A\ndate: 2026-01-01\n---\nHello.\n"
OPEN_FILES = 256  # the server's RLIMIT_NOFILE, soft and hard: it cannot raise it
# The pure-Python stack uvicorn falls back to (h11 and asyncio), whose accept loop is what
# logged "Too many open files" thousands of times a second.
FALLBACK = """import sys
import syndicate.serve.server
from syndicate.cli import main
syndicate.serve.server.server_stack = lambda: ("h11", "asyncio")
sys.exit(main(sys.argv[1:]))
"""
STACKS = ["httptools", "h11"]
REASONS = ("limit", "header_timeout")


def serve(folder: Path, stack: str, open_files: int = OPEN_FILES, **environ: str) -> Server:
    """`syndicate serve` on `stack` with at most `open_files` descriptors, answering."""
    port = free_port()
    store = folder / "content"
    write(store, "a.md", POST)
    config = write(folder, "syndicate.toml", CONFIG.format(port=port, interval=60))
    fallback = (str(write(folder, "fallback.py", FALLBACK)),)
    program = ("-m", "syndicate.cli") if stack == "httptools" else fallback

    def limit_open_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

    return launch(config, port, store, folder / "server.log", None, program, limit_open_files, **environ)


@pytest.fixture(params=STACKS)
def crowded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """A server whose header timeout is long: only the limit can keep it answering."""
    server = serve(tmp_path, request.param, SYNDICATE_SERVER_HEADER_TIMEOUT="120")
    yield server
    stop(server)


def silent_sockets(server: Server, count: int, wave: int = 16) -> list[socket.socket]:
    """`count` connections that never send a byte, opened `wave` at a time, each wave once
    the server has taken the one before: a thousand at once would overflow its short
    listen queue, and the kernel's SYN retries (1, 3, 7, 15 s) would then pace the test
    instead of the server."""
    port = int(server.url.rstrip("/").rsplit(":", 1)[1])
    sockets: list[socket.socket] = []
    while len(sockets) < count:
        for _ in range(min(wave, count - len(sockets))):
            sock = socket.socket()
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                sock.connect(("127.0.0.1", port))
            sockets.append(sock)
        wait_for(lambda: accepted(server) >= len(sockets), timeout=30)
    return sockets


def accepted(server: Server) -> float:
    """Connections the server has taken so far: open now, or closed by it."""
    closed = (metric(server, f'syndicate_http_connections_closed_total{{reason="{why}"}}') for why in REASONS)
    return metric(server, "syndicate_http_connections ") - 1 + sum(closed)  # less the one asking


def metric(server: Server, line_start: str) -> float:
    for line in server.get("/metrics").text.splitlines():
        if line.startswith(line_start):
            return float(line.split()[-1])
    raise AssertionError(f"no metric {line_start}")


def test_more_silent_connections_than_descriptors_leave_the_server_answering(crowded: Server) -> None:
    limit = OPEN_FILES // 2  # a quarter, and 128 at least, is kept for everything else
    assert f"at most {limit} connections ({OPEN_FILES} open files)" in crowded.log.read_text()
    sockets = silent_sockets(crowded, 4 * OPEN_FILES)
    try:
        wait_for(lambda: metric(crowded, 'syndicate_http_connections_closed_total{reason="limit"}') > 0)
        for _ in range(20):
            started = time.monotonic()
            assert crowded.get("/atom.xml").status_code == 200
            assert time.monotonic() - started < 2
        assert metric(crowded, "syndicate_http_connections ") <= limit
        assert metric(crowded, "syndicate_http_connection_limit") == limit
    finally:
        for sock in sockets:
            sock.close()
    lines = [line for line in crowded.log.read_text().splitlines() if "syndicate.access" not in line]
    assert len(lines) < 25, "\n".join(lines)  # start-up and shutdown, one warning, at most one accept error
    assert sum("Too many open files" in line for line in lines) <= 1


@pytest.mark.parametrize("stack", STACKS)
def test_a_connection_that_does_not_send_its_headers_in_time_is_closed(tmp_path: Path, stack: str) -> None:
    server = serve(tmp_path, stack, SYNDICATE_SERVER_HEADER_TIMEOUT="1")
    try:
        silent, trickling, prompt = silent_sockets(server, 3)
        for sock in (silent, trickling, prompt):
            sock.setblocking(True)
            sock.settimeout(5)
        prompt.sendall(b"GET /atom.xml HTTP/1.1\r\nHost: x\r\n\r\n")
        assert prompt.recv(12) == b"HTTP/1.1 200"
        started = time.monotonic()
        trickling.sendall(b"GET / HTTP/1.1\r\n")
        while time.monotonic() - started < 4:  # a header line every 0.2 s is not a request
            try:
                trickling.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
            time.sleep(0.2)
        assert 0.8 < time.monotonic() - started < 3
        assert silent.recv(1) == b""  # closed, not timed out on our side
        assert metric(server, 'syndicate_http_connections_closed_total{reason="header_timeout"}') >= 2
        assert server.get("/").status_code == 200
    finally:
        stop(server)


def test_more_connections_than_the_open_file_limit_allows_are_not_promised(tmp_path: Path) -> None:
    server = serve(tmp_path, "httptools", SYNDICATE_SERVER_MAX_CONNECTIONS="100000")
    stop(server)
    text = server.log.read_text()
    assert "server.max_connections 100000 is more than the open-file limit (256) allows: 128" in text
    assert "at most 128 connections" in text


def test_a_flood_of_out_of_descriptor_lines_is_logged_once_with_a_count() -> None:
    throttle = Throttle(interval=0.2)
    error = OSError(errno.EMFILE, "Too many open files")
    records = [_record("asyncio", "socket.accept() out of system resource", error) for _ in range(1000)]
    assert sum(throttle.filter(record) for record in records) == 1
    time.sleep(0.25)
    later = _record("asyncio", "socket.accept() out of system resource", error)
    assert throttle.filter(later)
    assert later.getMessage().startswith(
        "socket.accept() out of system resource (999 more like it in the last"
    )
    assert throttle.filter(_record("asyncio", "something else", None))  # other lines pass
    assert throttle.filter(_record("asyncio", "something else", None))


def _record(name: str, message: str, error: BaseException | None) -> logging.LogRecord:
    exc_info = (type(error), error, None) if error is not None else None
    return logging.LogRecord(name, logging.ERROR, __file__, 1, message, None, exc_info)
