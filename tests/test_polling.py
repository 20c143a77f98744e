"""Polite polling: a client that fetches a feed in full more often than its max-age allows,
past an allowance, gets 429 with Retry-After; a conditional request never does; who reads
the feeds shows in /metrics and survives a restart."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import write
from serving import Server, start, stop

from syndicate.serve.polling import PollLimiter, client_address

POST = "---\ntitle: Post {n}\ndate: 2026-01-{n:02d}\n---\nText {n}.\n"
FEEDLY = "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 462 subscribers; )"
NEWSBOAT = "Newsboat/2.36 (Linux x86_64)"


def test_a_reader_that_fetches_once_per_max_age_is_never_refused() -> None:
    limiter = PollLimiter(allowance=3)
    assert all(limiter.refusal("reader", "/atom.xml", 900, at * 900.0) is None for at in range(10_000))


def test_a_hammering_client_is_refused_until_its_next_fetch_is_due() -> None:
    limiter = PollLimiter(allowance=3)
    answers = [limiter.refusal("hammer", "/atom.xml", 900, 10.0 * second) for second in range(6)]
    assert answers[:3] == [None, None, None]
    assert all(retry is not None and 800 <= retry <= 900 for retry in answers[3:]), answers
    assert limiter.refusal("hammer", "/rss.xml", 900, 60.0) is None  # another feed, another bucket
    assert limiter.refusal("someone else", "/atom.xml", 900, 60.0) is None
    assert limiter.refusal("hammer", "/atom.xml", 900, 60.0 + 900) is None  # one more is due


def test_the_table_is_of_fixed_size() -> None:
    limiter = PollLimiter(allowance=1, slots=100)
    for client in range(10_000):
        limiter.refusal(f"client {client}", "/atom.xml", 900, 0.0)
    assert len(limiter) == 100


def test_the_client_address_comes_from_a_header_only_when_configured() -> None:
    headers = [(b"x-forwarded-for", b"203.0.113.9, 198.51.100.7")]
    assert client_address("10.0.0.2", headers, b"") == "10.0.0.2"  # forged, or no proxy: ignored
    assert client_address("10.0.0.2", headers, b"x-forwarded-for") == "198.51.100.7"  # the proxy's own
    assert client_address("10.0.0.2", [], b"x-forwarded-for") == "10.0.0.2"


def serve(tmp_path: Path, **environ: str) -> Server:
    store = tmp_path / "content"
    for n in range(1, 4):
        write(store, f"post-{n}.md", POST.format(n=n))
    settings = {"SYNDICATE_SERVER_POLL_ALLOWANCE": "3", "SYNDICATE_BUILD_CACHE_DIR": str(tmp_path / "cache")}
    return start(tmp_path, interval=60, **{**settings, **environ})


def metric(server: Server, name: str, **labels: str) -> float | None:
    text = server.get("/metrics").text
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return None


def test_over_http_a_hammering_reader_is_refused_and_a_polite_one_is_not(tmp_path: Path) -> None:
    server = serve(tmp_path)
    try:
        first = server.get("/atom.xml", **{"User-Agent": NEWSBOAT})
        max_age = int(first.headers["cache-control"].removeprefix("public, max-age="))
        assert [server.get("/atom.xml", **{"User-Agent": NEWSBOAT}).status_code for _ in range(2)] == [
            200,
            200,
        ]
        refused = server.get("/atom.xml", **{"User-Agent": NEWSBOAT})
        assert refused.status_code == 429
        assert 0 < int(refused.headers["retry-after"]) <= max_age
        assert refused.headers["cache-control"] == "no-store"
        assert "If-None-Match" in refused.text
        # Asking with the ETag always works, and so does everybody else.
        again = server.get("/atom.xml", **{"User-Agent": NEWSBOAT, "If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert server.get("/atom.xml", **{"User-Agent": FEEDLY}).status_code == 200
        assert server.get("/", **{"User-Agent": NEWSBOAT}).status_code == 200  # pages are not limited
        assert metric(server, "syndicate_feed_requests_refused_total", reader="Newsboat") == 1
        assert metric(server, "syndicate_feed_requests_total", reader="Newsboat", conditional="yes") == 1
        assert metric(server, "syndicate_subscribers", feed="/atom.xml", reader="Feedly") == 462
        assert metric(server, "syndicate_subscribers", feed="/atom.xml", reader="Newsboat") == 1
    finally:
        stop(server)
    restarted = serve(tmp_path)  # the same cache folder: the counts were saved when it stopped
    try:
        assert metric(restarted, "syndicate_subscribers", feed="/atom.xml", reader="Feedly") == 462
        assert metric(restarted, "syndicate_subscribers", feed="/atom.xml", reader="Newsboat") == 1
    finally:
        stop(restarted)
    assert "127.0.0.1" not in (tmp_path / "cache" / "audience.json").read_text()


def test_refusing_is_switched_off_with_one_setting(tmp_path: Path) -> None:
    server = serve(tmp_path, SYNDICATE_SERVER_POLL_ALLOWANCE="0")
    try:
        assert {server.get("/atom.xml").status_code for _ in range(20)} == {200}
    finally:
        stop(server)
