"""The performance targets, and checking measured numbers against them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from build_bench import SizeResult
from harness import format_bytes, format_seconds
from peers_bench import PeersResult
from serve_bench import CASES, ServeResult

MIB = 2**20
PEER_NAMES = {
    "pelican": "Pelican",
    "hugo": "Hugo",
    "bare": "bare Starlette on uvicorn[standard]",
    "nginx": "nginx",
}


@dataclass(frozen=True)
class Target:
    name: str
    posts: int | None  # the site size it applies to; None for serving
    limit: float
    unit: str  # "s", "bytes" or "ratio"
    at_least: bool = False  # a floor (ratios of throughput) rather than a ceiling
    strict: bool = False  # "<" rather than "≤"
    against: str = ""  # a ratio's peer: a serve_bench server or a peers_bench tool
    case: str = ""  # a serving ratio's case

    def show(self, value: float) -> str:
        if self.unit == "s":
            return format_seconds(value)
        if self.unit == "bytes":
            return format_bytes(value)
        return f"{value:.2f}"

    @property
    def wanted(self) -> str:
        sign = "≥" if self.at_least else ("<" if self.strict else "≤")
        return f"{sign} {self.show(self.limit)}"

    def met(self, value: float) -> bool:
        if self.at_least:
            return value >= self.limit
        return value < self.limit if self.strict else value <= self.limit


def _serving(case: str, against: str, limit: float) -> Target:
    name = f"serving {case}: syndicate / {PEER_NAMES[against]}"
    return Target(name, None, limit, "ratio", at_least=True, against=against, case=case)


def _first_build(against: str, limit: float) -> Target:
    return Target(
        f"first build, syndicate / {PEER_NAMES[against]} (wall)", 10_000, limit, "ratio", against=against
    )


TARGETS = (
    Target("rebuild, nothing changed (median)", 10_000, 0.1, "s"),
    Target("rebuild, one post edited (median)", 10_000, 0.3, "s"),
    Target("rebuild, one post added (median)", 10_000, 0.5, "s"),
    Target("rebuild, one post deleted (median)", 10_000, 0.5, "s"),
    Target("restart with warm cache: serving within", 10_000, 5.0, "s"),
    _first_build("pelican", 0.4),
    _first_build("hugo", 1.0),
    Target("peak resident memory", 10_000, 400 * MIB, "bytes", strict=True),
    Target("rebuild, nothing changed (median)", 100_000, 1.0, "s"),
    Target("rebuild, one post edited (median)", 100_000, 2.0, "s"),
    Target("peak resident memory", 100_000, 2048 * MIB, "bytes", strict=True),
    *(_serving(case.name, "bare", 1.0) for case in CASES),
    _serving("atom 304", "nginx", 0.5),
)


@dataclass(frozen=True)
class Check:
    target: Target
    value: float | None  # None: not measured in this run

    @property
    def mark(self) -> str:
        if self.value is None:
            return "not run"
        return "✓" if self.target.met(self.value) else "✗"

    @property
    def shown(self) -> str:
        return "—" if self.value is None else self.target.show(self.value)

    @property
    def posts(self) -> str:
        return f"{self.target.posts:,}" if self.target.posts else "—"


def _build_value(target: Target, result: SizeResult) -> float | None:
    samples: dict[str, Callable[[], float]] = {
        "rebuild, nothing changed": lambda: result.unchanged.median,
        "rebuild, one post edited": lambda: result.edited.median,
        "rebuild, one post added": lambda: result.added.median,
        "rebuild, one post deleted": lambda: result.deleted.median,
        "restart with warm cache": lambda: result.restart.median,
        "peak resident memory": lambda: float(result.peak_rss),
    }
    for prefix, value in samples.items():
        if target.name.startswith(prefix):
            try:
                return value()
            except ValueError:  # no runs of it
                return None
    return None


def evaluate(builds: list[SizeResult], serve: ServeResult | None, peers: list[PeersResult]) -> list[Check]:
    checks = []
    by_size = {result.posts: result for result in builds}
    peers_by_size = {result.posts: result for result in peers}
    for target in TARGETS:
        value: float | None = None
        if target.case:
            value = serve.ratio(target.case, target.against) if serve else None
        elif target.against:
            found = peers_by_size.get(target.posts or 0)
            value = found.ratio(target.against) if found else None
        elif target.posts in by_size:
            value = _build_value(target, by_size[target.posts])
        checks.append(Check(target, value))
    return checks


def rows(checks: list[Check]) -> list[list[str]]:
    return [[c.target.name, c.posts, c.shown, c.target.wanted, c.mark] for c in checks]


HEADERS = ["target", "posts", "measured", "wanted", "met"]
