"""Headings get the ids Python-Markdown's toc extension gives them, with or without the table."""

from __future__ import annotations

import random
import sys
import threading
from pathlib import Path

import markdown
import pytest
from markdown.postprocessors import Postprocessor

from syndicate import frontmatter
from syndicate.markdown_toc import HeadingIdExtension
from syndicate.render import MARKDOWN_EXTENSION_CONFIGS, MARKDOWN_EXTENSIONS, markdown_to_html

EXAMPLE_POSTS = sorted((Path(__file__).parents[1] / "examples" / "site" / "content").rglob("*.md"))

DOCUMENTS = [
    "# Intro\n\ntext\n\n## Intro\n\n### Intro\n\n# Intro_1\n\n# Intro_2",
    "# 空洞卷积 Dilated Convolution\n\n## 论文笔记：第一部分\n\n## 強化學習 と カタカナ",
    "# a <span>stashed</span> and <b>bold</b> html\n\n## <em>all html</em>",
    "# Entities &amp; &copy; &#169; & < >\n\n## Quotes \"double\" 'single'",
    "# With `code <b>` and $x^2$ and \\(y\\)\n\n## **strong** *em* [link](/a) ![img](/i.png)",
    "# Note[^1] here\n\ntext\n\n[^1]: the note",
    "#\n\n# \n\n## !!!\n\n## ---\n\n## _",
    "Setext one\n==========\n\nSetext two\n----------\n\n#### Four\n\n###### Six goes no deeper",
    "> # Quoted heading\n\n- item\n\n    ## Heading in a list",
    "# Escaped \\# hash \\* star \\_ under\n\ntext",
    "[TOC]\n\n# First\n\n## Second\n\n# First",
    "# Marker later\n\ntext\n\n[TOC]\n\n## Under it",
    "```\n[TOC]\n```\n\n# Only in code\n\n`[TOC]` inline",
    "# A [TOC] in a heading\n\ntext [TOC] in a paragraph",
]


@pytest.fixture(scope="module")
def stock() -> markdown.Markdown:
    return markdown.Markdown(extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_EXTENSION_CONFIGS)


def stock_html(converter: markdown.Markdown, body: str) -> str:
    converter.reset()
    return converter.convert(body)


@pytest.mark.parametrize("body", DOCUMENTS)
def test_headings_get_the_ids_the_toc_extension_gives(stock: markdown.Markdown, body: str) -> None:
    assert markdown_to_html(body) == stock_html(stock, body)


def test_a_toc_marker_still_becomes_the_table(stock: markdown.Markdown) -> None:
    html = markdown_to_html("[TOC]\n\n# First\n\n## Second")
    assert '<div class="toc">' in html
    assert 'href="#first"' in html


@pytest.mark.parametrize("path", EXAMPLE_POSTS, ids=lambda path: path.name)
def test_example_posts_get_the_same_heading_ids(stock: markdown.Markdown, path: Path) -> None:
    body = frontmatter.body_of(path.read_bytes())
    assert markdown_to_html(body) == stock_html(stock, body)


def test_random_headings_get_the_same_ids(stock: markdown.Markdown) -> None:
    pieces = [
        *"ab 中文カ_-*`$&<>!#[]()^",
        "word",
        "Word",
        "&amp;",
        "<span>x</span>",
        "`c`",
        "$m$",
        "[l](/u)",
        "[^1]",
        "  ",
        "_1",
    ]
    chooser = random.Random(4)
    for _ in range(300):
        headings = [
            "#" * chooser.randint(1, 6) + " " + "".join(chooser.choices(pieces, k=chooser.randint(0, 6)))
            for _ in range(chooser.randint(1, 6))
        ]
        body = "\n\ntext\n\n".join(headings) + "\n\n[^1]: a note"
        assert markdown_to_html(body) == stock_html(stock, body), body


class Swap(Postprocessor):
    """Changes a heading's inner HTML as toc runs it through, not the document."""

    def run(self, text: str) -> str:
        return text if text.startswith("<") else text.replace("cat", "dog")


def test_a_postprocessor_of_another_extension_counts_in_heading_ids() -> None:
    ours = markdown.Markdown(extensions=["toc", HeadingIdExtension()])
    stock = markdown.Markdown(extensions=["toc"])
    for converter in (ours, stock):
        converter.postprocessors.register(Swap(converter), "swap", 1)
    body = "# A cat\n\ntext about a cat"
    assert ours.convert(body) == stock.convert(body)
    assert '<h1 id="a-dog">A cat</h1>' in ours.convert(body)


def test_deep_nesting_renders_as_python_markdown_renders_it_with_a_deeper_stack() -> None:
    # Python-Markdown's toc put its table in place by walking the tree recursively: 2,000
    # nested emphases were a RecursionError. Without a [TOC] marker no table is made.
    body = "_" * 2000 + "a" + "_" * 2000 + "\n"
    expected: list[str] = []

    def deep() -> None:
        converter = markdown.Markdown(
            extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_EXTENSION_CONFIGS
        )
        expected.append(converter.convert(body))

    limit, size = sys.getrecursionlimit(), threading.stack_size()
    sys.setrecursionlimit(50_000)
    threading.stack_size(256 * 1024 * 1024)
    try:
        thread = threading.Thread(target=deep)
        thread.start()
        thread.join()
    finally:
        sys.setrecursionlimit(limit)
        threading.stack_size(size)
    assert markdown_to_html(body) == expected[0]
    assert expected[0].count("<strong>") > 500
