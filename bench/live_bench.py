"""Edit, add and delete until visible: `python bench/live_bench.py [--posts 10000] [--repeats 5]`.

A writer's loop, timed from outside: a file in the store changes, and a
reader polls the site feed and the front page over HTTP until both show it.
Each server has its own copy of the same generated store and all run at
once (idle between changes), each change is made on each in turn, and the
pause before each change is random (1 to 2 s), so a change falls anywhere
within syndicate's rebuild interval:
- syndicate: `syndicate serve` with `build.interval` = 1 s, the shortest it
  takes (SYNDICATE_BUILD_INTERVAL=1): it rebuilds on a timer, it does not watch;
- hugo: `hugo server` as it starts by default (fast render mode, from memory);
- hugo-full: `hugo server --disableFastRender` (a full rebuild on each change).
Changes: edit (the newest post gets a new title and a line), add (a post newer
than all), delete (that post removed). Visible: the feed and the front page
both show the new title (or, after a delete, neither does).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import gen_store
import hugo_bench
from harness import (
    PYTHON,
    Sample,
    cache_env,
    format_bytes,
    format_seconds,
    free_port,
    http_get,
    stop,
    text_table,
    wait_until_serving,
)

SERVERS = ("syndicate", "hugo", "hugo-full")
CHANGES = ("edit", "add", "delete")
INTERVAL = 1  # syndicate's build.interval, seconds: the shortest it accepts
FEED_PATH = "/atom.xml"  # the site feed of both (bench/hugo/ names Hugo's Atom output so)
TIMEOUT = 120.0
POLL = 0.01


@dataclass
class LiveResult:
    posts: int
    interval: int = INTERVAL
    startup: dict[str, float] = field(default_factory=dict)  # seconds until each first served
    peak_rss: dict[str, int] = field(default_factory=dict)  # bytes, VmHWM of each server at the end
    seconds: dict[str, dict[str, Sample]] = field(default_factory=dict)  # server -> change -> sample

    def ratio(self, change: str, peer: str) -> float | None:
        """syndicate's median over `peer`'s for `change`."""
        ours, theirs = self.seconds.get("syndicate", {}).get(change), self.seconds.get(peer, {}).get(change)
        if ours is None or theirs is None or not ours.values or not theirs.values:
            return None
        return ours.median / theirs.median


@dataclass
class Live:
    """One running server and the store it reads."""

    name: str
    port: int
    store: Path
    newest: Path  # the post an edit changes: the newest, so the feed and the front page show it
    process: subprocess.Popen[bytes]


# The changes


def newest_post(store: Path) -> Path:
    """The post dated last (every generated post is on or before gen_store.LAST_DAY)."""
    day = gen_store.LAST_DAY.isoformat()

    def when(path: Path) -> str:
        found = re.search(r"^date: (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
        return found.group(1) if found else ""

    candidates = [p for p in store.rglob(f"{day}-*.md") if "draft: true" not in p.read_text(encoding="utf-8")]
    return max(candidates, key=lambda path: (when(path), path.name))


def retitle(text: str, title: str) -> str:
    return re.sub(r"^title: .*$", f'title: "{title}"', text, count=1, flags=re.MULTILINE)


def edit(post: Path, marker: str) -> Callable[[str], bool]:
    """Give `post` a title holding `marker` and one more line; visible when shown."""
    text = retitle(post.read_text(encoding="utf-8"), f"编辑 edited {marker}")
    post.write_text(text + f"\nEdited: {marker}.\n", encoding="utf-8")
    return lambda body: marker in body


def added_path(store: Path, number: int) -> Path:
    day = gen_store.LAST_DAY
    return store / str(day.year) / f"{day.isoformat()}-live-added-{number}.md"


def add(store: Path, marker: str, number: int) -> Callable[[str], bool]:
    """Write a post newer than every other, titled with `marker`; visible when shown."""
    day: date = gen_store.LAST_DAY
    _, text = gen_store.post_text(random.Random(marker), 800_000 + number, day, f"{day.isoformat()} 23:59:59")
    text = retitle(text.replace("draft: true\n", ""), f"新文章 added {marker}")
    added_path(store, number).write_text(text, encoding="utf-8")
    return lambda body: marker in body


def delete(store: Path, marker: str, number: int) -> Callable[[str], bool]:
    """Remove the post `add` wrote; visible when its `marker` is gone."""
    added_path(store, number).unlink()
    return lambda body: marker not in body


def until_visible(port: int, shows: Callable[[str], bool], started: float) -> float:
    """Seconds from `started` until the feed and the front page both satisfy `shows`."""
    while (elapsed := time.monotonic() - started) < TIMEOUT:
        if all(shows(http_get(port, path).body.decode("utf-8", "replace")) for path in (FEED_PATH, "/")):
            return time.monotonic() - started
        time.sleep(POLL)
    raise RuntimeError(f"a change on port {port} was not visible within {elapsed:.0f} s")


# The servers


def _spawn(command: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)


@contextmanager
def serving(name: str, site: Path, work: Path) -> Iterator[tuple[Live, float]]:
    """Server `name` on its own copy of `site`'s store, and the seconds it took to serve."""
    folder = work / f"live-{name}"
    shutil.rmtree(folder, ignore_errors=True)
    store = folder / gen_store.STORE_NAME
    shutil.copytree(site / gen_store.STORE_NAME, store)
    port = free_port()
    if name == "syndicate":
        config = folder / gen_store.CONFIG_NAME
        shutil.copyfile(site / gen_store.CONFIG_NAME, config)
        env = {**os.environ, **cache_env(folder / "cache"), "SYNDICATE_BUILD_INTERVAL": str(INTERVAL)}
        command = [PYTHON, "-m", "syndicate.cli", "serve", "--config", str(config), "--port", str(port)]
        ready = "/healthz"
    else:
        hugo_site = hugo_bench.site_for(store, folder / "hugo-site")
        command = hugo_bench.server_command(hugo_site, port, folder / "cache", fast_render=name == "hugo")
        env, ready = None, "/"
    process = _spawn(command, folder / "server.log", env)
    try:
        startup = wait_until_serving(port, ready, process, timeout=1800, log=folder / "server.log")
        wait_until_serving(port, FEED_PATH, process, timeout=60)
        yield Live(name, port, store, newest_post(store), process), startup
    finally:
        stop(process)


