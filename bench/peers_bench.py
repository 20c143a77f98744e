"""First builds against Pelican and Hugo: `python bench/peers_bench.py [--sizes 10000] [--rounds 3]`.

Each tool builds the same generated posts from nothing to files on disk, as
a new process timed from spawn to exit (wait4), in rounds: every round runs
each tool once, in an order that turns from round to round, so drift in the
machine's speed falls on all of them alike and each ratio compares runs a
few minutes apart at most.
- syndicate: `syndicate build --out OUT` with an empty cache folder;
- Pelican: see pelican_bench.py (a converted copy of the store, from bench/.venv-pelican);
- Hugo: see hugo_bench.py (bench/hugo/ reading the store itself).
Reported per tool: wall and CPU seconds, the peak resident set of its largest
process (ru_maxrss), the peak of all its processes together (sum of PSS,
sampled every 0.5 s), files written and post pages among them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import gen_store
import hugo_bench
import pelican_bench
from harness import (
    PYTHON,
    Sample,
    Tool,
    cache_env,
    files_under,
    format_bytes,
    format_seconds,
    parse_sizes,
    run_measured,
    text_table,
)

TOOLS = ("syndicate", "pelican", "hugo")
PEERS = TOOLS[1:]


@dataclass
class ToolRuns:
    """Every run of one tool on one site."""

    version: str = ""
    wall: Sample = field(default_factory=Sample)
    cpu: Sample = field(default_factory=Sample)
    max_rss: list[int] = field(default_factory=list)  # bytes
    tree_pss: list[int] = field(default_factory=list)  # bytes
    files: int = 0  # files the last run wrote
    post_pages: int = 0  # posts/<slug>/index.html among them


@dataclass
class PeersResult:
    posts: int
    tools: dict[str, ToolRuns] = field(default_factory=dict)
    orders: list[list[str]] = field(default_factory=list)  # the order of each round

    def round_ratios(self, peer: str) -> list[float]:
        """syndicate's wall time over `peer`'s, round by round."""
        ours, theirs = self.tools.get("syndicate"), self.tools.get(peer)
        if ours is None or theirs is None:
            return []
        return [a / b for a, b in zip(ours.wall.values, theirs.wall.values, strict=False)]

    def ratio(self, peer: str) -> float | None:
        """The median of the rounds' ratios of wall time, syndicate / `peer`."""
        ratios = self.round_ratios(peer)
        return statistics.median(ratios) if ratios else None

    def cpu_ratio(self, peer: str) -> float | None:
        """syndicate's CPU seconds over `peer`'s (medians): what the wall ratio tends to on a
        machine whose cores are all busy with other work, where running on two cores gains nothing."""
        ours, theirs = self.tools.get("syndicate"), self.tools.get(peer)
        if ours is None or theirs is None or not ours.cpu.values or not theirs.cpu.values:
            return None
        return ours.cpu.median / theirs.cpu.median


def syndicate_tool(site: Path, work: Path) -> Tool:
    """`syndicate build --out` on `site`, with a cache folder emptied before every run."""
    out, cache = work / "syndicate-out", work / "syndicate-cache"

    def reset() -> None:
        for stale in (out, out.with_name(out.name + ".builds"), cache):
            if stale.is_symlink():
                stale.unlink()
            shutil.rmtree(stale, ignore_errors=True)
        cache.mkdir(parents=True)

    config = site / gen_store.CONFIG_NAME
    return Tool(
        name="syndicate",
        command=[PYTHON, "-m", "syndicate.cli", "build", "--config", str(config), "--out", str(out)],
        out=out,
        reset=reset,
        env={**os.environ, **cache_env(cache)},
        version="syndicate (this checkout)",
    )


PREPARE: dict[str, Callable[[Path, Path], Tool]] = {
    "syndicate": syndicate_tool,
    "pelican": pelican_bench.prepare,
    "hugo": hugo_bench.prepare,
}


