"""A fresh clone, as a new user runs it: the commands with no --config use the bundled
config/syndicate.toml, whose store folder does not exist yet."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
from conftest import REPO
from serving import free_port, launch, stop

MADE = (
    "syndicate: content/ did not exist: made it, an empty store;"
    ' write a first post with: syndicate new "Title"'
)


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A folder laid out like a fresh clone, as far as the commands look: config/ only."""
    (tmp_path / "config").mkdir()
    shutil.copy(REPO / "config" / "syndicate.toml", tmp_path / "config" / "syndicate.toml")
    return tmp_path


def syndicate(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "syndicate.cli", *args]
    return subprocess.run(command, cwd=clone, capture_output=True, text=True, timeout=60, check=False)


def test_check_makes_the_empty_store_once_and_says_so(clone: Path) -> None:
    first = syndicate(clone, "check")
    assert (first.returncode, first.stderr) == (0, MADE + "\n")
    assert first.stdout == "0 posts (0 published, 0 drafts, 0 scheduled), 0 skipped with errors, 0 warnings\n"
    assert (clone / "content").is_dir()
    again = syndicate(clone, "check")
    assert (again.returncode, again.stderr) == (0, "")


def test_build_writes_an_empty_site_and_new_fills_it(clone: Path) -> None:
    built = syndicate(clone, "build", "--out", "out")
    assert (built.returncode, built.stderr) == (0, MADE + "\n")
    feed = feedparser.parse((clone / "out" / "atom.xml").read_bytes())
    assert (feed.bozo, feed.feed.title, feed.entries) == (False, "syndicate", [])
    assert syndicate(clone, "new", "Hello world").returncode == 0
    (post,) = (clone / "content").glob("*.md")
    post.write_text(post.read_text(encoding="utf-8").replace("draft: true", "draft: false"), encoding="utf-8")
    assert syndicate(clone, "build", "--out", "out").returncode == 0
    feed = feedparser.parse((clone / "out" / "atom.xml").read_bytes())
    assert [entry.title for entry in feed.entries] == ["Hello world"]


def test_serve_starts_on_the_empty_store(clone: Path) -> None:
    server = launch(None, free_port(), clone / "content", clone / "server.log", cwd=clone)
    try:
        assert server.feed().entries == []
        assert server.get("/").status_code == 200
    finally:
        stop(server)
    assert MADE in server.log.read_text(encoding="utf-8")


def test_a_store_whose_parent_is_missing_is_still_an_error(clone: Path) -> None:
    config = clone / "config" / "syndicate.toml"
    text = config.read_text(encoding="utf-8")
    assert 'path = "../content"' in text
    config.write_text(text.replace('"../content"', '"../nowhere/content"'), encoding="utf-8")
    done = syndicate(clone, "check")
    assert done.returncode == 2
    assert done.stderr == f"syndicate: error: {clone / 'nowhere' / 'content'}: store folder does not exist\n"
    assert not (clone / "nowhere").exists()
