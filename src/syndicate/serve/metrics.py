"""`/metrics` in the Prometheus text format.

The HTTP layer counts each request it answers; everything about builds is
read from the Site when Prometheus scrapes, so the rebuild code knows
nothing of metrics.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from syndicate.outputs.output import Kind
from syndicate.serve.connections import Connections
from syndicate.serve.readership import Readership
from syndicate.serve.site import Site
from syndicate.serve.websub import Publisher

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def route_of(path: str, kind: Kind | None, status: int) -> str:
    """A bounded label for a request, never its path, which any client can vary: the kind of
    the Build's file that answered; else /healthz, /metrics, not_found, redirect or other."""
    if kind is not None:
        return kind
    if path in ("/healthz", "/metrics"):
        return path
    if status == 404:
        return "not_found"
    if status in (301, 308):
        return "redirect"
    return "other"


class Metrics:
    def __init__(
        self,
        site: Site,
        publisher: Publisher | None = None,
        connections: Connections | None = None,
        readership: Readership | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "syndicate_http_requests",
            "HTTP requests answered, by route and status.",
            ["route", "status"],
            registry=self.registry,
        )
        self.registry.register(_SiteCollector(site, self.requests, publisher))
        if connections is not None:
            self.registry.register(_ConnectionCollector(connections))
        if readership is not None:
            self.registry.register(_AudienceCollector(readership))
        self._children: dict[tuple[str, int], Any] = {}

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def count(self, path: str, kind: Kind | None, status: int) -> None:
        labels = (route_of(path, kind, status), status)
        counter = self._children.get(labels)
        if counter is None:  # few routes and statuses: one child each, looked up once
            counter = self._children[labels] = self.requests.labels(labels[0], str(status))
        counter.inc()


class _SiteCollector(Collector):
    def __init__(self, site: Site, requests: Counter, publisher: Publisher | None) -> None:
        self._site = site
        self._requests = requests
        self._publisher = publisher

    def collect(self) -> Iterator[Metric]:
        site = self._site
        build = site.build
        stats = site.stats
        rebuilds = CounterMetricFamily("syndicate_rebuilds", "Rebuilds, by result.", labels=["result"])
        rebuilds.add_metric(["changed"], stats.changed)
        rebuilds.add_metric(["unchanged"], stats.unchanged)
        rebuilds.add_metric(["failed"], stats.failed)
        yield rebuilds
        yield CounterMetricFamily(
            "syndicate_rebuild_failures", "Rebuilds that failed as a whole.", value=stats.failed
        )
        yield CounterMetricFamily(
            "syndicate_rebuild_duration_seconds",
            "Total time spent rebuilding.",
            value=stats.seconds,
        )
        yield GaugeMetricFamily(
            "syndicate_rebuild_last_duration_seconds", "Last rebuild's duration.", value=stats.last_seconds
        )
        running = site.running
        yield GaugeMetricFamily(
            "syndicate_rebuild_running_seconds",
            "How long the rebuild running now has been running; 0 between rebuilds.",
            value=running.seconds if running is not None else 0,
        )
        yield GaugeMetricFamily(
            "syndicate_degraded",
            "1 while the build served may not be the store's: the last rebuild failed or was held"
            " back, or the one running has run longer than build.rebuild_overdue.",
            value=1 if site.degraded else 0,
        )
        yield GaugeMetricFamily(
            "syndicate_posts_published",
            "Published posts in the current build.",
            value=len(build.published) if build else 0,
        )
        skipped = sum(p.severity == "error" for p in build.problems) if build else 0
        yield GaugeMetricFamily("syndicate_posts_skipped", "Posts skipped for errors.", value=skipped)
        age = (datetime.now(UTC) - build.made_at).total_seconds() if build else float("nan")
        yield GaugeMetricFamily("syndicate_build_age_seconds", "Age of the build being served.", value=age)
        yield GaugeMetricFamily(
            "syndicate_http_not_modified_ratio",
            "Share of answered requests that were 304 Not Modified.",
            value=self._not_modified_ratio(),
        )
        if self._publisher is not None:
            attempts = CounterMetricFamily(
                "syndicate_websub_attempts",
                "Notifications sent to WebSub hubs, by result.",
                labels=["result"],
            )
            for result in ("ok", "failed", "gave_up"):
                attempts.add_metric([result], self._publisher.counts[result])
            yield attempts

    def _not_modified_ratio(self) -> float:
        total = not_modified = 0.0
        for metric in self._requests.collect():
            for sample in metric.samples:
                if sample.name.endswith("_total"):
                    total += sample.value
                    if sample.labels.get("status") == "304":
                        not_modified += sample.value
        return not_modified / total if total else 0.0


class _ConnectionCollector(Collector):
    def __init__(self, connections: Connections) -> None:
        self._connections = connections

    def collect(self) -> Iterator[Metric]:
        connections = self._connections
        yield GaugeMetricFamily("syndicate_http_connections", "Connections open.", value=connections.count)
        yield GaugeMetricFamily(
            "syndicate_http_connection_limit", "Connections open at most.", value=connections.limit
        )
        closed = CounterMetricFamily(
            "syndicate_http_connections_closed",
            "Connections the server closed: to stay within the limit, or for not sending a request in time.",
            labels=["reason"],
        )
        for reason, count in connections.closed.items():
            closed.add_metric([reason], count)
        yield closed


class _AudienceCollector(Collector):
    """Who reads the feeds (see syndicate.serve.audience): bounded series, a feed and a reader
    name each, never a client."""

    def __init__(self, readership: Readership) -> None:
        self._readership = readership

    def collect(self) -> Iterator[Metric]:
        audience = self._readership.audience  # every request noted so far counted
        subscribers = GaugeMetricFamily(
            "syndicate_subscribers",
            "Subscribers of a feed: an aggregator's latest count, else distinct clients a day (7 days).",
            labels=["feed", "reader"],
        )
        for (feed, reader), count in sorted(audience.subscribers().items()):
            subscribers.add_metric([feed, reader], count)
        yield subscribers
        requests = CounterMetricFamily(
            "syndicate_feed_requests",
            "Feed requests, by reader and whether conditional.",
            labels=["reader", "conditional"],
        )
        refused = CounterMetricFamily(
            "syndicate_feed_requests_refused", "Feed requests refused with 429, by reader.", labels=["reader"]
        )
        share = GaugeMetricFamily(
            "syndicate_feed_conditional_ratio",
            "Share of a reader's feed requests that were conditional.",
            labels=["reader"],
        )
        for reader, counts in sorted(audience.requests().items()):
            requests.add_metric([reader, "yes"], counts.conditional)
            requests.add_metric([reader, "no"], counts.total - counts.conditional)
            refused.add_metric([reader], counts.refused)
            share.add_metric([reader], counts.conditional / counts.total if counts.total else 0.0)
        yield requests
        yield refused
        yield share
