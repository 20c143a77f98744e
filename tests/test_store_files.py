"""The store's own files (images, SVG among them) can run no script on the site's origin:
served by `syndicate serve`, and written by `build --out` for nginx (deploy/nginx)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from string import Template

import httpx2 as httpx
import pytest
from conftest import REPO, own_scripts_only, write
from serving import Server, free_port, start, stop, wait_for
from test_build import run_cli
from test_replicas import NGINX, NGINX_MAIN

from syndicate.serve.app import FILE_POLICY

POST = "---\ntitle: Hello\ndate: 2026-01-02\ncategory: Notes\n---\n![evil](/images/evil.svg)\n"
EVIL_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" onload="console.log(\'onload ran\')">'
    "<script>console.log('script ran')</script><rect width='10' height='10'/></svg>\n"
)
THEIR_ICON = '<svg xmlns="http://www.w3.org/2000/svg"><title>the store\'s</title></svg>\n'


def our_icon() -> bytes:
    return (resources.files("syndicate.outputs") / "static" / "favicon.svg").read_bytes()


def hostile_store(folder: Path) -> Path:
    store = folder / "content"
    write(store, "hello.md", POST)
    write(store, "images/evil.svg", EVIL_SVG)
    write(store, "favicon.svg", THEIR_ICON)
    return store


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    hostile_store(tmp_path)
    running = start(tmp_path, interval=60)
    yield running
    stop(running)


def test_a_store_svg_is_served_sandboxed_without_script(server: Server) -> None:
    response = server.get("/images/evil.svg")
    assert response.status_code == 200
    assert response.content == EVIL_SVG.encode()  # as it is: the policy, not the bytes, disarms it
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["content-security-policy"] == FILE_POLICY
    assert "sandbox" in FILE_POLICY and "default-src 'none'" in FILE_POLICY
    assert "script" not in FILE_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"


def test_every_response_of_a_real_server_has_a_policy(server: Server) -> None:
    for path in ("/", "/posts/hello/", "/atom.xml", "/feed.json", "/style.css", "/robots.txt", "/nowhere"):
        response = server.get(path)
        assert "default-src 'none'" in response.headers["content-security-policy"], path
        assert response.headers["x-content-type-options"] == "nosniff", path


def test_the_sites_own_icon_wins_over_the_stores(server: Server) -> None:
    assert server.get("/favicon.svg").content == our_icon()


def site_config(folder: Path) -> Path:
    text = '[site]\nbase_url = "http://127.0.0.1/"\n[store]\npath = "content"\n'
    return write(folder, "syndicate.toml", text)


def test_check_warns_of_the_hidden_icon_in_one_line(tmp_path: Path) -> None:
    hostile_store(tmp_path)
    result = run_cli("check", "--config", site_config(tmp_path), cwd=tmp_path)
    assert result.returncode == 0
    warnings = [line for line in result.stdout.splitlines() if "favicon.svg" in line]
    assert warnings == ["content/favicon.svg:1: warning: not served: the site's own file has the same path"]


def test_build_out_keeps_the_sites_icon(tmp_path: Path) -> None:
    hostile_store(tmp_path)
    result = run_cli("build", "--config", site_config(tmp_path), "--out", "public", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "public" / "favicon.svg").read_bytes() == our_icon()
    assert (tmp_path / "public" / "images" / "evil.svg").read_text() == EVIL_SVG


@pytest.fixture
def static_host(tmp_path: Path) -> Iterator[tuple[str, Server]]:
    """deploy/nginx/static.conf.template serving `build --out`, and `syndicate serve` on the same
    store to compare with."""
    if NGINX is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx not installed (make system-deps)")
        pytest.skip("nginx not installed (make system-deps)")
    hostile_store(tmp_path)
    server = start(tmp_path, interval=60)
    config = tmp_path / "syndicate.toml"  # the server's, so both have the same base_url
    result = run_cli("build", "--config", config, "--out", tmp_path / "public", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    port = free_port()
    values = {"NGINX_LISTEN": f"127.0.0.1:{port}", "SITE_ROOT": str(tmp_path / "public")}
    template = (REPO / "deploy/nginx/static.conf.template").read_text()
    site = re.sub(r"\$\{(\w+)\}", lambda match: values[match.group(1)], template)
    (prefix / "syndicate.conf").write_text(site)  # the name NGINX_MAIN includes
    user = "user root;" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(Template(NGINX_MAIN).substitute(user=user, prefix=prefix))
    process = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError("nginx exited: " + (process.stderr.read() if process.stderr else ""))
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(up)
    yield url, server
    process.send_signal(signal.SIGQUIT)
    process.wait(timeout=10)
    stop(server)


def test_nginx_sends_what_syndicate_serve_sends(static_host: tuple[str, Server]) -> None:
    url, server = static_host
    paths = resource_paths(server)
    assert "/images/evil.svg" in paths and "/feeds.opml" in paths
    for path in paths:
        ours, theirs = server.get(path), httpx.get(url + path.lstrip("/"), timeout=5)
        assert theirs.status_code == 200, path
        assert theirs.content == ours.content, path
        assert media_type(theirs) == media_type(ours), path
        assert theirs.headers["x-content-type-options"] == "nosniff", path
        policy = theirs.headers["content-security-policy"]
        if ours.headers["content-type"].startswith("text/html"):
            assert "default-src 'none'" in policy and own_scripts_only(policy), path
        else:
            assert policy == FILE_POLICY, path
    not_found = server.get("/nowhere.svg")
    assert not_found.status_code == 404
    for path in ("nowhere.svg", "posts/nothing/", "tags/nothing/atom.xml", "404.html"):
        missing = httpx.get(url + path, timeout=5)
        assert missing.status_code == 404, path
        assert missing.content == not_found.content, path
        assert media_type(missing) == media_type(not_found), path
        assert "default-src 'none'" in missing.headers["content-security-policy"], path
        assert own_scripts_only(missing.headers["content-security-policy"]), path


def resource_paths(server: Server) -> list[str]:
    """Every path of the site, from its sitemap and OPML and the files a page links."""
    sitemap = server.get("/sitemap.xml").text
    pages = [re.sub(r"^http://[^/]+", "", loc) for loc in re.findall(r"<loc>([^<]+)</loc>", sitemap)]
    opml = server.get("/feeds.opml").text
    feeds = [re.sub(r"^http://[^/]+", "", url) for url in re.findall(r'xmlUrl="([^"]+)"', opml)]
    files = ["/favicon.svg", "/style.css", "/robots.txt", "/sitemap.xml", "/feeds.opml", "/images/evil.svg"]
    return sorted({*pages, *feeds, *files})


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].replace(" ", "").lower()
