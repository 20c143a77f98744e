"""Every Atom and RSS feed the example site and a site of awkward posts build gives no
error or warning under the W3C validator's rules (tests/feedrules.py); each rule is shown
to catch what it is for."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser  # type: ignore[import-untyped]
import pytest
from conftest import EXAMPLE_CONFIG, make_config, write
from feedcheck import feedparser_ok, jing_validate, strict_parse
from feedrules import findings

from syndicate.build.builder import Build, Builder
from syndicate.config import FeedConfig, load_config
from syndicate.source.store import PostStore

NOW = datetime(2026, 6, 1, tzinfo=UTC)
AWKWARD = [
    # Three posts at the same instant, titles that must be escaped, an image, no text.
    ("same-1.md", 'title: Escaping <tags> & "quotes"\ndate: 2026-01-05T10:00:00+08:00\ntags: [a&b]', "Text."),
    ("same-2.md", "title: R&D notes\ndate: 2026-01-05T10:00:00+08:00\ncategory: x<y", "More."),
    ("same-3.md", "title: 1 < 2\ndate: 2026-01-05T10:00:00+08:00\nimage: /cover.png", "With a cover."),
    ("image-only.md", "title: Only a picture\ndate: 2026-01-06\nimage: /cover.png", ""),
    *((f"old-{n}.md", f"title: Old {n}\ndate: 2025-01-{n:02d}", "Old.") for n in range(1, 9)),
]


def xml_feeds(build: Build) -> dict[str, bytes]:
    return {
        path: resource.body
        for path, resource in build.resources.items()
        if resource.kind in ("feed", "archive") and path.endswith(".xml")
    }


@pytest.fixture(scope="module")
def example() -> Build:
    config = load_config(EXAMPLE_CONFIG, {})
    return Builder(config).build(PostStore(config).load(), NOW)


@pytest.fixture(scope="module")
def awkward(tmp_path_factory: pytest.TempPathFactory) -> Build:
    store = tmp_path_factory.mktemp("awkward") / "content"
    for name, front, body in AWKWARD:
        write(store, name, f"---\n{front}\n---\n{body}\n")
    write(store, "cover.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    config = dataclasses.replace(make_config(store), feed=FeedConfig(limit=4))  # three archives
    return Builder(config).build(PostStore(config).load(), NOW)


def test_every_feed_of_the_example_site_passes(example: Build) -> None:
    feeds = xml_feeds(example)
    assert len(feeds) > 40 and any("/archive/" in path for path in feeds)
    assert {path: findings(body) for path, body in feeds.items() if findings(body)} == {}


@pytest.mark.parametrize("site", ["example", "awkward"])
def test_every_feed_passes_every_other_checker(
    site: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    build: Build = request.getfixturevalue(site)
    atom = []
    for path, body in xml_feeds(build).items():
        strict_parse(body)
        feedparser_ok(body)
        if path.endswith("atom.xml"):
            atom.append(tmp_path / f"{len(atom)}.xml")
            atom[-1].write_bytes(body)
    for path, resource in build.resources.items():
        if path.endswith("feed.json"):
            assert json.loads(resource.body)["version"] == "https://jsonfeed.org/version/1.1", path
    jing_validate(atom)  # RFC 4287's schema and rules, every Atom document at once


def test_every_feed_of_a_site_of_awkward_posts_passes(awkward: Build) -> None:
    feeds = xml_feeds(awkward)
    assert "/archive/3/atom.xml" in feeds and "/rss.xml" in feeds
    assert {path: findings(body) for path, body in feeds.items() if findings(body)} == {}


def test_the_awkward_feeds_still_say_what_the_posts_say(awkward: Build) -> None:
    for name in ("/atom.xml", "/rss.xml"):
        feed = feedparser.parse(awkward.resources[name].body)
        titles = [entry.title for entry in feed.entries]
        assert 'Escaping <tags> & "quotes"' in titles and "R&D notes" in titles and "1 < 2" in titles
        same = [entry for entry in feed.entries if entry.title in titles[:4] and "Only" not in entry.title]
        assert len(same) == 3 and len({entry.published_parsed for entry in same}) == 1
        if name == "/atom.xml":  # one instant, however it is written
            assert len({entry.updated_parsed for entry in same}) == 1
        blank = next(entry for entry in feed.entries if entry.title == "Only a picture")
        assert blank.summary.strip()


ATOM_HEAD = '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:fh="http://purl.org/syndication/history/1.0">'


@pytest.mark.parametrize(
    ("document", "rule"),
    [
        (
            '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><item>'
            '<media:group><media:content url="a.png"/><media:thumbnail url="a.png"/></media:group>'
            "</item></channel></rss>",
            "MediaGroupWithoutAlternatives",
        ),
        ('<rss version="2.0"><channel>\n<title>a &lt;b</title>\n</channel></rss>', "CharacterData"),
        ('<rss version="2.0"><channel>\n<title><![CDATA[R&D]]></title>\n</channel></rss>', "CharacterData"),
        (
            ATOM_HEAD + "<entry><updated>2026-01-01T00:00:00Z</updated></entry>"
            "<entry><updated>2026-01-01T00:00:00Z</updated></entry></feed>",
            "DuplicateUpdated",
        ),
        (ATOM_HEAD + '<entry><summary type="text"></summary></entry></feed>', "NotBlank"),
        (
            ATOM_HEAD + '<fh:archive/><link rel="self" href="https://x/archive/2/atom.xml"/>'
            '<link rel="current" href="https://x/atom.xml"/></feed>',
            "ArchiveIncomplete",
        ),
        (
            ATOM_HEAD + '<fh:archive/><link rel="prev-archive" href="https://x/a/1/"/></feed>',
            "MissingCurrentInArchive",
        ),
    ],
)
def test_each_rule_catches_what_it_is_for(document: str, rule: str) -> None:
    assert [finding.split(":")[0] for finding in findings(document.encode())] == [rule]


def test_the_numbered_forms_pass() -> None:
    rss = '<rss version="2.0"><channel>\n<title>a &#x3C;b &#x26; c</title>\n</channel></rss>'
    atom = ATOM_HEAD + "<entry><updated>2026-01-01T00:00:00Z</updated></entry>"
    atom += "<entry><updated>2026-01-01T00:00:00.0Z</updated></entry></feed>"
    assert findings(rss.encode()) == findings(atom.encode()) == []
