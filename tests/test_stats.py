"""/stats/: off without a token, 401 without the right one, and the readers' page with its chart."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

import lxml.etree
import lxml.html
import pytest
from conftest import make_config, own_scripts_only, write
from starlette.testclient import TestClient

from syndicate.config import Config, ConfigError, load_config
from syndicate.serve.app import create_app
from syndicate.serve.site import Site
from syndicate.serve.stats import OTHER, TOP_FEEDS, Series, Stats, authorized, chart_series, render

TOKEN = "s3cret-token-for-the-stats-page"
FEEDLY = "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 462 subscribers; )"
NEWSBOAT = "Newsboat/2.40.0 - https://newsboat.org/"
POST = "---\ntitle: Post {n}\ndate: 2026-01-{n:02d}T10:00:00+08:00\ncategory: Notes\n---\nText {n}\n"


def _site(store: Path, token: str) -> Site:
    for n in range(1, 4):
        write(store, f"post-{n}.md", POST.format(n=n))
    config = make_config(store)
    config = dataclasses.replace(config, server=dataclasses.replace(config.server, stats_token=token))
    site = Site(config)
    assert site.rebuild()
    return site


def _polled(site: Site) -> TestClient:
    """A client of the app after a few feed requests from Feedly and newsboat."""
    client = TestClient(create_app(site))
    assert client.get("/atom.xml", headers={"user-agent": FEEDLY}).status_code == 200
    etag = client.get("/atom.xml", headers={"user-agent": NEWSBOAT}).headers["etag"]
    again = client.get("/atom.xml", headers={"user-agent": NEWSBOAT, "if-none-match": etag})
    assert again.status_code == 304
    assert client.get("/rss.xml", headers={"user-agent": NEWSBOAT}).status_code == 200
    return client


@pytest.fixture
def client(store: Path) -> TestClient:
    return _polled(_site(store, TOKEN))


def test_off_without_a_token_is_the_404_page(store: Path) -> None:
    client = _polled(_site(store, ""))
    response = client.get("/stats/", headers={"authorization": f"Bearer {TOKEN}"})
    unknown = client.get("/no-such-page/")
    assert response.status_code == unknown.status_code == 404
    assert response.content == unknown.content
    assert response.headers == unknown.headers


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer wrong-token-of-some-length"}, {"authorization": f"Basic {TOKEN}"}],
)
def test_without_the_token_401_and_no_numbers(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/stats/", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="syndicate stats"'
    assert "no-store" in response.headers["cache-control"]
    assert "462" not in response.text and "Feedly" not in response.text
    assert client.get("/stats/?token=wrong").status_code == 401
    assert client.get("/stats/?token=" + TOKEN[:-1]).status_code == 401


@pytest.mark.parametrize("how", ["bearer", "query"])
def test_the_page_with_the_token(client: TestClient, how: str) -> None:
    if how == "bearer":
        response = client.get("/stats/", headers={"authorization": f"Bearer {TOKEN}"})
    else:
        response = client.get(f"/stats/?token={TOKEN}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-store, private"
    assert response.headers["x-robots-tag"] == "noindex"
    assert response.headers["referrer-policy"] == "no-referrer"
    policy = response.headers["content-security-policy"]
    assert own_scripts_only(policy) and "unsafe-inline" not in policy
    text = response.text
    assert "<script" not in text and "style=" not in text and "<style" not in text

    page = lxml.html.fromstring(response.content)
    assert page.xpath("//link[@rel='stylesheet']/@href") == ["https://blog.example/style.css"]
    by_feed = page.xpath("//table[caption='By feed']//tr[th='/atom.xml']/td/text()")
    assert by_feed == ["463", "Feedly 462, Newsboat 1"]
    by_reader = page.xpath("//table[caption='By reader']//tr[th='Newsboat']/td/text()")
    assert by_reader == ["2", "/atom.xml 1, /rss.xml 1"]
    # How readers poll: newsboat made 3 requests today, one of them conditional.
    newsboat = page.xpath("//table[contains(caption, 'Over the last')]//tr[th='Newsboat']/td/text()")
    assert newsboat[:2] == ["3.0", "33%"]
    assert newsboat[3:] == ["0", "3"]  # none refused; 3 in all

    svgs = page.xpath("//svg")
    assert len(svgs) == 1
    svg = lxml.etree.fromstring(lxml.etree.tostring(svgs[0]))
    assert len(svg.findall(".//{*}polyline")) == 2  # /atom.xml and /rss.xml
    assert svg.find("{*}title") is not None and svg.find("{*}desc") is not None
    # The SVG as sent is well-formed XML by itself, too.
    raw = re.search(r"<svg.*?</svg>", text, re.DOTALL)
    assert raw is not None
    assert lxml.etree.fromstring(raw.group(0).encode()).tag == "{http://www.w3.org/2000/svg}svg"
    numbers = page.xpath("//details/table//tr[th]/td/text()")
    assert numbers == ["463", "1"]  # one day: /atom.xml, /rss.xml


def test_head_has_no_body(client: TestClient) -> None:
    response = client.head("/stats/", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.content == b""
    assert int(response.headers["content-length"]) > 0


def test_the_page_is_made_the_same_for_the_same_counts_and_escapes(store: Path) -> None:
    config = make_config(store, title="<Blog & co>")
    days = (date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3))
    stats = Stats(
        subscribers={("/tags/<b>/atom.xml", "Feedly"): 3},
        days=days,
        series=(Series("/tags/<b>/atom.xml", (1, 2, 3), "#0072b2"),),
        behaviour={},
        requests={},
    )
    page = render(stats, config)
    assert page == render(stats, config)
    assert b"<b>" not in page and b"<Blog" not in page
    assert b"/tags/&lt;b&gt;/atom.xml" in page and b"&lt;Blog &amp; co&gt;" in page
    lxml.html.fromstring(page)


def test_the_chart_draws_five_feeds_and_sums_the_others() -> None:
    days = [date(2026, 1, 1), date(2026, 1, 2)]
    history = {f"/f{i}/atom.xml": [(days[0], i), (days[1], i * 10)] for i in range(1, 8)}
    series = chart_series(history)
    assert [s.name for s in series] == [*(f"/f{i}/atom.xml" for i in range(7, 2, -1)), OTHER]
    assert len(series) == TOP_FEEDS + 1
    assert series[-1].values == (1 + 2, 10 + 20)


def test_authorized_compares_the_token_only() -> None:
    assert authorized(f"Bearer {TOKEN}", None, TOKEN)
    assert authorized(f"bearer  {TOKEN} ", None, TOKEN)
    assert authorized(None, TOKEN, TOKEN)
    assert authorized("Bearer nope", TOKEN, TOKEN)
    assert not authorized(None, None, TOKEN)
    assert not authorized(f"Basic {TOKEN}", None, TOKEN)
    assert not authorized("Bearer ünïcode", "ünïcode", TOKEN)


def test_a_short_token_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, {"SYNDICATE_SERVER_STATS_TOKEN": "abcde"})
    message = str(caught.value)
    assert message.startswith("server.stats_token: expected at least 16 characters")
    assert "\n" not in message and "abcde" not in message  # a secret is not repeated
    path = tmp_path / "syndicate.toml"
    path.write_text('[server]\nstats_token = "with spaces in this one"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^server\.stats_token: "):
        load_config(path, {})
    config: Config = load_config(None, {"SYNDICATE_SERVER_STATS_TOKEN": TOKEN})
    assert config.server.stats_token == TOKEN
    assert load_config(None, {}).server.stats_token == ""


def test_stats_is_not_in_the_build_or_the_sitemap(store: Path) -> None:
    site = _site(store, TOKEN)
    assert site.build is not None
    assert not any("stats" in path for path in site.build.resources)
    assert b"/stats/" not in site.build.resources["/sitemap.xml"].body
