"""A post that cannot be rendered is tried once per version of the post and of the code,
not once per process (issue: every `check`, `build` and start of `serve` waited the whole
render timeout again for each slow post); and a damaged cache file is warned of once by a
command, however many of its worker processes find the damage."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import write

from syndicate.caching.diskcache import DiskCache

# Seconds Python-Markdown takes on it: 5 or more on a laptop, 2 or 3 times any timeout here.
SLOW_BODY = "[" * 4000 + "x" + "](" * 4000
TOO_LONG = "cannot be rendered: it took longer than build.render_timeout ({} s): stopped; skipped"
GOOD = "---\ntitle: Good post\ndate: 2026-01-11\n---\nHello.\n"
# Runs the real command line, first counting each process this one forks (the renderer's
# workers are forked: a command with no thread never starts one any other way) in a file.
COUNTING = (
    "import os, sys\n"
    "count = os.environ['FORKS_FILE']\n"
    "os.register_at_fork(after_in_child=lambda: open(count, 'a').write('x'))\n"
    "from syndicate.cli import main\n"
    "sys.exit(main())\n"
)


def post(title: str, body: str, day: int = 4) -> str:
    return f"---\ntitle: {title}\ndate: 2026-01-{day:02d}\n---\n{body}\n"


class Run:
    def __init__(self, done: subprocess.CompletedProcess[str], seconds: float, forks: int) -> None:
        self.returncode = done.returncode
        self.stdout = done.stdout
        self.stderr = done.stderr
        self.seconds = seconds
        self.forks = forks  # processes forked by the command (and by them)

    @property
    def problems(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if ": error: " in line or ": warning: " in line]


def run(site: Path, *arguments: str, timeout: int = 2, workers: int = 1) -> Run:
    """`syndicate ARGUMENTS` in `site`, its store `content`, with `render_timeout`."""
    config = site / "syndicate.toml"
    config.write_text(
        '[site]\ntimezone = "Asia/Shanghai"\n[store]\npath = "content"\n'
        f'[build]\ncache_dir = "cache"\nrender_timeout = {timeout}\nworkers = {workers}\n',
        encoding="utf-8",
    )
    forks = site / "forks"
    forks.unlink(missing_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("SYNDICATE_")}
    env["FORKS_FILE"] = str(forks)
    env["PYTHONIOENCODING"] = "utf-8"
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", COUNTING, *arguments, "--config", str(config)],
        cwd=site,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        env=env,
        check=False,
    )
    seconds = time.monotonic() - start
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return Run(done, seconds, len(forks.read_text()) if forks.exists() else 0)


def test_damaged_values_are_warned_of_once_by_a_command_and_all_its_workers(tmp_path: Path) -> None:
    """Enough posts that their pages are made in two worker processes, each of which reads
    the posts' HTML from a rendered.sqlite3 whose every HTML value is damaged (its excerpts
    are sound: nothing is rendered again before the pages are made)."""
    store = tmp_path / "content"
    for number in range(2100):
        write(store, f"p{number:04d}.md", post(f"Post {number}", f"Text *{number}*.", 1 + number % 28))
    first = run(tmp_path, "check", workers=2)
    assert first.returncode == 0, first.stderr
    assert "cache" not in first.stderr
    cache = tmp_path / "cache"
    with sqlite3.connect(cache / "rendered.sqlite3") as db:
        damaged = db.execute("UPDATE cached SET crc = crc + 1 WHERE key NOT LIKE '%:excerpt'").rowcount
    assert damaged >= 2100
    for name in os.listdir(cache):  # every page made again, from the damaged HTML
        if name.startswith("outputs."):
            os.unlink(cache / name)

    again = run(tmp_path, "check", workers=2)
    assert again.returncode == 0, again.stderr
    assert again.forks >= 2  # the pages were made by workers
    assert again.stderr.count("rendered.sqlite3 holds damaged values; making them again") == 1, again.stderr
    assert DiskCache(cache, "rendered").usable


def slow_store(site: Path) -> list[str]:
    """A good post and two too slow to render; the lines `check` prints for those two."""
    store = site / "content"
    write(store, "good.md", GOOD)
    write(store, "slow-a.md", post("Slow A", SLOW_BODY))
    write(store, "slow-b.md", post("Slow B", SLOW_BODY))
    return [f"content/slow-{name}.md:1: error: {TOO_LONG.format(2)}" for name in "ab"]


def test_a_post_too_slow_to_render_is_not_rendered_again_by_the_next_process(tmp_path: Path) -> None:
    expected = slow_store(tmp_path)
    first = run(tmp_path, "check")
    assert first.returncode == 1, first.stderr
    assert first.problems == expected
    assert first.forks >= 1  # the renderer's worker
    assert first.seconds >= 2  # each was stopped at the timeout

    for command in (["check"], ["build", "--out", "site"]):
        again = run(tmp_path, *command)
        assert again.returncode == (1 if command == ["check"] else 0), again.stderr
        assert again.problems == expected  # the same lines, read from the cache
        assert again.forks == 0  # nothing to render: no worker started, no post rendered again
        assert again.seconds < 2  # so no wait for a timeout either
        assert again.stderr == ""
    assert sorted(path.name for path in (tmp_path / "site" / "posts").iterdir()) == ["good"]


def test_a_slow_post_edited_into_a_normal_one_is_rendered_and_published(tmp_path: Path) -> None:
    expected = slow_store(tmp_path)
    assert run(tmp_path, "check").problems == expected
    write(tmp_path / "content", "slow-a.md", post("Slow A", "Quick now."))
    build = run(tmp_path, "build", "--out", "site")
    assert build.returncode == 0, build.stderr
    assert build.problems == expected[1:]  # slow-b.md unchanged: skipped, as it was
    assert build.forks >= 1  # slow-a.md rendered
    page = tmp_path / "site" / "posts" / "slow-a" / "index.html"
    assert "Quick now." in page.read_text(encoding="utf-8")
    again = run(tmp_path, "check")
    assert again.problems == expected[1:] and again.forks == 0


def test_a_longer_render_timeout_tries_a_slow_post_again_and_a_shorter_one_does_not(
    tmp_path: Path,
) -> None:
    slow_store(tmp_path)
    lines = [f"content/slow-{name}.md:1: error: {TOO_LONG}" for name in "ab"]
    first = run(tmp_path, "check", timeout=1)
    assert first.problems == [line.format(1) for line in lines]
    longer = run(tmp_path, "check", timeout=2)  # it might render in 2 s: tried again
    assert longer.problems == [line.format(2) for line in lines]
    assert longer.forks >= 1 and longer.seconds >= 2
    shorter = run(tmp_path, "check", timeout=1)  # it took longer than 2 s, so than 1 s
    assert shorter.problems == [line.format(1) for line in lines]
    assert shorter.forks == 0


def test_a_damaged_or_unreadable_kept_failure_is_a_miss_and_the_post_is_tried_again(tmp_path: Path) -> None:
    expected = slow_store(tmp_path)
    assert run(tmp_path, "check").problems == expected
    cache = tmp_path / "cache"
    with sqlite3.connect(cache / "rendered.sqlite3") as db:
        keys = [key for (key,) in db.execute("SELECT key FROM cached")]
    # What each key holds, good posts' too, written over with values of no known shape: their
    # checksums are sound, so only reading them can tell.
    DiskCache(cache, "rendered").put_many({key: b'{"failed": 1}' for key in keys})
    unreadable = run(tmp_path, "check")
    assert unreadable.problems == expected
    assert unreadable.forks >= 1 and unreadable.seconds >= 2  # rendered again
    assert "Traceback" not in unreadable.stderr

    with sqlite3.connect(cache / "rendered.sqlite3") as db:
        db.execute("UPDATE cached SET crc = crc + 1")  # every value damaged
    damaged = run(tmp_path, "check")
    assert damaged.problems == expected
    assert damaged.forks >= 1 and damaged.seconds >= 2
    assert damaged.stderr.count("holds damaged values") == 1, damaged.stderr
    assert run(tmp_path, "check").forks == 0  # made again, and kept
