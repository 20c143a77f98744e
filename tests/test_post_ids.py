"""A post's `id` is published as the entry id of every feed: an absolute URI only of a
scheme that identifies (issue 14). The store refuses the others, as import does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import feedparser  # type: ignore[import-untyped]
import pytest
from conftest import write

from syndicate.source.frontmatter import parse_post

GOOD = "---\ntitle: Good\ndate: 2026-01-11\n---\nHello.\n"
ADVICE = "give a tag:, urn:, http: or https: URI, or an id with no scheme"


def with_id(post_id: str, title: str = "Bad") -> str:
    return f"---\ntitle: {title}\ndate: 2026-01-02\nid: {json.dumps(post_id)}\n---\nText.\n"


def problems_of(source: str, text: str) -> list[str]:
    post, problems = parse_post(source, text.encode(), author="A", language="en", timezone=UTC)
    assert (post is None) == any(problem.severity == "error" for problem in problems)
    return [str(problem) for problem in problems]


@pytest.mark.parametrize(
    ("post_id", "scheme"),
    [
        ("javascript:alert(1)", "javascript"),
        ("JavaScript:alert(1)", "javascript"),
        ("data:text/html,<script>alert(1)</script>", "data"),
        ("vbscript:msgbox(1)", "vbscript"),
        ("file:///etc/passwd", "file"),
        ("chapter:1", "chapter"),
    ],
)
def test_an_id_of_a_scheme_that_names_nothing_is_refused(post_id: str, scheme: str) -> None:
    shown = repr(post_id if len(post_id) <= 40 else post_id[:40] + "…")
    assert problems_of("bad.md", with_id(post_id)) == [
        f"bad.md:4: error: 'id' {shown} is a {scheme}: URI, not an identifier (feeds publish it as it is): "
        + ADVICE
    ]


@pytest.mark.parametrize(
    "post_id",
    [
        "tag:blogger.com,1999:blog-1.post-2",
        "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
        "https://example.wordpress.com/?p=123",
        "HTTP://old.example/2019/04/post",
        "2026/dilated-conv",
        "javascript: alert(1)",  # not a URI (it holds a space): it becomes a tag: URI
        "c:1",  # a scheme is two characters or more: not a URI either
    ],
)
def test_identifiers_and_plain_ids_are_taken(post_id: str) -> None:
    assert problems_of("a.md", with_id(post_id)) == []


def test_an_id_made_from_a_file_name_follows_the_same_rule() -> None:
    assert problems_of("javascript:alert(1).md", GOOD) == [
        "javascript:alert(1).md:1: error: the file name (the post's id) 'javascript:alert(1)' is a"
        " javascript: URI, not an identifier (feeds publish it as it is): rename the file, or give the"
        " post an 'id'"
    ]
    assert problems_of("javascript:alert(1).md", with_id("post-1")) == []


def run(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "syndicate.toml"
    config.write_text('[store]\npath = "content"\n[build]\ncache_dir = "cache"\n', encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "syndicate.cli", *arguments, "--config", str(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={key: value for key, value in os.environ.items() if not key.startswith("SYNDICATE_")},
    )


def test_check_and_build_skip_the_post_and_no_feed_carries_its_id(tmp_path: Path) -> None:
    store = tmp_path / "content"
    write(store, "good.md", GOOD)
    write(store, "imported.md", with_id("tag:blogger.com,1999:blog-1.post-2", "Imported"))
    write(store, "script.md", with_id("javascript:alert(1)", "Script"))
    write(store, "data.md", with_id("data:text/html,alert(2)", "Data"))

    check = run(tmp_path, "check")
    assert check.returncode == 1, check.stderr
    assert check.stdout.splitlines() == [
        "content/data.md:4: error: 'id' 'data:text/html,alert(2)' is a data: URI, not an identifier"
        " (feeds publish it as it is): " + ADVICE,
        "content/script.md:4: error: 'id' 'javascript:alert(1)' is a javascript: URI, not an identifier"
        " (feeds publish it as it is): " + ADVICE,
        "2 posts (2 published, 0 drafts, 0 scheduled), 2 skipped with errors, 0 warnings",
    ]

    build = run(tmp_path, "build", "--out", "site")
    assert build.returncode == 0, build.stderr
    assert build.stdout.splitlines()[:3] == check.stdout.splitlines()
    site = tmp_path / "site"
    atom = feedparser.parse((site / "atom.xml").read_bytes())
    assert [entry.title for entry in atom.entries] == ["Good", "Imported"]
    assert atom.entries[1].id == "tag:blogger.com,1999:blog-1.post-2"
    items = json.loads((site / "feed.json").read_bytes())["items"]
    assert [item["id"] for item in items] == [atom.entries[0].id, "tag:blogger.com,1999:blog-1.post-2"]
    written = [path for path in site.rglob("*") if path.is_file()]
    assert {"atom.xml", "rss.xml", "feed.json"} <= {path.name for path in written}
    for path in written:
        data = path.read_bytes()
        assert b"javascript:" not in data and b"data:text" not in data, path
