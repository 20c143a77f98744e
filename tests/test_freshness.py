"""A feed's Cache-Control max-age follows how often its listing gets new posts, within the
configured bounds, and never outlasts the next scheduled post; readers take it for their
poll interval."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import make_config, write
from starlette.testclient import TestClient

from syndicate.config import ConfigError, ServerConfig, load_config
from syndicate.outputs.output import posting_interval
from syndicate.serve.app import create_app
from syndicate.serve.site import Site

START = datetime(2020, 1, 1, tzinfo=UTC)
POST = "---\ntitle: {title}\ndate: {date}\ncategory: {category}\n---\nText.\n"


def serve(store: Path, posts: list[tuple[str, datetime, str]], **server: int) -> TestClient:
    for title, date, category in posts:
        write(store, f"{title}.md", POST.format(title=title, date=date.isoformat(), category=category))
    config = make_config(store)
    config = dataclasses.replace(config, server=dataclasses.replace(ServerConfig(), **server))
    site = Site(config)
    assert site.rebuild()
    return TestClient(create_app(site))


def max_age(client: TestClient, path: str) -> int:
    response = client.get(path)
    assert response.status_code == 200, path
    value = response.headers["cache-control"]
    assert value.startswith("public, max-age="), value
    return int(value.removeprefix("public, max-age="))


def every(
    hours: float, count: int, category: str, first: str = "p", after: float = 0
) -> list[tuple[str, datetime, str]]:
    """`count` posts `hours` apart, the first `after` hours past START."""
    return [(f"{first}{n}", START + timedelta(hours=after + hours * n), category) for n in range(count)]


def test_the_posting_interval_is_the_median_gap_of_the_newest_ten() -> None:
    assert posting_interval([]) is None and posting_interval([START]) is None
    daily = [START - timedelta(days=n) for n in range(30)]
    assert posting_interval(daily) == 86400
    uneven = [START, START - timedelta(hours=1), START - timedelta(hours=3), START - timedelta(hours=10)]
    assert posting_interval(uneven) == 7200  # gaps 1 h, 2 h, 7 h


def test_max_age_follows_each_listings_pace(store: Path) -> None:
    # Notes: every 8 hours for four days; then news, every 30 minutes.
    posts = every(8, 12, "Notes") + every(0.5, 12, "News", "n", after=100)
    client = serve(store, posts, feed_max_age_max=36000)
    assert max_age(client, "/categories/notes/atom.xml") == 8 * 3600 // 4
    assert max_age(client, "/categories/news/rss.xml") == 900  # a quarter of 30 min, raised to the minimum
    assert max_age(client, "/categories/news/feed.json") == 900
    assert max_age(client, "/atom.xml") == 900  # the site's newest ten are all news
    assert max_age(client, "/") == ServerConfig().page_max_age


def test_the_bounds_hold_and_archives_get_the_upper_one(store: Path) -> None:
    client = serve(store, every(24 * 30, 25, "Rare"), feed_max_age_min=60, feed_max_age_max=7200)
    assert max_age(client, "/atom.xml") == 7200
    assert max_age(client, "/archive/1/atom.xml") == 7200
    client = serve(store / "one", [("only", START, "Rare")])
    assert max_age(client, "/atom.xml") == ServerConfig().feed_max_age_max  # no pace yet


def test_max_age_never_outlasts_the_next_scheduled_post(store: Path) -> None:
    due = datetime.now(UTC) + timedelta(seconds=5)
    client = serve(store, [*every(24, 5, "Daily"), ("soon", due, "Daily")])
    first = max_age(client, "/atom.xml")
    assert 0 < first <= 5
    time.sleep(1.5)
    assert max_age(client, "/atom.xml") <= first - 1  # counted down, not the first answer again
    assert max_age(client, "/categories/daily/atom.xml") <= 4


def test_bounds_the_wrong_way_round_are_one_line(tmp_path: Path) -> None:
    config = tmp_path / "syndicate.toml"
    config.write_text("[server]\nfeed_max_age_min = 600\nfeed_max_age_max = 60\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"^server.feed_max_age_min: 600 is more than server.feed_max_age_max"
    ):
        load_config(config, {})
