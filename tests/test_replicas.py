"""Past one machine: replicas on one store agree byte for byte, and an nginx cache
in front (deploy/nginx) serves hits and revalidates with ETags."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from string import Template

import httpx2 as httpx
import pytest
import yaml
from conftest import REPO, write
from serving import CONFIG, Server, free_port, launch, stop, wait_for

POST = "---\ntitle: {title}\ndate: 2026-01-0{day}\ncategory: 强化学习\ntags: [rl, 大模型]\n---\n{body}\n"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
# The main file around deploy/nginx's server block, everything under one folder.
NGINX_MAIN = """$user worker_processes 1;
pid $prefix/nginx.pid;
error_log $prefix/error.log;
events { worker_connections 64; }
http {
    access_log $prefix/access.log;
    client_body_temp_path $prefix/client_body;
    proxy_temp_path $prefix/proxy;
    fastcgi_temp_path $prefix/fastcgi;
    uwsgi_temp_path $prefix/uwsgi;
    scgi_temp_path $prefix/scgi;
    include $prefix/syndicate.conf;
}
"""


@pytest.fixture
def public_port() -> int:
    """The port of the public URL, where the cache listens, in every replica's base_url."""
    return free_port()


@pytest.fixture
def replicas(tmp_path: Path, public_port: int) -> Iterator[tuple[Server, Server]]:
    """Two servers on two ports reading one store, both configured with the cache's public URL."""
    store = tmp_path / "content"
    for day in range(1, 6):
        write(store, f"post-{day}.md", POST.format(title=f"Post {day}", day=day, body="Text " * day))
    servers = []
    for name in ("a", "b"):
        config = tmp_path / f"{name}.toml"
        config.write_text(CONFIG.format(port=public_port, interval=1), encoding="utf-8")
        servers.append(
            launch(
                config,
                free_port(),
                store,
                tmp_path / f"{name}.log",
                SYNDICATE_SERVER_FEED_MAX_AGE_MIN="1",
                SYNDICATE_SERVER_FEED_MAX_AGE_MAX="1",
                SYNDICATE_SERVER_PAGE_MAX_AGE="1",
            )
        )
    yield servers[0], servers[1]
    for server in servers:
        stop(server)


def all_paths(server: Server) -> list[str]:
    health = server.get("/healthz").json()
    assert health["resources"] > 10
    paths = ["/", "/atom.xml", "/rss.xml", "/feed.json", "/style.css"]
    paths += [f"/{kind}/{slug}/{name}" for kind, slug in [("categories", "强化学习"), ("tags", "大模型")]
              for name in ("", "atom.xml", "rss.xml", "feed.json")]  # fmt: skip
    paths += [f"/posts/post-{day}/" for day in range(1, 6)]
    return paths


def test_replicas_serve_identical_bytes_and_etags(replicas: tuple[Server, Server]) -> None:
    a, b = replicas
    for path in all_paths(a):
        for encoding in ("identity", "gzip", "br"):
            one = a.get(path, **{"Accept-Encoding": encoding})
            two = b.get(path, **{"Accept-Encoding": encoding})
            assert one.status_code == two.status_code == 200, path
            assert one.content == two.content, path
            assert one.headers["etag"] == two.headers["etag"], (path, encoding)
    # A validator from one replica is good at the other.
    etag = a.get("/atom.xml").headers["etag"]
    assert b.get("/atom.xml", **{"If-None-Match": etag}).status_code == 304


def test_kubernetes_manifests_probe_healthz() -> None:
    documents = list(yaml.safe_load_all((REPO / "deploy/kubernetes/syndicate.yaml").read_text()))
    kinds = {document["kind"] for document in documents}
    assert {"Deployment", "Service", "ConfigMap"} <= kinds
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    compose = yaml.safe_load((REPO / "deploy/compose.yaml").read_text())
    assert {"syndicate-a", "syndicate-b", "cache"} <= set(compose["services"])


@pytest.fixture
def cache(tmp_path: Path, replicas: tuple[Server, Server], public_port: int) -> Iterator[str]:
    if NGINX is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx not installed (make system-deps)")
        pytest.skip("nginx not installed (make system-deps)")
    a, b = replicas
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    values = {
        "NGINX_CACHE_DIR": str(prefix / "cache"),
        "REPLICA_A": a.url.removeprefix("http://").rstrip("/"),
        "REPLICA_B": b.url.removeprefix("http://").rstrip("/"),
        "NGINX_LISTEN": f"127.0.0.1:{public_port}",
    }
    template = (REPO / "deploy/nginx/syndicate.conf.template").read_text()
    # As the nginx image's envsubst does: ${NAME} only, nginx's own $variables untouched.
    site = re.sub(r"\$\{(\w+)\}", lambda match: values[match.group(1)], template)
    (prefix / "syndicate.conf").write_text(site)
    user = "user root;" if os.geteuid() == 0 else ""  # workers need the test's folders
    (prefix / "nginx.conf").write_text(Template(NGINX_MAIN).substitute(user=user, prefix=prefix))
    process = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{public_port}/"

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError("nginx exited: " + (process.stderr.read() if process.stderr else ""))
        try:
            return httpx.get(url + "healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(up)
    yield url
    process.send_signal(signal.SIGQUIT)
    process.wait(timeout=10)


def test_cache_hits_and_revalidates_changed_posts(cache: str, replicas: tuple[Server, Server]) -> None:
    fetches = itertools.count()

    def fetch() -> httpx.Response:
        # As many readers, one fetch each: this test polls as no one reader may (see below).
        headers = {"Accept-Encoding": "identity", "User-Agent": f"reader {next(fetches)}"}
        return httpx.get(cache + "atom.xml", headers=headers, timeout=5)

    first = fetch()
    assert first.status_code == 200
    assert first.headers["x-cache-status"] in ("MISS", "EXPIRED")
    again = fetch()
    assert again.headers["x-cache-status"] == "HIT"
    assert again.content == first.content

    # After max-age (1 s) the cache asks a replica again with If-None-Match, gets a 304,
    # and keeps serving the body it has.
    wait_for(lambda: fetch().headers["x-cache-status"] != "HIT", timeout=10)
    assert fetch().content == first.content
    not_modified = 0.0
    for replica in replicas:
        for line in replica.get("/metrics").text.splitlines():
            if line.startswith('syndicate_http_requests_total{route="feed",status="304"}'):
                not_modified += float(line.split()[-1])
    assert not_modified >= 1

    # A changed post reaches the client through the cache after the next rebuild.
    store = replicas[0].store
    write(store, "post-9.md", POST.format(title="Fresh through the cache", day=9, body="New."))
    wait_for(lambda: b"Fresh through the cache" in fetch().content, timeout=15)


def test_the_cache_refuses_one_reader_polling_too_hard_for_every_replica(cache: str) -> None:
    def fetch(**headers: str) -> httpx.Response:
        return httpx.get(cache + "atom.xml", headers={"User-Agent": "hammer/1.0", **headers}, timeout=5)

    statuses = [fetch().status_code for _ in range(12)]  # in well under a minute
    assert statuses[:10] == [200] * 10 and statuses[-1] == 429, statuses
    refused = fetch()
    assert refused.headers["retry-after"] == "60" and refused.headers["cache-control"] == "no-store"
    etag = httpx.get(cache + "atom.xml", headers={"User-Agent": "other"}, timeout=5).headers["etag"]
    assert fetch(**{"If-None-Match": etag}).status_code == 304  # asking with the ETag always works
    assert httpx.get(cache, headers={"User-Agent": "hammer/1.0"}, timeout=5).status_code == 200  # pages
