"""Build benchmarks: `python bench/build_bench.py [--sizes 1000,10000] [--repeats 5]`.

For each size, on a generated site (bench/gen_store.py), each in fresh processes:
- cold: the first build of a new Site, with an empty cache;
- restart: a new process and a new Site on the same store, with the cache the
  cold run left (both runs are given one through SYNDICATE_BUILD_CACHE_DIR);
  measured from spawning the process until its first Build is ready, which is
  when `syndicate serve` can open its port;
- rebuilds in the cold run's process, once it runs as `syndicate serve` does after its
  first build (its scheduler started, so the worker that renders a few posts is kept
  between rebuilds): nothing changed, the newest post edited, a post added (the
  newest), that post deleted. Each is timed until its new Build is served, which is when
  a request sees the change; the rebuild ends a little later, once the feeds it left for
  after that are made and kept (Builder.settle): that is timed too ("until settled");
- peak resident memory of the cold run's process (VmHWM), all of the above included,
  and of its largest worker process (render workers, and forked output workers);
- the peak memory of the cold run's processes together: the sum of their proportional
  set sizes (shared pages counted once), sampled every half second from outside, so
  the sampling thread does not keep syndicate from forking its workers.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gen_store
from harness import (
    PYTHON,
    Sample,
    cache_env,
    format_bytes,
    format_seconds,
    parse_sizes,
    peak_rss_bytes,
    peak_worker_rss_bytes,
    text_table,
    timed,
    tree_pss_bytes,
)

from syndicate.config import load_config
from syndicate.serve.site import Site

ADDED_NAME = "bench-added-{}.md"
DEFAULT_SIZES = (1000, 10000)


@dataclass
class SizeResult:
    posts: int
    published: int = 0
    resources: int = 0
    generate_seconds: float = 0.0
    cache: str = ""  # the cache directory given to syndicate, or why none was
    cold: Sample = field(default_factory=Sample)  # Site.rebuild() in a new process, empty cache
    restart: Sample = field(default_factory=Sample)  # spawn of a new process until its Build is ready
    restart_build: Sample = field(default_factory=Sample)  # the Site.rebuild() part of it
    unchanged: Sample = field(default_factory=Sample)
    edited: Sample = field(default_factory=Sample)
    added: Sample = field(default_factory=Sample)
    deleted: Sample = field(default_factory=Sample)
    # The same rebuilds until they ended (settled): after they were served.
    edited_settled: Sample = field(default_factory=Sample)
    added_settled: Sample = field(default_factory=Sample)
    deleted_settled: Sample = field(default_factory=Sample)
    peak_rss: int = 0  # bytes
    peak_worker_rss: int = 0  # bytes, the largest worker process
    peak_tree_pss: int = 0  # bytes, the cold run's processes together (sampled)


# The parent: generates sites, runs children, gathers numbers.


def run(
    sizes: list[int],
    repeats: int = 5,
    restarts: int = 1,
    work: Path | None = None,
    cache_dir: Path | None = None,
    seed: int = 1,
) -> list[SizeResult]:
    results = []
    with tempfile.TemporaryDirectory(prefix="syndicate-bench-") as scratch:
        root = work or Path(scratch)
        for posts in sizes:
            results.append(run_size(posts, root / f"site-{posts}", repeats, restarts, cache_dir, seed))
    return results


def run_size(
    posts: int, site: Path, repeats: int, restarts: int, cache_dir: Path | None, seed: int
) -> SizeResult:
    result = SizeResult(posts)
    _progress(f"build {posts:,}: generating the site in {site}")
    result.generate_seconds = gen_store.generate(posts, site, seed).seconds
    config = site / gen_store.CONFIG_NAME
    cache = cache_dir or site.parent / f"cache-{posts}"
    env = cache_env(cache)
    result.cache = str(cache) if env else "none (build.cache_dir is not a configuration key yet)"
    if env:
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)

    _progress(f"build {posts:,}: cold build, then {repeats} of each rebuild")
    report, result.peak_tree_pss = _child(["cold", str(config), "--repeats", str(repeats)], env)
    cold = ColdReport(**report)
    result.published, result.resources, result.peak_rss = cold.published, cold.resources, cold.peak_rss
    result.peak_worker_rss = cold.peak_worker_rss
    result.cold.values.append(cold.cold)
    result.unchanged.values.extend(cold.unchanged)
    result.edited.values.extend(cold.edited)
    result.added.values.extend(cold.added)
    result.deleted.values.extend(cold.deleted)
    for sample, timings in (
        (result.edited_settled, cold.edited_settled),
        (result.added_settled, cold.added_settled),
        (result.deleted_settled, cold.deleted_settled),
    ):
        sample.values.extend(timings)

    for number in range(restarts):
        _progress(f"build {posts:,}: restart {number + 1} of {restarts}")
        spawned = time.time()
        restart = RestartReport(**_child(["restart", str(config)], env)[0])
        result.restart.values.append(restart.ready_at - spawned)
        result.restart_build.values.append(restart.build)
    return result


def _child(arguments: list[str], env: dict[str, str]) -> tuple[dict[str, Any], int]:
    """A child's report, and the peak memory of its processes together (see tree_pss_bytes)."""
    command = [PYTHON, str(Path(__file__).resolve()), "--child", *arguments]
    child = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.PIPE, text=True)
    peak = 0
    while True:
        peak = max(peak, tree_pss_bytes(child.pid))
        try:
            stdout, _ = child.communicate(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            continue
    if child.returncode != 0 or not stdout.strip():
        raise RuntimeError(f"benchmark child {arguments[0]} failed with exit code {child.returncode}")
    report: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return report, peak


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# The children: each a new process, so every cold build starts from nothing.


@dataclass(frozen=True)
class ColdReport:
    published: int
    resources: int
    cold: float
    unchanged: list[float]
    edited: list[float]
    added: list[float]
    deleted: list[float]
    edited_settled: list[float]
    added_settled: list[float]
    deleted_settled: list[float]
    peak_rss: int
    peak_worker_rss: int


@dataclass(frozen=True)
class RestartReport:
    build: float  # Site.rebuild()
    ready_at: float  # time.time() when the Build was ready
    peak_rss: int


def _child_cold(config_path: Path, repeats: int) -> ColdReport:
    site = Site(load_config(config_path))
    cold = _rebuild(site, expect_change=True)[1]
    assert site.build is not None
    site.start()  # as serve does; its interval (a day, gen_store) never falls within the bench
    try:
        return _rebuilds(site, cold, repeats)
    finally:
        site.stop()


def _rebuilds(site: Site, cold: float, repeats: int) -> ColdReport:
    assert site.build is not None
    newest = site.store.root / site.build.published[0].source
    original = newest.read_bytes()
    stat = newest.stat()
    unchanged = [_rebuild(site, expect_change=False)[1] for _ in range(repeats)]
    edited, added, deleted = [], [], []
    for number in range(repeats):
        newest.write_bytes(original + f"\nEdited for the benchmark, round {number}. 编辑。\n".encode())
        _touch(newest, stat.st_mtime_ns + (number + 1) * 1_000_000_000)
        edited.append(_rebuild(site, expect_change=True))
    for number in range(repeats):
        path = site.store.root / ADDED_NAME.format(number)
        path.write_text(_new_post(number), encoding="utf-8")
        added.append(_rebuild(site, expect_change=True))
        path.unlink()
        deleted.append(_rebuild(site, expect_change=True))
    newest.write_bytes(original)
    _touch(newest, stat.st_mtime_ns)
    _rebuild(site, expect_change=True)
    return ColdReport(
        published=len(site.build.published),
        resources=len(site.build.resources),
        cold=cold,
        unchanged=unchanged,
        edited=[served for served, _ in edited],
        added=[served for served, _ in added],
        deleted=[served for served, _ in deleted],
        edited_settled=[settled for _, settled in edited],
        added_settled=[settled for _, settled in added],
        deleted_settled=[settled for _, settled in deleted],
        peak_rss=peak_rss_bytes(),
        peak_worker_rss=peak_worker_rss_bytes(),
    )


def _child_restart(config_path: Path) -> RestartReport:
    site = Site(load_config(config_path))
    build = _rebuild(site, expect_change=True)[1]
    return RestartReport(build=build, ready_at=time.time(), peak_rss=peak_rss_bytes())


def _rebuild(site: Site, expect_change: bool) -> tuple[float, float]:
    """Seconds until the rebuild's Build was served (all of it if nothing changed), and
    until the rebuild ended."""
    changed = site.stats.changed
    seconds = timed(site.rebuild)
    if site.error is not None:
        raise RuntimeError(f"rebuild failed: {site.error.message}")
    if (site.stats.changed > changed) != expect_change:
        raise RuntimeError(f"rebuild {'found nothing' if expect_change else 'made a new Build'} unexpectedly")
    return (site.stats.last_served_after if expect_change else seconds), seconds


def _touch(path: Path, mtime_ns: int) -> None:
    os.utime(path, ns=(mtime_ns, mtime_ns))


def _new_post(number: int) -> str:
    """A new post, newer than any the generator writes, so it heads every feed it is in."""
    when = gen_store.LAST_DAY.isoformat() + f" 23:{number % 60:02d}:59"
    _, text = gen_store.post_text(
        random.Random(f"added:{number}"), 900_000 + number, gen_store.LAST_DAY, when
    )
    return text.replace("draft: true\n", "")


# Output


def table(results: list[SizeResult]) -> str:
    return text_table(*table_data(results))


def table_data(results: list[SizeResult]) -> tuple[list[str], list[list[str]]]:
    headers = ["posts", "measurement", "median", "min", "runs"]
    rows: list[list[str]] = []
    for result in results:
        for label, sample in (
            ("first build (cold, empty cache)", result.cold),
            ("restart: new process to first Build", result.restart),
            ("  of which Site.rebuild()", result.restart_build),
            ("rebuild, nothing changed", result.unchanged),
            ("rebuild, one post edited", result.edited),
            ("  until settled", result.edited_settled),
            ("rebuild, one post added", result.added),
            ("  until settled", result.added_settled),
            ("rebuild, one post deleted", result.deleted),
            ("  until settled", result.deleted_settled),
        ):
            if sample.values:
                median, best = format_seconds(sample.median), format_seconds(sample.min)
                rows.append([f"{result.posts:,}", label, median, best, str(len(sample.values))])
        rows.append([f"{result.posts:,}", "peak resident memory", format_bytes(result.peak_rss), "", "1"])
        if result.peak_worker_rss:
            peak = format_bytes(result.peak_worker_rss)
            rows.append([f"{result.posts:,}", "  largest worker process", peak, "", "1"])
        if result.peak_tree_pss:
            peak = format_bytes(result.peak_tree_pss)
            rows.append([f"{result.posts:,}", "  all its processes together (PSS)", peak, "", "1"])
    return headers, rows


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child_main(argv[1:])
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", type=parse_sizes, default=list(DEFAULT_SIZES), help="e.g. 1000,10000,100000"
    )
    parser.add_argument("--repeats", type=int, default=5, help="runs of each rebuild (default 5)")
    parser.add_argument(
        "--restarts", type=int, default=1, help="restart runs (default 1; each is a full build)"
    )
    parser.add_argument(
        "--work", type=Path, help="keep the generated sites here (default: a temporary folder)"
    )
    parser.add_argument("--cache-dir", type=Path, help="the render cache, when syndicate has build.cache_dir")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    results = run(args.sizes, args.repeats, args.restarts, args.work, args.cache_dir, args.seed)
    print(table(results))
    return 0


def _child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="build_bench.py --child")
    parser.add_argument("phase", choices=("cold", "restart"))
    parser.add_argument("config", type=Path)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    report = _child_cold(args.config, args.repeats) if args.phase == "cold" else _child_restart(args.config)
    print(json.dumps(dataclasses.asdict(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
