"""Rendering: Markdown features, sanitizing, absolute URLs, the render cache."""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import markdown
import pytest
from conftest import make_config, write

import syndicate.caching.fingerprint as fingerprint_module
import syndicate.render.renderer as render_module
from syndicate.posts import Entry, Post
from syndicate.render.renderer import Renderer, markdown_to_html, sanitize
from syndicate.source.store import PostStore

PAGE = "https://blog.example/posts/hello/"


def render(body: str) -> str:
    return sanitize(markdown_to_html(body), PAGE)


def make_post(body: str, slug: str = "hello", digest: str = "d1") -> Post:
    return Post(
        id=slug,
        source=f"{slug}.md",
        slug=slug,
        title="Hello",
        date=datetime(2026, 1, 11, tzinfo=UTC),
        updated=None,
        category=None,
        tags=(),
        author="A",
        summary=None,
        draft=False,
        lang="en",
        body=body,
        digest=digest,
    )


def test_fenced_code_tables_footnotes() -> None:
    html = render(
        "```python\nprint(1 < 2)\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nNote[^1]\n\n[^1]: Foot.\n"
    )
    assert '<pre class="highlight"><code class="language-python">print(1 &lt; 2)</code></pre>' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert 'id="fn:1"' in html
    assert f'href="{PAGE}#fn:1"' in html


def test_markdown_marks_math_for_the_mathml_pass() -> None:
    html = render("Inline $p_{ii} < 1$ here.\n\n$$\n\\frac{a}{b} \\times 2\n$$\n")
    assert '<span class="arithmatex">\\(p_{ii} &lt; 1\\)</span>' in html
    assert '<div class="arithmatex">\\[\n\\frac{a}{b} \\times 2\n\\]</div>' in html


@pytest.mark.parametrize(
    ("source", "absent"),
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src="x.png" onerror="alert(1)">', "onerror"),
        ('<a href="javascript:alert(1)">x</a>', "javascript:"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "alert"),
        ('<img src="data:image/png;base64,AAAA">', "data:"),
        ('<iframe src="https://evil.example/"></iframe>', "iframe"),
        ('<p style="position:fixed">x</p>', "style"),
        ("<!-- secret comment -->", "secret"),
    ],
)
def test_raw_html_is_sanitized(source: str, absent: str) -> None:
    assert absent not in render("Before\n\n" + source + "\n\nAfter\n")


def test_safe_raw_html_is_kept() -> None:
    assert "<kbd>Ctrl</kbd>" in render("Press <kbd>Ctrl</kbd>.")


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("![d](diagram.svg)", 'src="https://blog.example/posts/hello/diagram.svg"'),
        ("![d](../../images/a.svg)", 'src="https://blog.example/images/a.svg"'),
        ("![d](/images/a.svg)", 'src="https://blog.example/images/a.svg"'),
        ("[next](../other/)", 'href="https://blog.example/posts/other/"'),
        ("[ext](https://elsewhere.example/x)", 'href="https://elsewhere.example/x"'),
        ("[mail](mailto:a@b.example)", 'href="mailto:a@b.example"'),
    ],
)
def test_links_and_images_become_absolute(markdown: str, expected: str) -> None:
    assert expected in render(markdown)


def test_links_resolve_under_a_base_url_with_a_path() -> None:
    html = sanitize(markdown_to_html("![d](../../images/a.svg)"), "https://x.example/blog/posts/p/")
    assert 'src="https://x.example/blog/images/a.svg"' in html


def test_xml_forbidden_characters_are_removed_tabs_and_newlines_stay() -> None:
    assert render("a\x0bb\x1fc\ufffe d\n") == "<p>abc d</p>"
    assert sanitize("<pre>a\tb\x0c\nc</pre>", PAGE) == "<pre>a\tb\nc</pre>"


def test_renderer_renders_each_version_once(tmp_path: Path) -> None:
    renderer = Renderer(make_config(tmp_path))
    first = renderer.entries([make_post("Some *text*.")])
    assert renderer.rendered == 1
    assert first[0].url == "https://blog.example/posts/hello/"
    assert first[0].html == "<p>Some <em>text</em>.</p>"
    assert first[0].excerpt == "Some text."
    renderer.entries([make_post("Some *text*.")])
    assert renderer.rendered == 0
    renderer.entries([make_post("Changed.", digest="d2")])
    assert renderer.rendered == 1


def test_excerpt_uses_the_posts_language_placeholders(tmp_path: Path) -> None:
    config = make_config(tmp_path, language="zh-CN")
    config = dataclasses.replace(config, excerpt=dataclasses.replace(config.excerpt, length=20))
    post = dataclasses.replace(make_post("开始\n\n```\ncode\n```\n\n$$\nx\n$$\n"), lang="zh-CN")
    (entry,) = Renderer(config).entries([post])
    assert entry.excerpt == "开始 [代码] [公式]"


