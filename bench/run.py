"""Every benchmark, one report: `python bench/run.py [--quick] [--sizes 1000,10000] [--duration 10]`.

Runs build_bench, serve_bench, peers_bench (first builds against Pelican and
Hugo) and live_bench (edit, add, delete until visible against `hugo server`),
prints their tables and the targets, and writes bench/results/<UTC timestamp>.json (every number, with the
machine) and bench/results/latest.md (the tables, targets marked ✓ or ✗).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import build_bench
import live_bench
import peers_bench
import serve_bench
import targets
from harness import (
    BENCH_DIR,
    Sample,
    machine_info,
    markdown_table,
    parse_sizes,
    source_fingerprint,
    text_table,
)

RESULTS = BENCH_DIR / "results"
PARTS = ("build", "serve", "peers", "live")
ALIASES = {"pelican": "peers"}  # the part's name before it measured Hugo too
T = TypeVar("T")


@dataclasses.dataclass
class Report:
    started: str
    machine: dict[str, object]
    options: dict[str, object]
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)  # wall time of each part
    # The 1-minute load average at the start and end of each part: how busy the machine was.
    load: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)
    build: list[build_bench.SizeResult] = dataclasses.field(default_factory=list)
    serve: serve_bench.ServeResult | None = None
    peers: list[peers_bench.PeersResult] = dataclasses.field(default_factory=list)
    live: live_bench.LiveResult | None = None
    errors: dict[str, str] = dataclasses.field(default_factory=dict)  # part -> why it failed
    warnings: list[str] = dataclasses.field(default_factory=list)

    def checks(self) -> list[targets.Check]:
        return targets.evaluate(self.build, self.serve, self.peers)


def run(args: argparse.Namespace, work: Path) -> Report:
    started = datetime.now(UTC)
    report = Report(
        started=started.isoformat(timespec="seconds"),
        machine=machine_info(),
        options={k: v for k, v in vars(args).items() if k != "work"},
    )

    def part(name: str, action: Callable[[], T]) -> T | None:
        if name in args.skip:
            return None
        began, load = time.perf_counter(), os.getloadavg()[0]
        try:
            return action()
        except Exception as exc:  # one broken part never loses the others' numbers
            report.errors[name] = f"{type(exc).__name__}: {exc}"
            print(f"[bench] {name} failed: {report.errors[name]}", file=sys.stderr)
            return None
        finally:
            report.seconds[name] = round(time.perf_counter() - began, 1)
            report.load[name] = (round(load, 2), round(os.getloadavg()[0], 2))

    report.build = part("build", lambda: build_bench.run(args.sizes, args.repeats, args.restarts, work)) or []
    serve_site = work / f"site-{args.serve_posts}"
    report.serve = part(
        "serve",
        lambda: serve_bench.run(
            posts=args.serve_posts,
            site=serve_site if serve_site.exists() else None,
            duration=args.duration,
            connections=args.connections,
            threads=args.threads,
            rounds=args.rounds,
        ),
    )
    report.peers = part("peers", lambda: peers_bench.run(args.peer_sizes, args.peer_rounds, work)) or []
    live_site = work / f"site-{args.live_posts}"
    report.live = part(
        "live",
        lambda: live_bench.run(
            posts=args.live_posts,
            site=live_site if live_site.exists() else None,
            repeats=args.live_repeats,
            work=work,
        ),
    )
    if source_fingerprint() != report.machine["src_fingerprint"]:
        report.warnings.append("src/ changed during the run: these numbers mix two versions of syndicate")
    return report


def _plain(value: object) -> object:
    """`value` as JSON-ready data; every Sample with its median and min beside its values."""
    if isinstance(value, Sample):
        summary = {"median": value.median, "min": value.min} if value.values else {}
        return {"values": value.values, **summary}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    return value


def to_json(report: Report) -> str:
    data = _plain(report)
    assert isinstance(data, dict)
    data["targets"] = [
        {
            "target": c.target.name,
            "posts": c.target.posts,
            "value": c.value,
            "wanted": c.target.wanted,
            "met": None if c.value is None else c.target.met(c.value),
        }
        for c in report.checks()
    ]
    data["peer_ratios"] = {
        r.posts: {peer: r.ratio(peer) for peer in r.tools if peer != "syndicate"} for r in report.peers
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def to_markdown(report: Report, json_name: str) -> str:
    machine = report.machine
    commit = str(machine["git_commit"])[:12] + (" (with uncommitted changes)" if machine["git_dirty"] else "")
    lines = [
        "# Benchmark results",
        "",
        f"{report.started} on {machine['cpu_model']} ({machine['machine']}, {machine['nproc']} CPUs), "
        f"Python {machine['python']}, commit {commit}. Every number: [{json_name}]({json_name}). "
        "How to read them: [../README.md](../README.md).",
        "",
        "## Targets",
        "",
        markdown_table(targets.HEADERS, targets.rows(report.checks())),
    ]
    if report.build:
        lines += ["", "## Builds", "", markdown_table(*build_bench.table_data(report.build))]
    parts = (
        (report.serve, "Serving (requests per second)", serve_bench),
        (report.peers, "First builds against Pelican and Hugo", peers_bench),
        (report.live, "Edit, add, delete until visible", live_bench),
    )
    for result, heading, module in parts:
        if result:
            lines += ["", f"## {heading}", "", markdown_table(*module.table_data(result))]
            lines += [""] + [f"- {line}" for line in module.footnotes(result)]
    lines += ["", "## Time each part took", ""]
    lines += [f"- {name}: {seconds:.0f} s{_load(report, name)}" for name, seconds in report.seconds.items()]
    lines += [f"- {name} FAILED: {error}" for name, error in report.errors.items()]
    lines += [f"- warning: {warning}" for warning in report.warnings]
    return "\n".join(lines) + "\n"


def _load(report: Report, part: str) -> str:
    if part not in report.load:
        return ""
    start, end = report.load[part]
    return (
        f" (load average {start:.1f} at its start, {end:.1f} at its end, on {report.machine['nproc']} CPUs)"
    )


def to_text(report: Report) -> str:
    blocks = []
    if report.build:
        blocks.append(build_bench.table(report.build))
    if report.serve:
        blocks.append(serve_bench.table(report.serve))
    if report.peers:
        blocks.append(peers_bench.table(report.peers))
    if report.live:
        blocks.append(live_bench.table(report.live))
    blocks.append(text_table(targets.HEADERS, targets.rows(report.checks())))
    blocks.append(
        "\n".join(f"{name} {seconds:.0f} s{_load(report, name)}" for name, seconds in report.seconds.items())
    )
    blocks += [f"{name} FAILED: {error}" for name, error in report.errors.items()]
    blocks += [f"warning: {warning}" for warning in report.warnings]
    return "\n\n".join(blocks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1,000 posts only and 3 s wrk runs")
    parser.add_argument("--sizes", type=parse_sizes, help="build sizes (default 1000,10000)")
    parser.add_argument(
        "--peer-sizes",
        "--pelican-sizes",
        type=parse_sizes,
        help="first builds against Pelican and Hugo (default: the sizes up to 10,000)",
    )
    parser.add_argument(
        "--peer-rounds", type=int, help="runs of each first build (default 3, 1 with --quick)"
    )
    parser.add_argument("--rounds", type=int, help="runs of each serving case (default 3, 1 with --quick)")
    parser.add_argument(
        "--live-posts", type=int, help="size of the live site (default 10000, 1000 with --quick)"
    )
    parser.add_argument(
        "--live-repeats", type=int, help="runs of each live change (default 5, 2 with --quick)"
    )
    parser.add_argument(
        "--serve-posts", type=int, default=1000, help="size of the served site (default 1000)"
    )
    parser.add_argument("--duration", type=int, help="seconds of each wrk run (default 10, 3 with --quick)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5, help="runs of each rebuild (default 5)")
    parser.add_argument("--restarts", type=int, default=1, help="restart runs (default 1)")
    parser.add_argument(
        "--skip",
        type=lambda text: [ALIASES.get(name, name) for name in text.split(",")],
        default=[],
        help=f"any of {','.join(PARTS)}",
    )
    parser.add_argument("--work", type=Path, help="keep generated sites here (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = [1000] if args.quick else list(build_bench.DEFAULT_SIZES)
    if args.duration is None:
        args.duration = 3 if args.quick else 10
    if args.peer_sizes is None:
        args.peer_sizes = [size for size in args.sizes if size <= 10_000]
    defaults = {"peer_rounds": (1, 3), "rounds": (1, 3), "live_posts": (1000, 10_000), "live_repeats": (2, 5)}
    for name, (quick, full) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)

    with tempfile.TemporaryDirectory(prefix="syndicate-bench-") as scratch:
        report = run(args, args.work or Path(scratch))

    RESULTS.mkdir(exist_ok=True)
    stamp = report.started.replace(":", "").replace("-", "").replace("+0000", "Z")
    json_path = RESULTS / f"{stamp}.json"
    json_path.write_text(to_json(report), encoding="utf-8")
    (RESULTS / "latest.md").write_text(to_markdown(report, json_path.name), encoding="utf-8")
    print(to_text(report))
    print(f"\nwrote {json_path.relative_to(BENCH_DIR.parent)} and bench/results/latest.md")
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
