"""A store that suddenly has no post to publish, on a real server and in `build --out`: the
site keeps its posts and says it is degraded, to a monitor, while staying up for a load
balancer; a restart, or removing the output, publishes the empty store. A rebuild that
runs past its bound is reported the same way while it runs."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import write
from serving import Server, start, stop, wait_for
from test_build import run_cli

POST = "---\ntitle: Post {n}\ndate: 2026-01-0{n}\n---\nHello.\n"
BROKEN = "---\ntitle: Post {n}\n---\nNo date: skipped.\n"


def fill(store: Path, count: int = 3) -> None:
    for n in range(1, count + 1):
        write(store, f"post-{n}.md", POST.format(n=n))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    fill(tmp_path / "content")
    running = start(tmp_path)
    yield running
    stop(running)


def titles(server: Server) -> list[str]:
    return [entry.title for entry in server.feed().entries]


def degraded(server: Server) -> float:
    return metric(server, "syndicate_degraded")


def metric(server: Server, name: str) -> float:
    line = next(line for line in server.get("/metrics").text.splitlines() if line.startswith(name + " "))
    return float(line.split()[-1])


def empty(store: Path, how: str) -> None:
    for path in store.glob("*.md"):
        if how == "deleted":
            path.unlink()
        else:
            path.write_text(BROKEN.format(n=path.stem[-1]), encoding="utf-8")


@pytest.mark.parametrize("how", ["deleted", "broken"])
def test_an_emptied_store_keeps_the_site_and_reports_degraded(server: Server, how: str) -> None:
    assert server.get("/healthz?strict").status_code == 200
    empty(server.store, how)
    wait_for(lambda: server.get("/healthz").json()["last_error"] is not None)
    health = server.get("/healthz")
    assert health.status_code == 200  # a load balancer keeps sending traffic: the site is there
    assert health.json()["status"] == "degraded"
    assert health.json()["posts"] == 3
    assert (
        "the store has no post to publish any more (the site served has 3)"
        in (health.json()["last_error"]["message"])
    )
    assert server.get("/healthz?strict").status_code == 503  # a monitor is told
    assert degraded(server) == 1
    assert titles(server) == ["Post 3", "Post 2", "Post 1"]
    assert server.get("/posts/post-1/").status_code == 200

    write(server.store, "post-9.md", POST.format(n=9))  # the store has a post again: published
    wait_for(lambda: server.get("/healthz").json()["status"] == "ok")
    assert titles(server) == ["Post 9"]
    assert server.get("/healthz?strict").status_code == 200
    assert degraded(server) == 0
    lines = server.log.read_text().splitlines()
    held = [line for line in lines if "rebuild failed" in line and "no post to publish" in line]
    assert len(held) == 1  # once, not at every rebuild
    assert any("rebuild succeeded again" in line for line in lines)


def test_a_store_that_loses_some_posts_publishes_what_is_left(server: Server) -> None:
    (server.store / "post-1.md").unlink()
    (server.store / "post-2.md").unlink()
    wait_for(lambda: titles(server) == ["Post 3"])
    assert server.get("/healthz").json()["status"] == "ok"


def test_a_restart_publishes_an_emptied_store(tmp_path: Path) -> None:
    """The author's confirmation: a start builds the store as it is."""
    fill(tmp_path / "content")
    first = start(tmp_path)
    try:
        empty(first.store, "deleted")
        wait_for(lambda: first.get("/healthz").json()["status"] == "degraded")
    finally:
        stop(first)
    second = start(tmp_path)
    try:
        health = second.get("/healthz?strict")
        assert health.status_code == 200
        assert (health.json()["status"], health.json()["posts"]) == ("ok", 0)
        assert titles(second) == []
    finally:
        stop(second)


def build_out(folder: Path) -> subprocess.CompletedProcess[str]:
    config = write(
        folder, "syndicate.toml", '[site]\nbase_url = "https://blog.example/"\n[store]\npath = "content"\n'
    )
    return run_cli("build", "--config", config, "--out", folder / "public", cwd=folder)


def test_build_out_does_not_replace_a_site_with_an_empty_one(tmp_path: Path) -> None:
    fill(tmp_path / "content")
    assert build_out(tmp_path).returncode == 0
    before = (tmp_path / "public").resolve()
    empty(tmp_path / "content", "deleted")
    refused = build_out(tmp_path)
    assert refused.returncode == 2
    (line,) = refused.stderr.splitlines()
    public = tmp_path / "public"
    assert line == (
        f"syndicate: error: {public}: the store has no post to publish and the site there has 3:"
        f" not replaced (remove {public} to publish an empty site)"
    )
    assert (tmp_path / "public").resolve() == before
    assert (before / "posts" / "post-1" / "index.html").is_file()

    public.unlink()  # the author's confirmation
    assert build_out(tmp_path).returncode == 0
    assert not (tmp_path / "public" / "posts").exists()


def test_a_rebuild_running_past_its_bound_is_reported_while_it_runs(tmp_path: Path) -> None:
    fill(tmp_path / "content")
    # A post Python-Markdown renders for over a minute, stopped after 8 s: a rebuild of 8 s.
    environ = {"SYNDICATE_BUILD_REBUILD_OVERDUE": "1", "SYNDICATE_BUILD_RENDER_TIMEOUT": "8"}
    server = start(tmp_path, **environ)
    try:
        health = server.get("/healthz").json()
        assert (health["status"], health["rebuild_running"]) == ("ok", None)
        assert metric(server, "syndicate_rebuild_running_seconds") == 0
        slow = "[" * 20_000 + "a" + "]" * 20_000
        write(server.store, "slow.md", f"---\ntitle: Slow\ndate: 2026-01-05\n---\n{slow}\n")

        wait_for(lambda: server.get("/healthz").json()["status"] == "degraded")
        response = server.get("/healthz")
        assert response.status_code == 200  # a Build is served: a load balancer keeps it
        running = response.json()["rebuild_running"]
        assert running["overdue"] is True and running["seconds"] >= 1  # rounded to 0.1 s: 1.04 reads 1.0
        assert response.json()["last_error"] is None
        assert server.get("/healthz?strict").status_code == 503
        assert metric(server, "syndicate_rebuild_running_seconds") > 1
        assert degraded(server) == 1
        assert titles(server) == ["Post 3", "Post 2", "Post 1"]  # still served meanwhile
        wait_for(lambda: "running for more than 1 s (build.rebuild_overdue)" in server.log.read_text())

        wait_for(lambda: server.get("/healthz").json()["status"] == "ok", timeout=60)
        health = server.get("/healthz").json()
        assert [p["path"] for p in health["skipped"]] == ["slow.md"]
        assert degraded(server) == 0
        log = server.log.read_text()
        assert log.count("(build.rebuild_overdue)") == 1  # once, not once an interval
        assert log.count("the overdue rebuild ended after") == 1
        assert "maximum number of running instances" not in log
    finally:
        stop(server)
