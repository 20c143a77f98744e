"""Sum py-spy's raw output per function: `python bench/spy_summary.py PROFILE.txt [--top 25]`.

`py-spy record --subprocesses --format raw` writes one collapsed stack a line,
`frame;frame;... COUNT`, each stack headed by the processes it ran in. This
prints the share of samples per process (the main one, each worker), then the
functions with the most samples of their own (self) and under them (inclusive).
At py-spy's default rate a sample is 10 ms of a thread that was not idle.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PROCESS = re.compile(r'process \d+:"(.*?)";')  # a stack's head: the processes it ran in, outermost first


@dataclass
class Summary:
    total: int = 0
    processes: Counter[str] = field(default_factory=Counter)  # the innermost process's kind
    own: Counter[str] = field(default_factory=Counter)  # the function running
    under: Counter[str] = field(default_factory=Counter)  # every function on the stack, once per stack


def _kind(command: str) -> str:
    if "multiprocessing-fork" in command or "spawn_main" in command:
        return "spawned worker"
    return command.split(" -m ")[-1][:60] if " -m " in command else command[:60]


def _function(frame: str) -> str:
    """`name (path/to/file.py:12)` as `name (path/to/file.py)`: a function, not one line of it."""
    return re.sub(r":\d+\)$", ")", frame)


def summarize(lines: list[str]) -> Summary:
    summary = Summary()
    for line in lines:
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        processes = []
        while match := PROCESS.match(stack):
            processes.append(match.group(1))
            stack = stack[match.end() :]
        functions = [_function(frame) for frame in stack.split(";") if frame]
        kind = _kind(processes[-1]) if processes else "?"
        # A forked worker runs the parent's command line: it shows as a second process of the same command.
        if len(processes) > 1 and processes[-1] == processes[0]:
            kind = "forked worker"
        summary.total += count
        summary.processes[kind] += count
        if functions:
            summary.own[functions[-1]] += count
        for name in set(functions):
            summary.under[name] += count
    return summary


def report(summary: Summary, top: int) -> str:
    def share(count: int) -> str:
        return f"{count / summary.total * 100:5.1f} %  {count / 100:7.1f} s"

    lines = [
        f"{summary.total} samples ({summary.total / 100:.1f} s of busy threads at 100 Hz)",
        "",
        "by process:",
    ]
    lines += [f"  {share(count)}  {kind}" for kind, count in summary.processes.most_common()]
    lines += ["", "self:"]
    lines += [f"  {share(count)}  {name}" for name, count in summary.own.most_common(top)]
    lines += ["", "inclusive:"]
    lines += [f"  {share(count)}  {name}" for name, count in summary.under.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("profile", type=Path, help="py-spy record --format raw output")
    parser.add_argument("--top", type=int, default=25, help="functions to list (default 25)")
    args = parser.parse_args(argv)
    print(report(summarize(args.profile.read_text(encoding="utf-8").splitlines()), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
