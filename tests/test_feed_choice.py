"""A post's own say in the feeds: `feed: false` keeps it on the site and out of every feed
and archive; `feed: full` or `feed: summary` overrides `feed.content` for it."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import feedparser  # type: ignore[import-untyped]
from conftest import make_config, write
from lxml import etree

from syndicate.build.builder import Build, Builder
from syndicate.config import Config, FeedConfig
from syndicate.source.store import PostStore

NOW = datetime(2026, 6, 1, tzinfo=UTC)
POST = (
    "---\ntitle: {title}\ndate: 2026-01-{day:02d}\ncategory: Notes\ntags: [t]\n{extra}---\nText of {title}.\n"
)


def site(
    tmp_path: Path, posts: dict[str, str], content: str = "full", limit: int = 20
) -> tuple[Build, Config]:
    store = tmp_path / "content"
    for day, (title, extra) in enumerate(posts.items(), 1):
        write(store, f"{title.lower()}.md", POST.format(title=title, day=day, extra=extra))
    config = dataclasses.replace(make_config(store), feed=FeedConfig(limit=limit, content=content))
    return Builder(config).build(PostStore(config).load(), NOW), config


def feed_titles(build: Build, path: str) -> list[str]:
    body = build.resources[path].body
    if path.endswith(".json"):
        return [item["title"] for item in json.loads(body)["items"]]
    return [entry.title for entry in feedparser.parse(body).entries]


def test_a_post_kept_out_of_the_feeds_is_still_on_the_site(tmp_path: Path) -> None:
    build, _ = site(tmp_path, {"Shown": "", "Hidden": "feed: false\n", "Also": ""}, limit=1)
    feeds = [path for path, r in build.resources.items() if r.kind in ("feed", "archive")]
    assert "/archive/2/atom.xml" in feeds and "/categories/notes/rss.xml" in feeds
    for path in feeds:
        assert "Hidden" not in feed_titles(build, path), path
    assert feed_titles(build, "/archive/1/atom.xml") == ["Shown"]  # archives skip it too
    assert feed_titles(build, "/atom.xml") == ["Also"]
    assert "/posts/hidden/" in build.resources
    assert b"/posts/hidden/" in build.resources["/sitemap.xml"].body
    assert b"/posts/hidden/" in build.resources["/"].body
    assert b"/posts/hidden/" in build.resources["/tags/t/"].body


def test_a_post_chooses_its_feed_content(tmp_path: Path) -> None:
    build, _ = site(tmp_path, {"Whole": "", "Brief": "feed: summary\n"}, content="full")
    entries = {entry.title: entry for entry in feedparser.parse(build.resources["/atom.xml"].body).entries}
    assert "content" in entries["Whole"] and "content" not in entries["Brief"]
    items = {item["title"]: item for item in json.loads(build.resources["/feed.json"].body)["items"]}
    assert "content_html" in items["Whole"] and "content_html" not in items["Brief"]

    build, _ = site(tmp_path / "other", {"Whole": "feed: full\n", "Brief": ""}, content="summary")
    entries = {entry.title: entry for entry in feedparser.parse(build.resources["/rss.xml"].body).entries}
    assert "content" in entries["Whole"] and "content" not in entries["Brief"]


def test_a_bad_feed_value_is_one_problem_and_the_rest_is_built(tmp_path: Path) -> None:
    build, _ = site(tmp_path, {"Good": "", "Bad": "feed: sometimes\n"})
    assert feed_titles(build, "/atom.xml") == ["Good"]
    messages = [str(problem) for problem in build.problems]
    assert len(messages) == 1 and messages[0].startswith("bad.md:"), messages
    assert "'feed' must be true, false" in messages[0] and "sometimes" in messages[0]


def test_turning_a_post_out_of_the_feeds_on_a_rebuild_is_a_fresh_build(tmp_path: Path) -> None:
    store = tmp_path / "content"
    for day, title in enumerate(("One", "Two", "Three"), 1):
        write(store, f"{title.lower()}.md", POST.format(title=title, day=day, extra=""))
    config = dataclasses.replace(make_config(store), feed=FeedConfig(limit=1))
    builder = Builder(config)
    builder.build(PostStore(config).load(), NOW)
    write(store, "two.md", POST.format(title="Two", day=2, extra="feed: false\n"))
    rebuilt = builder.build(PostStore(config).load(), NOW)
    fresh = Builder(dataclasses.replace(config)).build(PostStore(config).load(), NOW)
    assert rebuilt.resources.keys() == fresh.resources.keys()
    for path in fresh.resources:
        assert rebuilt.resources[path].body == fresh.resources[path].body, path
    assert "/archive/2/atom.xml" in fresh.resources and "/archive/3/atom.xml" not in fresh.resources


def test_a_post_too_large_for_feeds_is_carried_by_its_summary(tmp_path: Path) -> None:
    store = tmp_path / "content"
    write(store, "small.md", POST.format(title="Small", day=1, extra=""))
    # 2.7 MB of code that is mostly '<': in full, a feed's text of over 10 MB, which libxml2
    # (lxml, many readers) refuses to parse. The post itself is well within store limits.
    code = ("<" * 99 + "\n") * 27_000
    write(
        store,
        "code.md",
        f"---\ntitle: Code\ndate: 2026-01-02\ntags: [t]\n---\nSome code.\n\n```\n{code}```\n",
    )
    (tmp_path / "syndicate.toml").write_text('[store]\npath = "content"\n[build]\ncache_dir = "cache"\n')
    command = [sys.executable, "-m", "syndicate.cli", "build", "--config", "syndicate.toml", "--out", "site"]
    built = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    warning = "content/code.md:1: warning: file of 2,700,"
    assert any(line.startswith(warning) for line in built.stdout.splitlines()), built.stdout
    assert "feed.full_max_bytes (262,144): feeds carry its summary" in built.stdout
    site = tmp_path / "site"
    for path in ["atom.xml", "rss.xml", "tags/t/atom.xml"]:
        entries = etree.parse(str(site / path)).getroot()  # the parser's default limits
        assert b"Some code." in etree.tostring(entries)
        assert (site / path).stat().st_size < 100_000, path
    items = {item["title"]: item for item in json.loads((site / "feed.json").read_bytes())["items"]}
    assert "content_html" in items["Small"] and "content_html" not in items["Code"]
    assert "content_text" in items["Code"]
    assert (site / "posts" / "code" / "index.html").stat().st_size > 2_700_000  # its page is whole
