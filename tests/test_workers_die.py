"""A first build's workers never outlive `syndicate build`, nor a server's render workers the
server, however it ends."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import write
from serving import start, stop, wait_for

POSTS = 3000  # past both thresholds: rendered and outputs made by forked workers

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods(),
    reason="finds processes in /proc, and forked workers need fork",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of small posts: a first build that is quick, and long enough to be stopped."""
    folder = tmp_path_factory.mktemp("many")
    for number in range(POSTS):
        # Many categories and tags: hundreds of feeds, so that the forked workers' phase
        # lasts long enough to be seen on a fast machine (listing pages are made on demand).
        tags = f"[t{number % 199}, u{number % 11}]"
        meta = f"title: Post {number}\ndate: 2025-01-01\ncategory: c{number % 47}\ntags: {tags}"
        write(folder / "content", f"p{number}.md", f"---\n{meta}\n---\nSome *text* {number}.\n")
    write(folder, "syndicate.toml", '[store]\npath = "content"\n[build]\nworkers = 2\n')
    return folder


def stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat from the state on (field 3 is [0]); None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def children(parent: int) -> dict[int, str]:
    """pid -> start time of each living child of `parent`. Only pids above the parent's are
    looked at (its children came after it; pids wrap only past pid_max), so that a look
    takes little time and a short phase is not missed between two looks."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) > parent:
            fields = stat(int(entry.name))
            if fields is not None and fields[1] == str(parent) and fields[0] != "Z":
                found[int(entry.name)] = fields[19]
    return found


def is_forked(build: int) -> Callable[[int], bool]:
    command = Path(f"/proc/{build}/cmdline").read_bytes()

    def forked(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes() == command
        except OSError:
            return False

    return forked


def workers_of(build: subprocess.Popen[bytes], kind: Callable[[int], bool]) -> dict[int, str] | None:
    """The build's children once two workers of `kind` run among them; None if the build
    ended first (on a busy machine a short phase can pass between two looks)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and build.poll() is None:
        found = children(build.pid)
        if sum(kind(pid) for pid in found) >= 2:
            return found
        time.sleep(0.002)
    if build.poll() is None:
        pytest.fail("no two workers seen in 120 s")
    return None


def stopped_build_workers(site: Path, phase: str, how: signal.Signals) -> dict[int, str]:
    """The workers of a build stopped by `how` in `phase`, caught in one of five tries."""
    for _ in range(5):
        build = start_build(site)
        try:
            # `syndicate build` forks its render workers too (only a rebuild of a running
            # server, which has threads, spawns them): every phase's workers are forked.
            workers = workers_of(build, is_forked(build.pid))
            if workers is None:
                continue
            build.send_signal(how)
            assert build.wait(timeout=10) == -how  # at once, by the signal, as before
            return workers
        finally:
            build.kill()
            build.wait()
    pytest.fail(f"five builds ended before two {phase} workers were seen")


def alive(processes: dict[int, str]) -> list[int]:
    """Those still running: not gone, not a zombie, not another process with their pid."""
    living = []
    for pid, started in processes.items():
        fields = stat(pid)
        if fields is not None and fields[0] != "Z" and fields[19] == started:
            living.append(pid)
    return living


def start_build(site: Path) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SYNDICATE_")}
    for stale in (site / ".cache", site / "out"):
        subprocess.run(["rm", "-rf", str(stale)], check=True)
    command = [sys.executable, "-m", "syndicate.cli", "build", "--config", "syndicate.toml", "--out", "out"]
    return subprocess.Popen(command, cwd=site, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.parametrize("phase", ["render", "outputs"])
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_no_worker_outlives_a_stopped_build(site: Path, phase: str, how: signal.Signals) -> None:
    workers = stopped_build_workers(site, phase, how)
    try:
        deadline = time.monotonic() + 5
        while alive(workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert alive(workers) == []
    finally:
        for pid in alive(workers):
            os.kill(pid, signal.SIGKILL)


def test_a_worker_whose_parent_died_before_it_started_exits(tmp_path: Path) -> None:
    # bind_to_parent with a pid that is not this process's parent: as if it died already.
    code = "from syndicate.workers.crew import bind_to_parent; bind_to_parent(1); print('still here')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "still here" not in done.stdout


def spawned(pid: int) -> bool:
    try:
        return b"syndicate.workers.crew" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def test_no_render_worker_outlives_a_killed_server(tmp_path: Path) -> None:
    """The worker a server keeps for its rebuilds, and the one started again in a rebuild
    (another thread) after a post took too long, end with the server, however it ends."""
    write(tmp_path / "content", "good.md", "---\ntitle: Good\ndate: 2026-01-01\n---\nText.\n")
    server = start(tmp_path, SYNDICATE_BUILD_RENDER_TIMEOUT="1")
    seen: dict[int, str] = {}
    try:
        wait_for(lambda: any(spawned(pid) for pid in children(server.process.pid)))
        first = {pid for pid in children(server.process.pid) if spawned(pid)}
        seen.update(children(server.process.pid))
        slow = "[" * 20_000 + "a" + "]" * 20_000
        write(server.store, "slow.md", f"---\ntitle: Slow\ndate: 2026-01-02\n---\n{slow}\n")
        wait_for(lambda: [p["path"] for p in server.get("/healthz").json()["skipped"]] == ["slow.md"])
        write(server.store, "new.md", "---\ntitle: New\ndate: 2026-01-03\n---\nNew.\n")
        wait_for(lambda: server.get("/posts/new/").status_code == 200)  # rendered by the new worker
        now = children(server.process.pid)
        assert not first & set(now)  # the one stopped is gone
        assert any(spawned(pid) for pid in now)
        seen.update(now)
        server.process.kill()
        server.process.wait()
        deadline = time.monotonic() + 5
        while alive(seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert alive(seen) == []
    finally:
        stop(server)
        for pid in alive(seen):
            os.kill(pid, signal.SIGKILL)
