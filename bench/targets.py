"""The performance targets, and checking measured numbers against them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from build_bench import SizeResult
from harness import format_bytes, format_seconds
from pelican_bench import PelicanResult
from serve_bench import CASES, ServeResult

MIB = 2**20


@dataclass(frozen=True)
class Target:
    name: str
    posts: int | None  # the site size it applies to; None for serving
    limit: float
    unit: str  # "s", "bytes" or "ratio"
    at_least: bool = False  # a floor (ratios of throughput) rather than a ceiling
    strict: bool = False  # "<" rather than "≤"

    def show(self, value: float) -> str:
        if self.unit == "s":
            return format_seconds(value)
        if self.unit == "bytes":
            return format_bytes(value)
        return f"{value:.2f}"

    @property
    def wanted(self) -> str:
        sign = "≥" if self.at_least else ("<" if self.strict else "≤")
        limit = self.show(self.limit)
        return f"{sign} {limit}" + (" × Pelican" if self.name.startswith("first build") else "")

    def met(self, value: float) -> bool:
        if self.at_least:
            return value >= self.limit
        return value < self.limit if self.strict else value <= self.limit


TARGETS = (
    Target("rebuild, nothing changed (median)", 10_000, 0.1, "s"),
    Target("rebuild, one post edited (median)", 10_000, 0.3, "s"),
    Target("rebuild, one post added (median)", 10_000, 0.5, "s"),
    Target("rebuild, one post deleted (median)", 10_000, 0.5, "s"),
    Target("restart with warm cache: serving within", 10_000, 5.0, "s"),
    Target("first build, syndicate / Pelican", 10_000, 0.5, "ratio"),
    Target("peak resident memory", 10_000, 400 * MIB, "bytes", strict=True),
    Target("rebuild, nothing changed (median)", 100_000, 1.0, "s"),
    Target("rebuild, one post edited (median)", 100_000, 2.0, "s"),
    Target("peak resident memory", 100_000, 2048 * MIB, "bytes", strict=True),
    *(
        Target(f"serving {case.name}: syndicate / bare Starlette", None, 0.9, "ratio", at_least=True)
        for case in CASES
    ),
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


def evaluate(
    builds: list[SizeResult], serve: ServeResult | None, pelican: list[PelicanResult]
) -> list[Check]:
    checks = []
    by_size = {result.posts: result for result in builds}
    pelican_by_size = {result.posts: result for result in pelican}
    for target in TARGETS:
        value: float | None = None
        if target.posts is None:
            case = target.name.removeprefix("serving ").split(":")[0]
            value = serve.ratio(case, "bare") if serve else None
        elif target.name.startswith("first build"):
            found = pelican_by_size.get(target.posts)
            value = found.ratio if found and found.pelican.values else None
        elif target.posts in by_size:
            value = _build_value(target, by_size[target.posts])
        checks.append(Check(target, value))
    return checks


def rows(checks: list[Check]) -> list[list[str]]:
    return [[c.target.name, c.posts, c.shown, c.target.wanted, c.mark] for c in checks]


HEADERS = ["target", "posts", "measured", "wanted", "met"]
