"""`syndicate new`: a draft skeleton the store reads without a problem."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import make_config, write

from syndicate.authoring.newpost import new_post, parse_tags
from syndicate.cli import main
from syndicate.source.store import PostStore

# 20:00 UTC on the 10th is already the 11th in Shanghai, the site's zone in make_config.
NOW = datetime(2026, 1, 10, 20, 0, 5, 123456, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))


def test_skeleton_loads_as_a_draft(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_config(store)
    code = new_post(
        config, "  Dilated   convolution ", category="Deep Learning", tags="cnn, 论文笔记", now=NOW
    )
    assert code == 0
    path = store / "2026-01-11-dilated-convolution.md"
    out, err = capsys.readouterr()
    assert (out, err) == (f"wrote {path} (a draft: it stays unpublished until you set 'draft: false')\n", "")
    assert path.read_text(encoding="utf-8").startswith(
        "---\n"
        "title: Dilated convolution\n"
        "date: 2026-01-11T04:00:05+08:00\n"
        "category: Deep Learning\n"
        "tags: [cnn, 论文笔记]\n"
        "draft: true\n"
        "---\n\n"
    )
    result = PostStore(config).load()
    assert result.problems == ()
    (post,) = result.posts
    assert (post.title, post.slug, post.category, post.tags) == (
        "Dilated convolution",
        "dilated-convolution",
        "Deep Learning",
        ("cnn", "论文笔记"),
    )
    assert post.date == datetime(2026, 1, 11, 4, 0, 5, tzinfo=SHANGHAI)
    assert post.draft and not post.is_published(NOW + timedelta(days=1))


def test_refuses_to_overwrite(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_config(store)
    assert new_post(config, "Hello", now=NOW) == 0
    path = store / "2026-01-11-hello.md"
    path.write_text(path.read_text(encoding="utf-8") + "My words.\n", encoding="utf-8")
    capsys.readouterr()
    assert new_post(config, "Hello", now=NOW) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"syndicate: error: new: {path} already exists; not overwritten\n")
    assert path.read_text(encoding="utf-8").endswith("My words.\n")
    assert [p.name for p in store.iterdir()] == [path.name]


def test_cjk_title_gives_a_readable_slug(store: Path) -> None:
    config = make_config(store)
    assert new_post(config, "空洞卷积 Dilated Convolution：综述", now=NOW) == 0
    (post,) = PostStore(config).load().posts
    assert post.slug == "空洞卷积-dilated-convolution-综述"
    assert post.source == "2026-01-11-空洞卷积-dilated-convolution-综述.md"


def test_a_slug_another_day_owns_gets_a_number(store: Path) -> None:
    write(store, "2025-12-01-weekly-notes.md", "---\ntitle: Weekly notes\ndate: 2025-12-01\n---\nOld.\n")
    config = make_config(store)
    assert new_post(config, "Weekly notes", now=NOW) == 0
    result = PostStore(config).load()
    assert result.problems == ()
    assert sorted(post.slug for post in result.posts) == ["weekly-notes", "weekly-notes-2"]


def test_a_title_without_letters(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_config(store)
    assert new_post(config, "🎉🎉", now=NOW) == 0
    (post,) = PostStore(config).load().posts
    assert (post.title, post.slug) == ("🎉🎉", "post")
    assert new_post(config, "   ", now=NOW) == 1
    assert capsys.readouterr().err.endswith("syndicate: error: new: the title is empty\n")


def test_parse_tags() -> None:
    assert parse_tags("a, b") == ("a", "b")
    assert parse_tags(" a ,, b  c ,a,") == ("a", "b c")
    assert parse_tags(None) == parse_tags("") == ()


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "syndicate.toml"
    config.write_text('[site]\ntimezone = "Asia/Shanghai"\n[store]\npath = "content"\n', encoding="utf-8")
    into = tmp_path / "drafts"
    args = ["new", "Notes: on yaml", "--config", str(config), "--category", "Meta", "--tags", "a, b"]
    assert main([*args, "--into", str(into)]) == 0
    out = capsys.readouterr().out
    (path,) = into.iterdir()
    assert path.name.endswith("-notes-on-yaml.md")
    assert out.startswith(f"wrote {path} ")
    assert "title: 'Notes: on yaml'\n" in path.read_text(encoding="utf-8")
    (post,) = PostStore(make_config(into)).load().posts
    assert (post.title, post.category, post.tags, post.draft) == ("Notes: on yaml", "Meta", ("a", "b"), True)
    assert main([*args, "--into", str(into)]) == 1
    assert main(args) == 0  # the default folder: store.path
    assert len(list((tmp_path / "content").iterdir())) == 1
