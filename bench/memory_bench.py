"""Memory over many rebuilds: `python bench/memory_bench.py [--posts 1000] [--rebuilds 1000]`.

A serving process lives for months and rebuilds every few minutes; what a replaced
Build held must not stay reachable. On a generated site (bench/gen_store.py) this
runs the server's own rebuild (`Site.rebuild`, what its schedule calls) once per edit,
each edit to a different post, and every `--every` rebuilds records:
- the resident set (VmRSS) of this process;
- the posts and entries still alive (objects of `syndicate.posts.Post` and `Entry`),
  against the posts in the store: growth means old versions are kept.
It prints a table and exits 1 when the live posts grew by more than a tenth of the edits.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

import gen_store
from harness import format_bytes, text_table

from syndicate.config import load_config
from syndicate.posts import Entry, Post
from syndicate.serve.site import Site


def resident_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def alive() -> tuple[int, int]:
    """(Posts, Entries) alive now. The rebuild freezes what its Build holds (gc.freeze), and
    frozen objects are not listed: unfreeze to count them all, then freeze again."""
    gc.unfreeze()
    gc.collect()
    objects = gc.get_objects()
    posts = sum(isinstance(thing, Post) for thing in objects)
    entries = sum(isinstance(thing, Entry) for thing in objects)
    del objects
    gc.freeze()
    return posts, entries


def run(posts: int, rebuilds: int, every: int, work: Path) -> int:
    gen_store.generate(posts, work)
    site = Site(load_config(work / "syndicate.toml"))
    if not site.rebuild() or site.build is None:
        print(f"first build failed: {site.error}", file=sys.stderr)
        return 1
    sources = [site.store.root / post.source for post in site.build.published]
    rows = []
    started = time.perf_counter()
    first: tuple[int, int] | None = None
    for number in range(rebuilds + 1):
        if number % every == 0:
            counted = alive()
            first = first or counted
            rows.append([str(number), format_bytes(resident_bytes()), str(counted[0]), str(counted[1])])
        if number == rebuilds:
            break
        path = sources[number % len(sources)]
        text = path.read_text(encoding="utf-8")
        path.write_text(text + f"\nEdit {number}.\n", encoding="utf-8")
        stat = path.stat()
        os.utime(path, ns=(stat.st_mtime_ns + 10**9, stat.st_mtime_ns + 10**9))
        changed = site.stats.changed
        if not site.rebuild() or site.stats.changed == changed:
            print(f"rebuild {number} made no new Build: {site.error}", file=sys.stderr)
            return 1
    seconds = time.perf_counter() - started
    print(f"{posts} posts ({len(sources)} published), {rebuilds} rebuilds each an edit, {seconds:.1f} s")
    print(text_table(["rebuilds", "resident", "Posts alive", "Entries alive"], rows))
    last = alive()
    assert first is not None
    grown = last[0] - first[0]
    print(f"Posts alive grew by {grown} over {rebuilds} edits")
    return 1 if grown > rebuilds // 10 else 0


def main(argv: list[str] | None = None) -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--rebuilds", type=int, default=1000)
    parser.add_argument("--every", type=int, default=100, help="rebuilds between two counts")
    parser.add_argument("--work", type=Path, help="keep the generated site here")
    options = parser.parse_args(argv)
    if options.work:
        return run(options.posts, options.rebuilds, options.every, options.work)
    with tempfile.TemporaryDirectory() as work:
        return run(options.posts, options.rebuilds, options.every, Path(work))


if __name__ == "__main__":
    sys.exit(main())