def vm_hwm(pid: int) -> int:
    """A process's peak resident set (VmHWM), in bytes; 0 where /proc cannot tell."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# The benchmark


def trial(live: Live, change: str, number: int) -> float:
    """Make `change` on `live`'s store, then time until a reader sees it."""
    marker = f"live-{change}-{number}-{random.randrange(10**8):08d}"
    started = time.monotonic()
    if change == "edit":
        shows = edit(live.newest, marker)
    elif change == "add":
        shows = add(live.store, f"live-post-{number}", number)
    else:
        shows = delete(live.store, f"live-post-{number}", number)
    return until_visible(live.port, shows, started)


def run(
    posts: int = 10_000,
    site: Path | None = None,
    repeats: int = 5,
    servers: tuple[str, ...] = SERVERS,
    work: Path | None = None,
    seed: int = 1,
) -> LiveResult:
    if any(name.startswith("hugo") for name in servers):
        hugo_bench.hugo_program()  # fails early, saying how to install it
    result = LiveResult(posts)
    with tempfile.TemporaryDirectory(prefix="syndicate-live-") as scratch, ExitStack() as running:
        root = work or Path(scratch)
        if site is None or not (site / gen_store.CONFIG_NAME).exists():
            site = site or root / f"site-{posts}"
            _progress(f"live {posts:,}: generating the site")
            gen_store.generate(posts, site, seed)
        result.posts = sum(1 for _ in (site / gen_store.STORE_NAME).rglob("*.md"))
        lives = []
        for name in servers:
            _progress(f"live {posts:,}: starting {name}")
            live, result.startup[name] = running.enter_context(serving(name, site, root))
            lives.append(live)
            result.seconds[name] = {change: Sample() for change in CHANGES}
        for number in range(repeats):
            for change in CHANGES:
                _progress(f"live {posts:,}: round {number + 1} of {repeats}: {change}")
                for live in lives[number % len(lives) :] + lives[: number % len(lives)]:
                    time.sleep(random.uniform(1.0, 2.0))
                    result.seconds[live.name][change].values.append(trial(live, change, number))
        result.peak_rss = {live.name: vm_hwm(live.process.pid) for live in lives}
    return result


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# Output

LABELS = {
    "syndicate": f"syndicate serve (interval {INTERVAL} s)",
    "hugo": "hugo server",
    "hugo-full": "hugo server --disableFastRender",
}


def table(result: LiveResult) -> str:
    return "\n".join([text_table(*table_data(result)), *footnotes(result)])


def table_data(result: LiveResult) -> tuple[list[str], list[list[str]]]:
    names = list(result.seconds)
    headers = ["change", *(f"{LABELS[name]}: median (min–max)" for name in names)]
    peers = [name for name in names if name != "syndicate"]
    headers += [f"syndicate / {name}" for name in peers]
    rows = []
    for change in CHANGES:
        row = [f"{change} → visible"]
        for name in names:
            sample = result.seconds[name][change]
            if not sample.values:
                row.append("—")
                continue
            spread = f"{format_seconds(sample.min)}–{format_seconds(max(sample.values))}"
            row.append(f"{format_seconds(sample.median)} ({spread})")
        row += ["—" if (r := result.ratio(change, peer)) is None else f"{r:.2f}" for peer in peers]
        rows.append(row)
    rows.append(["serving after start", *(format_seconds(result.startup[name]) for name in names)])
    rows[-1] += [""] * len(peers)
    rows.append(["server's peak memory", *(format_bytes(result.peak_rss.get(name, 0)) for name in names)])
    rows[-1] += [""] * len(peers)
    return headers, rows


def footnotes(result: LiveResult) -> list[str]:
    runs = max((len(s.values) for c in result.seconds.values() for s in c.values()), default=0)
    return [
        f"{result.posts:,} posts, {runs} runs of each change on each server; polled every "
        f"{POLL * 1000:.0f} ms: GET {FEED_PATH} and GET / until both show the change",
        "peak memory: VmHWM of the server process (syndicate's first-build workers are not counted)",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--posts", type=int, default=10_000, help="size of the generated site (default 10000)"
    )
    parser.add_argument("--site", type=Path, help="use this generated site (its content/ is copied)")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each change (default 5)")
    parser.add_argument("--servers", default=",".join(SERVERS), help=f"any of {','.join(SERVERS)}")
    parser.add_argument("--work", type=Path, help="keep the copies here (default: a temporary folder)")
    args = parser.parse_args(argv)
    servers = tuple(name for name in args.servers.split(",") if name)
    if set(servers) - set(SERVERS):
        parser.error(f"--servers: any of {', '.join(SERVERS)}")
    print(table(run(args.posts, args.site, args.repeats, servers, args.work)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
