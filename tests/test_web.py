"""HTTP semantics of the app: lookups, 404s, redirects, conditional GET, compression."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import brotli
import pytest
from conftest import make_config, own_scripts_only, write
from starlette.testclient import TestClient

import syndicate.build.resource
from syndicate.build.resource import RecentBytes
from syndicate.serve.app import FILE_POLICY, create_app, negotiate
from syndicate.serve.site import Site

POST = (
    "---\ntitle: {title}\ndate: 2026-01-{day:02d}T10:00:00+08:00\n"
    "category: 强化学习\ntags: [rl]\n---\n{body}\n"
)


@pytest.fixture
def site(store: Path) -> Site:
    for day in range(1, 16):
        write(store, f"post-{day}.md", POST.format(title=f"Post {day}", day=day, body="Text " * 80))
    site = Site(make_config(store))
    assert site.rebuild()
    return site


@pytest.fixture
def client(site: Site) -> TestClient:
    return TestClient(create_app(site))  # not entered: no scheduler runs in these tests


def test_every_resource_is_served_with_its_type(client: TestClient, site: Site) -> None:
    assert site.build is not None
    for path, resource in site.build.resources.items():
        response = client.get(path)
        # The 404 page answers with 404 at its own path too, as the static host does.
        assert response.status_code == (404 if resource.kind == "not_found" else 200), path
        assert response.headers["content-type"] == resource.media_type
        assert response.content == resource.body


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/rss.xml", "application/rss+xml; charset=utf-8"),
        ("/feed.json", "application/feed+json; charset=utf-8"),
        ("/", "text/html; charset=utf-8"),
        ("/categories/强化学习/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/categories/%E5%BC%BA%E5%8C%96%E5%AD%A6%E4%B9%A0/", "text/html; charset=utf-8"),
    ],
)
def test_media_types(client: TestClient, path: str, media_type: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["x-content-type-options"] == "nosniff"


def test_html_has_a_csp_with_no_script_but_the_sites_own_files(client: TestClient) -> None:
    policy = client.get("/").headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert own_scripts_only(policy), policy
    assert not own_scripts_only("default-src 'none'; script-src 'self' 'unsafe-inline'")


@pytest.mark.parametrize("path", ["/atom.xml", "/feed.json", "/favicon.svg", "/style.css", "/robots.txt"])
def test_every_other_response_has_a_sandboxing_csp(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["content-security-policy"] == FILE_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"


def test_health_and_metrics_have_a_sandboxing_csp(client: TestClient) -> None:
    for path in ("/healthz", "/metrics"):
        assert client.get(path).headers["content-security-policy"] == FILE_POLICY, path


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_a_method_not_allowed_has_a_sandboxing_csp_too(client: TestClient, method: str) -> None:
    for path in ("/atom.xml", "/", "/healthz", "/nothing"):
        response = client.request(method, path)
        assert response.status_code == 405, (method, path)
        assert response.headers["content-security-policy"] == FILE_POLICY, (method, path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert len(response.headers.get_list("content-security-policy")) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/page/99/",
        "/categories/nope/",
        "/tags/nope/atom.xml",
        "/nothing",
        "/posts/%2e%2e/atom.xml",
        "/categories%2Frl/",
        "/atom.xml%00",
        "/a\\b",
    ],
)
def test_unknown_paths_get_a_real_404_page(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "Not found" in response.text
    assert response.headers.get_list("content-security-policy") == [
        client.get("/").headers["content-security-policy"]
    ]


def test_missing_trailing_slash_redirects_to_base_url(client: TestClient) -> None:
    response = client.get("/tags/rl", follow_redirects=False, headers={"Host": "evil.example"})
    assert response.status_code == 301
    assert response.headers["location"] == "https://blog.example/tags/rl/"
    assert response.headers.get_list("content-security-policy") == [FILE_POLICY]


@pytest.mark.parametrize(
    ("path", "listing"), [("/page/1/", ""), ("/page/1", ""), ("/tags/rl/page/1/", "tags/rl/")]
)
def test_page_1_redirects_to_its_listing(client: TestClient, path: str, listing: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "https://blog.example/" + listing


def test_page_1_of_no_listing_is_not_found(client: TestClient) -> None:
    assert client.get("/tags/nothing/page/1/", follow_redirects=False).status_code == 404


def test_host_and_forwarded_headers_never_change_outputs(client: TestClient) -> None:
    plain = client.get("/atom.xml").content
    forged = client.get(
        "/atom.xml",
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example", "Forwarded": "host=evil"},
    ).content
    assert plain == forged
    assert b"evil" not in forged


def test_head_matches_get_without_body(client: TestClient) -> None:
    get = client.get("/rss.xml")
    head = client.head("/rss.xml")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == get.headers["content-length"]
    assert client.head("/nope").status_code == 404


def test_other_methods_are_refused(client: TestClient) -> None:
    assert client.post("/atom.xml").status_code == 405


def test_conditional_get_with_etag(client: TestClient) -> None:
    first = client.get("/atom.xml", headers={"Accept-Encoding": "identity"})
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = client.get("/atom.xml", headers={"If-None-Match": header, "Accept-Encoding": "identity"})
        assert again.status_code == 304, header
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == first.headers["cache-control"]
        assert again.headers["vary"] == "Accept-Encoding"
        # Only what a 304 must carry (RFC 9110, 15.4.5): no representation metadata.
        assert "content-type" not in again.headers and "last-modified" not in again.headers
    changed = client.get("/atom.xml", headers={"If-None-Match": '"stale"'})
    assert changed.status_code == 200


def test_if_none_match_takes_precedence_over_if_modified_since(client: TestClient) -> None:
    first = client.get("/atom.xml")
    last_modified = first.headers["last-modified"]
    assert client.get("/atom.xml", headers={"If-Modified-Since": last_modified}).status_code == 304
    both = client.get("/atom.xml", headers={"If-None-Match": '"stale"', "If-Modified-Since": last_modified})
    assert both.status_code == 200
    assert client.get("/atom.xml", headers={"If-Modified-Since": "garbage"}).status_code == 200
    older = format_datetime(datetime(2020, 1, 1, tzinfo=UTC), usegmt=True)
    assert client.get("/atom.xml", headers={"If-Modified-Since": older}).status_code == 200


def test_only_the_exact_last_modified_is_a_304(client: TestClient) -> None:
    # A later date says nothing of these bytes: another replica, or this server before a
    # restart, stamped other bytes with its own clock (see syndicate.serve.modified).
    sent = parsedate_to_datetime(client.get("/atom.xml").headers["last-modified"])
    later = format_datetime(sent + timedelta(seconds=1), usegmt=True)
    assert client.get("/atom.xml", headers={"If-Modified-Since": later}).status_code == 200


def test_every_file_has_a_last_modified_no_later_than_now(client: TestClient) -> None:
    for path in ("/atom.xml", "/", "/feeds.opml", "/sitemap.xml", "/robots.txt", "/style.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        modified = parsedate_to_datetime(response.headers["last-modified"])
        assert modified <= datetime.now(UTC), path


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [
        ("gzip", "gzip"),
        ("br", "br"),
        ("gzip, br", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("br;q=0, gzip;q=0", None),
        ("identity", None),
        ("", None),
        ("*", "br"),
        ("x-gzip", "gzip"),
    ],
)
def test_compression_follows_accept_encoding(client: TestClient, accept: str, encoding: str | None) -> None:
    plain = client.get("/", headers={"Accept-Encoding": "identity"})
    response = client.get("/", headers={"Accept-Encoding": accept})
    assert response.headers.get("content-encoding") == encoding
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.content == plain.content  # the client decodes
    if encoding is not None:
        assert response.headers["etag"] != plain.headers["etag"]  # each representation its own tag


def test_compressed_bodies_are_made_once_and_kept_while_used(site: Site) -> None:
    assert site.build is not None
    resource = site.build.resources["/atom.xml"]
    for encoding, decompress in (("gzip", gzip.decompress), ("br", brotli.decompress)):
        first = resource.encoded(encoding)
        assert decompress(first) == resource.body
        assert resource.encoded(encoding) is first  # kept, not compressed again


def test_cache_control_for_feeds_and_pages(client: TestClient) -> None:
    # Daily posts: a quarter of a day, the upper bound (see tests/test_freshness.py).
    assert client.get("/atom.xml").headers["cache-control"] == "public, max-age=21600"
    assert client.get("/").headers["cache-control"] == "public, max-age=60"


def test_healthz(client: TestClient, site: Site, store: Path) -> None:
    write(store, "broken.md", "---\ntitle: [\n---\n")
    site.rebuild()
    response = client.get("/healthz")
    assert response.status_code == 200
    health = json.loads(response.text)
    assert health["status"] == "ok"
    assert health["posts"] == 15
    assert health["skipped"][0]["path"] == "broken.md"
    assert health["last_error"] is None
    assert health["build_time"] is not None


def test_metrics_count_requests_and_builds(client: TestClient) -> None:
    etag = client.get("/atom.xml").headers["etag"]
    client.get("/atom.xml", headers={"If-None-Match": etag})
    client.get("/nope/")
    text = client.get("/metrics").text
    assert 'syndicate_http_requests_total{route="feed",status="200"} 1.0' in text
    assert 'syndicate_http_requests_total{route="feed",status="304"} 1.0' in text
    assert 'syndicate_http_requests_total{route="not_found",status="404"} 1.0' in text
    assert "syndicate_http_not_modified_ratio 0.333" in text
    assert 'syndicate_rebuilds_total{result="changed"} 1.0' in text
    assert "syndicate_posts_published 15.0" in text
    assert "syndicate_degraded 0.0" in text
    assert "syndicate_posts_skipped 0.0" in text
    assert "syndicate_build_age_seconds" in text
    assert "syndicate_rebuild_duration_seconds_total" in text


def test_metrics_count_requests_by_the_kind_that_answered(client: TestClient) -> None:
    paths = ["/", "/posts/post-1/", "/robots.txt", "/style.css", "/feed.json", "/404.html", "/tags/rl"]
    for path in paths:
        client.get(path, follow_redirects=False)
    text = client.get("/metrics").text
    for route, status, count in [
        ("page", 200, 2),
        ("index", 200, 1),
        ("static", 200, 1),
        ("feed", 200, 1),
        ("not_found", 404, 1),
        ("redirect", 301, 1),
    ]:
        assert f'syndicate_http_requests_total{{route="{route}",status="{status}"}} {count}.0' in text, route


@pytest.mark.parametrize(
    ("accept", "ranked"),
    [
        ("", ("identity",)),
        ("gzip, br", ("br", "gzip", "identity")),
        ("gzip;q=1.0, br;q=0.8", ("gzip", "br", "identity")),
        ("*;q=0.5, gzip", ("gzip", "br", "identity")),
        ("br;q=0, gzip;q=0, identity;q=0", ("identity",)),  # identity stays the last resort
        ("GZIP;Q=0.3", ("gzip", "identity")),
        ("br;q=nonsense", ("identity",)),
    ],
)
def test_negotiate_ranks_by_q_value(accept: str, ranked: tuple[str, ...]) -> None:
    assert negotiate(accept) == ranked


def test_a_request_compresses_only_the_encoding_it_gets(
    client: TestClient, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert site.build is not None
    recent = RecentBytes(1 << 20)
    monkeypatch.setattr(syndicate.build.resource, "RECENT", recent)
    resource = site.build.resources["/tags/rl/"]
    client.get("/tags/rl/", headers={"Accept-Encoding": "gzip"})
    assert recent.get((resource.etag, "gzip")) is not None
    assert recent.get((resource.etag, "br")) is None
    client.get("/tags/rl/", headers={"Accept-Encoding": "br", "If-None-Match": resource.etag[:-1] + '-br"'})
    assert recent.get((resource.etag, "br")) is None  # a 304 needs no compressing