def run_size(
    posts: int, site: Path, work: Path, rounds: int, tools: tuple[str, ...], seed: int = 1
) -> PeersResult:
    if not (site / gen_store.CONFIG_NAME).exists():
        _progress(f"peers {posts:,}: generating the site")
        gen_store.generate(posts, site, seed)
    work.mkdir(parents=True, exist_ok=True)
    prepared = {name: PREPARE[name](site, work) for name in tools}
    result = PeersResult(posts, {name: ToolRuns(version=tool.version) for name, tool in prepared.items()})
    for number in range(rounds):
        order = list(tools[number % len(tools) :] + tools[: number % len(tools)])
        result.orders.append(order)
        for name in order:
            _progress(f"peers {posts:,}: round {number + 1} of {rounds}: {name}")
            _run_once(prepared[name], result.tools[name])
    return result


def _run_once(tool: Tool, runs: ToolRuns) -> None:
    tool.reset()
    measured = run_measured(tool.command, cwd=tool.cwd, env=tool.env)
    runs.wall.values.append(measured.wall)
    runs.cpu.values.append(measured.cpu)
    runs.max_rss.append(measured.max_rss)
    runs.tree_pss.append(measured.tree_pss)
    runs.files = files_under(tool.out)
    runs.post_pages = sum(1 for _ in (tool.out.resolve() / "posts").glob("*/index.html"))


def run(
    sizes: list[int], rounds: int = 3, work: Path | None = None, tools: tuple[str, ...] = TOOLS, seed: int = 1
) -> list[PeersResult]:
    results = []
    with tempfile.TemporaryDirectory(prefix="syndicate-peers-") as scratch:
        root = work or Path(scratch)
        for posts in sizes:
            site = root / f"site-{posts}"
            results.append(run_size(posts, site, root / f"peers-{posts}", rounds, tools, seed))
    return results


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# Output


def table(results: list[PeersResult]) -> str:
    return "\n".join([text_table(*table_data(results)), *footnotes(results)])


def table_data(results: list[PeersResult]) -> tuple[list[str], list[list[str]]]:
    headers = [
        "posts",
        "tool",
        "wall (median)",
        "wall (min)",
        "CPU s",
        "largest process",
        "all processes (PSS)",
        "files written",
        "post pages",
        "syndicate / tool (wall)",
        "syndicate / tool (CPU)",
    ]
    rows = []
    for result in results:
        for name, runs in result.tools.items():
            if not runs.wall.values:
                continue
            ratio = result.ratio(name) if name != "syndicate" else None
            cpu_ratio = result.cpu_ratio(name) if name != "syndicate" else None
            rows.append(
                [
                    f"{result.posts:,}",
                    name,
                    format_seconds(runs.wall.median),
                    format_seconds(runs.wall.min),
                    f"{runs.cpu.median:.1f}",
                    format_bytes(max(runs.max_rss)),
                    format_bytes(max(runs.tree_pss)),
                    f"{runs.files:,}",
                    f"{runs.post_pages:,}",
                    "—" if ratio is None else f"{ratio:.2f}",
                    "—" if cpu_ratio is None else f"{cpu_ratio:.2f}",
                ]
            )
    return headers, rows


def footnotes(results: list[PeersResult]) -> list[str]:
    """Each ratio's spread over the rounds, and the versions measured."""
    lines = []
    for result in results:
        for peer in PEERS:
            ratios = result.round_ratios(peer)
            if ratios:
                shown = ", ".join(f"{r:.2f}" for r in ratios)
                lines.append(f"{result.posts:,} posts, syndicate / {peer} by round: {shown}")
    versions = {name: runs.version for result in results for name, runs in result.tools.items()}
    lines.append("versions: " + "; ".join(versions.values()))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=parse_sizes, default=[1000], help="e.g. 1000,10000 (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each tool (default 3)")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"any of {','.join(TOOLS)}")
    parser.add_argument("--work", type=Path, help="keep sites and outputs here (default: a temporary folder)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    tools = tuple(name for name in args.tools.split(",") if name)
    if "syndicate" not in tools or set(tools) - set(TOOLS):
        parser.error(f"--tools: syndicate and any of {', '.join(PEERS)}")
    print(table(run(args.sizes, args.rounds, args.work, tools, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