def test_post_headings_sit_below_the_page_title() -> None:
    html = render("# Top\n\n## 简介 Intro\n\nText.\n")
    assert html.startswith('<h2 id="top">Top</h2>\n<h3 id="简介-intro">简介 Intro</h3>')
    assert "<h1" not in html


def content(entries: list[Entry]) -> list[tuple[object, ...]]:
    """What an Entry holds (Entries are equal only to themselves)."""
    return [(e.post, e.url, e.html, e.excerpt, e.image) for e in entries]


def test_disk_cache_survives_a_restart(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    posts = [make_post(f"Post *{n}*.", slug=f"p{n}", digest=f"d{n}") for n in range(3)]
    first = Renderer(config, tmp_path / "cache").entries(posts)
    restarted = Renderer(config, tmp_path / "cache")
    again = restarted.entries(posts)
    assert [(e.post, e.url, e.html, e.excerpt) for e in again] == [
        (e.post, e.url, e.html, e.excerpt) for e in first
    ]
    assert restarted.rendered == 0


def test_a_damaged_or_unusable_cache_only_costs_rendering(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    posts = [make_post("Text.")]
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "rendered.sqlite3").write_bytes(b"this is not a database" * 100)
    damaged = Renderer(config, tmp_path / "cache")
    assert damaged.entries(posts)[0].html == "<p>Text.</p>"
    assert Renderer(config, tmp_path / "cache").entries(posts)[0].html == "<p>Text.</p>"
    (tmp_path / "a-file").write_text("x")
    unusable = Renderer(config, tmp_path / "a-file" / "cache")  # cannot be a folder
    assert unusable.entries(posts)[0].html == "<p>Text.</p>"


def test_many_posts_render_in_parallel_with_the_same_result(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    posts = [
        make_post(f"# H{n}\n\nSome $x_{n}$ and `code` {n}.", slug=f"p{n}", digest=f"d{n}") for n in range(240)
    ]
    parallel = Renderer(config).entries(posts)
    serial = [Renderer(config).entries([post])[0] for post in posts[:5] + posts[-5:]]
    assert content(parallel[:5] + parallel[-5:]) == content(serial)


def test_with_a_cache_folder_html_is_read_back_not_kept(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    renderer = Renderer(config, tmp_path / "cache")
    (entry,) = renderer.entries([make_post("Some *text*.")])
    assert not isinstance(entry.content, str)  # read when an output needs it
    assert entry.html == "<p>Some <em>text</em>.</p>"
    with sqlite3.connect(tmp_path / "cache" / "rendered.sqlite3") as db:
        db.execute("DELETE FROM cached")
    assert entry.html == "<p>Some <em>text</em>.</p>"  # lost: rendered again


def test_a_post_is_rendered_from_its_file_when_the_store_left_its_body_there(tmp_path: Path) -> None:
    write(tmp_path, "hello.md", "---\ntitle: Hello\ndate: 2026-01-11\n---\nFrom *the file*.\n")
    (post,) = PostStore(make_config(tmp_path)).load().posts
    (entry,) = Renderer(make_config(tmp_path)).entries([post], tmp_path)
    assert entry.html == "<p>From <em>the file</em>.</p>"


def test_block_level_tags_are_python_markdowns_even_when_changed() -> None:
    body = "<custom>a *b*</custom>\n\n<div>c</div>\n\ntext <custom>d</custom> and <span>e</span>"
    ours, stock = render_module._Markdown(), markdown.Markdown()
    assert ours.convert(body) == stock.convert(body)
    assert ours.is_block_level("DIV") and not ours.is_block_level("span") and not ours.is_block_level(None)
    for converter in (ours, stock):
        converter.block_level_elements.append("custom")
        converter.reset()
    assert ours.convert(body) == stock.convert(body)
    assert ours.is_block_level("custom")


def test_an_upgrade_that_changes_any_source_file_renders_the_posts_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The render cache is keyed by the code's own bytes: an upgrade changing how excerpts
    are made, say, never serves the excerpts the old code made."""
    config = make_config(tmp_path)
    posts = [make_post("Some *text*.")]
    Renderer(config, tmp_path / "cache").entries(posts)
    same = Renderer(config, tmp_path / "cache")
    same.entries(posts)
    assert same.rendered == 0

    package = tmp_path / "syndicate"
    shutil.copytree(Path(render_module.__file__).parents[1], package)
    monkeypatch.setattr(fingerprint_module.resources, "files", lambda name: package)
    try:
        for name in ("render/excerpt.py", "render/markdown_inline.py"):
            (package / name).write_bytes((package / name).read_bytes() + b"\n# changed\n")
            fingerprint_module.code_fingerprint.cache_clear()
            upgraded = Renderer(config, tmp_path / "cache")
            assert upgraded._key(posts[0], "u") != same._key(posts[0], "u")
            upgraded.entries(posts)
            assert upgraded.rendered == 1
    finally:
        monkeypatch.undo()
        fingerprint_module.code_fingerprint.cache_clear()
    assert Renderer(config)._key(posts[0], "u") == same._key(posts[0], "u")
